import Formats
import Sodium
import Foundation
import GRDB

/// The protection items' rows (`protection_item`), owned by the case store like every table.
extension CaseDatabase {
    /// The kinds of protection item; the table has no CHECK on them (see migration v8).
    enum ProtectionKind: String, Sendable {
        case riskAssessment = "risk_assessment"
        case measure
        case supportRequest = "support_request"
        case followUp = "follow_up"
        case relocation
        case closure
        case coordinatorUpdate = "coordinator_update"
        case consent
    }

    /// One stored version of an item, still sealed.
    struct SealedItem: Sendable {
        let seq: Int64
        let itemId: [UInt8]
        let recordedDay: String
        let keyId: KeyId
        let sealed: [UInt8]
    }

    /// Appends a version of an item and its audit entry in one transaction; a risk assessment
    /// also sets the case's current risk when it is the newest by day.
    func appendProtectionItem(caseId: [UInt8], itemId: [UInt8], kind: ProtectionKind, day: CalendarDay, keyId: KeyId, sealed: [UInt8],
                              risk: RiskLevel?, closedDay: CalendarDay? = nil, actor: String, action: String, detail: String) throws(CaseError) {
        try write { db in
            guard try Bool.fetchOne(db, sql: #"SELECT 1 FROM "case" WHERE id = ?"#, arguments: [Data(caseId)]) != nil else {
                throw CaseError.notFound(Encoding.hex(caseId))
            }
            try db.execute(sql: "INSERT INTO protection_item (case_id, item_id, kind, recorded_day, sealed_key_id, sealed) VALUES (?, ?, ?, ?, ?, ?)",
                           arguments: [Data(caseId), Data(itemId), kind.rawValue, day.description, Data(keyId.bytes), Data(sealed)])
            if let risk {
                // An assessment entered late (an older day) does not replace a newer one's level.
                try db.execute(sql: #"UPDATE "case" SET risk_level = ?, risk_day = ? WHERE id = ? AND (risk_day IS NULL OR risk_day <= ?)"#,
                               arguments: [risk.rawValue, day.description, Data(caseId), day.description])
            }
            if let closedDay { try db.execute(sql: #"UPDATE "case" SET closed_day = ? WHERE id = ?"#, arguments: [closedDay.description, Data(caseId)]) }
            try Self.appendAudit(db, actor: actor, caseId: caseId, action: action, detail: detail)
        }
    }

    /// The open protection cases (any item or assessment, not closed) with their current risk.
    func openProtectionCases() throws(CaseError) -> [(id: [UInt8], risk: RiskLevel?, riskDay: CalendarDay?)] {
        try read { db in
            try Row.fetchAll(db, sql: #"""
                SELECT id, risk_level, risk_day FROM "case" WHERE closed_day IS NULL
                AND (risk_day IS NOT NULL OR id IN (SELECT case_id FROM protection_item)) ORDER BY received_day, id
                """#).map { row in
                let id: Data = row["id"]
                return (Array(id), (row["risk_level"] as String?).flatMap(RiskLevel.init(rawValue:)), (row["risk_day"] as String?).flatMap(CalendarDay.init))
            }
        }
    }

    /// Every version of a case's items of one kind, oldest first.
    func protectionItems(caseId: [UInt8], kind: ProtectionKind) throws(CaseError) -> [SealedItem] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT seq, item_id, recorded_day, sealed_key_id, sealed FROM protection_item WHERE case_id = ? AND kind = ? ORDER BY seq",
                             arguments: [Data(caseId), kind.rawValue]).compactMap { row -> SealedItem? in
                let item: Data = row["item_id"], key: Data = row["sealed_key_id"], sealed: Data = row["sealed"]
                guard let keyId = KeyId(bytes: key) else { return nil }
                return SealedItem(seq: row["seq"], itemId: Array(item), recordedDay: row["recorded_day"], keyId: keyId, sealed: Array(sealed))
            }
        }
    }
}

extension CaseDatabase {
    /// The cases with a protection item recorded between the two days (inclusive), or closed
    /// then, with the day each was received, closed, and first answered (the first vetting
    /// decision or protection step in its audit trail, as a day).
    func protectionCases(from: CalendarDay, to: CalendarDay) throws(CaseError) -> [(id: [UInt8], received: CalendarDay?, closed: CalendarDay?, firstResponse: CalendarDay?)] {
        try read { db in
            try Row.fetchAll(db, sql: #"""
                SELECT c.id, c.received_day, c.closed_day,
                       (SELECT min(substr(a.at, 1, 10)) FROM audit a WHERE a.case_id = c.id
                        AND a.action IN ('new→vetted', 'new→rejected', 'risk_assessed', 'measure_added', 'support_requested', 'relocation_planned', 'follow_up_added')) AS first
                FROM "case" c
                WHERE c.id IN (SELECT case_id FROM protection_item WHERE recorded_day BETWEEN ? AND ?) OR c.closed_day BETWEEN ? AND ?
                ORDER BY c.received_day, c.id
                """#, arguments: [from.description, to.description, from.description, to.description]).map { row in
                let id: Data = row["id"]
                return (Array(id), (row["received_day"] as String?).flatMap(CalendarDay.init), (row["closed_day"] as String?).flatMap(CalendarDay.init),
                        (row["first"] as String?).flatMap(CalendarDay.init))
            }
        }
    }
}

extension CaseDatabase {
    /// A referral made, and its audit entry, in one transaction.
    func recordReferral(id: String, caseId: [UInt8], coordinator: String, created: CalendarDay, expires: CalendarDay, actor: String, detail: String) throws(CaseError) {
        try write { db in
            try db.execute(sql: "INSERT INTO referral (id, case_id, coordinator, created_day, expires) VALUES (?, ?, ?, ?, ?)",
                           arguments: [id, Data(caseId), coordinator, created.description, expires.description])
            try Self.appendAudit(db, actor: actor, caseId: caseId, action: "referral_created", detail: detail)
        }
    }

    /// The coordinators' pinned status-update keys, by name, removed ones marked (the caller
    /// decides: see `Workspace.importRelocationUpdate`).
    func coordinatorSigningKeys() throws(CaseError) -> [(name: String, key: VerifyingKey, removed: CoordinatorRemoval?)] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT name, signing_key, removed_day, removed_reason FROM coordinator WHERE signing_key IS NOT NULL ORDER BY name").compactMap { row in
                let bytes: Data = row["signing_key"]
                guard let key = try? VerifyingKey(bytes: Array(bytes)) else { return nil }
                return (row["name"], key, Self.removal(row))
            }
        }
    }

    /// A referral as recorded: its case, coordinator and the last update applied.
    func referral(id: String) throws(CaseError) -> (caseId: [UInt8], coordinator: String, lastUpdate: Int)? {
        try read { db in
            try Row.fetchOne(db, sql: "SELECT case_id, coordinator, last_update FROM referral WHERE id = ?", arguments: [id]).map { row in
                let caseId: Data = row["case_id"]
                return (Array(caseId), row["coordinator"], row["last_update"])
            }
        }
    }

    /// Applies an update: the sealed item, the relocation's new version when there is one, the
    /// sequence, the audit entry — all or nothing; an update not newer than the last is refused
    /// inside the transaction (two imports at once cannot both apply the same sequence).
    func applyRelocationUpdate(referralId: String, sequence: Int, caseId: [UInt8], items: [(itemId: [UInt8], kind: ProtectionKind, keyId: KeyId, sealed: [UInt8])],
                               day: CalendarDay, actor: String, detail: String) throws(CaseError) {
        try write { db in
            let last = try Int.fetchOne(db, sql: "SELECT last_update FROM referral WHERE id = ?", arguments: [referralId]) ?? Int.max
            guard sequence > last else { throw CaseError.io(RelocationUpdateImportError.notNewer(sequence: sequence, last: last).description) }
            for item in items {
                try db.execute(sql: "INSERT INTO protection_item (case_id, item_id, kind, recorded_day, sealed_key_id, sealed) VALUES (?, ?, ?, ?, ?, ?)",
                               arguments: [Data(caseId), Data(item.itemId), item.kind.rawValue, day.description, Data(item.keyId.bytes), Data(item.sealed)])
            }
            try db.execute(sql: "UPDATE referral SET last_update = ? WHERE id = ?", arguments: [sequence, referralId])
            try Self.appendAudit(db, actor: actor, caseId: caseId, action: "relocation_update_imported", detail: detail)
        }
    }
}
