import Foundation
public import Formats
#if canImport(Glibc)
import Glibc
#endif

/// Small POSIX file operations with the guarantees key material needs: exclusive creation with
/// mode 0600 (never overwrite a key), fsync before success, and atomic replacement for manifests.
enum SecureFile {
    struct Failure: Error, CustomStringConvertible {
        let path: String
        let operation: String
        let code: Int32
        var exists: Bool { code == EEXIST }
        var description: String { "cannot \(operation) \(path): \(String(cString: strerror(code)))" }
    }

    /// Creates `path` (which must not exist) with `mode`, writes `bytes` and fsyncs it.
    static func createExclusive(_ path: String, bytes: [UInt8], mode: mode_t = 0o600) throws(Failure) {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { throw Failure(path: path, operation: "create", code: errno) }
        defer { close(fd) }
        // The umask may have narrowed the mode; make it exact.
        _ = fchmod(fd, mode)
        try writeAll(fd, bytes, path: path)
        guard fsync(fd) == 0 else { throw Failure(path: path, operation: "fsync", code: errno) }
    }

    /// Writes to a temporary file beside `path`, fsyncs, then renames over `path`: a reader sees
    /// the old file or the new one, never half of one.
    static func replaceAtomically(_ path: String, bytes: [UInt8], mode: mode_t = 0o644) throws(Failure) {
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
            offset += n
        }
    }

    /// Makes a rename or a new file durable: fsync the directory entry too.
    static func syncDirectory(of path: String) {
        let dir = (path as NSString).deletingLastPathComponent
        let fd = open(dir.isEmpty ? "." : dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd >= 0 { _ = fsync(fd); close(fd) }
    }

    /// Reads a whole file of at most `maxBytes` (bounded: key files and manifests are small).
    static func read(_ path: String, maxBytes: Int) throws(Failure) -> [UInt8] {
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
        guard out.count <= maxBytes else { throw Failure(path: path, operation: "read (file too large)", code: EFBIG) }
        return out
    }

    /// Permission bits of `path`, or nil if it cannot be examined.
    static func mode(of path: String) -> mode_t? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return st.st_mode & 0o7777
    }
}

/// The acknowledgement `resguardo unseal` carries back to the intake: replaced atomically and
/// synced, so a crash or a pulled stick never leaves a half-written one that looks like the file.
public enum AcknowledgementFile {
    public static func write(_ acknowledgement: Acknowledgement, to path: String) throws(CaseError) {
        do { try SecureFile.replaceAtomically(path, bytes: acknowledgement.bytes, mode: 0o600) } catch { throw .io(error.description) }
    }
}
