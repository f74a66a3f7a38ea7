import DurableFiles
public import Formats
import Foundation
public import PostgresNIO
public import Sodium
import Synchronization

/// The shared vault for several intakes (issue 19): PostgreSQL through postgres-nio, with the
/// columns of DESIGN.md §5 and nothing more. A submission is acknowledged only after its
/// transaction committed with `synchronous_commit = on` (set per session, whatever the server's
/// default). Rows are written in shuffled order inside each commit; PostgreSQL's heap keeps
/// insertion order, which is what the SQLite vault reveals too (threat model §6).
///
/// Every operation has a deadline (`operationTimeout`): postgres-nio queues a request while it
/// cannot connect, and a defender's phone must hear "try again" (503) in seconds, not a minute.
/// The pool reconnects by itself when the server is back (backoff from 100 ms, at most 60 s).
public final class PostgresVault: Sendable {
    public let client: PostgresClient
    let logger: Logger
    let operationTimeout: Duration
    /// The pool's work loop, started by `start()`.
    private let runner = Mutex<Task<Void, Never>?>(nil)
    /// Spends since expired tokens were last deleted.
    private let spendsSinceSweep = Mutex(0)

    /// `logger`: postgres-nio logs each failed connection attempt and each query at debug/info;
    /// the intake writes no line per event (outages are counted as `vault_unavailable`), so by
    /// default only critical lines pass.
    public init(configuration: PostgresClient.Configuration, operationTimeout: Duration = .seconds(5),
                logger: Logger = PostgresVault.quietLogger) {
        var configuration = configuration
        // Every session: durable commits, whatever postgresql.conf says.
        configuration.options.additionalStartupParameters = [("synchronous_commit", "on")]
        // A connection attempt to a dead server fails fast; the deadline above bounds the rest.
        configuration.options.connectTimeout = .seconds(3)
        client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.logger = logger
        self.operationTimeout = operationTimeout
    }

    public static var quietLogger: Logger {
        var logger = Logger(label: "resguardo-vault-pg")
        logger.logLevel = .critical
        return logger
    }

    /// The connection pool's work loop: run it in a task (or a service group) for the vault's life.
    public func run() async { await client.run() }

    /// Starts the pool in a task of its own (the intake and the admin commands); `stop()` ends it.
    public func start() {
        runner.withLock { task in
            guard task == nil else { return }
            let client = client
            task = Task { await client.run() }
        }
    }

