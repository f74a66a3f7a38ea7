import Casework
import Foundation
import Formats
import Hummingbird
import Keys

extension Screens {
    func registerProtection(on router: Router<BasicRequestContext>) {
        router.get("/caso/:id/proteccion") { _, context in try await guarded { try await protectionPage(try caseId(context)) } }
        router.post("/caso/:id/riesgo") { request, context in try await guarded { try await assess(request, try caseId(context)) } }
        router.post("/caso/:id/tarea") { request, context in try await guarded { try await addTask(request, try caseId(context)) } }
        router.post("/caso/:id/tarea-hecha") { request, context in try await guarded { try await completeTask(request, try caseId(context)) } }
        router.post("/caso/:id/cierre") { request, context in try await guarded { try await close(request, try caseId(context)) } }
        router.post("/caso/:id/apoyo") { request, context in try await guarded { try await addSupport(request, try caseId(context)) } }
        router.post("/caso/:id/apoyo-estado") { request, context in try await guarded { try await updateSupport(request, try caseId(context)) } }
        router.post("/caso/:id/reubicacion") { request, context in try await guarded { try await setRelocation(request, try caseId(context)) } }
        registerAlerts(on: router)
    }

    /// The protection case (issue 31) on one page: the risk over time, the security plan and
    /// follow-ups, support requests, relocation with her family, consents, closure.
    func protectionPage(_ id: [UInt8]) async throws -> Response {
        let p = await page()
        let (summary, _, keys) = try await open(id)
        let base = "/caso/\(Encoding.hex(id))"
        func level(_ l: RiskLevel) -> String { p.language == .es ? l.spanish : l.rawValue }
        var body = "<p><a href=\"\(base)\">\(h(p.T("Back to the case")))</a></p>"
        do {
            body += "<h2>\(h(p.T("Risk assessments")))</h2>"
            let assessments = try workspace.riskAssessments(id, keys: keys)
            if assessments.isEmpty { body += "<p>\(h(p.T("Not assessed yet.")))</p>" }
            for a in assessments {
                body += "<h3>\(h(a.day.description)): \(h(level(a.overall))) — \(h(a.assessor))</h3><ul>"
                for f in a.factors { body += "<li>\(h(p.language == .es ? f.kind.spanish : f.kind.rawValue)): \(h(f.text)) (\(h(level(f.level))))</li>" }
                body += "</ul>"
                if !a.note.isEmpty { body += "<p>\(h(a.note))</p>" }
            }
            let levels = RiskLevel.allCases.map { ($0.rawValue, level($0)) }
            var fields = p.field("nivel", p.T("Overall risk"), p.select("nivel", levels, selected: "high"))
            fields += p.field("evaluadora", p.T("Assessed by"), "<input type=\"text\" id=\"evaluadora\" name=\"evaluadora\" required>")
            for (kind, label) in [("amenazas", p.T("Threats")), ("vulnerabilidades", p.T("Vulnerabilities")), ("capacidades", p.T("Capacities"))] {
                fields += p.field(kind, label, "<textarea id=\"\(kind)\" name=\"\(kind)\"></textarea>", hint: p.T("One per line: text | level (low, medium, high, extreme)"))
            }
            body += p.form("\(base)/riesgo", button: p.T("Record the assessment"), content: "<fieldset><legend>\(h(p.T("New assessment")))</legend>\(fields)</fieldset>")

            for (list, title) in [("plan", p.T("Security plan")), ("seguimiento", p.T("Follow-ups"))] {
                body += "<h2>\(h(title))</h2><table><thead><tr><th scope=\"col\">\(h(p.T("Measure")))</th><th scope=\"col\">\(h(p.T("Who")))</th><th scope=\"col\">\(h(p.T("Due")))</th><th scope=\"col\">\(h(p.T("Done")))</th></tr></thead><tbody>"
                let tasks = list == "plan" ? try workspace.securityPlan(id, keys: keys) : try workspace.followUpTasks(id, keys: keys)
                for (item, task) in tasks {
                    let doneCell = task.done.map { h($0.description) } ?? p.form("\(base)/tarea-hecha", button: p.T("Mark done"), fields: ["lista": list, "item": item.description], style: "inline secondary")
                    body += "<tr><td>\(h(task.text))</td><td>\(h(task.owner))</td><td>\(h(task.due?.description ?? "—"))</td><td>\(doneCell)</td></tr>"
                }
                body += "</tbody></table>"
                let add = p.field("texto-\(list)", p.T("What"), "<input type=\"text\" id=\"texto-\(list)\" name=\"texto\" required>")
                    + p.field("quien-\(list)", p.T("Who"), "<input type=\"text\" id=\"quien-\(list)\" name=\"quien\" required>")
                    + p.field("fecha-\(list)", p.T("Due"), "<input type=\"date\" id=\"fecha-\(list)\" name=\"fecha\">")
                body += p.form("\(base)/tarea", button: p.T("Add"), fields: ["lista": list], content: add, style: "secondary")
            }

            body += supportSection(id, try workspace.supportRequests(id, keys: keys), p)
            body += relocationSection(id, try workspace.relocation(id, keys: keys), try workspace.relocationUpdates(id, keys: keys), p)

            body += try consentSection(id, try workspace.consents(id, keys: keys), p)

            body += "<h2>\(h(p.T("Closure")))</h2>"
            if let closed = try workspace.closure(id, keys: keys) {
                body += "<p>\(h(p.T("Closed on {day}: {outcome}", ["day": "\(closed.day)", "outcome": p.language == .es ? closed.outcome.spanish : closed.outcome.english])))</p>"
            } else {
                let outcomes = CaseOutcome.allCases.map { ($0.rawValue, p.language == .es ? $0.spanish : $0.english) }
                body += p.form("\(base)/cierre", button: p.T("Close the case"), content: p.field("resultado", p.T("Outcome"), p.select("resultado", outcomes, selected: nil)), style: "danger")
            }
        } catch { throw MesaError.badRequest("\(error)") }
        return html(p.render(title: p.T("Protection case {id}", ["id": summary.shortId]), section: .inbox, body: body, notice: await desk.takeNotice()))
    }

