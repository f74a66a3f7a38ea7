internal import CSodium

/// A buffer in libsodium guarded memory: page-aligned with guard pages, locked so it is not
/// swapped, read-only once filled, and zeroed when freed. Secret keys and plaintexts live here,
/// never in `[UInt8]` or `Data`, whose copies the runtime may leave anywhere.
///
/// The contents are set once, by the closure given at creation, and are immutable afterwards; this
/// is what makes sharing a `SecureBytes` across tasks safe.
public final class SecureBytes: @unchecked Sendable {
    private let base: UnsafeMutableRawPointer
    public let count: Int

    /// Allocates `count` bytes and lets `fill` write them. The buffer is made read-only afterwards.
    public convenience init<E: Error>(
        count: Int,
        fill: (UnsafeMutableRawBufferPointer) throws(E) -> Void
    ) throws(SecureBytesError<E>) {
        try self.init(capacity: count) { (buffer) throws(E) -> Int in
            try fill(buffer)
            return count
        }
    }

    /// Allocates `capacity` bytes and lets `fill` write a prefix of them, returning how many it
    /// wrote: one allocation when the final length is only known after decrypting (padding).
    public init<E: Error>(
        capacity: Int,
        fill: (UnsafeMutableRawBufferPointer) throws(E) -> Int
    ) throws(SecureBytesError<E>) {
        do { try SodiumRuntime.ensureInitialised() } catch { throw .sodium(error) }
        // sodium_malloc(0) is legal but returns a pointer we must not touch; allocate one byte so
        // every SecureBytes owns a real region and `deinit` is uniform.
        guard capacity >= 0, let pointer = sodium_malloc(max(capacity, 1)) else {
            throw .sodium(.allocationFailed(byteCount: capacity))
        }
        base = pointer
        GuardedMemory.lock(pointer, count: max(capacity, 1))
        do {
            let used = try fill(UnsafeMutableRawBufferPointer(start: pointer, count: capacity))
            count = min(max(used, 0), capacity)
        } catch {
            sodium_free(pointer)
            throw .fill(error)
        }
        _ = sodium_mprotect_readonly(pointer)
    }

    /// Copies `bytes` into guarded memory. The caller remains responsible for the source copy.
    public convenience init(copying bytes: some Collection<UInt8>) throws(SodiumError) {
        do {
            try self.init(count: bytes.count) { (buffer: UnsafeMutableRawBufferPointer) throws(Never) in
                _ = buffer.initializeMemory(as: UInt8.self, from: bytes)
            }
        } catch {
            throw error.sodiumError
        }
    }

    /// Fresh random bytes from libsodium's CSPRNG.
    public static func random(count: Int) throws(SodiumError) -> SecureBytes {
        do {
            return try SecureBytes(count: count) { (buffer: UnsafeMutableRawBufferPointer) throws(Never) in
                if let address = buffer.baseAddress { randombytes_buf(address, buffer.count) }
            }
        } catch {
            throw error.sodiumError
        }
    }

    deinit {
        // sodium_free unprotects, zeroes and unmaps the region.
        sodium_free(base)
    }

    /// The only way to read the bytes. Do not let the pointer escape the closure.
    public func withUnsafeBytes<R, E: Error>(
        _ body: (UnsafeRawBufferPointer) throws(E) -> R
    ) throws(E) -> R {
        try body(UnsafeRawBufferPointer(start: base, count: count))
    }

    /// A new guarded buffer with the first `length` bytes of this one.
    public func prefix(_ length: Int) throws(SodiumError) -> SecureBytes {
        let n = min(max(length, 0), count)
        return try withUnsafeBytes { (bytes) throws(SodiumError) in
            try SecureBytes(copying: UnsafeRawBufferPointer(rebasing: bytes[0..<n]))
        }
    }

    /// Constant-time equality of contents (lengths are not secret).
    public func constantTimeEquals(_ other: SecureBytes) -> Bool {
        guard count == other.count else { return false }
        return withUnsafeBytes { a in
            other.withUnsafeBytes { b in ConstantTime.equals(a, b) }
        }
    }
}

extension SecureBytes: CustomStringConvertible, CustomDebugStringConvertible {
    public var description: String { "<redacted \(count) bytes>" }
    public var debugDescription: String { description }
}

/// Failure of `SecureBytes.init(count:fill:)`: either the allocation or the caller's fill closure.
public enum SecureBytesError<Failure: Error>: Error {
    case sodium(SodiumError)
    case fill(Failure)
}

extension SecureBytesError where Failure == Never {
    var sodiumError: SodiumError {
        switch self {
        case .sodium(let error): return error
        }
    }
}