    public func stop() async {
        guard let task = runner.withLock({ t -> Task<Void, Never>? in defer { t = nil }; return t }) else { return }
        task.cancel()
        await task.value
    }

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
            "CREATE TABLE notify_state (singleton integer PRIMARY KEY CHECK (singleton = 1), last_run bigint NOT NULL)",
        ]),
        (2, [
            // v1 kept the time of the last urgent notification, which dates the latest urgent
            // report to the minute. v2 keeps one boolean ("an urgent report waits"); which intake
            // announces, and when the next may, is a session advisory lock held in memory.
            "DROP TABLE notify_state",
            "CREATE TABLE urgent_pending (singleton integer PRIMARY KEY CHECK (singleton = 1), pending boolean NOT NULL)",
            "INSERT INTO urgent_pending (singleton, pending) VALUES (1, false)",
            // Export selects what was never exported, by day: a partial index holds only those rows.
            "CREATE INDEX submission_unexported ON submission(received_day) WHERE export_id IS NULL",
            // Ciphertext does not compress: stored out of line as it is, without pglz trying first.
            // (Keeping 4 KiB envelopes in the row instead, toast_tuple_target = 8160, was measured
            // slower: one row a page, PostgreSQL's CPU per submission rose from ~70 to ~90 µs.)
            "ALTER TABLE submission ALTER COLUMN envelope SET STORAGE EXTERNAL",
            "ALTER TABLE mailbox ALTER COLUMN sealed SET STORAGE EXTERNAL",
            // As in the SQLite vault: a new row (not exported) adds nothing to the export index.
            "DROP INDEX submission_by_export",
            "CREATE INDEX submission_by_export ON submission(export_id) WHERE export_id IS NOT NULL",
        ]),
        (3, [
            // The one network this vault belongs to (VaultBinding, review N8).
            "CREATE TABLE network_binding (singleton integer PRIMARY KEY CHECK (singleton = 1), network_id text NOT NULL, fingerprint text NOT NULL)",
        ]),
    ]

    /// The newest schema version this build knows.
    public static var schemaVersion: Int { migrations.last?.version ?? 0 }

    /// The advisory locks of this vault (any two numbers no other application on the database uses).
    static let migrationLock: Int64 = 47_114_711
    static let urgentTurnLock: Int64 = 47_114_712

    /// Applies the migrations not yet applied, all in one transaction, under an advisory lock so
    /// two intakes starting at once do not race. A database migrated by a newer build is refused.
    public func migrate() async throws(VaultError) {
        // A first connection to a server that is still starting, and DDL: more than a request's deadline.
        try await guarded(timeout: .seconds(60)) { [logger] client in
            // Review N2: these settings would keep every submission's commit time where anyone
            // with a database login (or a logical replica) reads it; refused, not warned about.
            for (setting, refused, why) in [("track_commit_timestamp", "on", "it keeps each row's commit time, to the microsecond, readable with pg_xact_commit_timestamp(xmin)"),
                                            ("wal_level", "logical", "logical decoding hands each row, with its commit time, to any replication client")] {
                for try await value in try await client.query(PostgresQuery(unsafeSQL: "SHOW \(setting)"), logger: logger).decode(String.self) where value == refused {
                    throw VaultError.other("the database has \(setting) = \(refused): \(why); set it back (docs/deploy.md, \"PostgreSQL settings\") or use the embedded SQLite vault")
                }
            }
            try await client.withTransaction(logger: logger) { c in
                try await c.query("SELECT pg_advisory_xact_lock(\(Self.migrationLock))", logger: logger)
                try await c.query("CREATE TABLE IF NOT EXISTS resguardo_migration (version integer PRIMARY KEY)", logger: logger)
                var applied = Set<Int>()
                for try await version in try await c.query("SELECT version FROM resguardo_migration", logger: logger).decode(Int.self) { applied.insert(version) }
                if let newest = applied.max(), newest > Self.schemaVersion {
                    throw VaultError.other("the database's schema is version \(newest), newer than this build's \(Self.schemaVersion): upgrade the intake")
                }
                for migration in Self.migrations where !applied.contains(migration.version) {
                    for statement in migration.sql { try await c.query(PostgresQuery(unsafeSQL: statement), logger: logger) }
                    try await c.query("INSERT INTO resguardo_migration (version) VALUES (\(migration.version))", logger: logger)
                }
            }
        }
    }

    /// Runs `body` within the deadline, with every error classified as a `VaultError` (never
    /// carrying a statement's values). At the deadline the caller is answered at once; the
    /// operation itself is cancelled and left to end in the background (a query sent to a server
    /// that died may not notice cancellation until its connection fails), so no request handler
    /// ever waits longer than the deadline.
    func guarded<T: Sendable>(timeout: Duration? = nil, _ body: @escaping @Sendable (PostgresClient) async throws -> T) async throws(VaultError) -> T {
        let client = client
        let deadline = timeout ?? operationTimeout
        let outcome: Result<T, VaultError> = await withCheckedContinuation { continuation in
            let once = ResumeOnce(continuation)
            // The timer is cancelled as soon as the work ends, so a busy intake does not keep a
            // sleeping task per operation for the whole deadline.
            let timer = Task {
                try? await Task.sleep(for: deadline)
                return once.resume(.failure(.unavailable("no answer within \(deadline)")))
            }
            let work = Task {
                do { once.resume(.success(try await body(client))) } catch { once.resume(.failure(Self.classify(error))) }
                timer.cancel()
            }
            Task {
                if await timer.value { work.cancel() }
            }
        }
        return try outcome.get()
    }

    static func classify(_ error: any Error) -> VaultError {
        switch error {
        case let error as VaultError: return error
        case let error as PSQLError: return VaultError.classify(error)
        // The pool's own errors (its circuit breaker after a long outage, a cancelled request):
        // nothing was stored, and a later attempt may work.
        default: return .unavailable(String(describing: type(of: error)))
        }
    }

    static func bytes(_ b: [UInt8]) -> ByteBuffer { ByteBuffer(bytes: b) }

    // MARK: - Submissions

    /// Stores a batch durably (the caller acknowledges after it returns): one INSERT of the
    /// batch's rows as seven arrays, whatever the batch's size.
    /// Measured (scripts/bench intake --vault postgres): BEGIN, one INSERT a row and COMMIT cost
    /// the intake ~300 µs of CPU a submission and PostgreSQL as much again; a multi-row VALUES
    /// list (7 parameters a row, a new statement text for every batch size, parsed and planned
    /// every time) ~100 and ~65 µs; this statement, prepared once per connection, ~85-118 and
    /// ~39-49 µs (PostgreSQL's share down by about a third).
    public func store(_ submissions: [Submission]) async throws(VaultError) {
        guard !submissions.isEmpty else { return }
        // The same envelope twice in one batch (a resend while the first is being committed)
        // is one row: ids are envelope digests.
        var seen = Set<SubmissionId>()
        let insert = InsertSubmissions(submissions.filter { seen.insert($0.id).inserted }.shuffled())
        // postgres-nio answers an autocommitted statement at CommandComplete, before the implicit
        // commit at Sync is flushed: acknowledging then lost a submission when PostgreSQL was
        // stopped with -m immediate under load (scripts/lib/pg_e2e.py). The server handles a
        // connection's messages in order, so a second statement on the same connection is
        // answered only after that commit is durable: two round trips, where BEGIN/INSERT/COMMIT
        // takes three (measured with scripts/bench intake --vault postgres).
        // Once the INSERT is on its way, a failure without the server's own refusal of it (the
        // connection dropped, the deadline passed) leaves the commit's outcome unknown: the
        // caller must not say "not received" then, but "send it again" (the id is the
        // envelope's digest and the INSERT skips an id already stored, so a resend stores nothing twice).
        let phase = InsertPhase()
        do throws(VaultError) {
            try await guarded { [logger] client in
                try await client.withConnection { c in
                    // Not after the caller was answered "not stored" (the deadline passed first).
                    guard phase.send() else { throw CancellationError() }
                    do {
                        _ = try await c.execute(insert, logger: logger)
                    } catch let error as PSQLError where error.code == .server {
                        // An error answer to the statement itself: it did not commit.
                        phase.refused()
                        throw error
                    }
                    try await c.query("SELECT 1", logger: logger)
                }
            }
        } catch {
            if phase.abandon() { throw .outcomeUnknown(error.errorClass) }
            throw error
        }
    }

    /// At most this many rows in one INSERT (2 MiB of 4 KiB envelopes: a bounded message).
    static let maxBatch = 512

    public func count() async throws(VaultError) -> Int {
        try await guarded { [logger] client in
            var n = 0
            for try await c in try await client.query("SELECT count(*)::bigint FROM submission", logger: logger).decode(Int.self) { n = c }
            return n
        }
    }

    /// Every stored submission id, for checks that compare many receipts at once.
    public func storedIds() async throws(VaultError) -> Set<SubmissionId> {
        try await guarded(timeout: .seconds(60)) { [logger] client in
            var ids = Set<SubmissionId>()
            for try await id in try await client.query("SELECT id FROM submission", logger: logger).decode(ByteBuffer.self) {
                if let s = SubmissionId(bytes: Array(buffer: id)) { ids.insert(s) }
            }
            return ids
        }
    }

    // MARK: - Mailboxes

    public func replies(for mailbox: MailboxId) async throws(VaultError) -> [[UInt8]] {
        try await guarded { [logger] client in
            var out: [[UInt8]] = []
            let rows = try await client.query("SELECT sealed FROM mailbox WHERE mailbox_id = \(Self.bytes(mailbox.bytes)) ORDER BY created_day, reply_id", logger: logger)
            for try await sealed in rows.decode(ByteBuffer.self) { out.append(Array(buffer: sealed)) }
            return out
        }
    }

    public func importReply(mailbox: MailboxId, replyId: [UInt8], sealed: [UInt8], day: CalendarDay) async throws(VaultError) {
        try await guarded { [logger] client in
            try await client.query("""
                INSERT INTO mailbox (mailbox_id, reply_id, sealed, created_day) VALUES (\(Self.bytes(mailbox.bytes)), \(Self.bytes(replyId)), \(Self.bytes(sealed)), \(day.description)::date)
                ON CONFLICT DO NOTHING
                """, logger: logger)
        }
    }

    // MARK: - Shared intake state

    /// A spent token's expiry as stored: the end of its UTC day, so the table dates no token (and
    /// through it the submission it paid for) finer than the day the vault already shows (review
    /// N2). The token's own MAC'd expiry is what refuses a late one; this only says when the row
    /// may be swept, a day late at most.
    static func spentTokenDay(_ expires: UInt64) -> Int64 {
        let day: UInt64 = 86_400
        let clamped = min(expires, UInt64(Int64.max) - day)
        return Int64((clamped / day + 1) * day)
    }

    /// Spends a proof-of-work token for every intake at once: false when any intake spent it already.
    public func spendToken(_ id: [UInt8], expires: UInt64) async throws(VaultError) -> Bool {
        let sweep = spendsSinceSweep.withLock { n -> Bool in
            n += 1
            guard n >= 1000 else { return false }
            n = 0
            return true
        }
        let now = Int64(Date().timeIntervalSince1970)
        return try await guarded { [logger] client in
            // Expired ids can never be presented again (the MAC'd expiry is checked first): deleted
            // now and then, so the table holds one token lifetime's worth at most.
            if sweep { try await client.query("DELETE FROM spent_token WHERE expires < \(now)", logger: logger) }
            let rows = try await client.query("INSERT INTO spent_token (id, expires) VALUES (\(Self.bytes(id)), \(Self.spentTokenDay(expires))) ON CONFLICT DO NOTHING RETURNING 1", logger: logger)
            var spent = false
            for try await _ in rows.decode(Int.self) { spent = true }
            return spent
        }
    }

    /// Spends several tokens in one statement (one commit): the ids that were not spent before.
    /// `PostgresTokenSpender` gathers a window of spends into it, so the WAL's commit records date
    /// the spends, as they date the submissions, only to the window.
    public func spendTokens(_ tokens: [(id: [UInt8], expires: UInt64)]) async throws(VaultError) -> Set<[UInt8]> {
        let sweep = spendsSinceSweep.withLock { n -> Bool in
            n += tokens.count
            guard n >= 1000 else { return false }
            n = 0
            return true
        }
        let now = Int64(Date().timeIntervalSince1970)
        let ids = tokens.map { ByteBuffer(bytes: $0.id) }, days = tokens.map { Self.spentTokenDay($0.expires) }
        return try await guarded { [logger] client in
            if sweep { try await client.query("DELETE FROM spent_token WHERE expires < \(now)", logger: logger) }
            let rows = try await client.query("INSERT INTO spent_token (id, expires) SELECT * FROM unnest(\(ids)::bytea[], \(days)::bigint[]) ON CONFLICT DO NOTHING RETURNING id", logger: logger)
            var fresh = Set<[UInt8]>()
            for try await id in rows.decode(ByteBuffer.self) { fresh.insert(Array(id.readableBytesView)) }
            return fresh
        }
    }

    // MARK: - Export and purge

    struct Pending: Sendable {
        let id: [UInt8]
        let receivedDay: CalendarDay
        let envelope: [UInt8]
    }

    /// Locks (for the calling transaction) and reads the envelopes an export takes: by day, then
    /// by random id, sizes first, so a bundle stays under `maxBytes`; rows another export has
    /// locked are skipped, never waited for.
    static func lockPending(_ c: PostgresConnection, limit: Int, maxBytes: Int, urgentOnly: Bool, logger: Logger) async throws -> [Pending] {
        let rows = try await c.query(urgentOnly
            ? "SELECT id, length(envelope) FROM submission WHERE export_id IS NULL AND urgent ORDER BY received_day, id LIMIT \(limit) FOR UPDATE SKIP LOCKED"
            : "SELECT id, length(envelope) FROM submission WHERE export_id IS NULL ORDER BY received_day, id LIMIT \(limit) FOR UPDATE SKIP LOCKED", logger: logger)
        var chosen: [[UInt8]] = []
        var total = 0
        for try await (id, size) in rows.decode((ByteBuffer, Int).self) {
            if !chosen.isEmpty && total + size > maxBytes { break }
            chosen.append(Array(buffer: id))
            total += size
        }
        var pending: [Pending] = []
        for id in chosen {
            for try await (day, envelope) in try await c.query("SELECT to_char(received_day, 'YYYY-MM-DD'), envelope FROM submission WHERE id = \(bytes(id))",
                                                              logger: logger).decode((String, ByteBuffer).self) {
                guard let received = CalendarDay(day) else { throw VaultError.corrupt("submission has an invalid received day") }
                pending.append(Pending(id: id, receivedDay: received, envelope: Array(buffer: envelope)))
            }
        }
        return pending
    }
}

