public import ArgumentParser
import CHardening
import DurableFiles
import Sodium
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Exit statuses, from sysexits(3) so scripts can tell causes apart (documented in `--help`).
public enum ExitStatus: Int32, Sendable {
    case failure = 1
    case usage = 64
    case dataError = 65
    case noInput = 66
    case unavailable = 69
    case cannotCreate = 73
    case wrongPassphrase = 77
}

/// An error the user can act on: one line saying what is wrong, naming the bad value, and hint
/// lines saying what to do.
public struct CommandFailure: Error {
    public let message: String
    public let hints: [String]
    public let status: ExitStatus
    /// The program name in `NAME: error: …`.
    nonisolated(unsafe) public static var program = "resguardo"

    public init(_ message: String, hints: [String] = [], status: ExitStatus = .failure) {
        self.message = message
        self.hints = hints
        self.status = status
    }

    public func report() {
        Console.error(message)
        for hint in hints { Console.hint(hint) }
    }
}

public enum Console {
    /// The staff's language for a message (set by each tool at start from `StaffMessages`;
    /// CLISupport itself knows no catalogs). Identity until then.
    nonisolated(unsafe) public static var translate: @Sendable (String) -> String = { $0 }

    /// The staff catalog's lookup for every module that prints: this one, and the two below the
    /// catalogs (DurableFiles, Sodium). Each tool's main calls it first, before any other thread.
    public static func useTranslation(_ lookup: @escaping @Sendable (String) -> String) {
        translate = lookup
        DurableFilesText.translate = lookup
        SodiumText.translate = lookup
    }

    /// `PROGRAM: error: LINE`, the kind and the line in the staff's language: the one way an
    /// error is written, so no command spells the prefix itself.
    public static func error(_ line: String) {
        writeStandardError("\(CommandFailure.program): \(translate("error")): \(translate(line))\n")
    }

    /// `PROGRAM: hint: LINE`: what to do about the error just written.
    public static func hint(_ line: String) {
        writeStandardError("\(CommandFailure.program): \(translate("hint")): \(translate(line))\n")
    }

    public static func warning(_ line: String) {
        writeStandardError("\(CommandFailure.program): \(translate("warning")): \(translate(line))\n")
    }

    /// Something a person should know that is neither an error nor a warning (standard error,
    /// so it never mixes with output a script reads).
    public static func note(_ line: String) {
        writeStandardError("\(CommandFailure.program): \(translate(line))\n")
    }

    /// A one-line progress display on a terminal: redrawn in place with a carriage return.
    public static func progress(_ line: String) {
        writeStandardError("\r\u{1B}[K" + line + (line.isEmpty ? "" : ""))
    }

    /// write(2) on fd 2 rather than the C `stderr` global, which Swift 6 rightly calls unsafe.
    private static func writeStandardError(_ text: String) {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let n = bytes.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
            if n <= 0 { return }
            bytes = bytes.dropFirst(n)
        }
    }
}

/// Runs a root command, reporting `CommandFailure`s in the `NAME: error:` style with their
/// documented exit status and everything else through ArgumentParser.
public func runAsyncCommandLine<Root: AsyncParsableCommand>(_ root: Root.Type, program: String) async -> Never {
    CommandFailure.program = program
    ProcessHardening.apply()
    do {
        var command = try root.parseAsRoot()
        if var asyncCommand = command as? any AsyncParsableCommand {
            try await asyncCommand.run()
        } else {
            try command.run()
        }
        exit(0)
    } catch let failure as CommandFailure {
        failure.report()
        exit(failure.status.rawValue)
    } catch {
        // The argument parser's own words (headings, --help, errors of usage) through the staff
        // catalog too; its message and exit code are otherwise exactly what it would print.
        let message = ArgumentParserWords.translate(root.fullMessage(for: error))
        let code = root.exitCode(for: error)
        if code == .success {
            if !message.isEmpty { print(message) }
        } else {
            FileHandle.standardError.write(Data((message + "\n").utf8))
        }
        exit(code.rawValue)
    }
}

