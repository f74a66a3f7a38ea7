import Foundation
import GRDB
import Testing
import TestSupport
import TestHarness
import Formats
import Sodium
@testable import Casework
import Keys

/// Issue 31 (parts 1 and 2): risk assessed over time, the security plan and support requests,
/// sealed in the case store; the list sorted and filtered by the current risk.
@Suite("Protection case: risk, plan, support")
struct ProtectionTests {
    let t: TestWorkspace
    let caseIds: [[UInt8]]

    init() throws {
        let w = try TestWorkspace()
        let reports = ["Amenazas tras la audiencia agraria.", "Hostigamiento en la radio comunitaria.", "Vigilancia frente a la casa."].map {
            Array(#"{"version":1,"language":"es","country":"GT","aggression_types":["threat"],"description":"\#($0)"}"#.utf8)
        }
        _ = try w.unseal(envelopes: try reports.map { try w.seal($0) })
        t = w
        caseIds = try w.workspace.listCases().map(\.id)
    }

    func assessment(_ overall: RiskLevel, day: CalendarDay, threat: String = "Llamadas amenazantes de un número desconocido") throws -> RiskAssessment {
        try RiskAssessment(factors: [RiskFactor(kind: .threat, text: threat, level: overall),
                                     RiskFactor(kind: .vulnerability, text: "Vive sola a 2 km de la mina", level: .medium),
                                     RiskFactor(kind: .capacity, text: "Red comunitaria de alerta", level: .medium)],
                           overall: overall, assessor: "Ana Lucía", day: day)
    }

    @Test("two assessments: history kept oldest first, the current risk is the newer one's; the items are sealed (no threat text in the store file) and the audit entry holds counts only")
    func reassessment() throws {
        let ws = t.workspace, id = caseIds[0], today = CalendarDay.today()
        try ws.assessRisk(id, try assessment(.high, day: today.adding(days: -40)))
        try ws.assessRisk(id, try assessment(.medium, day: today.adding(days: -2), threat: "Un vehículo sin placas ronda la casa"))
        let history = try ws.riskAssessments(id, keys: t.secrets)
        #expect(history.map(\.overall) == [.high, .medium] && history[1].factors[0].text == "Un vehículo sin placas ronda la casa")
        let listed = try #require(try ws.listCases().first { $0.id == id })
        #expect(listed.risk == .medium && listed.daysSinceAssessment(on: today) == 2)
        // A late entry of an older assessment does not replace the current level.
        try ws.assessRisk(id, try assessment(.extreme, day: today.adding(days: -90)))
        #expect(try ws.listCases().first { $0.id == id }?.risk == .medium)
        let store = try Data(contentsOf: URL(fileURLWithPath: t.scratch.path("ws") + "/cases.sqlite"))
        #expect(store.range(of: Data("vehículo sin placas".utf8)) == nil && store.range(of: Data("Ana Lucía".utf8)) == nil)
        let audit = try ws.auditTrail(caseId: id).filter { $0.action == "risk_assessed" }
        #expect(audit.count == 3 && audit.allSatisfy { !$0.detail.contains("vehículo") && $0.detail.contains("1 threats, 1 vulnerabilities, 1 capacities") }, "\(audit)")
    }

    @Test("the list sorts by current risk and by days since the last assessment, and filters by a minimum level and by staleness")
    func listOrder() throws {
        let ws = t.workspace, today = CalendarDay.today()
        try ws.assessRisk(caseIds[0], try assessment(.medium, day: today.adding(days: -10)))
        try ws.assessRisk(caseIds[1], try assessment(.extreme, day: today.adding(days: -50)))
        var filter = CaseFilter()
        filter.order = .risk
        #expect(try ws.listCases(filter).map(\.id) == [caseIds[1], caseIds[0], caseIds[2]])
        filter.order = .assessed
        #expect(try ws.listCases(filter).map(\.id) == [caseIds[2], caseIds[1], caseIds[0]])
        filter.minimumRisk = .high
        #expect(try ws.listCases(filter).map(\.id) == [caseIds[1]])
        filter.minimumRisk = nil
        filter.assessedBefore = today.adding(days: -30)
        #expect(Set(try ws.listCases(filter).map(\.id)) == [caseIds[1], caseIds[2]])
    }

    @Test("security plan: measures with owner and due day, one marked done (a new version; the plan shows the latest), an unknown item refused")
    func plan() throws {
        let ws = t.workspace, id = caseIds[0], today = CalendarDay.today()
        let first = try ws.addMeasure(id, try CaseTask(text: "Cambiar la ruta al trabajo", owner: "ella", due: today.adding(days: 7)), today: today)
        try ws.addMeasure(id, try CaseTask(text: "Denuncia ante el Ministerio Público", owner: "equipo jurídico", due: nil), today: today)
        try ws.completeMeasure(id, item: first.description, on: today, keys: t.secrets)
        let plan = try ws.securityPlan(id, keys: t.secrets)
        #expect(plan.count == 2 && plan[0].id == first && plan[0].measure.done == today && plan[1].measure.done == nil)
        #expect(throws: CaseError.self) { try ws.completeMeasure(id, item: "ffff", on: today, keys: t.secrets) }
        #expect(throws: ProtectionError.self) { try CaseTask(text: " ", owner: "x", due: nil) }
    }

    @Test("support requests by the eleven categories, with exact amounts and status changes; bad amounts and currencies refused")
    func support() throws {
        let ws = t.workspace, id = caseIds[0], today = CalendarDay.today()
        #expect(SupportCategory.allCases.count == 11)
        let legal = try ws.requestSupport(id, try SupportRequest(category: .legal, funder: "ProtectDefenders.eu", amount: try Money(amount: "1500", currency: "usd"), requested: today))
        try ws.requestSupport(id, try SupportRequest(category: .medicalPsychosocial, funder: "propio", amount: try Money(amount: "820,5", currency: "GTQ"), requested: today))
        try ws.updateSupport(id, item: legal.description, status: .disbursed, amount: try Money(amount: "1200.75", currency: "USD"), on: today, keys: t.secrets)
        let requests = try ws.supportRequests(id, keys: t.secrets)
        #expect(requests.map(\.request.status) == [.disbursed, .requested])
        #expect(requests[0].request.amount == Money(minorUnits: 120_075, currency: "USD") && requests[1].request.amount?.description == "820.50 GTQ")
        for (amount, currency) in [("12.345", "USD"), ("-5", "USD"), ("+5", "USD"), ("5.+1", "USD"), ("٣", "USD"), (".5", "USD"), ("1e3", "USD"), ("10", "US"), ("10", "U$D")] {
            #expect(throws: ProtectionError.self, "\(amount) \(currency)") { try Money(amount: amount, currency: currency) }
        }
    }

    @Test("relocation with two family members: companions' names only inside the sealed case, stages moved, the planned return due; follow-ups and reassessments due by level; closing takes the case out of cases due")
    func relocationDueAndClosure() throws {
        let ws = t.workspace, id = caseIds[0], today = CalendarDay.today()
        try ws.assessRisk(id, try assessment(.extreme, day: today.adding(days: -20)))
        try ws.assessRisk(caseIds[1], try assessment(.low, day: today.adding(days: -10)))
        let relocation = try Relocation(companions: [try Companion(relation: .child, ageBand: "under_18", name: "Lucía"), try Companion(relation: .parent, ageBand: "60_69", name: "Doña Rosa")],
                                        host: "Casa refugio de la red", destinationCountry: "CR", destinationPlace: "San José", travelPlan: "visa humanitaria; por tierra",
                                        start: today.adding(days: -5), plannedReturn: today.adding(days: 3), returnPlan: "retorno acompañado", stage: .intake)
        let first = try ws.setRelocation(id, relocation, today: today)
        var moved = try #require(try ws.relocation(id, keys: t.secrets))
        #expect(moved == relocation && moved.companions.map(\.name) == ["Lucía", "Doña Rosa"])
        moved.stage = .stay
        #expect(try ws.setRelocation(id, moved, today: today) == first)
        #expect(try ws.relocation(id, keys: t.secrets)?.stage == .stay)
        try ws.addFollowUp(id, try CaseTask(text: "Llamar a la casa refugio", owner: "Marta", due: today.adding(days: 1)), today: today)
        let later = try ws.addFollowUp(id, try CaseTask(text: "Visita", owner: "Marta", due: today.adding(days: 30)), today: today)
        let store = try Data(contentsOf: URL(fileURLWithPath: t.scratch.path("ws") + "/cases.sqlite"))
        #expect(store.range(of: Data("Doña Rosa".utf8)) == nil && store.range(of: Data("refugio".utf8)) == nil)

        // Extreme risk 20 days ago: the reassessment (14 days) is overdue; low risk 10 days ago is not due.
        let dueNow = try ws.dueItems(on: today, within: 0, keys: t.secrets)
        #expect(dueNow.map(\.kind) == [.reassessment] && dueNow[0].due == today.adding(days: -6) && dueNow[0].caseId == id, "\(dueNow)")
        let dueWeek = try ws.dueItems(on: today, within: 7, keys: t.secrets)
        #expect(dueWeek.map(\.kind) == [.reassessment, .followUp, .plannedReturn], "\(dueWeek.map(\.kind))")
        try ws.completeFollowUp(id, item: "\(later)", on: today, keys: t.secrets)
        #expect(try ws.dueItems(on: today, within: 60, keys: t.secrets).filter { $0.kind == .followUp }.count == 1)

        try ws.closeCase(id, outcome: .relocatedReturned, on: today)
        #expect(try ws.closure(id, keys: t.secrets)?.outcome == .relocatedReturned)
        #expect(try ws.dueItems(on: today, within: 365, keys: t.secrets).allSatisfy { $0.caseId != id })
        #expect(try ws.auditTrail(caseId: id).map(\.action).contains("case_closed"))
        #expect(throws: ProtectionError.self) { try Relocation(json: try JSONValue.parse(Array(#"{"host":"x","destination_country":"Costa Rica"}"#.utf8))) }
        #expect(throws: ProtectionError.self) { try Companion(relation: .child, ageBand: "7") }
    }

    @Test("alerts with consent: a field without consent is refused (nothing written), produced once consent is recorded, refused again after revocation; every export logged; the public alert in Spanish and English without her contact; the UN letter marks the contact confidential")
    func alertsWithConsent() throws {
        var report = Report(language: .es, country: "HN", description: "Relato de la defensora.")
        report.defender.name = "Berta Flores"
        report.defender.organisation = "Consejo Indígena del Río"
        report.defender.contact = "+504 9999-0000"
        report.locality = "La Esperanza"
        report.aggressionTypes = ["death_threat"]
        report.perpetrators = ["extractive_company"]
        report.consent = Report.Consent(registry: false, contact: true)
        _ = try t.unseal(envelopes: [try t.seal(report.jsonBytes())])
        let ws = t.workspace, today = CalendarDay.today()
        let id = try #require(try ws.listCases().first { !caseIds.contains($0.id) }).id
        let texts = AlertTexts(values: [.whatHappened: "Recibió amenazas de muerte tras denunciar la represa.", .demand: "protección inmediata y una investigación independiente"])

        let alert = try Workspace.newAlertId(), nextAlert = try Workspace.newAlertId()
        let first = try ws.draftAlert(id, alert: nil, to: .unSpecialRapporteur, texts: texts, keys: t.secrets, today: today)
        #expect(first.fields.map(\.field).contains(.contact) && first.fields.first { $0.field == .contact }?.confidential == true)
        #expect(first.withoutConsent == first.fields.map(\.field))
        var written: [String] = []
        #expect(throws: ProtectionError.noConsent(.unSpecialRapporteur, first.withoutConsent)) { try ws.exportAlert(id, first) { written.append($0) } }
        // Consent for some fields only: still refused, naming the rest.
        try ws.recordConsent(id, try AlertConsent(alert: alert, destination: .unSpecialRapporteur, fields: [.defenderName, .country, .whatHappened], givenBy: "ella", givenOn: today, channel: "en persona"))
        let partial = try ws.draftAlert(id, alert: alert, to: .unSpecialRapporteur, texts: texts, keys: t.secrets, today: today)
        #expect(!partial.withoutConsent.isEmpty && !partial.withoutConsent.contains(.defenderName))
        // Consent to the public alert does not cover the UN letter.
        try ws.recordConsent(id, try AlertConsent(alert: alert, destination: .publicAlert, fields: AlertField.allCases, givenBy: "ella", givenOn: today, channel: "en persona"))
        #expect(try ws.draftAlert(id, alert: alert, to: .unSpecialRapporteur, texts: texts, keys: t.secrets, today: today).withoutConsent == partial.withoutConsent)
        let all = try ws.recordConsent(id, try AlertConsent(alert: alert, destination: .unSpecialRapporteur, fields: AlertField.allCases, givenBy: "ella", givenOn: today, channel: "por escrito"))
        let ready = try ws.draftAlert(id, alert: alert, to: .unSpecialRapporteur, texts: texts, keys: t.secrets, today: today)
        #expect(ready.withoutConsent.isEmpty)
        try ws.exportAlert(id, ready) { written.append($0) }
        #expect(written.count == 1 && written[0].contains("Berta Flores") && written[0].contains("[CONFIDENCIAL / CONFIDENTIAL]") && written[0].contains("9999-0000"))
        let publicAlert = try ws.draftAlert(id, alert: alert, to: .publicAlert, texts: texts, keys: t.secrets, today: today)
        #expect(!publicAlert.fields.map(\.field).contains(.contact))
        try ws.exportAlert(id, publicAlert) { written.append($0) }
        #expect(written[1].contains("ALERTA — Honduras") && written[1].contains("ALERT — Honduras") && written[1].contains("Exigimos a las autoridades") && !written[1].contains("9999"), "\(written[1])")
        let exports = try ws.auditTrail(caseId: id).filter { $0.action == "alert_exported" }
        #expect(exports.count == 2 && exports.allSatisfy { !$0.detail.contains("Berta") } && exports[0].detail.hasPrefix("alert \(alert) to un_sr_hrd: defender_name"))
        // Revoked (and the partial one covers too little): refused again.
        try ws.revokeConsent(id, item: "\(all)", on: today, keys: t.secrets)
        #expect(!(try ws.draftAlert(id, alert: alert, to: .unSpecialRapporteur, texts: texts, keys: t.secrets, today: today).withoutConsent.isEmpty))
        #expect(try ws.consents(id, keys: t.secrets).count == 3)
        // Consent is per alert: what she agreed to for this urgent action does not cover the next.
        #expect(throws: CaseError.self) { try ws.draftAlert(id, alert: nextAlert, to: .publicAlert, texts: texts, keys: t.secrets, today: today) }
        try ws.recordConsent(id, try AlertConsent(alert: nextAlert, destination: .publicAlert, fields: [.country], givenBy: "ella", givenOn: today, channel: "por teléfono"))
        let next = try ws.draftAlert(id, alert: nextAlert, to: .publicAlert, texts: texts, keys: t.secrets, today: today)
        #expect(next.withoutConsent.contains(.whatHappened) && !next.withoutConsent.contains(.country))
        #expect(try ws.draftAlert(id, alert: alert, to: .publicAlert, texts: texts, keys: t.secrets, today: today).withoutConsent.isEmpty)
        #expect(throws: ProtectionError.self) { try AlertId(hex: "12345") }
    }

    @Test("an assessment file is read strictly: unknown members, a level outside the four, no threat or no assessor are refused by name")
    func strictFile() throws {
        func read(_ text: String) -> String {
            do { _ = try RiskAssessment(json: try JSONValue.parse(Array(text.utf8)), today: .today()); return "" } catch { return "\(error)" }
        }
        #expect(read(#"{"threats":[{"text":"a","level":"alto"}],"overall":"alto","assessor":"Ana"}"#) == "")
        #expect(read(#"{"threats":[{"text":"a","level":"alto"}],"overall":"alto","assessor":"Ana","riesgo":1}"#).contains("riesgo"))
        #expect(read(#"{"threats":[{"text":"a","level":"altísimo"}],"overall":"alto","assessor":"Ana"}"#).contains("altísimo"))
        #expect(read(#"{"threats":[],"overall":"alto","assessor":"Ana"}"#).contains("threat"))
        #expect(read(#"{"threats":[{"text":"a","level":"alto"}],"overall":"alto"}"#).contains("assessor"))
    }

    @Test("migration v8 keeps every existing case: a store at v7 with cases opens with them all, unassessed")
    func migrationKeepsCases() throws {
        let path = t.scratch.path("ws") + "/cases.sqlite"
        let before = try t.workspace.listCases().map(\.id)
        // Take the store back to v7 as an older version left it, then open it again.
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in
            try db.execute(sql: #"DROP TABLE protection_item; ALTER TABLE "case" DROP COLUMN risk_level; ALTER TABLE "case" DROP COLUMN risk_day; ALTER TABLE "case" DROP COLUMN closed_day; ALTER TABLE coordinator DROP COLUMN signing_key; DROP TABLE referral; DELETE FROM grdb_migrations WHERE identifier = 'v8: protection case'"#)
        }
        try queue.close()
        let reopened = try Workspace(path: t.scratch.path("ws"))
        let after = try reopened.listCases()
        #expect(after.map(\.id) == before && after.allSatisfy { $0.risk == nil })
        try reopened.assessRisk(before[0], try assessment(.low, day: .today()))
        #expect(try reopened.listCases().first?.risk != nil)
    }
}
