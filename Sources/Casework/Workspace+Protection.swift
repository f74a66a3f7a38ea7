public import Formats
public import Keys
import Foundation
import Sodium

/// The protection case's operations (issue 31), for the CLI and la mesa alike. Every item is
/// sealed to the organisation's current key before it is stored (it names threats, people and
/// places); the audit entry says what was done in counts and codes only, never the items' text.
extension Workspace {
    /// Seals an item's JSON to the current encryption key.
    func sealItem(_ value: JSONValue) throws(CaseError) -> (KeyId, [UInt8]) {
        guard let current = keys.manifest.manifest.encryptionKeys.last else { throw .io(L("no encryption key")) }
        do { return (current.id, try SealedBox.seal(value.serialized(), to: current.publicKey)) } catch { throw .io("\(error)") }
    }

    func openItem(_ item: CaseDatabase.SealedItem, _ unlocked: UnlockedKeys) throws(CaseError) -> JSONValue {
        guard let key = unlocked[item.keyId] else { throw .noKey(item.keyId.hex) }
        let opened: SecureBytes
        do { opened = try SealedBox.open(item.sealed, with: key) } catch { throw .tampered(Encoding.hex(item.itemId)) }
        do { return try opened.withUnsafeBytes { (b) throws(JSONParseError) in try JSONValue.parse(b) } } catch { throw .tampered(Encoding.hex(item.itemId)) }
    }

    static func newItemId() throws(CaseError) -> ProtectionItemId {
        do { return ProtectionItemId(bytes: try Random.bytes(count: 8)) } catch { throw .io("\(error)") }
    }

    /// The latest version of each item of a kind, in the order the items were first recorded.
    func currentItems(_ caseId: [UInt8], kind: CaseDatabase.ProtectionKind, keys unlocked: UnlockedKeys) throws(CaseError) -> [(id: ProtectionItemId, value: JSONValue)] {
        var order: [[UInt8]] = []
        var latest: [[UInt8]: CaseDatabase.SealedItem] = [:]
        for item in try database.protectionItems(caseId: caseId, kind: kind) {
            if latest[item.itemId] == nil { order.append(item.itemId) }
            latest[item.itemId] = item
        }
        var out: [(id: ProtectionItemId, value: JSONValue)] = []
        for id in order {
            guard let item = latest[id] else { continue }
            out.append((ProtectionItemId(bytes: id), try openItem(item, unlocked)))
        }
        return out
    }

    /// Finds an item of a case by a prefix of its id (at least 4 hex digits).
    func resolveItem(_ caseId: [UInt8], kind: CaseDatabase.ProtectionKind, prefix: String) throws(CaseError) -> ProtectionItemId {
        let p = prefix.lowercased()
        let ids = Set(try database.protectionItems(caseId: caseId, kind: kind).map(\.itemId)).filter { Encoding.hex($0).hasPrefix(p) }
        guard p.count >= 4, ids.count == 1, let id = ids.first else { throw .io(ProtectionError.unknownItem(prefix).description) }
        return ProtectionItemId(bytes: id)
    }

    // MARK: - Risk

    /// Records an assessment (a first one or a reassessment): the history keeps every one, and
    /// the case's current risk becomes this one's unless a newer-dated one exists.
    @discardableResult
    public func assessRisk(_ caseId: [UInt8], _ assessment: RiskAssessment) throws(CaseError) -> ProtectionItemId {
        let id = try Self.newItemId()
        let (keyId, sealed) = try sealItem(assessment.json)
        let counts = "\(assessment.count(.threat)) threats, \(assessment.count(.vulnerability)) vulnerabilities, \(assessment.count(.capacity)) capacities"
        try database.appendProtectionItem(caseId: caseId, itemId: id.bytes, kind: .riskAssessment, day: assessment.day, keyId: keyId, sealed: sealed,
                                          risk: assessment.overall, actor: actor, action: "risk_assessed",
                                          detail: "\(assessment.overall.rawValue) on \(assessment.day) (\(counts)), item \(id)")
        return id
    }

    /// Every assessment of a case, oldest recorded first.
    public func riskAssessments(_ caseId: [UInt8], keys unlocked: UnlockedKeys) throws(CaseError) -> [RiskAssessment] {
        let today = CalendarDay.today()
        return try database.protectionItems(caseId: caseId, kind: .riskAssessment).map { (item) throws(CaseError) -> RiskAssessment in
            do { return try RiskAssessment(json: try openItem(item, unlocked), today: today) } catch let e as CaseError { throw e } catch {
                throw .io(ProtectionError.damaged(L("a stored risk assessment")).description)
            }
        }
    }

