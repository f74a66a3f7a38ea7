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
    public func addMeasure(_ caseId: [UInt8], _ measure: CaseTask, today: CalendarDay) throws(CaseError) -> ProtectionItemId {
        try addTask(caseId, measure, list: .measure, today: today)
    }

    /// Marks a measure done on `day` (a new version of it; the first stays in the history).
    @discardableResult
    public func completeMeasure(_ caseId: [UInt8], item prefix: String, on day: CalendarDay, keys unlocked: UnlockedKeys) throws(CaseError) -> ProtectionItemId {
        try completeTask(caseId, list: .measure, item: prefix, on: day, keys: unlocked)
    }

    public func securityPlan(_ caseId: [UInt8], keys unlocked: UnlockedKeys) throws(CaseError) -> [(id: ProtectionItemId, measure: CaseTask)] {
        try tasks(caseId, list: .measure, keys: unlocked)
    }

    // MARK: - Follow-ups

    /// A follow-up staff owe the case (a call, a visit), due on a day: `cases due` lists it.
    @discardableResult
    public func addFollowUp(_ caseId: [UInt8], _ task: CaseTask, today: CalendarDay) throws(CaseError) -> ProtectionItemId {
        try addTask(caseId, task, list: .followUp, today: today)
    }

    @discardableResult
    public func completeFollowUp(_ caseId: [UInt8], item prefix: String, on day: CalendarDay, keys unlocked: UnlockedKeys) throws(CaseError) -> ProtectionItemId {
        try completeTask(caseId, list: .followUp, item: prefix, on: day, keys: unlocked)
    }

    public func followUpTasks(_ caseId: [UInt8], keys unlocked: UnlockedKeys) throws(CaseError) -> [(id: ProtectionItemId, measure: CaseTask)] {
        try tasks(caseId, list: .followUp, keys: unlocked)
    }

    func addTask(_ caseId: [UInt8], _ task: CaseTask, list: CaseDatabase.ProtectionKind, today: CalendarDay) throws(CaseError) -> ProtectionItemId {
        let id = try Self.newItemId()
        try storeTask(caseId, id: id, task, list: list, today: today, action: "\(list.rawValue)_added", detail: "item \(id), due \(task.due.map(\.description) ?? "—")")
        return id
    }

    func completeTask(_ caseId: [UInt8], list: CaseDatabase.ProtectionKind, item prefix: String, on day: CalendarDay, keys unlocked: UnlockedKeys) throws(CaseError) -> ProtectionItemId {
        let id = try resolveItem(caseId, kind: list, prefix: prefix)
        guard let value = try currentItems(caseId, kind: list, keys: unlocked).first(where: { $0.id == id })?.value else {
            throw .io(ProtectionError.unknownItem(prefix).description)
        }
        var task: CaseTask
        do { task = try CaseTask(json: value) } catch { throw .io(error.description) }
        task.done = day
        try storeTask(caseId, id: id, task, list: list, today: day, action: "\(list.rawValue)_done", detail: "item \(id), done \(day)")
        return id
    }

    func storeTask(_ caseId: [UInt8], id: ProtectionItemId, _ task: CaseTask, list: CaseDatabase.ProtectionKind, today: CalendarDay, action: String, detail: String) throws(CaseError) {
        let (keyId, sealed) = try sealItem(task.json)
        try database.appendProtectionItem(caseId: caseId, itemId: id.bytes, kind: list, day: today, keyId: keyId, sealed: sealed, risk: nil,
                                          actor: actor, action: action, detail: detail)
    }

    func tasks(_ caseId: [UInt8], list: CaseDatabase.ProtectionKind, keys unlocked: UnlockedKeys) throws(CaseError) -> [(id: ProtectionItemId, measure: CaseTask)] {
        try currentItems(caseId, kind: list, keys: unlocked).map { (item) throws(CaseError) in
            do { return (item.id, try CaseTask(json: item.value)) } catch { throw .io("\(error)") }
        }
    }

    // MARK: - Relocation

    /// Records the case's relocation, or a new version of it (one relocation per case: a later
    /// one replaces the plan, the history keeps every version).
    @discardableResult
    public func setRelocation(_ caseId: [UInt8], _ relocation: Relocation, today: CalendarDay) throws(CaseError) -> ProtectionItemId {
        let existing = try database.protectionItems(caseId: caseId, kind: .relocation).first.map { ProtectionItemId(bytes: $0.itemId) }
        let id: ProtectionItemId
        if let existing { id = existing } else { id = try Self.newItemId() }
        let (keyId, sealed) = try sealItem(relocation.json)
        try database.appendProtectionItem(caseId: caseId, itemId: id.bytes, kind: .relocation, day: today, keyId: keyId, sealed: sealed, risk: nil, actor: actor,
                                          action: existing == nil ? "relocation_planned" : "relocation_updated",
                                          detail: "stage \(relocation.stage.rawValue), \(relocation.companions.count) companions, to \(relocation.destinationCountry)")
        return id
    }

    public func relocation(_ caseId: [UInt8], keys unlocked: UnlockedKeys) throws(CaseError) -> Relocation? {
        guard let item = try currentItems(caseId, kind: .relocation, keys: unlocked).last else { return nil }
        do { return try Relocation(json: item.value) } catch { throw .io(error.description) }
    }

    // MARK: - Closure

    /// Closes the protection case with an outcome from the closed list: it leaves `cases due`,
    /// and the yearly summary counts it.
    public func closeCase(_ caseId: [UInt8], outcome: CaseOutcome, on day: CalendarDay) throws(CaseError) {
        let (keyId, sealed) = try sealItem(.object([("outcome", .string(outcome.rawValue)), ("day", .string(day.description))]))
        try database.appendProtectionItem(caseId: caseId, itemId: try Self.newItemId().bytes, kind: .closure, day: day, keyId: keyId, sealed: sealed, risk: nil,
                                          closedDay: day, actor: actor, action: "case_closed", detail: "on \(day)")
    }

    /// The closure's outcome and day, nil while the case is open.
    public func closure(_ caseId: [UInt8], keys unlocked: UnlockedKeys) throws(CaseError) -> (outcome: CaseOutcome, day: CalendarDay)? {
        guard let value = try currentItems(caseId, kind: .closure, keys: unlocked).last?.value else { return nil }
        guard case .string(let o)? = value["outcome"], let outcome = CaseOutcome(rawValue: o), case .string(let d)? = value["day"], let day = CalendarDay(d) else {
            throw .io(ProtectionError.damaged(L("a stored closure")).description)
        }
        return (outcome, day)
    }

    // MARK: - Due

    /// What the open protection cases are owed by `today + within` days, earliest first:
    /// measures and follow-ups not done, reassessments (`reassessmentInterval` after the last
    /// one), planned returns of a relocation not yet in follow-up.
    public func dueItems(on today: CalendarDay, within days: Int, keys unlocked: UnlockedKeys) throws(CaseError) -> [DueItem] {
        let horizon = today.adding(days: days)
        var out: [DueItem] = []
        for c in try database.openProtectionCases() {
            if let level = c.risk, let day = c.riskDay {
                let due = day.adding(days: reassessmentInterval(level))
                if due <= horizon { out.append(DueItem(caseId: c.id, kind: .reassessment, due: due, text: level.rawValue, item: nil)) }
            }
            for (list, kind) in [(CaseDatabase.ProtectionKind.measure, DueItem.Kind.measure), (.followUp, .followUp)] {
                for (id, task) in try tasks(c.id, list: list, keys: unlocked) where task.done == nil {
                    if let due = task.due, due <= horizon { out.append(DueItem(caseId: c.id, kind: kind, due: due, text: task.text, item: id)) }
                }
            }
            if let r = try relocation(c.id, keys: unlocked), r.stage != .followUp, let back = r.plannedReturn, back <= horizon {
                out.append(DueItem(caseId: c.id, kind: .plannedReturn, due: back, text: r.destinationCountry, item: nil))
            }
        }
        return out.sorted { ($0.due, $0.kind.rawValue) < ($1.due, $1.kind.rawValue) }
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
