import Foundation
#if canImport(Glibc)
public import Glibc
#endif

/// Exclusive, fsynced file creation for bundles: never overwrite an export, never report success
/// before the bytes are on disk.
public enum DurableFile {
    public struct Failure: Error, CustomStringConvertible {
        let path: String
        let code: Int32
        public var description: String { "cannot write \(path): \(String(cString: strerror(code)))" }
    }

    public static func createExclusive(_ path: String, bytes: [UInt8], mode: mode_t = 0o600) throws(Failure) {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { throw Failure(path: path, code: errno) }
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { b -> Int in
                guard let base = b.baseAddress else { return 0 }
                return write(fd, base + offset, b.count - offset)
            }
            if n < 0 {
                if errno == EINTR { continue }
                let code = errno
                close(fd)
                unlink(path)
                throw Failure(path: path, code: code)
            }
            offset += n
        }
        guard fsync(fd) == 0 else {
            let code = errno
            close(fd)
            unlink(path)
            throw Failure(path: path, code: code)
        }
        close(fd)
        syncDirectory(of: path)
    }

    /// Removes a file this process created and syncs its folder, so the removal survives a crash.
    static func remove(_ path: String) {
        unlink(path)
        syncDirectory(of: path)
    }

    static func syncDirectory(of path: String) {
        let dir = (path as NSString).deletingLastPathComponent
        let dfd = open(dir.isEmpty ? "." : dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd >= 0 { _ = fsync(dfd); close(dfd) }
    }
}
