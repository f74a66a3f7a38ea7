import CSodium
import Synchronization

/// Whether guarded memory really is locked. `sodium_malloc` tries to lock every region so a
/// secret never reaches swap, but ignores a refusal (RLIMIT_MEMLOCK, 8 MiB on Debian): a large
/// report could then be paged out with nothing said. Every guarded region is locked again here,
/// where the answer is seen, and refusals are counted so commands can say so.
public enum GuardedMemory {
    private static let failures = Atomic<Int>(0)

    /// Guarded regions this process could not lock in memory.
    public static var lockFailures: Int { failures.load(ordering: .relaxed) }

    /// Locks `count` bytes at `pointer` (already allocated by `sodium_malloc`); counts a refusal.
    static func lock(_ pointer: UnsafeMutableRawPointer, count: Int) {
        if sodium_mlock(pointer, count) != 0 { failures.add(1, ordering: .relaxed) }
    }
}