extension PostgresVault: VaultAdministration {
    /// As the SQLite vault's export: the bundle is written and synced inside the transaction that
    /// marks its envelopes, so a failed commit removes the file (the envelopes stay pending) and
    /// a crash before the commit leaves them pending for the next export (the offline side
    /// detects the duplicates of a bundle that did reach it). Two exports at once take disjoint
    /// rows (`FOR UPDATE SKIP LOCKED`).
    public func export(to path: String, signer: SigningKey, today: CalendarDay, limit: Int = ExportBundle.maxCount,
                       maxBytes: Int = VaultDatabase.maxBundleEnvelopeBytes, urgentOnly: Bool = false) async throws(VaultError) -> ExportSummary {
        let written = Flag()
        do {
            return try await guarded(timeout: .seconds(600)) { [logger] client in
                try await client.withTransaction(logger: logger) { c in
                    let pending = try await Self.lockPending(c, limit: limit, maxBytes: maxBytes, urgentOnly: urgentOnly, logger: logger)
                    var remaining = 0
                    for try await n in try await c.query(urgentOnly ? "SELECT count(*)::bigint FROM submission WHERE export_id IS NULL AND urgent"
                                                                    : "SELECT count(*)::bigint FROM submission WHERE export_id IS NULL", logger: logger).decode(Int.self) {
                        remaining = n - pending.count
                    }
                    let bundleId = try Random.bytes(count: 16)
                    let entries = pending.map { ExportBundle.Entry(submissionId: $0.id, receivedDay: $0.receivedDay, envelope: $0.envelope) }
                    let sealed = try ExportBundle.seal(bundleId: bundleId, createdDay: today, entries: entries, signer: signer)
                    try DurableFile.createExclusive(path, bytes: sealed.bytes)
                    written.set()
                    try await c.query("INSERT INTO export (id, created_day, count, digest) VALUES (\(Self.bytes(bundleId)), \(today.description)::date, \(entries.count), \(Self.bytes(sealed.digest)))",
                                      logger: logger)
                    for entry in pending {
                        try await c.query("UPDATE submission SET export_id = \(Self.bytes(bundleId)) WHERE id = \(Self.bytes(entry.id))", logger: logger)
                    }
                    return ExportSummary(count: entries.count, digest: sealed.digest, byteCount: sealed.bytes.count, remaining: max(0, remaining))
                }
            }
        } catch {
            // The vault never recorded this bundle: a file left behind would be a validly signed
            // bundle that `purge` cannot name and that blocks a retry to the same path.
            if written.isSet { DurableFile.remove(path) }
            throw error
        }
    }

