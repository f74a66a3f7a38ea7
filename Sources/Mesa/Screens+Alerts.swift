import Casework
import DurableFiles
import Foundation
import Formats
import Hummingbird
import Keys

/// Her consent for an alert, and the alert composer (issue 31's consented alerts): the same
/// `recordConsent`, `draftAlert` and `exportAlert` the CLI calls, so an alert holds only the
/// fields she agreed to give to that destination in that alert.
extension Screens {
    func registerAlerts(on router: Router<BasicRequestContext>) {
        router.post("/caso/:id/consentimiento") { request, context in try await guarded { try await recordConsent(request, try caseId(context)) } }
        router.post("/caso/:id/consentimiento-revocar") { request, context in try await guarded { try await revokeConsent(request, try caseId(context)) } }
        router.post("/caso/:id/alerta") { request, context in try await guarded { try await composeAlert(request, try caseId(context)) } }
    }

    func destinationLabel(_ d: AlertDestination, _ language: Language) -> String { language == .en ? d.english : d.spanish }

    /// The staff's texts an alert takes beyond the report.
    static let staffTextFields: [AlertField] = [.whatHappened, .previousIncidents, .actionsTaken, .demand]

    func consentSection(_ id: [UInt8], _ consents: [(id: ProtectionItemId, consent: AlertConsent)], _ p: Page) throws -> String {
        let base = "/caso/\(Encoding.hex(id))", today = CalendarDay.today()
        var body = "<h2>\(h(p.T("Consents for alerts")))</h2>"
        if consents.isEmpty { body += "<p>\(h(p.T("None recorded.")))</p>" } else {
            body += "<table><thead><tr><th scope=\"col\">\(h(p.T("Alert")))</th><th scope=\"col\">\(h(p.T("Destination")))</th><th scope=\"col\">\(h(p.T("Fields")))</th>"
                + "<th scope=\"col\">\(h(p.T("Given by")))</th><th scope=\"col\">\(h(p.T("State")))</th></tr></thead><tbody>"
            for (item, c) in consents {
                let inForce = c.isInForce(on: today)
                let state = inForce ? h(p.T("in force")) + " " + p.form("\(base)/consentimiento-revocar", button: p.T("Revoke"), fields: ["item": item.description], style: "inline danger")
                    : h(p.T("revoked {day}", ["day": c.revokedOn.map(\.description) ?? "—"]))
                body += "<tr><td>\(h(c.alert?.description ?? "—"))</td><td>\(h(destinationLabel(c.destination, p.language)))</td>"
                    + "<td>\(h(c.fields.map { p.language == .es ? $0.labels.es : $0.labels.en }.joined(separator: ", ")))</td>"
                    + "<td>\(h(c.givenBy))\(c.channel.isEmpty ? "" : ", " + h(c.channel)) (\(h(c.givenOn.description)))</td><td>\(state)</td></tr>"
            }
            body += "</tbody></table>"
        }
        let alerts = Array(Set(consents.compactMap(\.consent.alert?.description))).sorted()
        let destinations = AlertDestination.allCases.map { ($0.rawValue, destinationLabel($0, p.language)) }
        var fields = p.field("alerta-consentimiento", p.T("Alert"), p.select("alerta", [("", p.T("A new alert"))] + alerts.map { ($0, $0) }, selected: nil, id: "alerta-consentimiento"))
        fields += p.field("destino-consentimiento", p.T("Destination"), p.select("destino", destinations, selected: nil, id: "destino-consentimiento"))
        fields += "<fieldset><legend>\(h(p.T("The fields she agreed to give")))</legend>" + AlertField.allCases.map { f in
            "<div><label><input type=\"checkbox\" name=\"campos\" value=\"\(f.rawValue)\"> \(h(p.language == .es ? f.labels.es : f.labels.en))</label></div>"
        }.joined() + "</fieldset>"
        fields += p.field("dada-por", p.T("Given by (she, or whom she authorised)"), "<input type=\"text\" id=\"dada-por\" name=\"dada-por\" required>")
        fields += p.field("canal", p.T("How (in person, by phone, in writing)"), "<input type=\"text\" id=\"canal\" name=\"canal\">")
        fields += p.field("fecha-consentimiento", p.T("Given on"), "<input type=\"date\" id=\"fecha-consentimiento\" name=\"fecha\">")
        body += p.form("\(base)/consentimiento", button: p.T("Record her consent"), content: "<fieldset><legend>\(h(p.T("Her consent, for one alert and one destination")))</legend>\(fields)</fieldset>", style: "secondary")

        // The composer: only an alert she consented to can be drafted.
        body += "<h2>\(h(p.T("Alert")))</h2>"
        if alerts.isEmpty {
            body += "<p>\(h(p.T("Record her consent first: an alert holds only what she agreed to give.")))</p>"
        } else {
            var compose = p.field("alerta-redactar", p.T("Alert"), p.select("alerta", alerts.map { ($0, $0) }, selected: alerts.last, id: "alerta-redactar"))
            compose += p.field("destino-redactar", p.T("Destination"), p.select("destino", destinations, selected: nil, id: "destino-redactar"))
            for f in Self.staffTextFields {
                compose += p.field("texto-\(f.rawValue)", p.language == .es ? f.labels.es : f.labels.en, "<textarea id=\"texto-\(f.rawValue)\" name=\"\(f.rawValue)\"></textarea>")
            }
            body += p.form("\(base)/alerta", button: p.T("Preview the alert"), fields: ["accion": "vista"], content: compose)
        }
        return body
    }

