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
