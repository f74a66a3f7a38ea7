import DurableFiles
import Formats
import GRDB
import Foundation
import Sodium
import Synchronization

/// The write-ahead log's checkpoints, on a thread of their own, and the writer's share of them.
extension VaultDatabase {
    /// Starts copying committed log frames into the database file every `interval`, from a
    /// connection and a thread of its own (a task on the cooperative pool was starved whenever
    /// other work blocked the pool's threads, and the log grew meanwhile), until `stop()`; a last
    /// checkpoint runs on the way out.
    ///
    /// PASSIVE checkpoints never block the writer, but alone they never let the log restart under
    /// steady load: each copies only the frames that existed when it began, the writer appends
    /// more meanwhile, and SQLite rewinds the log only when a write transaction begins with every
    /// frame copied. Measured (scripts/bench intake): the log grew past the database itself
    /// (795 MB after 10 s), and every commit extended the file, so ext4 allocated and zeroed
    /// blocks and each fdatasync also committed metadata. So once the log holds `restartFrames`
    /// frames, this asks the writer to copy the short tail itself between two commits (see
    /// `finishCheckpointIfRequested`, which the writing thread calls); the next commit then starts
    /// the log again from its first frame, overwriting blocks that already exist, old frames of
    /// purged envelopes among them. (A RESTART checkpoint from here did the same but stalled the
    /// writer in SQLite's busy handler, whose sleeps grow to 100 ms: p99 rose from 10 ms to 88 ms.)
    public func startCheckpoints(every interval: Duration = .milliseconds(250),
                                 restartFrames: Int = VaultDatabase.checkpointRestartFrames) throws(VaultError) -> BackgroundCheckpoints {
        var configuration = Configuration()
        configuration.publicStatementArguments = false
        let checkpointer: DatabaseQueue
        do {
            checkpointer = try DatabaseQueue(path: path, configuration: configuration)
        } catch {
            throw VaultError(error)
        }
        let logRestart = logRestart
        return BackgroundCheckpoints(every: interval, checkpoint: {
            try? checkpointer.writeWithoutTransaction { db in
                var (logFrames, copied) = try db.checkpoint(.passive)
                guard logFrames >= restartFrames else { return }
                // Each further pass copies what arrived during the one before, so the tail left
                // for the writer (which holds up the submissions waiting meanwhile) is short
                // however slow the disk was during the first pass (asking after one fixed second
                // pass could leave a tail as long as the disk had been slow; commit stalls of
                // 100-700 ms were seen now and then on this shared machine).
                for _ in 0..<VaultDatabase.maxConvergingPasses {
                    let before = copied
                    (logFrames, copied) = try db.checkpoint(.passive)
                    if copied - before <= VaultDatabase.shortTailFrames { break }
                }
                logRestart.request()
            }
        }, close: {
            // SQLite removes the log when its last connection closes: this must not be left open.
            try? checkpointer.close()
        })
    }

    /// 4,096 frames of 4 KiB pages: a log of about 16 MiB, restarted about twice a second at the
    /// intake's peak rate and left alone when submissions are few.
    public static let checkpointRestartFrames = 4_096

    /// A pass that copied at most this many frames (1 MiB) leaves the writer a short tail.
    static let shortTailFrames = 256
    /// Passes after the first before asking anyway (a writer faster than the copy never converges).
    static let maxConvergingPasses = 8

    /// Called on the writing thread between commits, after the last one was acknowledged: when
    /// the background checkpointer has asked for it, copies the frames it has not reached yet, on
    /// the writer's own connection, so no commit can slip in between and the next one restarts
    /// the log. A failure (the background checkpoint holding its lock at that moment) costs
    /// nothing: the commits are already durable, and the request stands until a later try.
    /// Returns whether it tried (the writer times those tries).
    @discardableResult
    public func finishCheckpointIfRequested() -> Bool {
        guard logRestart.isRequested else { return false }
        let finished = try? writer.writeWithoutTransaction { db in
            let (logFrames, copiedFrames) = try db.checkpoint(.passive)
            return copiedFrames == logFrames
        }
        if finished == true { logRestart.clear() }
        return true
    }
}

/// The vault's checkpoints on a thread of their own (`VaultDatabase.startCheckpoints`).
public final class BackgroundCheckpoints: Sendable {
    /// What the caller and the checkpoint thread share.
    private final class Shared: Sendable {
        let stopping = Atomic(false)
        let wakeUp = DispatchSemaphore(value: 0)
        let finished = DispatchSemaphore(value: 0)
    }

    private let shared = Shared()

    init(every interval: Duration, checkpoint: @escaping @Sendable () -> Void, close: @escaping @Sendable () -> Void) {
        let (seconds, attoseconds) = interval.components
        let nanoseconds = Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000)
        let shared = shared
        Thread {
            Thread.current.name = "vault-checkpt" // Linux keeps at most 15 characters
            while !shared.stopping.load(ordering: .acquiring) {
                // Sleeps for the interval, or less when stop() wakes it.
                _ = shared.wakeUp.wait(timeout: .now() + .nanoseconds(nanoseconds))
                checkpoint()
            }
            close()
            shared.finished.signal()
        }.start()
    }

    deinit {
        // Dropped without stop(): the thread still ends (it holds `shared`, never `self`).
        shared.stopping.store(true, ordering: .releasing)
        shared.wakeUp.signal()
    }

    /// Ends the loop once the checkpoint under way (or, if it was sleeping, one more) is done,
    /// and returns then. Idempotent.
    public func stop() async {
        guard !shared.stopping.exchange(true, ordering: .acquiringAndReleasing) else { return }
        shared.wakeUp.signal()
        // The last checkpoint waits for an fsync: wait for it off the cooperative pool.
        let shared = shared
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().async {
                shared.finished.wait()
                done.resume()
            }
        }
    }
}

/// Whether the log is long enough that the writer should finish a checkpoint between commits.
final class LogRestartRequest: Sendable {
    private let requested = Atomic(false)

    var isRequested: Bool { requested.load(ordering: .relaxed) }
    func request() { requested.store(true, ordering: .relaxed) }
    func clear() { requested.store(false, ordering: .relaxed) }
}
