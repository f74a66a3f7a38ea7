import DurableFiles
public import Formats
import Foundation
import PostgresNIO
public import Sodium
import Synchronization

/// Export and purge on the shared vault: the statements of `ExportPolicy` and `RetentionPlan`.
extension PostgresVault {
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
                    try await ExportPolicy.export(PostgresExportSession(connection: c, logger: logger), to: path, signer: signer, today: today,
                                                  limit: limit, maxBytes: maxBytes, urgentOnly: urgentOnly, written: written)
                }
            }
        } catch {
            // The vault never recorded this bundle: a file left behind would be a validly signed
            // bundle that `purge` cannot name and that blocks a retry to the same path.
            if written.isSet { DurableFile.remove(path) }
            throw error
        }
    }

    /// Deletes what an acknowledged export carried (`PurgePolicy.acknowledge`), then VACUUMs:
    /// PostgreSQL keeps deleted rows as dead tuples (and in the WAL until a checkpoint recycles
    /// it) until vacuum reclaims them.
    public func purge(bundleDigest: [UInt8], today: CalendarDay) async throws(VaultError) -> Int {
        let deleted = try await PurgePolicy.acknowledge(bundleDigest, today: today, with: PostgresPurgeRunner(vault: self))
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

    /// Retention (`PurgePolicy.retain`), then VACUUM.
    public func purge(olderThan days: Int, today: CalendarDay, includingUnacknowledged: Bool, includingUnexported: Bool) async throws(VaultError) -> PurgeByAgeSummary {
        let summary = try await PurgePolicy.retain(RetentionPlan(includingUnacknowledged: includingUnacknowledged, includingUnexported: includingUnexported),
                                                   before: today.adding(days: -days), with: PostgresPurgeRunner(vault: self))
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

/// The PostgreSQL vault's export statements, all inside the caller's transaction: the pending
/// rows locked `FOR UPDATE SKIP LOCKED` (two exports take disjoint envelopes), the export
/// recorded and the rows marked by id; the commit (after `ExportPolicy` returns) makes it so.
final class PostgresExportSession: ExportSession {
    let connection: PostgresConnection
    let logger: Logger

    init(connection: PostgresConnection, logger: Logger) {
        self.connection = connection
        self.logger = logger
    }

    func pending(limit: Int, maxBytes: Int, urgentOnly: Bool) async throws -> (entries: [ExportBundle.Entry], remaining: Int) {
        let pending = try await PostgresVault.lockPending(connection, limit: limit, maxBytes: maxBytes, urgentOnly: urgentOnly, logger: logger)
        var remaining = 0
        for try await n in try await connection.query(urgentOnly ? "SELECT count(*)::bigint FROM submission WHERE export_id IS NULL AND urgent"
                                                                 : "SELECT count(*)::bigint FROM submission WHERE export_id IS NULL", logger: logger).decode(Int.self) {
            remaining = n - pending.count
        }
        return (pending.map { ExportBundle.Entry(submissionId: $0.id, receivedDay: $0.receivedDay, envelope: $0.envelope) }, remaining)
    }

    func record(bundleId: [UInt8], createdDay: CalendarDay, digest: [UInt8], entries: [ExportBundle.Entry]) async throws {
        try await connection.query("INSERT INTO export (id, created_day, count, digest) VALUES (\(PostgresVault.bytes(bundleId)), \(createdDay.description)::date, \(entries.count), \(PostgresVault.bytes(digest)))",
                                   logger: logger)
        for entry in entries {
            try await connection.query("UPDATE submission SET export_id = \(PostgresVault.bytes(bundleId)) WHERE id = \(PostgresVault.bytes(entry.submissionId))", logger: logger)
        }
    }
}

/// The PostgreSQL vault's purge statements: all in one transaction, each `?` bound as `$n`
/// (a day as `$n::date`), the rows a statement changed counted by `RETURNING 1`.
struct PostgresPurgeRunner: PurgeStatementRunner {
    let vault: PostgresVault

    func run(_ statements: [VaultStatement]) async throws(VaultError) -> [VaultAnswer] {
        try await vault.guarded(timeout: .seconds(600)) { [logger = vault.logger] client in
            try await client.withTransaction(logger: logger) { c in
                var answers: [VaultAnswer] = []
                for statement in statements {
                    let query = Self.query(statement)
                    switch statement.answer {
                    case .count:
                        var n = 0
                        for try await v in try await c.query(query, logger: logger).decode(Int.self) { n = v }
                        answers.append(.number(n))
                    case .changes:
                        var n = 0
                        for try await _ in try await c.query(query, logger: logger).decode(Int.self) { n += 1 }
                        answers.append(.number(n))
                    case .bundleCounts:
                        var rows: [(digest: [UInt8], count: Int)] = []
                        for try await (digest, n) in try await c.query(query, logger: logger).decode((ByteBuffer, Int).self) { rows.append((Array(buffer: digest), n)) }
                        answers.append(.bundleCounts(rows))
                    }
                }
                return answers
            }
        }
    }

    /// The statement in PostgreSQL's placeholders, its parameters bound (never spliced in).
    static func query(_ statement: VaultStatement) -> PostgresQuery {
        var bindings = PostgresBindings()
        var sql = ""
        var next = statement.arguments.makeIterator()
        var index = 0
        for character in statement.sql {
            guard character == "?", let argument = next.next() else {
                sql.append(character)
                continue
            }
            index += 1
            switch argument {
            case .bytes(let b):
                bindings.append(ByteBuffer(bytes: b))
                sql += "$\(index)"
            case .day(let d):
                bindings.append(d.description)
                sql += "$\(index)::date"
            }
        }
        // count(*) is already bigint, which decodes as Int; `RETURNING 1` gives one row per changed row.
        if statement.answer == .changes { sql += " RETURNING 1" }
        return PostgresQuery(unsafeSQL: sql, binds: bindings)
    }
}
