import Foundation
#if canImport(Glibc)
public import Glibc
#endif

/// The one way this project writes a file that must survive a crash, and reads a file of bounded
/// size. Key files, manifests, bundles, acknowledgements, exports, referrals, outboxes: all of
/// them go through here, so "exclusive, synced, never half-written" is one piece of code.
/// - `createExclusive`: `O_EXCL` (never overwrite: a key, a bundle), the mode set exactly whatever
///   the umask, every byte written, `fsync`, then the folder synced; on failure the partial file
///   is removed, so a retry is not refused as "already exists".
/// - `replaceAtomically`: a temporary file beside the target, synced, renamed over it, the folder
///   synced: a reader sees the old file or the new one, never half of one.
/// - `read`: the whole file, refused past `maxBytes` (hostile input has no say in how much we
///   allocate).
public enum DurableFile {
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public let path: String
        public let operation: String
        public let code: Int32
        public var exists: Bool { code == EEXIST }
        public var isFull: Bool { code == ENOSPC || code == EDQUOT }
        public var description: String {
            let values = ["path": path, "reason": String(cString: strerror(code))]
            switch operation {
            case "create": return L("cannot create {path}: {reason}", values)
            case "fsync": return L("cannot sync {path} to disk: {reason}", values)
            case "open": return L("cannot open {path}: {reason}", values)
            case "read": return L("cannot read {path}: {reason}", values)
            case "replace": return L("cannot replace {path}: {reason}", values)
            case "write": return L("cannot write {path}: {reason}", values)
            default: return L("cannot {operation} {path}: {reason}", values.merging(["operation": operation]) { $1 })
            }
        }
    }

    public static func createExclusive(_ path: String, bytes: [UInt8], mode: mode_t = 0o600) throws(Failure) {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { throw Failure(path: path, operation: "create", code: errno) }
        do throws(Failure) {
            // The umask may have narrowed the mode; make it exact.
            _ = fchmod(fd, mode)
            try writeAll(fd, bytes, path: path)
            guard fsync(fd) == 0 else { throw Failure(path: path, operation: "fsync", code: errno) }
        } catch {
            close(fd)
            unlink(path)
            throw error
        }
        close(fd)
        syncDirectory(of: path)
    }

    public static func replaceAtomically(_ path: String, bytes: [UInt8], mode: mode_t = 0o600) throws(Failure) {
        let temporary = path + ".tmp-\(getpid())"
        unlink(temporary)
        try createExclusive(temporary, bytes: bytes, mode: mode)
        guard rename(temporary, path) == 0 else {
            let code = errno
            unlink(temporary)
            throw Failure(path: path, operation: "replace", code: code)
        }
        syncDirectory(of: path)
    }

    /// Removes a file and syncs its folder, so the removal survives a crash.
    public static func remove(_ path: String) {
        unlink(path)
        syncDirectory(of: path)
    }

    /// Makes a new name or a rename durable: fsync the directory entry too.
    public static func syncDirectory(of path: String) {
        let dir = (path as NSString).deletingLastPathComponent
        let fd = open(dir.isEmpty ? "." : dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd >= 0 { _ = fsync(fd); close(fd) }
    }

    /// Reads a whole file of at most `maxBytes`.
    public static func read(_ path: String, maxBytes: Int) throws(Failure) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw Failure(path: path, operation: "open", code: errno) }
        defer { close(fd) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while out.count <= maxBytes {
            let n = chunk.withUnsafeMutableBytes { b in Glibc.read(fd, b.baseAddress, b.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw Failure(path: path, operation: "read", code: errno)
            }
            if n == 0 { break }
            out += chunk[0..<n]
        }
        guard out.count <= maxBytes else { throw Failure(path: path, operation: "read (larger than \(maxBytes) bytes)", code: EFBIG) }
        return out
    }

    /// Permission bits of `path`, or nil if it cannot be examined.
    public static func mode(of path: String) -> mode_t? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return st.st_mode & 0o7777
    }

    static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws(Failure) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { b -> Int in
                guard let base = b.baseAddress else { return 0 }
                return write(fd, base + offset, b.count - offset)
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw Failure(path: path, operation: "write", code: errno)
            }
            if n == 0 { throw Failure(path: path, operation: "write", code: EIO) }
            offset += n
        }
    }
}

/// The staff tools' catalog for this module's messages: DurableFiles sits below the catalogs
/// (Formats), so the tools hand it their lookup once at start (`Console.useTranslation`).
public enum DurableFilesText {
    nonisolated(unsafe) public static var translate: @Sendable (String) -> String = { $0 }
}

/// A message template from the staff catalog, `{name}` filled from `values`.
func L(_ english: String, _ values: [String: String] = [:]) -> String {
    var out = DurableFilesText.translate(english)
    for (name, value) in values { out = out.replacingOccurrences(of: "{\(name)}", with: value) }
    return out
}