    /// Deletes what an acknowledged export carried, then VACUUMs: PostgreSQL keeps deleted rows as
    /// dead tuples (and in the WAL until a checkpoint recycles it) until vacuum reclaims them.
    public func purge(bundleDigest: [UInt8], today: CalendarDay) async throws(VaultError) -> Int {
        let deleted: Int = try await guarded(timeout: .seconds(600)) { [logger] client in
            try await client.withTransaction(logger: logger) { c in
                var exportId: ByteBuffer?
                for try await id in try await c.query("SELECT id FROM export WHERE digest = \(Self.bytes(bundleDigest))", logger: logger).decode(ByteBuffer.self) { exportId = id }
                guard let exportId else { throw VaultError.unknownBundle(Encoding.hex(bundleDigest)) }
                var n = 0
                for try await _ in try await c.query("DELETE FROM submission WHERE export_id = \(exportId) RETURNING 1", logger: logger).decode(Int.self) { n += 1 }
                try await c.query("UPDATE export SET acknowledged_day = \(today.description)::date WHERE id = \(exportId)", logger: logger)
                return n
            }
        }
        try await vacuum()
        return deleted
    }

    /// `VACUUM` the tables that held envelopes: dead tuples become free space, so purged
    /// ciphertext is overwritten by later rows (it is not zeroed: threat model §6).
    func vacuum() async throws(VaultError) {
        try await guarded(timeout: .seconds(600)) { [logger] client in
            try await client.query("VACUUM submission", logger: logger)
            try await client.query("VACUUM mailbox", logger: logger)
        }
    }

