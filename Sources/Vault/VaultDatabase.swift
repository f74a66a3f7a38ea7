import DurableFiles
public import Formats
public import GRDB
import Foundation
public import Sodium
import Synchronization

/// The online vault: one SQLite file holding ciphertext and the least metadata that works
/// (DESIGN.md §5). It never sees a plaintext, a client address, a user agent or a time of day.
///
/// Durability: WAL with `synchronous=FULL`, so a committed transaction survives power loss; the
/// intake acknowledges a submission only after the transaction holding it has committed.
public struct VaultDatabase: Sendable {
    public let writer: DatabasePool
    public let path: String
    /// Set by the background checkpointer, cleared by the writer (see `startCheckpoints`).
    private let logRestart = LogRestartRequest()

    /// Who copies the write-ahead log back into the database file.
    public enum Checkpointing: Sendable {
        /// SQLite's default: the writer does it every 1000 pages, inside a commit.
        case automatic
        /// The caller runs `startCheckpoints()` (a thread of its own), so the one writer thread
        /// (the intake's bottleneck, measured) only appends to the log.
        case background
    }

    /// Opens (creating if needed) the vault at `path` and migrates it.
    public init(path: String, checkpointing: Checkpointing = .automatic) throws(VaultError) {
        var configuration = Configuration()
        configuration.prepareDatabase { db in
            if checkpointing == .background { try db.execute(sql: "PRAGMA wal_autocheckpoint = 0") }
            try db.execute(sql: "PRAGMA synchronous = FULL")
            // Measured (perf, scripts/bench intake): with SQLite's 2 MiB default cache, inserts at
            // random keys spend much of their time in pread(2). 32 MiB keeps the hot B-tree pages in
            // memory and stays within the RSS budget (mmap was faster still but tripled RSS).
            try db.execute(sql: "PRAGMA cache_size = -32768")
            // After a burst the log is cut back to 64 MiB when it restarts, rather than keeping its
            // largest size for ever; below that, its blocks are reused (see startCheckpoints).
            try db.execute(sql: "PRAGMA journal_size_limit = 67108864")
            // Deleted rows are overwritten with zeros, so purged ciphertext does not linger in free pages.
            try db.execute(sql: "PRAGMA secure_delete = ON")
        }
        // Short busy timeout: the intake must answer 503 quickly rather than hang on a lock.
        configuration.busyMode = .timeout(2)
        // Never put statement arguments (envelopes, ids) into error messages or logs.
        configuration.publicStatementArguments = false
        do {
            writer = try DatabasePool(path: path, configuration: configuration)
            // GRDB's pool sets `synchronous = NORMAL` on its writer connection *after*
            // prepareDatabase runs (fine for an app, not for a receipt that promises durability):
            // NORMAL in WAL mode syncs only at checkpoints, so a power cut could lose acknowledged
            // submissions. The writer is the connection that commits, so it is set again here,
            // and the tests read the setting back from the writer itself.
            try writer.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
            try Self.migrator.migrate(writer)
        } catch {
            throw VaultError(error)
        }
        self.path = path
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: submission and export") { db in
            try db.execute(sql: """
                CREATE TABLE export (
                    id BLOB PRIMARY KEY NOT NULL CHECK (length(id) = 16),
                    created_day TEXT NOT NULL CHECK (created_day GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
                    count INTEGER NOT NULL CHECK (count >= 0),
                    digest BLOB NOT NULL UNIQUE CHECK (length(digest) = 32),
                    acknowledged_day TEXT
                ) STRICT, WITHOUT ROWID;
                -- WITHOUT ROWID with a random key: rows are stored in key order, not arrival order.
                CREATE TABLE submission (
                    id BLOB PRIMARY KEY NOT NULL CHECK (length(id) = 16),
                    received_day TEXT NOT NULL CHECK (received_day GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
                    key_id BLOB NOT NULL CHECK (length(key_id) = 8),
                    bucket INTEGER NOT NULL CHECK (bucket >= 4096),
                    urgent INTEGER NOT NULL CHECK (urgent IN (0, 1)),
                    sealed_by TEXT NOT NULL CHECK (sealed_by IN ('device', 'server')),
                    envelope BLOB NOT NULL,
                    export_id BLOB REFERENCES export(id)
                ) STRICT, WITHOUT ROWID;
                CREATE INDEX submission_by_export ON submission(export_id);
                """)
        }
        migrator.registerMigration("v2: mailbox") { db in
            // Sealed replies waiting for a defender (DESIGN.md §5). The reply id is a digest of the
            // sealed bytes, so importing the same reply bundle twice stores nothing twice.
            try db.execute(sql: """
                CREATE TABLE mailbox (
                    mailbox_id BLOB NOT NULL CHECK (length(mailbox_id) = 16),
                    reply_id BLOB NOT NULL CHECK (length(reply_id) = 16),
                    sealed BLOB NOT NULL,
                    created_day TEXT NOT NULL CHECK (created_day GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
                    PRIMARY KEY (mailbox_id, reply_id)
                ) STRICT, WITHOUT ROWID;
                """)
        }
        migrator.registerMigration("v3: submission as an append-only rowid table") { db in
            // Measured with raw SQLite (a C loop like Benchmarks/vault_anchor.c, run on each layout;
            // WAL, synchronous=FULL, 64 rows a commit):
            // with the random id as the key (v1), each insert landed in a random leaf holding only
            // ~5 rows (a 4 KiB envelope keeps 500-1000 bytes in its leaf), so every row dirtied a
            // leaf page as well as its overflow page and the hot leaves outgrew the cache: ~70 µs
            // of CPU a row. A UNIQUE index on the random id costs the same in miniature (every row
            // dirties a random index page): ~26 µs. Appending in rowid order with no index on the
            // id: ~14 µs. Ids are 128 bits from libsodium's CSPRNG; a collision is as likely as
            // guessing a key, so the index bought nothing.
            // The random key never hid arrival order anyway: SQLite allocates each row's overflow
            // page at the end of the file, so page order was arrival order (threat-model.md).
            // The envelope is the last column so that the metadata columns (stats, export
            // selection) are read without walking its overflow page. The export index is partial:
            // a new row (not exported) adds nothing to it.
            try db.execute(sql: """
                CREATE TABLE submission_v3 (
                    id BLOB NOT NULL CHECK (length(id) = 16),
                    received_day TEXT NOT NULL CHECK (received_day GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
                    key_id BLOB NOT NULL CHECK (length(key_id) = 8),
                    bucket INTEGER NOT NULL CHECK (bucket >= 4096),
                    urgent INTEGER NOT NULL CHECK (urgent IN (0, 1)),
                    sealed_by TEXT NOT NULL CHECK (sealed_by IN ('device', 'server')),
                    export_id BLOB REFERENCES export(id),
                    envelope BLOB NOT NULL
                ) STRICT;
                INSERT INTO submission_v3 (id, received_day, key_id, bucket, urgent, sealed_by, export_id, envelope)
                    SELECT id, received_day, key_id, bucket, urgent, sealed_by, export_id, envelope FROM submission ORDER BY received_day, id;
                DROP TABLE submission;
                ALTER TABLE submission_v3 RENAME TO submission;
                CREATE INDEX submission_by_export ON submission(export_id) WHERE export_id IS NOT NULL;
                """)
        }
        return migrator
    }

    // MARK: - Submissions

    /// Stores a batch in one transaction (group commit), blocking the calling thread (the
    /// group-commit writer's own); returns when it is durable.
    public func storeNow(_ submissions: [Submission]) throws(VaultError) {
        do {
            try writer.write { db in try Self.insert(submissions, into: db) }
        } catch {
            throw VaultError(error)
        }
    }

    private static func insert(_ submissions: [Submission], into db: Database) throws {
        // The rows of one transaction become durable together, so their order inside it says
        // nothing a client could not see anyway; shuffled, the rowids only order commits.
        // One prepared statement for the whole batch: compiling SQL per row is measurable here.
        let insert = try db.cachedStatement(sql: "INSERT INTO submission (id, received_day, key_id, bucket, urgent, sealed_by, envelope) VALUES (?, ?, ?, ?, ?, ?, ?)")
        for s in submissions.shuffled() {
            try insert.execute(arguments: [Data(s.id.bytes), s.receivedDay.description, Data(s.keyId.bytes), s.bucket.byteCount,
                                           s.urgent ? 1 : 0, s.sealedBy.rawValue, Data(s.envelope)])
        }
    }

    /// Whether a submission is stored (a scan: ids are not indexed, see migration v3).
    public func contains(_ id: SubmissionId) async throws(VaultError) -> Bool {
        try await storedIds().contains(id)
    }

    /// Every stored submission id, for checks that compare many receipts at once.
    public func storedIds() async throws(VaultError) -> Set<SubmissionId> {
        do {
            return try await writer.read { db in
                Set(try Data.fetchAll(db, sql: "SELECT id FROM submission").compactMap { SubmissionId(bytes: $0) })
            }
        } catch {
            throw VaultError(error)
        }
    }

    /// Counts per received day, bucket and state. Nothing finer exists to count.
    public func stats() async throws(VaultError) -> [StatsRow] {
        do {
            return try await writer.read { db in
                try Row.fetchAll(db, sql: """
                    SELECT received_day, bucket, export_id IS NOT NULL AS exported, urgent, COUNT(*) AS n
                    FROM submission GROUP BY received_day, bucket, exported, urgent
                    ORDER BY received_day, bucket, exported, urgent
                    """).map { row in
                    StatsRow(day: row["received_day"], bucket: row["bucket"], exported: row["exported"], urgent: row["urgent"], count: row["n"])
                }
            }
        } catch {
            throw VaultError(error)
        }
    }

    // MARK: - Export and purge

    /// Writes every not-yet-exported submission (up to `limit`) into a signed bundle at `path`,
    /// then records the export. The file is written and synced *before* the rows are marked, so a
    /// crash in between re-exports them next time (the offline side detects duplicates) rather
    /// than losing them.
    /// A bundle carries at most this many envelope bytes, so a vault flooded with 16 MiB envelopes
    /// cannot make an export exhaust memory; what does not fit waits for the next export.
    public static let maxBundleEnvelopeBytes = ExportBundle.maxEnvelopeBytes

    /// `urgentOnly`: only envelopes flagged urgent, so they can be carried offline at once; the
    /// rest wait for the next full export.
    public func export(to path: String, signer: SigningKey, today: CalendarDay, limit: Int = ExportBundle.maxCount,
                       maxBytes: Int = VaultDatabase.maxBundleEnvelopeBytes, urgentOnly: Bool = false) async throws(VaultError) -> ExportSummary {
        let filter = urgentOnly ? "export_id IS NULL AND urgent = 1" : "export_id IS NULL"
        do {
            let rows = try await writer.read { db in
                // Choose by size first (cheap), then read only the chosen envelopes.
                // Ordered by day, then by the random id, so a bundle does not carry arrival order.
                var chosen: [Int64] = []
                var bytes = 0
                for row in try Row.fetchAll(db, sql: "SELECT rowid, length(envelope) AS size FROM submission WHERE \(filter) ORDER BY received_day, id LIMIT ?",
                                            arguments: [limit]) {
                    let size: Int = row["size"]
                    if !chosen.isEmpty && bytes + size > maxBytes { break }
                    chosen.append(row["rowid"])
                    bytes += size
                }
                return try chosen.compactMap { rowid in
                    try Row.fetchOne(db, sql: "SELECT rowid, id, received_day, envelope FROM submission WHERE rowid = ?", arguments: [rowid])
                }
            }
            let remaining = try await writer.read { db in
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM submission WHERE \(filter)") ?? 0
            } - rows.count
            let rowids: [Int64] = rows.map { $0["rowid"] }
            let entries = try rows.map { row throws(VaultError) -> ExportBundle.Entry in
                let id: Data = row["id"]
                let dayText: String = row["received_day"]
                guard let day = CalendarDay(dayText) else { throw VaultError.corrupt("submission has an invalid received day") }
                let envelope: Data = row["envelope"]
                return ExportBundle.Entry(submissionId: Array(id), receivedDay: day, envelope: Array(envelope))
            }
            let bundleId = try Random.bytes(count: 16)
            let sealed = try ExportBundle.seal(bundleId: bundleId, createdDay: today, entries: entries, signer: signer)
            try DurableFile.createExclusive(path, bytes: sealed.bytes)
            do {
                try await writer.write { db in
                    try db.execute(sql: "INSERT INTO export (id, created_day, count, digest) VALUES (?, ?, ?, ?)",
                                   arguments: [Data(bundleId), today.description, entries.count, Data(sealed.digest)])
                    let mark = try db.cachedStatement(sql: "UPDATE submission SET export_id = ? WHERE rowid = ?")
                    for rowid in rowids { try mark.execute(arguments: [Data(bundleId), rowid]) }
                }
            } catch {
                // The vault never recorded this bundle (a full disk, a lock): a file left behind
                // would be a validly signed bundle that `purge --bundle-digest` cannot name and
                // that blocks a retry to the same path. Remove it; the envelopes stay pending.
                DurableFile.remove(path)
                throw error
            }
            return ExportSummary(count: entries.count, digest: sealed.digest, byteCount: sealed.bytes.count, remaining: remaining)
        } catch {
            throw VaultError(error)
        }
    }

    /// Deletes what the bundle with this digest carried. Call only once the offline side has
    /// acknowledged that digest: it is the only copy until then.
    public func purge(bundleDigest: [UInt8], today: CalendarDay) async throws(VaultError) -> Int {
        do {
            return try await writer.write { db in
                guard let exportId = try Data.fetchOne(db, sql: "SELECT id FROM export WHERE digest = ?", arguments: [Data(bundleDigest)]) else {
                    throw VaultError.unknownBundle(Encoding.hex(bundleDigest))
                }
                try db.execute(sql: "DELETE FROM submission WHERE export_id = ?", arguments: [exportId])
                let deleted = db.changesCount
                try db.execute(sql: "UPDATE export SET acknowledged_day = ? WHERE id = ?", arguments: [today.description, exportId])
                return deleted
            }
        } catch {
            throw VaultError(error)
        }
    }

    /// Retention: deletes submissions received before `today - days` whose bundle the offline
    /// side acknowledged. An envelope exported in a bundle never acknowledged may be the only copy
    /// (the bundle lost on the way), and one never exported certainly is: those are kept and
    /// counted unless asked for by name (`--force-unacknowledged`, `--force-unexported`), and what
    /// was deleted is reported by bundle.
    public func purge(olderThan days: Int, today: CalendarDay, includingUnacknowledged: Bool, includingUnexported: Bool) async throws(VaultError) -> PurgeByAgeSummary {
        let cutoff = today.adding(days: -days).description
        do {
            return try await writer.write { db in
                func count(_ condition: String) throws -> Int {
                    try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM submission s WHERE s.received_day < ? AND \(condition)", arguments: [cutoff]) ?? 0
                }
                let acknowledged = "s.export_id IN (SELECT id FROM export WHERE acknowledged_day IS NOT NULL)"
                let unacknowledged = "s.export_id IN (SELECT id FROM export WHERE acknowledged_day IS NULL)"
                let unexported = "s.export_id IS NULL"
                let bundles = try Row.fetchAll(db, sql: """
                    SELECT e.digest, COUNT(*) AS n FROM submission s JOIN export e ON e.id = s.export_id
                    WHERE s.received_day < ? AND e.acknowledged_day IS NULL GROUP BY e.digest ORDER BY e.digest
                    """, arguments: [cutoff]).map { row -> (digest: [UInt8], count: Int) in
                    let digest: Data = row["digest"]
                    return (Array(digest), row["n"])
                }
                var summary = PurgeByAgeSummary(deletedAcknowledged: try count(acknowledged), unacknowledged: bundles,
                                                unexported: try count(unexported), deletedUnacknowledged: includingUnacknowledged,
                                                deletedUnexported: includingUnexported)
                var conditions = [acknowledged]
                if includingUnacknowledged { conditions.append(unacknowledged) }
                if includingUnexported { conditions.append(unexported) }
                try db.execute(sql: "DELETE FROM submission AS s WHERE s.received_day < ? AND (\(conditions.joined(separator: " OR ")))", arguments: [cutoff])
                summary.deleted = db.changesCount
                return summary
            }
        } catch {
            throw VaultError(error)
        }
    }

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

    /// Closes the vault's connections once nothing more will be written (the intake, after its
    /// last request). The last connection to close copies the log into the database and removes
    /// it, so a stopped intake leaves one file, not a file and a log of tens of MiB.
    public func close() throws(VaultError) {
        do {
            try writer.close()
        } catch {
            throw VaultError(error)
        }
    }

    /// `PRAGMA integrity_check`; "ok" when the file is sound.
    public func integrityCheck() async throws(VaultError) -> String {
        do {
            return try await writer.read { db in try String.fetchOne(db, sql: "PRAGMA integrity_check") ?? "no answer" }
        } catch {
            throw VaultError(error)
        }
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
private final class LogRestartRequest: Sendable {
    private let requested = Atomic(false)

    var isRequested: Bool { requested.load(ordering: .relaxed) }
    func request() { requested.store(true, ordering: .relaxed) }
    func clear() { requested.store(false, ordering: .relaxed) }
}

public struct StatsRow: Sendable, Equatable {
    public let day: String
    public let bucket: Int
    public let exported: Bool
    public let urgent: Bool
    public let count: Int
}

public struct ExportSummary: Sendable {
    public let count: Int
    public let digest: [UInt8]
    public let byteCount: Int
    /// Pending envelopes left for the next export (bundles are bounded in size).
    public let remaining: Int
}

/// What `purge(olderThan:)` found past the cutoff and what it did with it.
public struct PurgeByAgeSummary: Sendable {
    /// Rows of acknowledged bundles (normally none: acknowledging purges them).
    public let deletedAcknowledged: Int
    /// Bundles exported but never acknowledged, with how many old envelopes each carried.
    public let unacknowledged: [(digest: [UInt8], count: Int)]
    /// Old envelopes never exported.
    public let unexported: Int
    public let deletedUnacknowledged: Bool
    public let deletedUnexported: Bool
    /// Everything deleted.
    public var deleted = 0

    public var unacknowledgedCount: Int { unacknowledged.reduce(0) { $0 + $1.count } }
    public var keptUnacknowledged: Int { deletedUnacknowledged ? 0 : unacknowledgedCount }
    public var keptUnexported: Int { deletedUnexported ? 0 : unexported }
}
