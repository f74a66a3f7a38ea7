public import Formats
import Foundation
public import PostgresNIO

/// The shared vault for several intakes (issue 19): PostgreSQL through postgres-nio, with the
/// columns of DESIGN.md §5 and nothing more. A submission is acknowledged only after its
/// transaction committed with `synchronous_commit = on` (set per session, whatever the server's
/// default). Rows are written in random-key order inside each commit; PostgreSQL's heap keeps
/// insertion order, which is what the SQLite vault reveals too (threat model §6).
///
/// This is the vault side only: the intake does not use it yet (see the closing note of this
/// stop: what is left of issue 19).
public final class PostgresVault: Sendable {
    public let client: PostgresClient
    let logger: Logger

    public init(configuration: PostgresClient.Configuration, logger: Logger = Logger(label: "resguardo-vault-pg")) {
        var configuration = configuration
        // Every session: durable commits, whatever postgresql.conf says.
        configuration.options.additionalStartupParameters = [("synchronous_commit", "on")]
        client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.logger = logger
    }

    /// The connection pool's work loop: run it in a task (or a service group) for the vault's life.
    public func run() async { await client.run() }

    static let migrations: [(version: Int, sql: [String])] = [
        (1, [
            """
            CREATE TABLE export (
                id bytea PRIMARY KEY CHECK (length(id) = 16),
                created_day date NOT NULL,
                count integer NOT NULL CHECK (count >= 0),
                digest bytea UNIQUE CHECK (digest IS NULL OR length(digest) = 32),
                acknowledged_day date
            )
            """,
            """
            CREATE TABLE submission (
                id bytea PRIMARY KEY CHECK (length(id) = 16),
                received_day date NOT NULL,
                key_id bytea NOT NULL CHECK (length(key_id) = 8),
                bucket integer NOT NULL CHECK (bucket >= 4096),
                urgent boolean NOT NULL,
                sealed_by text NOT NULL CHECK (sealed_by IN ('device', 'server')),
                export_id bytea REFERENCES export(id),
                envelope bytea NOT NULL
            )
            """,
            "CREATE INDEX submission_by_export ON submission(export_id)",
            """
            CREATE TABLE mailbox (
                mailbox_id bytea NOT NULL CHECK (length(mailbox_id) = 16),
                reply_id bytea NOT NULL CHECK (length(reply_id) = 16),
                sealed bytea NOT NULL,
                created_day date NOT NULL,
                PRIMARY KEY (mailbox_id, reply_id)
            )
            """,
            // Proof-of-work tokens are single use across every intake (the MAC key is shared by configuration).
            "CREATE TABLE spent_token (id bytea PRIMARY KEY, expires bigint NOT NULL)",
            // One urgent notification per interval for the whole network.
            "CREATE TABLE notify_state (singleton integer PRIMARY KEY CHECK (singleton = 1), last_run bigint NOT NULL)",
        ]),
    ]

    /// Applies the migrations not yet applied, each in its own transaction, under an advisory
    /// lock so two intakes starting at once do not race.
    public func migrate() async throws {
        try await client.withTransaction(logger: logger) { c in
            try await c.query("SELECT pg_advisory_xact_lock(47114711)", logger: logger)
            try await c.query("CREATE TABLE IF NOT EXISTS resguardo_migration (version integer PRIMARY KEY)", logger: logger)
            var applied = Set<Int>()
            for try await version in try await c.query("SELECT version FROM resguardo_migration", logger: logger).decode(Int.self) { applied.insert(version) }
            for migration in Self.migrations where !applied.contains(migration.version) {
                for statement in migration.sql { try await c.query(PostgresQuery(unsafeSQL: statement), logger: logger) }
                try await c.query("INSERT INTO resguardo_migration (version) VALUES (\(migration.version))", logger: logger)
            }
        }
    }

    static func bytes(_ b: [UInt8]) -> ByteBuffer { ByteBuffer(bytes: b) }

    /// Stores a batch in one durable transaction (the caller acknowledges after it returns).
    public func store(_ submissions: [Submission]) async throws {
        try await client.withTransaction(logger: logger) { c in
            for s in submissions.shuffled() {
                try await c.query("""
                    INSERT INTO submission (id, received_day, key_id, bucket, urgent, sealed_by, envelope)
                    VALUES (\(Self.bytes(s.id.bytes)), \(s.receivedDay.description)::date, \(Self.bytes(s.keyId.bytes)), \(s.bucket.byteCount), \(s.urgent),
                            \(s.sealedBy.rawValue), \(Self.bytes(s.envelope)))
                    """, logger: logger)
            }
        }
    }