    func recordConsent(_ request: Request, _ id: [UInt8]) async throws -> Response {
        let form = try await body(request), language = await desk.language, back = "/caso/\(Encoding.hex(id))/proteccion"
        let alert: AlertId
        do {
            guard let destination = form["destino"].flatMap(AlertDestination.init(rawValue:)) else { throw MesaError.badRequest(L("Choose the destination.", in: language)) }
            let fields = try form.all("campos").map { code throws -> AlertField in
                guard let field = AlertField(rawValue: code) else { throw MesaError.badRequest(L("Unknown field `{field}`.", ["field": code], in: language)) }
                return field
            }
            let chosen = (form["alerta"] ?? "").trimmingCharacters(in: .whitespaces)
            alert = chosen.isEmpty ? try Workspace.newAlertId() : try AlertId(hex: chosen)
            _ = try workspace.recordConsent(id, try AlertConsent(alert: alert, destination: destination, fields: fields, givenBy: form["dada-por"] ?? "",
                                                                 givenOn: try day(form["fecha"], language) ?? .today(), channel: form["canal"] ?? ""))
        } catch let error as MesaError { return await done(error.text(language), error: true, then: back) } catch { return await done("\(error)", error: true, then: back) }
        return await done(L("Consent recorded for alert {alert}.", ["alert": alert.description], in: language), then: back)
    }

    func revokeConsent(_ request: Request, _ id: [UInt8]) async throws -> Response {
        let form = try await body(request), language = await desk.language, back = "/caso/\(Encoding.hex(id))/proteccion"
        let keys = try await desk.unlocked()
        do { try workspace.revokeConsent(id, item: form["item"] ?? "", on: .today(), keys: keys) } catch { return await done(error.description, error: true, then: back) }
        return await done(L("Consent revoked from today.", in: language), then: back)
    }

