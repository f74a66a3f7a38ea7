import DurableFiles
import Formats
import Foundation
import Sodium

/// One backend's statements for an export, each inside the transaction that backend uses
/// (issue 30: the policy is written once, `ExportPolicy`; the SQL twice). The SQLite vault reads
/// the pending rows outside its write transaction, so writing and syncing a bundle never holds up
/// the intake's commits; the PostgreSQL vault does everything inside one transaction, its rows
/// locked `FOR UPDATE SKIP LOCKED` so two exports take disjoint envelopes.
protocol ExportSession: AnyObject {
    /// The envelopes the bundle takes, in bundle order (by day, then by random id, so a bundle
    /// does not carry arrival order), at most `limit` and `maxBytes` of envelope (at least one),
    /// and how many stay pending after them.
    func pending(limit: Int, maxBytes: Int, urgentOnly: Bool) async throws -> (entries: [ExportBundle.Entry], remaining: Int)
    /// Records the bundle and marks the envelopes it carried as exported.
    func record(bundleId: [UInt8], createdDay: CalendarDay, digest: [UInt8], entries: [ExportBundle.Entry]) async throws
}

enum ExportPolicy {
    /// Pending envelopes → one signed bundle at `path` → recorded. The file is written and
    /// synced *before* the rows are marked, so a crash in between re-exports them next time (the
    /// offline side detects the duplicates) rather than losing them; if recording fails, the
    /// file is removed (a validly signed bundle the vault never recorded could not be named by
    /// `purge --bundle-digest`, and would block a retry to the same path). `written` is set once
    /// the file exists, for a backend whose commit comes after this returns.
    static func export(_ session: some ExportSession, to path: String, signer: SigningKey, today: CalendarDay, limit: Int, maxBytes: Int,
                       urgentOnly: Bool, written: Flag? = nil) async throws -> ExportSummary {
        let (entries, remaining) = try await session.pending(limit: limit, maxBytes: maxBytes, urgentOnly: urgentOnly)
        let bundleId = try Random.bytes(count: 16)
        let sealed = try ExportBundle.seal(bundleId: bundleId, createdDay: today, entries: entries, signer: signer)
        try DurableFile.createExclusive(path, bytes: sealed.bytes)
        written?.set()
        do {
            try await session.record(bundleId: bundleId, createdDay: today, digest: sealed.digest, entries: entries)
        } catch {
            DurableFile.remove(path)
            throw error
        }
        return ExportSummary(count: entries.count, digest: sealed.digest, byteCount: sealed.bytes.count, remaining: max(0, remaining))
    }
}

/// Retention, the policy both backends follow (`purge --older-than`): only rows whose bundle the
/// offline side acknowledged are deleted, unless a force flag names more. An envelope exported in
/// a bundle never acknowledged may be the only copy (the bundle lost on the way), and one never
/// exported certainly is: those are kept and counted, and what was deleted is reported by
/// bundle. The conditions are plain SQL over `submission s` and `export`, the same in both
/// dialects.
struct RetentionPlan {
    static let acknowledged = "s.export_id IN (SELECT id FROM export WHERE acknowledged_day IS NOT NULL)"
    static let unacknowledged = "s.export_id IN (SELECT id FROM export WHERE acknowledged_day IS NULL)"
    static let unexported = "s.export_id IS NULL"

    let includingUnacknowledged: Bool
    let includingUnexported: Bool

    /// What is deleted: the acknowledged rows, and the others only when named.
    var deleteCondition: String {
        var conditions = [Self.acknowledged]
        if includingUnacknowledged { conditions.append(Self.unacknowledged) }
        if includingUnexported { conditions.append(Self.unexported) }
        return "(" + conditions.joined(separator: " OR ") + ")"
    }

    func summary(acknowledged: Int, unacknowledgedBundles: [(digest: [UInt8], count: Int)], unexported: Int) -> PurgeByAgeSummary {
        PurgeByAgeSummary(deletedAcknowledged: acknowledged, unacknowledged: unacknowledgedBundles, unexported: unexported,
                          deletedUnacknowledged: includingUnacknowledged, deletedUnexported: includingUnexported)
    }
}

