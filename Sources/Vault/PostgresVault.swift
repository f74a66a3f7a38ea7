import DurableFiles
public import Formats
import Foundation
public import PostgresNIO
import Sodium
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