    /// Retention, as the SQLite vault's: only acknowledged rows unless a force flag names more.
    public func purge(olderThan days: Int, today: CalendarDay, includingUnacknowledged: Bool, includingUnexported: Bool) async throws(VaultError) -> PurgeByAgeSummary {
        let cutoff = today.adding(days: -days).description
        let summary: PurgeByAgeSummary = try await guarded(timeout: .seconds(600)) { [logger] client in
            try await client.withTransaction(logger: logger) { c in
                func count(_ condition: String) async throws -> Int {
                    var n = 0
                    for try await v in try await c.query(PostgresQuery(unsafeSQL: "SELECT count(*)::bigint FROM submission s WHERE s.received_day < '\(cutoff)'::date AND \(condition)"),
                                                         logger: logger).decode(Int.self) { n = v }
                    return n
                }
                let acknowledged = "s.export_id IN (SELECT id FROM export WHERE acknowledged_day IS NOT NULL)"
                let unacknowledged = "s.export_id IN (SELECT id FROM export WHERE acknowledged_day IS NULL)"
                let unexported = "s.export_id IS NULL"
                var bundles: [(digest: [UInt8], count: Int)] = []
                for try await (digest, n) in try await c.query("""
                    SELECT e.digest, count(*)::bigint FROM submission s JOIN export e ON e.id = s.export_id
                    WHERE s.received_day < \(cutoff)::date AND e.acknowledged_day IS NULL GROUP BY e.digest ORDER BY e.digest
                    """, logger: logger).decode((ByteBuffer, Int).self) {
                    bundles.append((Array(buffer: digest), n))
                }
                var summary = PurgeByAgeSummary(deletedAcknowledged: try await count(acknowledged), unacknowledged: bundles,
                                                unexported: try await count(unexported), deletedUnacknowledged: includingUnacknowledged,
                                                deletedUnexported: includingUnexported)
                var conditions = [acknowledged]
                if includingUnacknowledged { conditions.append(unacknowledged) }
                if includingUnexported { conditions.append(unexported) }
                var deleted = 0
                // `cutoff` is a CalendarDay's own text (digits and dashes), never input.
                for try await _ in try await c.query(PostgresQuery(unsafeSQL: "DELETE FROM submission AS s WHERE s.received_day < '\(cutoff)'::date AND (\(conditions.joined(separator: " OR "))) RETURNING 1"),
                                                     logger: logger).decode(Int.self) { deleted += 1 }
                summary.deleted = deleted
                return summary
            }
        }
        try await vacuum()
        return summary
    }