/// One statement of a purge in the SQL both dialects share, `?` marking each parameter; the
/// backend binds the parameters its own way (a day is text in SQLite, `::date` in PostgreSQL)
/// and runs every statement of a purge in one transaction of its own.
struct VaultStatement: Sendable {
    enum Argument: Sendable {
        case bytes([UInt8])
        case day(CalendarDay)
    }

    /// What the statement answers: one number (`SELECT count(*)`), the rows it changed, or
    /// per-bundle counts (`SELECT digest, count`).
    enum Answer: Sendable {
        case count
        case changes
        case bundleCounts
    }

    let sql: String
    let arguments: [Argument]
    let answer: Answer
}

/// What a backend answered, statement by statement.
enum VaultAnswer: Sendable {
    case number(Int)
    case bundleCounts([(digest: [UInt8], count: Int)])

    var number: Int {
        if case .number(let n) = self { return n }
        return 0
    }
}

/// Runs a purge's statements in order inside one transaction of its own.
protocol PurgeStatementRunner {
    func run(_ statements: [VaultStatement]) async throws(VaultError) -> [VaultAnswer]
}

/// Acknowledgement and retention, the policy both backends follow; each backend only runs the
/// statements (`PurgeStatementRunner`). Written once (issue 30).
enum PurgePolicy {
    /// `purge --bundle-digest` / `--acknowledgement`: the rows the bundle carried are deleted
    /// and the bundle marked acknowledged, in one transaction. An unknown digest changes nothing
    /// (both statements select by it) and is an error: the offline side acknowledged a bundle
    /// this vault never made.
    static func acknowledge(_ digest: [UInt8], today: CalendarDay, with runner: some PurgeStatementRunner) async throws(VaultError) -> Int {
        let answers = try await runner.run([
            VaultStatement(sql: "DELETE FROM submission WHERE export_id IN (SELECT id FROM export WHERE digest = ?)", arguments: [.bytes(digest)], answer: .changes),
            VaultStatement(sql: "UPDATE export SET acknowledged_day = ? WHERE digest = ?", arguments: [.day(today), .bytes(digest)], answer: .changes),
        ])
        guard answers.count == 2, answers[1].number == 1 else { throw .unknownBundle(Encoding.hex(digest)) }
        return answers[0].number
    }

    /// `purge --older-than`: what `RetentionPlan` deletes of the rows received before `cutoff`,
    /// counted first (by bundle for the unacknowledged ones) in the same transaction.
    static func retain(_ plan: RetentionPlan, before cutoff: CalendarDay, with runner: some PurgeStatementRunner) async throws(VaultError) -> PurgeByAgeSummary {
        let old = "s.received_day < ?"
        let answers = try await runner.run([
            VaultStatement(sql: "SELECT count(*) FROM submission s WHERE \(old) AND \(RetentionPlan.acknowledged)", arguments: [.day(cutoff)], answer: .count),
            VaultStatement(sql: "SELECT count(*) FROM submission s WHERE \(old) AND \(RetentionPlan.unexported)", arguments: [.day(cutoff)], answer: .count),
            VaultStatement(sql: """
                SELECT e.digest, count(*) FROM submission s JOIN export e ON e.id = s.export_id
                WHERE \(old) AND e.acknowledged_day IS NULL GROUP BY e.digest ORDER BY e.digest
                """, arguments: [.day(cutoff)], answer: .bundleCounts),
            VaultStatement(sql: "DELETE FROM submission AS s WHERE \(old) AND \(plan.deleteCondition)", arguments: [.day(cutoff)], answer: .changes),
        ])
        guard answers.count == 4, case .bundleCounts(let bundles) = answers[2] else { throw .corrupt(L("the vault answered a retention purge out of order")) }
        var summary = plan.summary(acknowledged: answers[0].number, unacknowledgedBundles: bundles, unexported: answers[1].number)
        summary.deleted = answers[3].number
        return summary
    }
}
