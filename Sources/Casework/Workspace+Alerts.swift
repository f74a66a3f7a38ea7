public import Formats
public import Keys
import Foundation
import Sodium

extension Workspace {
    // MARK: - Consent

    /// A new alert's id, for the first consent given for it.
    public static func newAlertId() throws(CaseError) -> AlertId {
        do { return AlertId(bytes: try Random.bytes(count: 4)) } catch { throw .io("\(error)") }
    }

    /// Records her consent to name `fields` to one destination in one alert (sealed: it names
    /// who gave it). The audit trail gets the alert id, destination and field codes only.
    @discardableResult
    public func recordConsent(_ caseId: [UInt8], _ consent: AlertConsent) throws(CaseError) -> ProtectionItemId {
        let id = try Self.newItemId()
        let (keyId, sealed) = try sealItem(consent.json)
        try database.appendProtectionItem(caseId: caseId, itemId: id.bytes, kind: .consent, day: consent.givenOn, keyId: keyId, sealed: sealed, risk: nil, actor: actor,
                                          action: "consent_recorded",
                                          detail: "item \(id), alert \(consent.alert.map(\.description) ?? "—"), to \(consent.destination.rawValue): \(consent.fields.map(\.rawValue).joined(separator: ","))")
        return id
    }

    /// Revokes a consent from `day` on (a new version; the history keeps the first).
    public func revokeConsent(_ caseId: [UInt8], item prefix: String, on day: CalendarDay, keys unlocked: UnlockedKeys) throws(CaseError) {
        let id = try resolveItem(caseId, kind: .consent, prefix: prefix)
        guard let value = try currentItems(caseId, kind: .consent, keys: unlocked).first(where: { $0.id == id })?.value else {
            throw .io(ProtectionError.unknownItem(prefix).description)
        }
        var consent: AlertConsent
        do { consent = try AlertConsent(json: value) } catch { throw .io(error.description) }
        consent.revokedOn = day
        let (keyId, sealed) = try sealItem(consent.json)
        try database.appendProtectionItem(caseId: caseId, itemId: id.bytes, kind: .consent, day: day, keyId: keyId, sealed: sealed, risk: nil, actor: actor,
                                          action: "consent_revoked", detail: "item \(id), to \(consent.destination.rawValue), from \(day)")
    }

    public func consents(_ caseId: [UInt8], keys unlocked: UnlockedKeys) throws(CaseError) -> [(id: ProtectionItemId, consent: AlertConsent)] {
        try currentItems(caseId, kind: .consent, keys: unlocked).map { (item) throws(CaseError) in
            do { return (item.id, try AlertConsent(json: item.value)) } catch { throw .io("\(error)") }
        }
    }

    // MARK: - Alerts

    /// The alert's document for one destination: each of its fields that has a value (from the
    /// report, or from `texts`, which win), marked confidential where the destination keeps it so,
    /// and the fields her consent for this alert in force on `today` does not cover (all of them
    /// when `alert` is nil). Nothing is written or logged here.
    public func draftAlert(_ caseId: [UInt8], alert: AlertId?, to destination: AlertDestination, texts: AlertTexts, keys unlocked: UnlockedKeys, today: CalendarDay) throws(CaseError) -> AlertDraft {
        let given = try consents(caseId, keys: unlocked).map(\.consent)
        if let alert, !given.contains(where: { $0.alert == alert }) { throw .io(ProtectionError.unknownAlert(alert.description).description) }
        let report = try openCase(caseId, keys: unlocked).report
        func terms(_ codes: [String], _ vocabulary: Vocabulary) -> String? {
            codes.isEmpty ? nil : codes.map { vocabulary.term($0)?.es ?? $0 }.joined(separator: ", ")
        }
        let place = [report.locality, report.region.map { Regions.name(of: $0) ?? $0 }].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ", ")
        var fromReport: [AlertField: String] = [
            .country: Vocabulary.countries.term(report.country)?.es ?? report.country,
        ]
        fromReport[.defenderName] = report.defender.name
        fromReport[.defenderOrganisation] = report.defender.organisation
        fromReport[.defenderWork] = terms(report.rightsDefended, .rightsDefended)
        fromReport[.place] = place.isEmpty ? nil : place
        fromReport[.incidentDate] = report.incidentDate?.description
        fromReport[.aggressionTypes] = terms(report.aggressionTypes, .aggressionTypes)
        fromReport[.perpetrators] = terms(report.perpetrators, .perpetrators)
        fromReport[.contact] = report.defender.contact
        let consented = Set(alert.map { alert in given.filter { $0.covers(alert, destination, on: today) }.flatMap(\.fields) } ?? [])
        var fields: [(field: AlertField, value: String, confidential: Bool)] = []
        for field in AlertField.fields(for: destination) {
            guard let value = texts.values[field] ?? fromReport[field], !value.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { continue }
            let confidential = destination != .publicAlert && (field == .contact || (destination == .iachr && field == .place))
            fields.append((field, value, confidential))
        }
        return AlertDraft(alert: alert, destination: destination, fields: fields, withoutConsent: fields.map(\.field).filter { !consented.contains($0) })
    }

    /// Writes an alert through `write` only when her consent covers every field it holds, then
    /// logs the export in the case's audit trail (destination and field codes, never values).
    public func exportAlert(_ caseId: [UInt8], _ draft: AlertDraft, write: (String) throws -> Void) throws {
        guard draft.withoutConsent.isEmpty else { throw ProtectionError.noConsent(draft.destination, draft.withoutConsent) }
        try write(draft.render())
        try database.audit(actor: actor, caseId: caseId, action: "alert_exported",
                           detail: "alert \(draft.alert.map(\.description) ?? "—") to \(draft.destination.rawValue): \(draft.fields.map(\.field.rawValue).joined(separator: ","))")
    }
}
