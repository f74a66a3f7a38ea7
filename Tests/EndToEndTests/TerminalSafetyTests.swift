import Foundation
import Testing
import Sodium
import Formats
import TestSupport
import TestHarness
@testable import Casework

/// Issue 14 item 4: strings from a report never reach the staff's terminal raw.
@Suite("Terminal safety")
struct TerminalSafetyTests {
    /// What a hostile report tries: set the window title, clear the line, return to its start,
    /// the 8-bit CSI, and a right-to-left override that reorders what follows.
    static let hostile = ["\u{1B}]0;pwned\u{07}", "\u{1B}[2K", "\r", "\u{9B}31m", "\u{202E}", "\u{2066}"]

    static func assertClean(_ text: String, _ context: String) {
        for scalar in text.unicodeScalars {
            let v = scalar.value
            let allowed = v == 0x0A || v == 0x09 || !(v < 0x20 || (0x7F...0x9F).contains(v) || (0x202A...0x202E).contains(v) || (0x2066...0x2069).contains(v))
            #expect(allowed, "\(context) printed U+\(String(v, radix: 16, uppercase: true)) raw")
        }
    }

    @Test("TerminalText shows every control, C1 and bidi character in a visible form; newlines kept only where asked")
    func escaping() {
        #expect(TerminalText.escaped("a\u{1B}[2Kb") == "a\\u{1B}[2Kb")
        #expect(TerminalText.escaped("x\r\ny", allowNewlines: true) == "x\\u{D}\ny")
        #expect(TerminalText.escaped("x\ny") == "x\\u{A}y")
        #expect(TerminalText.escaped("\u{9B}\u{202E}\u{2069}") == "\\u{9B}\\u{202E}\\u{2069}")
        #expect(TerminalText.escaped("Ñandutí — Q'eqchi' ✓") == "Ñandutí — Q'eqchi' ✓")
        for h in Self.hostile { Self.assertClean(TerminalText.escaped("antes\(h)después"), "escaped") }
    }

    @Test("member names and codes with control or bidi characters are refused at parse time, and the reason quotes them visibly")
    func parsing() throws {
        let name = #"{"version":1,"language":"es","country":"MX","description":"x","\u001b]0;pwned\u0007":1}"#
        #expect(throws: ReportError.self) { try Report.parse(Array(name.utf8)) }
        do { _ = try Report.parse(Array(name.utf8)) } catch {
            #expect(error.description.contains("field name with control or bidirectional characters"))
            Self.assertClean(error.description, "the reason")
        }
        let code = #"{"version":1,"language":"es","country":"MX","description":"x","aggression_types":["threat\u001b[2K\u202e"]}"#
        do { _ = try Report.parse(Array(code.utf8)); Issue.record("accepted a code with ESC") } catch {
            #expect(error.description.contains("code with control or bidirectional characters"), "\(error)")
            Self.assertClean(error.description, "the reason")
        }
    }

    @Test("cases show, cases quarantine ITEM and the audit trail print report strings in visible form only")
    func commands() throws {
        let t = try TestWorkspace()
        // C0 controls other than newlines are refused in values at parse time; what a valid
        // report can still carry (CR in a narrative, C1, bidi) must be shown, not obeyed.
        var report = Report(language: .es, country: "MX", description: "Primera línea\nSegunda\r\u{9B}31m\u{202E}fin")
        report.locality = "San Juan\u{202E}acolip"
        report.defender.name = "Ana\u{2066}\u{9B}2K"
        let unknownName = #"{"version":1,"language":"es","country":"SV","description":"y","\u001b[2Kapodo":"la Chata"}"#
        let unknownCode = #"{"version":1,"language":"es","country":"SV","description":"z","perpetrators":["\u001b]0;t\u0007police"]}"#
        _ = try t.unseal(envelopes: [try t.seal(report.jsonBytes()), try t.seal(Array(unknownName.utf8)), try t.seal(Array(unknownCode.utf8))])
        let env = ["RESGUARDO_PASSPHRASE": TestWorkspace.passphraseText, "RESGUARDO_WORKSPACE": t.scratch.path("ws")]
        let caseId = try #require(try t.workspace.listCases().first).shortId
        let shown = try CLIRunner.run(["cases", "show", caseId], environment: env)
        #expect(shown.status == 0, "\(shown.stderr)")
        Self.assertClean(shown.stdout, "cases show")
        #expect(shown.stdout.contains("Segunda\\u{D}\\u{9B}31m\\u{202E}fin") && shown.stdout.contains("Primera línea\nSegunda"), "\(shown.stdout)")
        #expect(shown.stdout.contains("San Juan\\u{202E}acolip"))

        let quarantined = try t.workspace.listQuarantine()
        #expect(quarantined.count == 2)
        for q in quarantined {
            let reason = try CLIRunner.run(["cases", "quarantine", String(Encoding.hex(q.id).prefix(12))], environment: env)
            #expect(reason.status == 0, "\(reason.stderr)")
            Self.assertClean(reason.stdout, "cases quarantine ITEM")
            #expect(reason.stdout.contains("control or bidirectional characters"), "\(reason.stdout)")
        }
    }
}

