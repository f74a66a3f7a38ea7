import Casework
import Formats
#if canImport(Glibc)
import Glibc
#endif

/// Exit statuses, from sysexits(3) so scripts can tell causes apart (documented in `--help`).
enum ExitStatus: Int32 {
    case failure = 1
    case usage = 64
    case dataError = 65
    case noInput = 66
    case cannotCreate = 73
    case wrongPassphrase = 77
}

/// An error the user can act on: one line saying what is wrong, naming the bad value, and hint
/// lines saying what to do.
struct CommandFailure: Error {
    let message: String
    let hints: [String]
    let status: ExitStatus

    init(_ message: String, hints: [String] = [], status: ExitStatus = .failure) {
        self.message = message
        self.hints = hints
        self.status = status
    }

    func report() {
        Console.error("resguardo: error: \(message)")
        for hint in hints { Console.error("resguardo: hint: \(hint)") }
    }

    static func from(_ error: KeyDirectoryError, directory: String) -> CommandFailure {
        switch error {
        case .alreadyExists(let path):
            return CommandFailure("\(path) already exists and is not empty; refusing to overwrite keys",
                                  hints: ["choose a new directory, or move the old one away first"], status: .cannotCreate)
        case .missingFile(let path):
            return CommandFailure("\(path) is missing", hints: ["is \(directory) a key directory made by `resguardo key init`?"], status: .noInput)
        case .keyFile(_, .wrongPassphrase):
            return CommandFailure("wrong passphrase for the keys in \(directory)",
                                  hints: ["check --passphrase-file or RESGUARDO_PASSPHRASE; the passphrase is case-sensitive"], status: .wrongPassphrase)
        case .keyFile, .manifest:
            return CommandFailure(error.description, hints: ["restore the key directory from its backup"], status: .dataError)
        case .notADirectory, .io, .crypto:
            return CommandFailure(error.description)
        }
    }
}

enum Console {
    static func error(_ line: String) {
        writeStandardError(line + "\n")
    }

    static func warning(_ line: String) {
        writeStandardError("resguardo: warning: \(line)\n")
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

/// `exit` without importing Foundation into the root command file.
func Darwin_or_Glibc_exit(_ status: Int32) -> Never {
    exit(status)
}