    public func importReplies(_ entries: [ReplyBundle.Entry], on day: CalendarDay) async throws(VaultError) -> (added: Int, alreadyStored: Int) {
        let rows: [(mailbox: [UInt8], replyId: [UInt8], sealed: [UInt8])]
        do {
            rows = try entries.map { ($0.mailbox.bytes, try GenericHash.hash($0.sealed, outputByteCount: 16), $0.sealed) }
        } catch {
            throw VaultError(error)
        }
        let added: Int = try await guarded(timeout: .seconds(600)) { [logger] client in
            try await client.withTransaction(logger: logger) { c in
                var added = 0
                for row in rows {
                    for try await _ in try await c.query("""
                        INSERT INTO mailbox (mailbox_id, reply_id, sealed, created_day)
                        VALUES (\(Self.bytes(row.mailbox)), \(Self.bytes(row.replyId)), \(Self.bytes(row.sealed)), \(day.description)::date)
                        ON CONFLICT DO NOTHING RETURNING 1
                        """, logger: logger).decode(Int.self) { added += 1 }
                }
                return added
            }
        }
        return (added, entries.count - added)
    }

    public func purgeReplies(before day: CalendarDay) async throws(VaultError) -> Int {
        try await guarded(timeout: .seconds(600)) { [logger] client in
            var n = 0
            for try await _ in try await client.query("DELETE FROM mailbox WHERE created_day < \(day.description)::date RETURNING 1", logger: logger).decode(Int.self) { n += 1 }
            return n
        }
    }

