import DurableFiles
public import Formats
import GRDB
import Foundation
public import Sodium
import Synchronization

/// Export bundles and purge: the signed step that hands envelopes to the offline side, kept apart
/// from storing them (issue 15).
extension VaultDatabase {
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
        do {
            return try await ExportPolicy.export(SQLiteExportSession(writer: writer), to: path, signer: signer, today: today, limit: limit,
                                                 maxBytes: maxBytes, urgentOnly: urgentOnly)
        } catch {
            throw VaultError(error)
        }
    }

    /// Deletes what the bundle with this digest carried (`PurgePolicy.acknowledge`). Call only
    /// once the offline side has acknowledged that digest: it is the only copy until then.
    public func purge(bundleDigest: [UInt8], today: CalendarDay) async throws(VaultError) -> Int {
        try await PurgePolicy.acknowledge(bundleDigest, today: today, with: SQLitePurgeRunner(writer: writer))
    }

    /// Retention (`RetentionPlan`, `PurgePolicy.retain`): deletes submissions received before
    /// `today - days` whose bundle the offline side acknowledged, and more only when named.
    public func purge(olderThan days: Int, today: CalendarDay, includingUnacknowledged: Bool, includingUnexported: Bool) async throws(VaultError) -> PurgeByAgeSummary {
        try await PurgePolicy.retain(RetentionPlan(includingUnacknowledged: includingUnacknowledged, includingUnexported: includingUnexported),
                                     before: today.adding(days: -days), with: SQLitePurgeRunner(writer: writer))
    }
}

/// The SQLite vault's purge statements: all in one write transaction, a day bound as its text
/// (the column holds `YYYY-MM-DD`, which sorts as the day does).
struct SQLitePurgeRunner: PurgeStatementRunner {
    let writer: DatabasePool

    func run(_ statements: [VaultStatement]) async throws(VaultError) -> [VaultAnswer] {
        do {
            return try await writer.write { db in
                try statements.map { statement -> VaultAnswer in
                    let arguments = StatementArguments(statement.arguments.map { argument -> (any DatabaseValueConvertible)? in
                        switch argument {
                        case .bytes(let b): return Data(b)
                        case .day(let d): return d.description
                        }
                    })
                    switch statement.answer {
                    case .count:
                        return .number(try Int.fetchOne(db, sql: statement.sql, arguments: arguments) ?? 0)
                    case .changes:
                        try db.execute(sql: statement.sql, arguments: arguments)
                        return .number(db.changesCount)
                    case .bundleCounts:
                        return .bundleCounts(try Row.fetchAll(db, sql: statement.sql, arguments: arguments).map { row -> (digest: [UInt8], count: Int) in
                            let digest: Data = row[0]
                            return (Array(digest), row[1])
                        })
                    }
                }
            }
        } catch {
            throw VaultError(error)
        }
    }
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

/// The SQLite vault's export statements: the pending rows are chosen and read in a read
/// transaction, so the bundle is written and synced without holding the writer; the export is
/// recorded in one write transaction, the rows marked by the rowids read.
final class SQLiteExportSession: ExportSession {
    let writer: DatabasePool
    private var rowids: [Int64] = []

    init(writer: DatabasePool) { self.writer = writer }

    func pending(limit: Int, maxBytes: Int, urgentOnly: Bool) async throws -> (entries: [ExportBundle.Entry], remaining: Int) {
        let filter = urgentOnly ? "export_id IS NULL AND urgent = 1" : "export_id IS NULL"
        let rows = try await writer.read { db in
            // Choose by size first (cheap), then read only the chosen envelopes.
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
        rowids = rows.map { $0["rowid"] }
        let entries = try rows.map { row throws(VaultError) -> ExportBundle.Entry in
            let id: Data = row["id"]
            let dayText: String = row["received_day"]
            guard let day = CalendarDay(dayText) else { throw VaultError.corrupt(L("submission has an invalid received day")) }
            let envelope: Data = row["envelope"]
            return ExportBundle.Entry(submissionId: Array(id), receivedDay: day, envelope: Array(envelope))
        }
        return (entries, remaining)
    }

    func record(bundleId: [UInt8], createdDay: CalendarDay, digest: [UInt8], entries: [ExportBundle.Entry]) async throws {
        let rowids = rowids
        try await writer.write { db in
            try db.execute(sql: "INSERT INTO export (id, created_day, count, digest) VALUES (?, ?, ?, ?)",
                           arguments: [Data(bundleId), createdDay.description, entries.count, Data(digest)])
            let mark = try db.cachedStatement(sql: "UPDATE submission SET export_id = ? WHERE rowid = ?")
            for rowid in rowids { try mark.execute(arguments: [Data(bundleId), rowid]) }
        }
    }
}
