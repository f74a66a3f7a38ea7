import DurableFiles
public import Formats
import Foundation
import PostgresNIO
import Sodium
import Synchronization

/// One batch of submissions as one INSERT of seven arrays: the statement's text is the same for
/// every batch, so each connection parses and plans it once.
struct InsertSubmissions: PostgresPreparedStatement {
    typealias Row = Void
    static let name = "resguardo_insert_submissions"
    static let sql = """
        INSERT INTO submission (id, received_day, key_id, bucket, urgent, sealed_by, envelope)
        SELECT * FROM unnest($1::bytea[], $2::text[]::date[], $3::bytea[], $4::integer[], $5::boolean[], $6::text[], $7::bytea[])
        ON CONFLICT (id) DO NOTHING
        """
    static let bindingDataTypes: [PostgresDataType] = [.byteaArray, .textArray, .byteaArray, .int4Array, .boolArray, .textArray, .byteaArray]

    let ids: [ByteBuffer]
    let days: [String]
    let keyIds: [ByteBuffer]
    let buckets: [Int32]
    let urgent: [Bool]
    let sealedBy: [String]
    let envelopes: [ByteBuffer]

    init(_ submissions: [Submission]) {
        ids = submissions.map { ByteBuffer(bytes: $0.id.bytes) }
        days = submissions.map { $0.receivedDay.description }
        keyIds = submissions.map { ByteBuffer(bytes: $0.keyId.bytes) }
        // A bucket is at most the largest envelope the intake accepts, far below Int32.max.
        buckets = submissions.map { Int32(clamping: $0.bucket.byteCount) }
        urgent = submissions.map(\.urgent)
        sealedBy = submissions.map(\.sealedBy.rawValue)
        envelopes = submissions.map { ByteBuffer(bytes: $0.envelope) }
    }

    func makeBindings() throws -> PostgresBindings {
        var b = PostgresBindings(capacity: 7)
        b.append(ids)
        b.append(days)
        b.append(keyIds)
        b.append(buckets)
        b.append(urgent)
        b.append(sealedBy)
        b.append(envelopes)
        return b
    }

    func decodeRow(_ row: PostgresRow) throws {}
}

/// The PostgreSQL vault as the intake's `SubmissionStore`, with group commit: submissions that
/// arrive while earlier ones are being committed wait and go into the next INSERT together, so
/// commits (and their WAL flushes) per second stay flat under load while each caller still
/// returns only once the statement holding its submission has committed durably. One statement
/// is in flight per intake by default, as the SQLite vault has one writer: measured with
/// scripts/bench intake --vault postgres, three in flight made batches of ~8 and cost the
/// intake ~105 µs and PostgreSQL ~75 µs of CPU a submission; one makes batches of ~15-30, ~90
/// and ~55 µs, with a lower p99 (35 ms against 60).
public final class PostgresSubmissionStore: SubmissionStore {
    public let vault: PostgresVault
    private let state = Mutex(State())
    let concurrentCommits: Int
    /// How long the first submission of a batch waits for others before the commit (review N2):
    /// the WAL dates every commit to the microsecond, so a commit that covers a window of
    /// submissions dates each of them only to that window. Zero: commit at once.
    let commitWindow: Duration

    private struct State {
        var pending: [(Submission, CheckedContinuation<Result<Void, VaultError>, Never>)] = []
        var committing = 0
        var totals = Totals()
    }

    /// How well group commit batches (shown by the intake at shutdown and by the benchmark).
    public struct Totals: Sendable, Equatable {
        public var commits = 0
        public var submissions = 0
        public var failedCommits = 0
    }

    public var totals: Totals { state.withLock { $0.totals } }

    public init(vault: PostgresVault, concurrentCommits: Int = 1, commitWindow: Duration = .zero) {
        self.vault = vault
        self.concurrentCommits = max(1, concurrentCommits)
        self.commitWindow = commitWindow
    }

    public func store(_ submission: Submission) async throws(VaultError) {
        let result: Result<Void, VaultError> = await withCheckedContinuation { continuation in
            let start = state.withLock { s -> Bool in
                s.pending.append((submission, continuation))
                guard s.committing < concurrentCommits else { return false }
                s.committing += 1
                return true
            }
            if start { Task { await self.commitLoop() } }
        }
        try result.get()
    }

    /// Takes what is pending, commits it, answers its callers; until nothing is pending.
    private func commitLoop() async {
        while true {
            // Wait out the window, unless a full statement is already waiting (load caps nothing).
            if commitWindow > .zero, state.withLock({ $0.pending.count }) < PostgresVault.maxBatch {
                try? await Task.sleep(for: commitWindow)
            }
            let batch = state.withLock { s -> [(Submission, CheckedContinuation<Result<Void, VaultError>, Never>)] in
                let batch = Array(s.pending.prefix(PostgresVault.maxBatch))
                s.pending.removeFirst(batch.count)
                if batch.isEmpty { s.committing -= 1 }
                return batch
            }
            if batch.isEmpty { return }
            let result: Result<Void, VaultError>
            do throws(VaultError) {
                try await vault.store(batch.map(\.0))
                result = .success(())
            } catch {
                result = .failure(error)
            }
            state.withLock { s in
                s.totals.commits += 1
                if case .failure = result { s.totals.failedCommits += 1 } else { s.totals.submissions += batch.count }
            }
            for (_, waiter) in batch { waiter.resume(returning: result) }
        }
    }

    public func replies(for mailbox: MailboxId) async throws(VaultError) -> [[UInt8]] { try await vault.replies(for: mailbox) }
}

/// Where one INSERT of submissions is, as seen by the caller and by the work that may outlive
/// the caller's deadline: the statement is sent only if the caller was not answered yet, so a
/// caller answered "not stored" is never wrong.
final class InsertPhase: Sendable {
    private enum State { case waiting, sent, refused, abandoned }
    private let state = Mutex(State.waiting)

    /// The work is about to send the statement; false when the caller has given up.
    func send() -> Bool {
        state.withLock { s in
            guard s == .waiting else { return false }
            s = .sent
            return true
        }
    }

    /// The server answered the statement with an error: it did not commit.
    func refused() { state.withLock { $0 = .refused } }

    /// The caller stops waiting; true when the statement was sent and not refused (its
    /// commit may have landed).
    func abandon() -> Bool {
        state.withLock { s in
            defer { if s == .waiting { s = .abandoned } }
            return s == .sent
        }
    }
}