    /// `accion=vista` shows every field the document would hold, each marked consented or not,
    /// and the document; `accion=escribir` writes it to the USB stick, only when all are
    /// consented. The texts travel in the form (POST), never in a URL the browser keeps.
    func composeAlert(_ request: Request, _ id: [UInt8]) async throws -> Response {
        let form = try await body(request), p = await page(), back = "/caso/\(Encoding.hex(id))/proteccion"
        let keys = try await desk.unlocked()
        let draft: AlertDraft, alert: AlertId, destination: AlertDestination
        var texts = AlertTexts()
        for f in Self.staffTextFields { if let v = form[f.rawValue], !v.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { texts.values[f] = v } }
        // Fields the staff chose to leave out: an empty text drops a field, as in `--texts`.
        let omitted = (form["omitir"] ?? "").split(separator: ",").compactMap { AlertField(rawValue: String($0)) }
        for f in omitted { texts.values[f] = "" }
        do {
            guard let d = form["destino"].flatMap(AlertDestination.init(rawValue:)) else { throw MesaError.badRequest(L("Choose the destination.", in: p.language)) }
            destination = d
            alert = try AlertId(hex: form["alerta"] ?? "")
            draft = try workspace.draftAlert(id, alert: alert, to: destination, texts: texts, keys: keys, today: .today())
        } catch let error as MesaError { return await done(error.text(p.language), error: true, then: back) } catch { return await done("\(error)", error: true, then: back) }

        if form["accion"] == "escribir" {
            let path = freshPath(in: try outputFolder(), "alerta-\(destination.rawValue)-\(Encoding.hex(id).prefix(12))-\(alert)", extension: "txt")
            do { try workspace.exportAlert(id, draft) { text in try DurableFile.createExclusive(path, bytes: Array(text.utf8)) } } catch {
                return await done("\(error)", error: true, then: back)
            }
            return await done(L("Alert written to {path} ({count} fields; logged in the case's audit trail).", ["path": path, "count": "\(draft.fields.count)"], in: p.language), then: back)
        }

        var body = "<p><a href=\"\(back)\">\(h(p.T("Back to the protection case")))</a></p>"
        body += "<table><thead><tr><th scope=\"col\">\(h(p.T("Field")))</th><th scope=\"col\">\(h(p.T("Her consent")))</th><th scope=\"col\">\(h(p.T("Value")))</th></tr></thead><tbody>"
        for f in draft.fields {
            let consented = !draft.withoutConsent.contains(f.field)
            body += "<tr\(consented ? "" : " class=\"refused\"")><td>\(h(p.language == .es ? f.field.labels.es : f.field.labels.en))\(f.confidential ? " (" + h(p.T("confidential")) + ")" : "")</td>"
                + "<td>\(h(consented ? p.T("consented") : p.T("NO CONSENT")))</td><td>\(h(f.value))</td></tr>"
        }
        body += "</tbody></table>"
        var hidden = ["alerta": alert.description, "destino": destination.rawValue]
        for (f, v) in texts.values where !v.isEmpty { hidden[f.rawValue] = v }
        if draft.withoutConsent.isEmpty {
            hidden["accion"] = "escribir"
            hidden["omitir"] = omitted.map(\.rawValue).joined(separator: ",")
            body += "<h2>\(h(p.T("The document")))</h2><pre class=\"relato\">\(h(draft.render()))</pre>"
            body += p.form("\(base(id))/alerta", button: p.T("Write the alert to the USB stick"), fields: hidden)
        } else {
            body += "<p class=\"warning\" role=\"alert\">\(h(p.T("She has not consented to give these fields to this destination in this alert: {fields}. Nothing can be written until she does, or they are left out.", ["fields": draft.withoutConsent.map { p.language == .es ? $0.labels.es : $0.labels.en }.joined(separator: ", ")])))</p>"
            hidden["accion"] = "vista"
            hidden["omitir"] = (omitted + draft.withoutConsent).map(\.rawValue).joined(separator: ",")
            body += p.form("\(base(id))/alerta", button: p.T("Leave those fields out"), fields: hidden, style: "secondary")
        }
        return html(p.render(title: p.T("Alert {alert} to {destination}", ["alert": alert.description, "destination": destinationLabel(destination, p.language)]), section: .inbox, body: body, notice: await desk.takeNotice()))
    }

    func base(_ id: [UInt8]) -> String { "/caso/\(Encoding.hex(id))" }
}