    func assess(_ request: Request, _ id: [UInt8]) async throws -> Response {
        let form = try await body(request), language = await desk.language, back = "/caso/\(Encoding.hex(id))/proteccion"
        do {
            var factors: [RiskFactor] = []
            for (name, kind) in [("amenazas", RiskFactor.Kind.threat), ("vulnerabilidades", .vulnerability), ("capacidades", .capacity)] {
                for line in (form[name] ?? "").split(whereSeparator: \.isNewline) where !line.trimmingCharacters(in: .whitespaces).isEmpty {
                    let parts = line.split(separator: "|", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                    guard parts.count == 2, let level = RiskLevel(text: parts[1]) else {
                        return await done(L("Each line is: text | level (low, medium, high, extreme): `{line}`", ["line": String(line)], in: language), error: true, then: back)
                    }
                    factors.append(RiskFactor(kind: kind, text: parts[0], level: level))
                }
            }
            guard let overall = form["nivel"].flatMap(RiskLevel.init(rawValue:)) else { throw MesaError.badRequest(L("Choose the overall risk.", in: language)) }
            try workspace.assessRisk(id, try RiskAssessment(factors: factors, overall: overall, assessor: form["evaluadora"] ?? "", day: .today()))
        } catch let error as MesaError { throw error } catch { return await done("\(error)", error: true, then: back) }
        return await done(L("Assessment recorded.", in: language), then: back)
    }

    func addTask(_ request: Request, _ id: [UInt8]) async throws -> Response {
        let form = try await body(request), language = await desk.language, back = "/caso/\(Encoding.hex(id))/proteccion"
        do {
            let task = try CaseTask(text: form["texto"] ?? "", owner: form["quien"] ?? "", due: try day(form["fecha"], language))
            if form["lista"] == "plan" { try workspace.addMeasure(id, task, today: .today()) } else { try workspace.addFollowUp(id, task, today: .today()) }
        } catch let error as MesaError { return await done(error.text(language), error: true, then: back) } catch { return await done("\(error)", error: true, then: back) }
        return await done(L("Added.", in: language), then: back)
    }

    func completeTask(_ request: Request, _ id: [UInt8]) async throws -> Response {
        let form = try await body(request), language = await desk.language, back = "/caso/\(Encoding.hex(id))/proteccion"
        let keys = try await desk.unlocked()
        do {
            if form["lista"] == "plan" { _ = try workspace.completeMeasure(id, item: form["item"] ?? "", on: .today(), keys: keys) }
            else { _ = try workspace.completeFollowUp(id, item: form["item"] ?? "", on: .today(), keys: keys) }
        } catch { return await done(error.description, error: true, then: back) }
        return await done(L("Marked done.", in: language), then: back)
    }

    func close(_ request: Request, _ id: [UInt8]) async throws -> Response {
        let form = try await body(request), language = await desk.language, back = "/caso/\(Encoding.hex(id))/proteccion"
        guard let outcome = form["resultado"].flatMap(CaseOutcome.init(rawValue:)) else { return await done(L("Choose the outcome.", in: language), error: true, then: back) }
        do { try workspace.closeCase(id, outcome: outcome, on: .today()) } catch { return await done(error.description, error: true, then: back) }
        return await done(L("Case closed.", in: language), then: back)
    }

    // MARK: - Support requests

    func supportSection(_ id: [UInt8], _ support: [(id: ProtectionItemId, request: SupportRequest)], _ p: Page) -> String {
        let base = "/caso/\(Encoding.hex(id))"
        let statuses = SupportStatus.allCases.map { ($0.rawValue, p.language == .es ? $0.spanish : $0.rawValue) }
        var body = "<h2>\(h(p.T("Support requests")))</h2>"
        if support.isEmpty { body += "<p>\(h(p.T("None.")))</p>" } else {
            body += "<table><thead><tr><th scope=\"col\">\(h(p.T("Category")))</th><th scope=\"col\">\(h(p.T("Funder")))</th><th scope=\"col\">\(h(p.T("Amount")))</th>"
                + "<th scope=\"col\">\(h(p.T("Status")))</th><th scope=\"col\">\(h(p.T("Requested")))</th><th scope=\"col\">\(h(p.T("Change")))</th></tr></thead><tbody>"
            for (item, r) in support {
                let key = "apoyo-\(item)"
                let change = p.field("\(key)-estado", p.T("New status"), p.select("estado", statuses, selected: r.status.rawValue, id: "\(key)-estado"))
                    + p.field("\(key)-monto", p.T("Amount, if it changed"), "<input type=\"text\" id=\"\(key)-monto\" name=\"monto\" inputmode=\"decimal\" size=\"10\">")
                    + p.field("\(key)-moneda", p.T("Currency"), "<input type=\"text\" id=\"\(key)-moneda\" name=\"moneda\" size=\"4\" maxlength=\"3\">")
                body += "<tr><td>\(h(p.language == .es ? r.category.labels.es : r.category.labels.en))</td><td>\(h(r.funder))</td><td>\(h(r.amount?.description ?? "—"))</td>"
                    + "<td>\(h(p.language == .es ? r.status.spanish : r.status.rawValue))\(r.decided.map { " (\(h($0.description)))" } ?? "")</td><td>\(h(r.requested.description))</td>"
                    + "<td>" + p.form("\(base)/apoyo-estado", button: p.T("Record the change"), fields: ["item": item.description], content: change, style: "secondary") + "</td></tr>"
            }
            body += "</tbody></table>"
        }
        let categories = SupportCategory.allCases.map { ($0.rawValue, p.language == .es ? $0.labels.es : $0.labels.en) }
        let add = p.field("categoria", p.T("Category (ProtectDefenders.eu)"), p.select("categoria", categories, selected: nil))
            + p.field("financiador", p.T("Funder"), "<input type=\"text\" id=\"financiador\" name=\"financiador\" required>", hint: p.T("\"propio\" for the network's own funds."))
            + p.field("monto", p.T("Amount"), "<input type=\"text\" id=\"monto\" name=\"monto\" inputmode=\"decimal\" size=\"10\">", hint: p.T("Digits, at most two decimals; leave empty if not known."))
            + p.field("moneda", p.T("Currency"), "<input type=\"text\" id=\"moneda\" name=\"moneda\" size=\"4\" maxlength=\"3\">", hint: p.T("ISO 4217: USD, EUR, MXN, GTQ, HNL."))
            + p.field("fecha-apoyo", p.T("Requested on"), "<input type=\"date\" id=\"fecha-apoyo\" name=\"fecha\">")
        body += p.form("\(base)/apoyo", button: p.T("Record the request"), content: "<fieldset><legend>\(h(p.T("New support request")))</legend>\(add)</fieldset>", style: "secondary")
        return body
    }

    /// A day from a form: nil when left empty; a clear refusal when it is not a date.
    func day(_ text: String?, _ language: Language) throws -> CalendarDay? {
        guard let text = text?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
        guard let day = CalendarDay(text) else { throw MesaError.badRequest(L("`{day}` is not a date (YYYY-MM-DD).", ["day": text], in: language)) }
        return day
    }

    /// An amount and its currency, both or neither.
    func money(_ form: FormBody, _ language: Language) throws -> Money? {
        let amount = (form["monto"] ?? "").trimmingCharacters(in: .whitespaces), currency = (form["moneda"] ?? "").trimmingCharacters(in: .whitespaces)
        if amount.isEmpty && currency.isEmpty { return nil }
        guard !amount.isEmpty && !currency.isEmpty else { throw MesaError.badRequest(L("The amount and its currency go together.", in: language)) }
        return try Money(amount: amount, currency: currency)
    }

    func addSupport(_ request: Request, _ id: [UInt8]) async throws -> Response {
        let form = try await body(request), language = await desk.language, back = "/caso/\(Encoding.hex(id))/proteccion"
        do {
            guard let category = form["categoria"].flatMap(SupportCategory.init(rawValue:)) else { throw MesaError.badRequest(L("Choose the category.", in: language)) }
            let request = try SupportRequest(category: category, funder: form["financiador"] ?? "", amount: try money(form, language), requested: try day(form["fecha"], language) ?? .today())
            _ = try workspace.requestSupport(id, request)
        } catch let error as MesaError { return await done(error.text(language), error: true, then: back) } catch { return await done("\(error)", error: true, then: back) }
        return await done(L("Support request recorded.", in: language), then: back)
    }

    func updateSupport(_ request: Request, _ id: [UInt8]) async throws -> Response {
        let form = try await body(request), language = await desk.language, back = "/caso/\(Encoding.hex(id))/proteccion"
        let keys = try await desk.unlocked()
        do {
            guard let status = form["estado"].flatMap(SupportStatus.init(rawValue:)) else { throw MesaError.badRequest(L("Choose the status.", in: language)) }
            _ = try workspace.updateSupport(id, item: form["item"] ?? "", status: status, amount: try money(form, language), on: .today(), keys: keys)
        } catch let error as MesaError { return await done(error.text(language), error: true, then: back) } catch { return await done("\(error)", error: true, then: back) }
        return await done(L("Support request updated.", in: language), then: back)
    }

    // MARK: - Relocation

    func relocationSection(_ id: [UInt8], _ plan: Relocation?, _ updates: [(coordinator: String, update: RelocationUpdate)], _ p: Page) -> String {
        let base = "/caso/\(Encoding.hex(id))"
        var body = "<h2>\(h(p.T("Relocation")))</h2>"
        if let plan {
            body += p.list([(p.T("Host"), plan.host), (p.T("Destination"), "\(plan.destinationPlace), \(plan.destinationCountry)"), (p.T("Travel plan"), plan.travelPlan),
                            (p.T("Start"), plan.start?.description ?? "—"), (p.T("Planned return"), plan.plannedReturn?.description ?? "—"),
                            (p.T("Return plan"), plan.returnPlan), (p.T("Stage"), p.language == .es ? plan.stage.spanish : plan.stage.rawValue)])
            body += "<h3>\(h(p.T("With her: {count}", ["count": "\(plan.companions.count)"])))</h3><ul>"
                + plan.companions.map { "<li>\(h($0.relation.rawValue)), \(h($0.ageBand))\($0.name.isEmpty ? "" : ": " + h($0.name))</li>" }.joined() + "</ul>"
        } else {
            body += "<p>\(h(p.T("No relocation.")))</p>"
        }
        if !updates.isEmpty {
            body += "<h3>\(h(p.T("Coordinator updates")))</h3><ul>"
            for (coordinator, u) in updates {
                body += "<li>\(h(p.T("Update {sequence} from {coordinator} ({day}): stage {stage}", ["sequence": "\(u.sequence)", "coordinator": coordinator, "day": "\(u.issued)", "stage": u.stage])))"
                if !u.needs.isEmpty { body += "; \(h(p.T("needs:"))) \(h(u.needs.map { SupportCategory(rawValue: $0).map { p.language == .es ? $0.labels.es : $0.labels.en } ?? $0 }.joined(separator: ", ")))" }
                if !u.note.isEmpty { body += "<pre class=\"relato\">\(h(u.note))</pre>" }
                body += "</li>"
            }
            body += "</ul>"
        }
        // The plan's form, filled with the current version: saving records a new version.
        let stages = Relocation.Stage.allCases.map { ($0.rawValue, p.language == .es ? $0.spanish : $0.rawValue) }
        func text(_ id: String, _ label: String, _ value: String, required: Bool = false, hint: String? = nil) -> String {
            p.field(id, label, "<input type=\"text\" id=\"\(id)\" name=\"\(id)\" value=\"\(h(value))\"\(required ? " required" : "")>", hint: hint)
        }
        let companions = plan?.companions.map { "\($0.relation.rawValue) | \($0.ageBand)\($0.name.isEmpty ? "" : " | " + $0.name)" }.joined(separator: "\n") ?? ""
        var fields = text("anfitriona", p.T("Host organisation or shelter"), plan?.host ?? "", required: true)
        fields += text("pais", p.T("Destination country (ISO 3166-1)"), plan?.destinationCountry ?? "", required: true, hint: p.T("Two letters: MX, GT, HN, SV, CR…"))
        fields += text("lugar", p.T("Place there"), plan?.destinationPlace ?? "")
        fields += p.field("viaje", p.T("Travel plan (visa, transport)"), "<textarea id=\"viaje\" name=\"viaje\">\(h(plan?.travelPlan ?? ""))</textarea>")
        fields += p.field("inicio", p.T("Start"), "<input type=\"date\" id=\"inicio\" name=\"inicio\" value=\"\(h(plan?.start?.description ?? ""))\">")
        fields += p.field("regreso", p.T("Planned return"), "<input type=\"date\" id=\"regreso\" name=\"regreso\" value=\"\(h(plan?.plannedReturn?.description ?? ""))\">")
        fields += p.field("plan-regreso", p.T("Return plan"), "<textarea id=\"plan-regreso\" name=\"plan-regreso\">\(h(plan?.returnPlan ?? ""))</textarea>")
        fields += p.field("etapa", p.T("Stage"), p.select("etapa", stages, selected: plan?.stage.rawValue ?? Relocation.Stage.intake.rawValue))
        fields += p.field("acompanantes", p.T("Who moves with her"), "<textarea id=\"acompanantes\" name=\"acompanantes\">\(h(companions))</textarea>",
                          hint: p.T("One per line: relation | age band | name. Relations: {relations}. Age bands: {bands}. Names stay in the sealed case.",
                                    ["relations": Companion.Relation.allCases.map(\.rawValue).joined(separator: ", "), "bands": Companion.ageBands.joined(separator: ", ")]))
        body += p.form("\(base)/reubicacion", button: plan == nil ? p.T("Record the relocation plan") : p.T("Record this version of the plan"),
                       content: "<fieldset><legend>\(h(p.T("Relocation plan")))</legend>\(fields)</fieldset>", style: "secondary")
        return body
    }

    func setRelocation(_ request: Request, _ id: [UInt8]) async throws -> Response {
        let form = try await body(request), language = await desk.language, back = "/caso/\(Encoding.hex(id))/proteccion"
        do {
            var companions: [Companion] = []
            for line in (form["acompanantes"] ?? "").split(whereSeparator: \.isNewline) where !line.trimmingCharacters(in: .whitespaces).isEmpty {
                let parts = line.split(separator: "|", maxSplits: 2).map { $0.trimmingCharacters(in: .whitespaces) }
                guard parts.count >= 2, let relation = Companion.Relation(rawValue: parts[0]) else {
                    throw MesaError.badRequest(L("Each line is: relation | age band | name (relations: {relations}): `{line}`",
                                                 ["relations": Companion.Relation.allCases.map(\.rawValue).joined(separator: ", "), "line": String(line)], in: language))
                }
                companions.append(try Companion(relation: relation, ageBand: parts[1], name: parts.count > 2 ? parts[2] : ""))
            }
            guard let stage = form["etapa"].flatMap(Relocation.Stage.init(rawValue:)) else { throw MesaError.badRequest(L("Choose the stage.", in: language)) }
            let plan = try Relocation(companions: companions, host: form["anfitriona"] ?? "", destinationCountry: (form["pais"] ?? "").trimmingCharacters(in: .whitespaces),
                                      destinationPlace: form["lugar"] ?? "", travelPlan: form["viaje"] ?? "", start: try day(form["inicio"], language),
                                      plannedReturn: try day(form["regreso"], language), returnPlan: form["plan-regreso"] ?? "", stage: stage)
            _ = try workspace.setRelocation(id, plan, today: .today())
        } catch let error as MesaError { return await done(error.text(language), error: true, then: back) } catch { return await done("\(error)", error: true, then: back) }
        return await done(L("Relocation plan recorded.", in: language), then: back)
    }
}
