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

            body += "<h2>\(h(p.T("Support requests")))</h2>"
            let support = try workspace.supportRequests(id, keys: keys)
            if support.isEmpty { body += "<p>\(h(p.T("None.")))</p>" }
            for (_, r) in support {
                body += "<p>\(h(p.language == .es ? r.category.labels.es : r.category.labels.en)) — \(h(r.funder)) — \(h(r.amount?.description ?? "—")) — \(h(p.language == .es ? r.status.spanish : r.status.rawValue)) (\(h(r.requested.description)))</p>"
            }

            body += "<h2>\(h(p.T("Relocation")))</h2>"
            if let plan = try workspace.relocation(id, keys: keys) {
                body += p.list([(p.T("Host"), plan.host), (p.T("Destination"), "\(plan.destinationPlace), \(plan.destinationCountry)"), (p.T("Travel plan"), plan.travelPlan),
                                (p.T("Start"), plan.start?.description ?? "—"), (p.T("Planned return"), plan.plannedReturn?.description ?? "—"),
                                (p.T("Return plan"), plan.returnPlan), (p.T("Stage"), p.language == .es ? plan.stage.spanish : plan.stage.rawValue)])
                body += "<ul>" + plan.companions.map { "<li>\(h($0.relation.rawValue)), \(h($0.ageBand))\($0.name.isEmpty ? "" : ": " + h($0.name))</li>" }.joined() + "</ul>"
                for (coordinator, update) in try workspace.relocationUpdates(id, keys: keys) {
                    body += "<p>\(h(p.T("Update from {coordinator}", ["coordinator": coordinator]))): \(h(update.stage))</p>"
                }
            } else {
                body += "<p>\(h(p.T("No relocation.")))</p>"
            }

            body += "<h2>\(h(p.T("Consents for alerts")))</h2>"
            let consents = try workspace.consents(id, keys: keys)
            if consents.isEmpty { body += "<p>\(h(p.T("None recorded.")))</p>" }
            for (_, c) in consents {
                let state = c.isInForce(on: .today()) ? p.T("in force") : p.T("revoked")
                body += "<p>\(h(p.T("alert"))) \(h(c.alert?.description ?? "—")) · \(h(c.destination.spanish)) · \(h(state)) · \(h(c.givenBy)) (\(h(c.givenOn.description))): \(h(c.fields.map(\.rawValue).joined(separator: ", ")))</p>"
            }

            body += "<h2>\(h(p.T("Closure")))</h2>"
            if let closed = try workspace.closure(id, keys: keys) {
                body += "<p>\(h(p.T("Closed on {day}: {outcome}", ["day": "\(closed.day)", "outcome": p.language == .es ? closed.outcome.spanish : closed.outcome.english])))</p>"
            } else {
                let outcomes = CaseOutcome.allCases.map { ($0.rawValue, p.language == .es ? $0.spanish : $0.english) }
                body += p.form("\(base)/cierre", button: p.T("Close the case"), content: p.field("resultado", p.T("Outcome"), p.select("resultado", outcomes, selected: nil)), style: "danger")
            }
        } catch { throw MesaError.badRequest(error.description) }
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
            let due = try form["fecha"].flatMap { $0.isEmpty ? nil : $0 }.map { (text: String) throws -> CalendarDay in
                guard let day = CalendarDay(text) else { throw MesaError.badRequest(L("`{day}` is not a date (YYYY-MM-DD).", ["day": text], in: language)) }
                return day
            }
            let task = try CaseTask(text: form["texto"] ?? "", owner: form["quien"] ?? "", due: due)
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
}