/// Issue 14 item 16: `unseal` bounds what it reads and says when guarded memory was not locked.
@Suite("Unseal bounds and memory locking")
struct UnsealBoundsTests {
    /// The real `resguardo`, optionally behind a wrapper (setpriv, prlimit).
    func run(_ wrapper: [String], _ arguments: [String], environment: [String: String]) throws -> SubprocessOutcome {
        let command = wrapper + [CLIRunner.executable.path] + arguments
        return try runSubprocess(command[0], Array(command.dropFirst()), environment: environment)
    }

    @Test("a file larger than any bundle is refused unread; a report too large for the memory-lock limit is imported with a warning")
    func boundsAndLocking() throws {
        let t = try TestWorkspace()
        let env = ["RESGUARDO_PASSPHRASE": TestWorkspace.passphraseText, "RESGUARDO_WORKSPACE": t.scratch.path("ws")]
        let huge = t.scratch.path("huge.rsgb")
        FileManager.default.createFile(atPath: huge, contents: nil)
        #expect(truncate(huge, off_t(ExportBundle.maxByteCount + 1)) == 0)
        let refused = try run([], ["unseal", huge], environment: env)
        #expect(refused.status == 65 && refused.output.contains("nothing was read"), "\(refused.output)")

        // A 3 MiB photo: its report fills a 4 MiB bucket, more than a 1 MiB lock limit allows.
        var report = Report(language: .es, country: "GT", description: "Fotos del desalojo.")
        report.attachments = [Report.Attachment(filename: "foto.jpg", mediaType: "image/jpeg", data: [UInt8](repeating: 0xAB, count: 3 << 20))]
        let entries = [ExportBundle.Entry(submissionId: try Random.bytes(count: 16), receivedDay: .today(), envelope: try t.seal(report.jsonBytes()))]
        let bundle = try ExportBundle.seal(bundleId: try Random.bytes(count: 16), createdDay: .today(), entries: entries, signer: t.vaultKey)
        let path = t.scratch.path("grande.rsgb")
        try Data(bundle.bytes).write(to: URL(fileURLWithPath: path))
        // Root may lock without limit (CAP_IPC_LOCK): drop that capability for this run.
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv"), FileManager.default.isExecutableFile(atPath: "/usr/bin/prlimit") else {
            print("note: setpriv/prlimit missing; the memory-lock warning was not exercised")
            return
        }
        let limited = try run(["/usr/bin/setpriv", "--bounding-set", "-ipc_lock", "--inh-caps", "-ipc_lock", "/usr/bin/prlimit", "--memlock=1048576"],
                              ["unseal", path], environment: env)
        #expect(limited.status == 0 && limited.output.contains("1 new cases"), "\(limited.output)")
        #expect(limited.output.contains("could not be locked in memory") && limited.output.contains("ulimit -l"), "\(limited.output)")
        let unlimited = try run([], ["unseal", path], environment: env)
        #expect(!unlimited.output.contains("could not be locked"), "\(unlimited.output)")
    }
}