    public func replies(for mailbox: MailboxId) async throws -> [[UInt8]] {
        var out: [[UInt8]] = []
        let rows = try await client.query("SELECT sealed FROM mailbox WHERE mailbox_id = \(Self.bytes(mailbox.bytes)) ORDER BY reply_id", logger: logger)
        for try await sealed in rows.decode(ByteBuffer.self) { out.append(Array(buffer: sealed)) }
        return out
    }

    public func importReply(mailbox: MailboxId, replyId: [UInt8], sealed: [UInt8], day: CalendarDay) async throws {
        try await client.query("""
            INSERT INTO mailbox (mailbox_id, reply_id, sealed, created_day) VALUES (\(Self.bytes(mailbox.bytes)), \(Self.bytes(replyId)), \(Self.bytes(sealed)), \(day.description)::date)
            ON CONFLICT DO NOTHING
            """, logger: logger)
    }

    /// Spends a proof-of-work token for every intake at once: false when any intake spent it already.
    public func spendToken(_ id: [UInt8], expires: Int64) async throws -> Bool {
        let rows = try await client.query("INSERT INTO spent_token (id, expires) VALUES (\(Self.bytes(id)), \(expires)) ON CONFLICT DO NOTHING RETURNING 1", logger: logger)
        var spent = false
        for try await _ in rows.decode(Int.self) { spent = true }
        return spent
    }

    /// Claims up to `limit` envelopes not yet exported for a new export, in one transaction:
    /// `FOR UPDATE SKIP LOCKED`, so two intakes exporting at once never put one envelope in two
    /// bundles. Returns the claimed rows (id, day, envelope) in random order.
    public func claimForExport(exportId: [UInt8], day: CalendarDay, limit: Int) async throws -> [(id: [UInt8], receivedDay: String, envelope: [UInt8])] {
        try await client.withTransaction(logger: logger) { c in
            try await c.query("INSERT INTO export (id, created_day, count) VALUES (\(Self.bytes(exportId)), \(day.description)::date, 0)", logger: logger)
            var claimed: [(id: [UInt8], receivedDay: String, envelope: [UInt8])] = []
            let rows = try await c.query("""
                SELECT id, to_char(received_day, 'YYYY-MM-DD'), envelope FROM submission WHERE export_id IS NULL
                ORDER BY id LIMIT \(limit) FOR UPDATE SKIP LOCKED
                """, logger: logger)
            for try await (id, received, envelope) in rows.decode((ByteBuffer, String, ByteBuffer).self) {
                claimed.append((Array(buffer: id), received, Array(buffer: envelope)))
            }
            for row in claimed {
                try await c.query("UPDATE submission SET export_id = \(Self.bytes(exportId)) WHERE id = \(Self.bytes(row.id))", logger: logger)
            }
            try await c.query("UPDATE export SET count = \(claimed.count) WHERE id = \(Self.bytes(exportId))", logger: logger)
            return claimed.shuffled()
        }
    }

    /// Deletes what an acknowledged export carried, then VACUUMs: PostgreSQL keeps deleted rows as
    /// dead tuples (and in the WAL until a checkpoint recycles it) until vacuum reclaims them.
    public func purge(exportId: [UInt8], day: CalendarDay) async throws -> Int {
        let deleted: Int = try await client.withTransaction(logger: logger) { c in
            var n = 0
            for try await _ in try await c.query("DELETE FROM submission WHERE export_id = \(Self.bytes(exportId)) RETURNING 1", logger: logger).decode(Int.self) { n += 1 }
            try await c.query("UPDATE export SET acknowledged_day = \(day.description)::date WHERE id = \(Self.bytes(exportId))", logger: logger)
            return n
        }
        try await client.query("VACUUM submission", logger: logger)
        return deleted
    }

    public func count() async throws -> Int {
        var n = 0
        for try await c in try await client.query("SELECT count(*)::bigint FROM submission", logger: logger).decode(Int.self) { n = c }
        return n
    }
}

/// The PostgreSQL vault as the intake's `SubmissionStore`.
public struct PostgresSubmissionStore: SubmissionStore {
    public let vault: PostgresVault

    public init(vault: PostgresVault) { self.vault = vault }

    public func store(_ submission: Submission) async throws(VaultError) {
        do { try await vault.store([submission]) } catch { throw VaultError.io("postgres: \(String(describing: type(of: error)))") }
    }

    public func replies(for mailbox: MailboxId) async throws(VaultError) -> [[UInt8]] {
        do { return try await vault.replies(for: mailbox) } catch { throw VaultError.io("postgres: \(String(describing: type(of: error)))") }
    }
}
