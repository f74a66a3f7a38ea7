import Foundation

/// Text a person would not want in the process list or the shell history (a report's narrative,
/// a codename, a staff note): read from a file, from standard input (`-`), or typed at the
/// terminal, never taken from the command line without saying what that leaves behind.
public enum SecretText {
    public static let maxByteCount = 1 << 20

    /// Reads `path` (`-`: standard input), at most `maxByteCount` bytes, as UTF-8 with one final
    /// newline removed.
    public static func read(_ path: String, what: String) throws -> String {
        let data: Data
        if path == "-" {
            data = FileHandle.standardInput.readData(ofLength: maxByteCount + 1)
        } else {
            guard let handle = FileHandle(forReadingAtPath: path) else {
                throw CommandFailure(L("cannot read {what} from {path}", ["what": "\(what)", "path": "\(path)"]), status: .noInput)
            }
            defer { try? handle.close() }
            data = (try? handle.read(upToCount: maxByteCount + 1)) ?? Data()
        }
        guard data.count <= maxByteCount else {
            throw CommandFailure(L("{what} in {path} is larger than {max_byte_count} MiB", ["what": "\(what)", "path": "\(path)", "max_byte_count": "\(maxByteCount >> 20)"]), status: .dataError)
        }
        guard var text = String(data: data, encoding: .utf8) else {
            throw CommandFailure(L("{what} in {path} is not UTF-8 text", ["what": "\(what)", "path": "\(path)"]), status: .dataError)
        }
        if text.hasSuffix("\n") { text.removeLast() }
        return text
    }

    /// Said once when a secret came on the command line anyway.
    public static func warnAboutArgument(_ flag: String, instead: String) {
        Console.warning(L("{flag} on the command line can be read by other programs on this computer while it runs (ps) and stays in the shell history; use {instead} next time", ["flag": "\(flag)", "instead": "\(instead)"]))
    }
}
