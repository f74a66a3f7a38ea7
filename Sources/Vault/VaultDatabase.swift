import DurableFiles
import Formats
public import GRDB
import Foundation
import Sodium
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
    let logRestart = LogRestartRequest()

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
        migrator.registerMigration("v4: network binding") { db in
            // The one network this vault belongs to (VaultBinding, review N8).
            try db.execute(sql: """
                CREATE TABLE network_binding (
                    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
                    network_id TEXT NOT NULL,
                    fingerprint TEXT NOT NULL
                ) STRICT;
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

public struct StatsRow: Sendable, Equatable {
    public let day: String
    public let bucket: Int
    public let exported: Bool
    public let urgent: Bool
    public let count: Int
}