    // MARK: - Security plan

    @discardableResult
    public func addMeasure(_ caseId: [UInt8], _ measure: SecurityMeasure, today: CalendarDay) throws(CaseError) -> ProtectionItemId {
        let id = try Self.newItemId()
        try storeMeasure(caseId, id: id, measure, today: today, action: "measure_added",
                         detail: "item \(id), due \(measure.due.map(\.description) ?? "—")")
        return id
    }

    /// Marks a measure done on `day` (a new version of it; the first stays in the history).
    public func completeMeasure(_ caseId: [UInt8], item prefix: String, on day: CalendarDay, keys unlocked: UnlockedKeys) throws(CaseError) -> ProtectionItemId {
        let id = try resolveItem(caseId, kind: .measure, prefix: prefix)
        let items = try currentItems(caseId, kind: .measure, keys: unlocked)
        guard let value = items.first(where: { $0.id == id })?.value else { throw .io(ProtectionError.unknownItem(prefix).description) }
        var measure: SecurityMeasure
        do { measure = try SecurityMeasure(json: value) } catch { throw .io(error.description) }
        measure.done = day
        try storeMeasure(caseId, id: id, measure, today: day, action: "measure_done", detail: "item \(id), done \(day)")
        return id
    }

    func storeMeasure(_ caseId: [UInt8], id: ProtectionItemId, _ measure: SecurityMeasure, today: CalendarDay, action: String, detail: String) throws(CaseError) {
        let (keyId, sealed) = try sealItem(measure.json)
        try database.appendProtectionItem(caseId: caseId, itemId: id.bytes, kind: .measure, day: today, keyId: keyId, sealed: sealed, risk: nil,
                                          actor: actor, action: action, detail: detail)
    }

    public func securityPlan(_ caseId: [UInt8], keys unlocked: UnlockedKeys) throws(CaseError) -> [(id: ProtectionItemId, measure: SecurityMeasure)] {
        try currentItems(caseId, kind: .measure, keys: unlocked).map { (item) throws(CaseError) in
            do { return (item.id, try SecurityMeasure(json: item.value)) } catch { throw .io("\(error)") }
        }
    }

    // MARK: - Support requests

    @discardableResult
    public func requestSupport(_ caseId: [UInt8], _ request: SupportRequest) throws(CaseError) -> ProtectionItemId {
        let id = try Self.newItemId()
        try storeSupport(caseId, id: id, request, day: request.requested, action: "support_requested",
                         detail: "item \(id), \(request.category.rawValue), \(request.status.rawValue)")
        return id
    }

    /// A new status (and amount, when the funder changed it) for a request, on `day`.
    public func updateSupport(_ caseId: [UInt8], item prefix: String, status: SupportStatus, amount: Money?, on day: CalendarDay, keys unlocked: UnlockedKeys) throws(CaseError) -> ProtectionItemId {
        let id = try resolveItem(caseId, kind: .supportRequest, prefix: prefix)
        guard let value = try currentItems(caseId, kind: .supportRequest, keys: unlocked).first(where: { $0.id == id })?.value else {
            throw .io(ProtectionError.unknownItem(prefix).description)
        }
        var request: SupportRequest
        do { request = try SupportRequest(json: value) } catch { throw .io(error.description) }
        let previous = request.status
        request.status = status
        request.decided = day
        if let amount { request.amount = amount }
        try storeSupport(caseId, id: id, request, day: day, action: "support_updated", detail: "item \(id), \(previous.rawValue)→\(status.rawValue)")
        return id
    }

    func storeSupport(_ caseId: [UInt8], id: ProtectionItemId, _ request: SupportRequest, day: CalendarDay, action: String, detail: String) throws(CaseError) {
        let (keyId, sealed) = try sealItem(request.json)
        try database.appendProtectionItem(caseId: caseId, itemId: id.bytes, kind: .supportRequest, day: day, keyId: keyId, sealed: sealed, risk: nil,
                                          actor: actor, action: action, detail: detail)
    }

    public func supportRequests(_ caseId: [UInt8], keys unlocked: UnlockedKeys) throws(CaseError) -> [(id: ProtectionItemId, request: SupportRequest)] {
        try currentItems(caseId, kind: .supportRequest, keys: unlocked).map { (item) throws(CaseError) in
            do { return (item.id, try SupportRequest(json: item.value)) } catch { throw .io("\(error)") }
        }
    }
}