    public func stats() async throws(VaultError) -> [StatsRow] {
        try await guarded(timeout: .seconds(60)) { [logger] client in
            var out: [StatsRow] = []
            for try await (day, bucket, exported, urgent, n) in try await client.query("""
                SELECT to_char(received_day, 'YYYY-MM-DD') AS d, bucket, export_id IS NOT NULL AS exported, urgent, count(*)::bigint
                FROM submission GROUP BY d, bucket, exported, urgent ORDER BY d, bucket, exported, urgent
                """, logger: logger).decode((String, Int, Bool, Bool, Int).self) {
                out.append(StatsRow(day: day, bucket: bucket, exported: exported, urgent: urgent, count: n))
            }
            return out
        }
    }

    public func replyCount() async throws(VaultError) -> Int {
        try await guarded { [logger] client in
            var n = 0
            for try await v in try await client.query("SELECT count(*)::bigint FROM mailbox", logger: logger).decode(Int.self) { n = v }
            return n
        }
    }
}

extension PostgresVault: SharedIntakeState {
    public func markUrgentPending() async throws(VaultError) {
        try await guarded { [logger] client in
            try await client.query("UPDATE urgent_pending SET pending = true WHERE singleton = 1", logger: logger)
        }
    }

    /// The turn is a session advisory lock: the intake that takes it clears the pending flag, runs
    /// the command and keeps the lock for the interval, so no other intake announces meanwhile.
    /// If that intake dies, its session ends and the lock with it. On any error the connection is
    /// closed rather than returned to the pool still holding the lock.
    public func announceUrgent(intervalSeconds: Int, announce: @escaping @Sendable () -> Void) async throws(VaultError) -> UrgentAnnouncement {
        try await guarded(timeout: .seconds(Int64(intervalSeconds) + 30)) { [logger] client in
            try await client.withConnection { c in
                var held = false
                for try await got in try await c.query("SELECT pg_try_advisory_lock(\(Self.urgentTurnLock))", logger: logger).decode(Bool.self) { held = got }
                guard held else { return .turnHeldElsewhere }
                do {
                    var pending = false
                    for try await _ in try await c.query("UPDATE urgent_pending SET pending = false WHERE singleton = 1 AND pending RETURNING 1", logger: logger).decode(Int.self) {
                        pending = true
                    }
                    if pending {
                        announce()
                        try await Task.sleep(for: .seconds(intervalSeconds))
                    }
                    try await c.query("SELECT pg_advisory_unlock(\(Self.urgentTurnLock))", logger: logger)
                    return pending ? .announced : .nothingPending
                } catch {
                    try? await c.close()
                    throw error
                }
            }
        }
    }
}

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