/// The texts the argument parser writes itself, as whole lines or line starts it always writes
/// the same way; everything else it prints comes from the tools' own `L` texts.
enum ArgumentParserWords {
    static func translate(_ message: String) -> String {
        guard Console.translate("OPTIONS:") != "OPTIONS:" else { return message }
        let whole: [String: String] = [
            "ARGUMENTS:": L("ARGUMENTS:"), "OPTIONS:": L("OPTIONS:"), "SUBCOMMANDS:": L("SUBCOMMANDS:"), "OPTION GROUPS:": L("OPTION GROUPS:"),
        ]
        let starts: [(String, String)] = [("USAGE: ", L("USAGE: ")), ("OVERVIEW: ", L("OVERVIEW: ")), ("Usage: ", L("Usage: ")), ("Error: ", L("Error: ")),
                                        ("Help: ", L("Help: "))]
        let phrases: [(String, String)] = [
            ("Show help information.", L("Show help information.")), ("Show the version.", L("Show the version.")),
            ("(default: ", L("(default: ")), ("(values: ", L("(values: ")),
            ("for more information.", L("for more information.")),
            ("Missing expected argument ", L("Missing expected argument ")), ("Unknown option ", L("Unknown option ")),
            ("Unexpected argument ", L("Unexpected argument ")), ("Missing value for ", L("Missing value for ")),
            ("The value ", L("The value ")), (" is invalid for ", L(" is invalid for ")),
            ("for detailed help.", L("for detailed help.")), ("  See '", L("  See '")),
            (". Please provide one of ", L(". Please provide one of ")), ("' or '", L("' or '")),
        ]
        return message.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            if let heading = whole[String(line)] { return heading }
            var out = String(line)
            for (english, translated) in starts where out.hasPrefix(english) { out = translated + out.dropFirst(english.count) }
            for (english, translated) in phrases where out.contains(english) { out = out.replacingOccurrences(of: english, with: translated) }
            return out
        }.joined(separator: "\n")
    }
}

/// What every executable does before anything else, so no command can forget it.
public enum ProcessHardening {
    public static func apply() {
        // Every file we create (vaults and their logs, case stores, registries, bundles,
        // acknowledgements) is for this user alone; modes wider than that are asked for by name.
        umask(0o077)
        // The intake's no-JavaScript path and every offline command hold report plaintext or
        // secret keys in memory: a crash must not write that memory to a core file.
        var none = rlimit(rlim_cur: 0, rlim_max: 0)
        #if os(Linux)
        _ = setrlimit(__rlimit_resource_t(RLIMIT_CORE.rawValue), &none)
        #else
        _ = setrlimit(RLIMIT_CORE, &none)
        #endif
        // Nor may another process of the same user attach to it or read /proc/PID/mem.
        _ = resguardo_set_not_dumpable()
    }

    /// What the intake's memory protection came to, for its start-up line.
    public struct MemoryProtection: Sendable {
        public let wipesFreedMemory: Bool
        public let locked: Bool
        public var summary: String {
            (wipesFreedMemory ? "freed memory is wiped" : "freed memory is NOT wiped") + ", "
                + (locked ? "memory locked (no swap)" : "memory NOT locked: plaintext may reach swap (LimitMEMLOCK=infinity in the service unit)")
        }
    }

    /// For a process that holds report plaintext in ordinary memory (the intake's no-JavaScript
    /// path): every block freed is overwritten with zeros, so a string or buffer that held a
    /// report does not linger in the heap until reused (a scan of /proc/PID/mem found copies
    /// 400 requests later), and memory is kept out of swap when the limit allows. glibc's
    /// per-thread cache keeps small freed blocks unwiped, so the process first re-executes
    /// itself once with that cache switched off (`GLIBC_TUNABLES`, read only at start-up).
    public static func protectPlaintextMemory() -> MemoryProtection {
        let tunable = "glibc.malloc.tcache_count=0"
        let current = ProcessInfo.processInfo.environment["GLIBC_TUNABLES"] ?? ""
        if !current.contains(tunable), ProcessInfo.processInfo.environment["RESGUARDO_REEXECUTED"] == nil {
            setenv("GLIBC_TUNABLES", current.isEmpty ? tunable : current + ":" + tunable, 1)
            setenv("RESGUARDO_REEXECUTED", "1", 1)
            let arguments = CommandLine.arguments
            var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
            execv("/proc/self/exe", &argv)
            // Only reached when exec failed: go on, without the cache switched off.
        }
        unsetenv("RESGUARDO_REEXECUTED")
        let perturbing = resguardo_wipe_freed_memory() == 0
        let wipes = perturbing && current.contains(tunable)
        let locked = resguardo_lock_memory() == 0
        return MemoryProtection(wipesFreedMemory: wipes, locked: locked)
    }
}

/// The version every executable reports, in one place.
public enum ResguardoVersion {
    public static let number = "0.1.0"
}

/// A staff-tool template inside CLISupport (which knows no catalogs): looked up through
/// `Console.translate`, then `{name}` filled in; the tools' own code uses Formats' `L`.
func L(_ english: String, _ values: [String: String] = [:]) -> String {
    var out = Console.translate(english)
    for (name, value) in values { out = out.replacingOccurrences(of: "{\(name)}", with: value) }
    return out
}

extension ArgumentHelp {
    /// An option's or argument's help from the staff catalog (`help: .L("…")`), in the
    /// language `LANG` asks for; scripts/gen-catalog extracts the literal like any `L("…")`.
    public static func L(_ english: String) -> ArgumentHelp { ArgumentHelp(CLISupport.L(english)) }
}
