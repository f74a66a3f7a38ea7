import Foundation
import Synchronization

/// Group commit: submissions that arrive while a transaction is being made durable wait and go
/// into the next one together. Each caller returns only when the transaction holding its
/// submission has committed (WAL + synchronous=FULL), so an acknowledgement always means
/// "durable", while the number of fsyncs per second stays flat under load.
///
/// The commits run on one thread of the writer's own, which sleeps when there is nothing to
/// write. Measured with scripts/bench intake: an actor that handed each batch to GRDB's async
/// API paid several executor hops per commit, on threads busy with TLS, and the time between
/// one commit ending and the next beginning, not the fsync, bounded the batch size.
public final class SubmissionWriter: Sendable {
    private typealias Waiter = CheckedContinuation<Void, any Error>

    private struct State {
        var pending: [(Submission, Waiter)] = []
        var sleeping = false
        var closed = false
        var totals = Totals()
    }

    /// Counts and durations only (never a time of day): how well group commit is batching, and
    /// the longest a batch waited for its commit or the writer for a checkpoint's last frames
    /// (shown at shutdown and by the benchmark).
    public struct Totals: Sendable, Equatable {
        public var commits = 0
        public var submissions = 0
        public var failedCommits = 0
        public var checkpointFinishes = 0
        public var slowestCommit = Duration.zero
        public var slowestCheckpointFinish = Duration.zero
    }

    public var totals: Totals { shared.state.withLock { $0.totals } }

    /// What the callers and the commit thread share.
    private final class Shared: Sendable {
        let state = Mutex(State())
        let wakeUp = DispatchSemaphore(value: 0)
    }

    private let shared = Shared()

    public init(vault: VaultDatabase, maxBatch: Int = 256) {
        // The thread holds what it needs, not `self`, so dropping the writer ends the thread.
        let shared = shared
        let thread = Thread {
            // Set from the thread itself: that is when Foundation passes it on to the system,
            // so `top -H` and perf show the writer by name.
            Thread.current.name = "vault-writer"
            Self.commitLoop(shared, vault: vault, maxBatch: maxBatch)
        }
        thread.start()
    }

    deinit {
        // Anything still pending is written before the thread ends (see commitLoop).
        shared.state.withLock { $0.closed = true }
        shared.wakeUp.signal()
    }

    /// Stores one submission; returns once it is durable, throws if its transaction failed.
    public func store(_ submission: Submission) async throws(VaultError) {
        do {
            try await withCheckedThrowingContinuation { (waiter: Waiter) in
                let wake = shared.state.withLock { state -> Bool in
                    state.pending.append((submission, waiter))
                    guard state.sleeping else { return false }
                    state.sleeping = false
                    return true
                }
                if wake { shared.wakeUp.signal() }
            }
        } catch let error as VaultError {
            throw error
        } catch {
            throw VaultError(error)
        }
    }

    private static func commitLoop(_ shared: Shared, vault: VaultDatabase, maxBatch: Int) {
        let clock = ContinuousClock()
        while true {
            let (batch, closed) = shared.state.withLock { state -> ([(Submission, Waiter)], Bool) in
                let batch = Array(state.pending.prefix(maxBatch))
                state.pending.removeFirst(batch.count)
                if batch.isEmpty { state.sleeping = true }
                return (batch, state.closed)
            }
            if batch.isEmpty {
                if closed { return }
                shared.wakeUp.wait()
                continue
            }
            do {
                let started = clock.now
                try vault.storeNow(batch.map { $0.0 })
                let took = clock.now - started
                shared.state.withLock {
                    $0.totals.commits += 1
                    $0.totals.submissions += batch.count
                    $0.totals.slowestCommit = max($0.totals.slowestCommit, took)
                }
                for (_, waiter) in batch { waiter.resume() }
                // After the acknowledgements, so the batch does not wait for the copy too.
                let finishing = clock.now
                if vault.finishCheckpointIfRequested() {
                    let took = clock.now - finishing
                    shared.state.withLock {
                        $0.totals.checkpointFinishes += 1
                        $0.totals.slowestCheckpointFinish = max($0.totals.slowestCheckpointFinish, took)
                    }
                }
            } catch {
                shared.state.withLock { $0.totals.failedCommits += 1 }
                for (_, waiter) in batch { waiter.resume(throwing: error) }
            }
        }
    }
}