/// A one-way flag that escaping closures can share.
final class Flag: Sendable {
    private let value = Mutex(false)
    func set() { value.withLock { $0 = true } }
    var isSet: Bool { value.withLock { $0 } }
}

/// Resumes a continuation once, whichever of an operation and its deadline ends first.
final class ResumeOnce<T: Sendable>: Sendable {
    private let continuation: Mutex<CheckedContinuation<Result<T, VaultError>, Never>?>

    init(_ continuation: CheckedContinuation<Result<T, VaultError>, Never>) { self.continuation = Mutex(continuation) }

    /// True when this call resumed it (false: the other side had already).
    @discardableResult
    func resume(_ result: Result<T, VaultError>) -> Bool {
        guard let c = continuation.withLock({ c -> CheckedContinuation<Result<T, VaultError>, Never>? in defer { c = nil }; return c }) else { return false }
        c.resume(returning: result)
        return true
    }
}

/// What the intakes on one PostgreSQL vault share, with token spends gathered for a window into
/// one statement (review N2): a spend committed alone would date, to the microsecond in the WAL,
/// the submission it pays for, whatever the submissions' own commit window. The urgent turn is
/// the vault's own (a boolean and a turn, no time per report).
public final class PostgresTokenSpender: SharedIntakeState {
    public let vault: PostgresVault
    let window: Duration
    private let state = Mutex(State())
    static let maxBatch = 1000

    private struct State {
        var pending: [(id: [UInt8], expires: UInt64, waiter: CheckedContinuation<Result<Bool, VaultError>, Never>)] = []
        var running = false
    }

    public init(vault: PostgresVault, window: Duration) {
        self.vault = vault
        self.window = window
    }

    public func spendToken(_ id: [UInt8], expires: UInt64) async throws(VaultError) -> Bool {
        guard window > .zero else { return try await vault.spendToken(id, expires: expires) }
        let result: Result<Bool, VaultError> = await withCheckedContinuation { continuation in
            let start = state.withLock { s -> Bool in
                s.pending.append((id, expires, continuation))
                guard !s.running else { return false }
                s.running = true
                return true
            }
            if start { Task { await self.spendLoop() } }
        }
        return try result.get()
    }

    private func spendLoop() async {
        while true {
            if state.withLock({ $0.pending.count }) < Self.maxBatch { try? await Task.sleep(for: window) }
            let batch = state.withLock { s in
                let batch = Array(s.pending.prefix(Self.maxBatch))
                s.pending.removeFirst(batch.count)
                if batch.isEmpty { s.running = false }
                return batch
            }
            if batch.isEmpty { return }
            do throws(VaultError) {
                let fresh = try await vault.spendTokens(batch.map { ($0.id, $0.expires) })
                // The same token twice in one batch: the first is the spend, the second a replay.
                var seen = Set<[UInt8]>()
                for item in batch { item.waiter.resume(returning: .success(fresh.contains(item.id) && seen.insert(item.id).inserted)) }
            } catch {
                for item in batch { item.waiter.resume(returning: .failure(error)) }
            }
        }
    }

    public func markUrgentPending() async throws(VaultError) { try await vault.markUrgentPending() }

    public func announceUrgent(intervalSeconds: Int, announce: @escaping @Sendable () -> Void) async throws(VaultError) -> UrgentAnnouncement {
        try await vault.announceUrgent(intervalSeconds: intervalSeconds, announce: announce)
    }
}
