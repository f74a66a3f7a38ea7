internal import CSodium

/// A reusable region of guarded memory for loops that open many envelopes in a row (the offline
/// unseal loop). Allocating guarded memory costs an mmap, an mlock and an mprotect each time,
/// which would dominate opening a 4 KiB report; one scratch region, wiped after every use, keeps
/// the same protection (locked, guard pages, zeroed) at a fraction of the cost.
///
/// Not Sendable on purpose: one loop, one scratch.
public final class SecureScratch {
    private var base: UnsafeMutableRawPointer
    public private(set) var capacity: Int

    public init(capacity: Int = 1 << 12) throws(SodiumError) {
        try SodiumRuntime.ensureInitialised()
        guard capacity > 0, let pointer = sodium_malloc(capacity) else { throw .allocationFailed(byteCount: capacity) }
        GuardedMemory.lock(pointer, count: capacity)
        base = pointer
        self.capacity = capacity
    }

    deinit { sodium_free(base) }

    /// Lends the first `count` bytes (growing the region if needed) and wipes them afterwards,
    /// whether `body` returns or throws.
    public func withUnsafeMutableBytes<R, E: Error>(
        count: Int,
        _ body: (UnsafeMutableRawBufferPointer) throws(E) -> R
    ) throws(ScratchError<E>) -> R {
        if count > capacity {
            guard let bigger = sodium_malloc(count) else { throw .sodium(.allocationFailed(byteCount: count)) }
            GuardedMemory.lock(bigger, count: count)
            sodium_free(base)
            base = bigger
            capacity = count
        }
        defer { sodium_memzero(base, count) }
        do {
            return try body(UnsafeMutableRawBufferPointer(start: base, count: count))
        } catch {
            throw .body(error)
        }
    }
}

public enum ScratchError<Failure: Error>: Error {
    case sodium(SodiumError)
    case body(Failure)
}
