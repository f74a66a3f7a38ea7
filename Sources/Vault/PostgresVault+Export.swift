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
                let plan = RetentionPlan(includingUnacknowledged: includingUnacknowledged, includingUnexported: includingUnexported)
                var bundles: [(digest: [UInt8], count: Int)] = []
                for try await (digest, n) in try await c.query("""
                    SELECT e.digest, count(*)::bigint FROM submission s JOIN export e ON e.id = s.export_id
                    WHERE s.received_day < \(cutoff)::date AND e.acknowledged_day IS NULL GROUP BY e.digest ORDER BY e.digest
                    """, logger: logger).decode((ByteBuffer, Int).self) {
                    bundles.append((Array(buffer: digest), n))
                }
                var summary = plan.summary(acknowledged: try await count(RetentionPlan.acknowledged), unacknowledgedBundles: bundles,
                                           unexported: try await count(RetentionPlan.unexported))
                var deleted = 0
                // `cutoff` is a CalendarDay's own text (digits and dashes), never input.
                for try await _ in try await c.query(PostgresQuery(unsafeSQL: "DELETE FROM submission AS s WHERE s.received_day < '\(cutoff)'::date AND \(plan.deleteCondition) RETURNING 1"),
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
