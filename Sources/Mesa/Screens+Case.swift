import Casework
import Deidentify
import DurableFiles
import Foundation
import Formats
import Hummingbird
import Keys
import Registration
import Registry
import Sodium

extension Screens {
    func registerCase(on router: Router<BasicRequestContext>) {
        router.get("/caso/:id") { _, context in try await guarded { try await casePage(try caseId(context)) } }
        router.post("/caso/:id/estado") { request, context in try await guarded { try await changeState(request, try caseId(context)) } }
        router.post("/caso/:id/retirar") { request, context in try await guarded { try await withdraw(request, try caseId(context)) } }
        router.post("/caso/:id/corregir") { request, context in try await guarded { try await correct(request, try caseId(context)) } }
        router.post("/caso/:id/fusion") { request, context in try await guarded { try await merge(request, try caseId(context)) } }
        router.post("/caso/:id/nota") { request, context in try await guarded { try await addNote(request, try caseId(context)) } }
        router.post("/caso/:id/respuesta") { request, context in try await guarded { try await reply(request, try caseId(context)) } }
        router.post("/caso/:id/derivacion") { request, context in try await guarded { try await refer(request, try caseId(context)) } }
        router.post("/caso/:id/adjunto") { request, context in try await guarded { try await attachment(request, try caseId(context)) } }
        router.get("/caso/:id/registro") { request, context in try await guarded { try await deidentifyPage(request, try caseId(context)) } }
        router.post("/caso/:id/registrar") { request, context in try await guarded { try await registerCase(request, try caseId(context)) } }
        registerProtection(on: router)
    }

    /// The case a path names (its full id, as the inbox links it).
    func caseId(_ context: BasicRequestContext) throws -> [UInt8] {
        guard let text = context.parameters.get("id"), text.count == 32, let id = Encoding.bytes(fromHex: text) else { throw MesaError.notFound }
        return id
    }

    func open(_ id: [UInt8]) async throws -> (summary: CaseSummary, report: Report, keys: UnlockedKeys) {
        let keys = try await desk.unlocked()
        do {
            let opened = try workspace.openCase(id, keys: keys)
            return (opened.summary, opened.report, keys)
        } catch { throw MesaError.badRequest(error.description) }
    }

    /// Where la mesa writes what leaves the laptop: the first USB folder, else the workspace's
    /// `salida` folder.
    func outputFolder() throws -> String {
        if let usb = desk.usbFolders.first { return usb }
        let folder = workspace.path + "/salida"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        return folder
    }

    // MARK: - The case page

    func casePage(_ id: [UInt8]) async throws -> Response {
        let p = await page()
        let (summary, report, keys) = try await open(id)
        let hex = Encoding.hex(id), base = "/caso/\(hex)"
        var body = "<p>"
        if summary.urgent { body += "<span class=\"badge urgent\">\(h(p.T("urgent")))</span> " }
        body += "<span class=\"badge\">\(h(p.T(summary.state.rawValue)))</span> "
        if let risk = summary.risk { body += "<span class=\"badge risk-\(risk.rawValue)\">\(h(p.T("risk")))\u{a0}\(h(p.language == .es ? risk.spanish : risk.rawValue))</span>" }
        body += "</p><p><a href=\"\(base)/registro\">\(h(p.T("De-identify for the registry")))</a> · <a href=\"\(base)/proteccion\">\(h(p.T("Protection case")))</a></p>"
        if summary.sealedByIntake == true { body += "<p class=\"warning\">\(h(CaseView.intakeSawIt(p.language)))</p>" }

        body += "<h2>\(h(p.T("Report")))</h2>"
        body += p.list(CaseView.fields(summary, report, p.language).map { ($0.label, $0.value) })
        body += "<h3>\(h(p.T("Description")))</h3><pre class=\"relato\">\(h(report.description))</pre>"
        if !report.attachments.isEmpty {
            body += "<h3>\(h(p.T("Attachments")))</h3><p class=\"warning\">\(h(p.T("An attachment can carry the sender's device, author or GPS position. It is written to the output folder with its metadata removed by mat2, never opened here; check the result before sharing it.")))</p><ul>"
            for (i, a) in report.attachments.enumerated() {
                let confirm = "<label><input type=\"checkbox\" name=\"entiendo\" value=\"1\" required> \(h(p.T("I read the warning")))</label> "
                body += "<li>\(h(a.filename)) (\(h(a.mediaType)), \(a.data.count) B) " + p.form("\(base)/adjunto", button: p.T("Write it, metadata removed"), fields: ["n": "\(i + 1)"], content: confirm, style: "inline secondary") + "</li>"
            }
            body += "</ul>"
        }
        body += followUpSection(id, summary, keys, p)

        // Vetting: the same transitions as `cases vet`, a note required.
        body += "<h2>\(h(p.T("Vetting")))</h2>"
        let note = p.field("nota-estado", p.T("Why (sealed in the audit trail)"), "<textarea id=\"nota-estado\" name=\"nota\" required></textarea>")
        if summary.state.canMove(to: .vetted) {
            body += p.form("\(base)/estado", button: p.T("Accept (vetted)"), fields: ["estado": "vetted"], content: note)
        }
        if summary.state.canMove(to: .rejected) {
            body += p.form("\(base)/estado", button: p.T("Reject"), fields: ["estado": "rejected"], content: note.replacingOccurrences(of: "nota-estado", with: "nota-rechazo"), style: "danger")
        }
        body += "<h2>\(h(p.T("Note")))</h2>" + p.form("\(base)/nota", button: p.T("Add the note"), content: p.field("nota", p.T("Note (sealed: it can name people)"), "<textarea id=\"nota\" name=\"nota\" required></textarea>"))

        body += registrySection(id, p)

        // Reply to her codename, when she left one.
        body += "<h2>\(h(p.T("Reply to her codename")))</h2>"
        if report.replyPublicKey != nil {
            body += p.form("\(base)/respuesta", button: p.T("Queue the reply"), content: p.field("respuesta", p.T("Message (sealed to her codename key; she reads it with her codename)"), "<textarea id=\"respuesta\" name=\"mensaje\" required></textarea>",
                                                                                                          hint: p.T("Queued replies leave with the next reply bundle (Import screen).")))
        } else {
            body += "<p>\(h(p.T("She left no codename: no reply is possible.")))</p>"
        }

        // Referral to a relocation coordinator.
        body += "<h2>\(h(p.T("Referral to a coordinator")))</h2>"
        let coordinators = ((try? workspace.coordinators()) ?? []).filter { $0.removed == nil }
        if summary.state != .vetted && summary.state != .registered {
            body += "<p>\(h(p.T("Only a vetted case can be referred.")))</p>"
        } else if !report.consent.contact {
            body += "<p>\(h(p.T("She did not consent to contact: no referral.")))</p>"
        } else if coordinators.isEmpty {
            body += "<p>\(h(p.T("No coordinator registered: resguardo coordinators add.")))</p>"
        } else {
            let known = (try? workspace.completeReferralAnswers(ReferralAnswers(values: [:]), caseId: id, keys: keys))?.values ?? [:]
            var fields = p.field("coordinadora", p.T("Coordinator"), p.select("coordinadora", coordinators.map { ($0.name, "\($0.name) (\($0.fingerprint))") }, selected: nil))
            for q in ReferralAnswers.questions {
                let label = p.language == .es ? q.es : q.en
                fields += p.field("r-\(q.key)", label, "<input type=\"text\" id=\"r-\(q.key)\" name=\"r-\(q.key)\" value=\"\(h(known[q.key] ?? ""))\">")
            }
            body += p.form("\(base)/derivacion", button: p.T("Seal and sign the referral"), content: "<fieldset><legend>\(h(p.T("What the coordinator receives (no name, contact or narrative)")))</legend>\(fields)</fieldset>")
        }

        body += "<h2>\(h(p.T("Audit trail")))</h2><table><thead><tr><th scope=\"col\">\(h(p.T("When")))</th><th scope=\"col\">\(h(p.T("Who")))</th><th scope=\"col\">\(h(p.T("What")))</th><th scope=\"col\">\(h(p.T("Detail")))</th></tr></thead><tbody>"
        for entry in (try? workspace.auditTrail(caseId: id, keys: keys)) ?? [] {
            body += "<tr><td>\(h(entry.at))</td><td>\(h(entry.actor))</td><td>\(h(entry.action))</td><td>\(h(entry.detail))</td></tr>"
        }
        body += "</tbody></table>"
        return html(p.render(title: p.T("Case {id}", ["id": summary.shortId]), section: .inbox, body: body, notice: await desk.takeNotice()))
    }

    /// The codename links: the case a follow-up follows, with the merge (or its undoing); the
    /// follow-ups of this case, the merged ones read here in full.
    func followUpSection(_ id: [UInt8], _ summary: CaseSummary, _ keys: UnlockedKeys, _ p: Page) -> String {
        guard let links = try? workspace.followUps(of: id), links.follows != nil || !links.followedBy.isEmpty else { return "" }
        let base = "/caso/\(Encoding.hex(id))"
        var body = "<h2>\(h(p.T("Follow-ups")))</h2>"
        if let follows = links.follows {
            body += "<p>\(h(p.T("Follow-up of case:"))) <a href=\"/caso/\(Encoding.hex(follows))\">\(Encoding.hex(follows).prefix(12))</a></p>"
            let note = { (fieldId: String) in p.field(fieldId, p.T("Why (sealed in the audit trail)"), "<textarea id=\"\(fieldId)\" name=\"nota\" required></textarea>") }
            if summary.state == .merged {
                body += "<p>\(h(p.T("Merged: it is read on that case's page and is not vetted or registered on its own.")))</p>"
                body += p.form("\(base)/fusion", button: p.T("Take it out of that case (new again)"), fields: ["deshacer": "1"], content: note("nota-fusion"), style: "secondary")
            } else if summary.state.canMerge {
                body += "<p>\(h(p.T("She sent it with the same codename. If it adds to the same attack, merge it: it is then read there and never registered on its own. If it tells of a new attack, vet it as its own case.")))</p>"
                body += p.form("\(base)/fusion", button: p.T("Merge into that case"), content: note("nota-fusion"))
            }
        }
        if !links.followedBy.isEmpty {
            let opened = (try? workspace.openCases(links.followedBy, keys: keys)) ?? []
            body += "<ul>" + opened.map { f in
                "<li><a href=\"/caso/\(Encoding.hex(f.summary.id))\">\(f.summary.shortId)</a> \(h(f.summary.receivedDay)) <span class=\"badge\">\(h(p.T(f.summary.state.rawValue)))</span></li>"
            }.joined() + "</ul>"
            for f in opened where f.summary.state == .merged {
                body += "<h3>\(h(p.T("Merged follow-up {id}, received {day}", ["id": f.summary.shortId, "day": f.summary.receivedDay])))</h3><pre class=\"relato\">\(h(f.report.description))</pre>"
            }
        }
        return body
    }

    /// A registered case's records: corrected as vetting goes on (`registry correct`), or
    /// withdrawn when she withdraws her consent (`registry withdraw`); the next registry bundle
    /// carries either to the regional office.
    func registrySection(_ id: [UInt8], _ p: Page) -> String {
        // The case → record map outlives a withdrawal: only the records still held are shown.
        guard let mapped = try? workspace.recordIds(forCase: id), !mapped.isEmpty,
              let records = try? Registration.openRegistry(of: workspace).held(mapped), !records.isEmpty else { return "" }
        let base = "/caso/\(Encoding.hex(id))"
        var body = "<h2>\(h(p.T("In the registry")))</h2>"
        for record in records {
            body += "<p>\(h(p.T("Record {id}", ["id": record])))</p>"
            let verification = [("", "—"), ("vetted", p.T("vetted")), ("confirmed", p.T("confirmed")), ("disputed", p.T("disputed"))]
            let collusion = [("", "—"), ("yes", p.T("yes")), ("no", p.T("no"))]
            let key = String(record.prefix(8))
            let correct = p.field("verificacion-\(key)", p.T("Verification"), p.select("verificacion", verification, selected: "", id: "verificacion-\(key)"))
                + p.field("colusion-\(key)", p.T("State collusion"), p.select("colusion", collusion, selected: "", id: "colusion-\(key)"))
            body += p.form("\(base)/corregir", button: p.T("Correct the record"), fields: ["registro": record], content: correct, style: "secondary")
            let reasons = [("consent", p.T("she withdrew her consent")), ("duplicate", p.T("a duplicate")), ("error", p.T("an error"))]
            body += p.form("\(base)/retirar", button: p.T("Withdraw the record"), fields: ["registro": record],
                           content: p.field("motivo-\(key)", p.T("Why"), p.select("motivo", reasons, selected: nil, id: "motivo-\(key)")), style: "danger")
        }
        return body
    }

    func withdraw(_ request: Request, _ id: [UInt8]) async throws -> Response {
        let form = try await body(request), language = await desk.language, back = "/caso/\(Encoding.hex(id))"
        let record = form["registro"] ?? ""
        guard (try? workspace.recordIds(forCase: id).contains(record)) == true else { return await done(L("That record is not this case's.", in: language), error: true, then: back) }
        guard let reason = form["motivo"], ["consent", "duplicate", "error"].contains(reason) else { return await done(L("Choose why.", in: language), error: true, then: back) }
        // Not held any more (withdrawn from another tab, say): nothing changed, and it is said.
        do {
            guard try Registration(withoutKeys: workspace).withdraw(record, reason: reason) else {
                return await done(L("no record {record_id} in the registry", ["record_id": record], in: language), error: true, then: back)
            }
        } catch { return await done("\(error)", error: true, then: back) }
        return await done(L("Record withdrawn; the next registry bundle withdraws it at the regional office.", in: language), then: back)
    }

    func correct(_ request: Request, _ id: [UInt8]) async throws -> Response {
        let form = try await body(request), language = await desk.language, back = "/caso/\(Encoding.hex(id))"
        let record = form["registro"] ?? ""
        guard (try? workspace.recordIds(forCase: id).contains(record)) == true else { return await done(L("That record is not this case's.", in: language), error: true, then: back) }
        let verification = form["verificacion"].flatMap { ["vetted", "confirmed", "disputed"].contains($0) ? $0 : nil }
        let collusion: Bool? = form["colusion"] == "yes" ? true : form["colusion"] == "no" ? false : nil
        guard verification != nil || collusion != nil else { return await done(L("Choose what to correct.", in: language), error: true, then: back) }
        do {
            guard try Registration(withoutKeys: workspace).correct(record, verification: verification, stateCollusion: collusion) else {
                return await done(L("no record {record_id} in the registry", ["record_id": record], in: language), error: true, then: back)
            }
        } catch { return await done("\(error)", error: true, then: back) }
        return await done(L("Record corrected; the next registry bundle carries it.", in: language), then: back)
    }

    func merge(_ request: Request, _ id: [UInt8]) async throws -> Response {
        let form = try await body(request), language = await desk.language, back = "/caso/\(Encoding.hex(id))"
        let undo = form["deshacer"] == "1"
        guard let note = form["nota"], !note.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { return await done(L("The note must say why.", in: language), error: true, then: back) }
        let into: [UInt8]
        do { into = try workspace.mergeFollowUp(id, undo: undo, note: note) } catch { return await done(error.description, error: true, then: back) }
        let short = String(Encoding.hex(into).prefix(12))
        if undo { return await done(L("Taken out of case {into}: it is a new case again.", ["into": short], in: language), then: back) }
        return await done(L("Merged into case {into}; it is read here.", ["into": short], in: language), then: "/caso/\(Encoding.hex(into))")
    }

    func changeState(_ request: Request, _ id: [UInt8]) async throws -> Response {
        let form = try await body(request), language = await desk.language, back = "/caso/\(Encoding.hex(id))"
        guard let next = form["estado"].flatMap(CaseState.init(rawValue:)), next == .vetted || next == .rejected else { throw MesaError.badRequest(L("Unknown state.", in: language)) }
        guard let note = form["nota"], !note.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { return await done(L("The note must say why.", in: language), error: true, then: back) }
        do { try workspace.transition(id, to: next, note: note) } catch { return await done(error.description, error: true, then: back) }
        return await done(next == .vetted ? L("Case vetted.", in: language) : L("Case rejected.", in: language), then: back)
    }

    func addNote(_ request: Request, _ id: [UInt8]) async throws -> Response {
        let form = try await body(request), language = await desk.language, back = "/caso/\(Encoding.hex(id))"
        do { try workspace.addNote(id, note: form["nota"] ?? "") } catch { return await done(error.description, error: true, then: back) }
        return await done(L("Note added.", in: language), then: back)
    }

    func reply(_ request: Request, _ id: [UInt8]) async throws -> Response {
        let form = try await body(request), language = await desk.language, back = "/caso/\(Encoding.hex(id))"
        let keys = try await desk.unlocked()
        guard let message = form["mensaje"], !message.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { return await done(L("The message is empty.", in: language), error: true, then: back) }
        do { _ = try workspace.queueReply(to: id, message: message, keys: keys, today: .today()) } catch { return await done(error.description, error: true, then: back) }
        let pending = (try? workspace.pendingReplyCount()) ?? 0
        return await done(L("Reply queued ({count} waiting for the next reply bundle).", ["count": "\(pending)"], in: language), then: back)
    }

    func refer(_ request: Request, _ id: [UInt8]) async throws -> Response {
        let form = try await body(request), language = await desk.language, back = "/caso/\(Encoding.hex(id))"
        let keys = try await desk.unlocked(), signer = try await desk.replySigner()
        var values: [String: String] = [:]
        // A field left empty is an answer ("none"), as on the terminal; an absent one is not.
        for q in ReferralAnswers.questions { if let v = form["r-\(q.key)"] { values[q.key] = v.trimmingCharacters(in: .whitespaces) } }
        let made: (bytes: [UInt8], record: ReferralRecord)
        do {
            made = try workspace.createReferral(caseId: id, to: form["coordinadora"] ?? "", answers: ReferralAnswers(values: values), keys: keys, signer: signer, today: .today(), validDays: 30)
        } catch { return await done(error.description, error: true, then: back) }
        let path = try outputFolder() + "/remision-\(Encoding.hex(id).prefix(12))-\(made.record.referralId.prefix(8)).rsgf"
        do { try DurableFile.createExclusive(path, bytes: made.bytes) } catch { return await done(error.description, error: true, then: back) }
        return await done(L("Referral sealed, signed and written to {path}; it expires {day}.", ["path": path, "day": "\(made.record.expires)"], in: language), then: back)
    }

    func attachment(_ request: Request, _ id: [UInt8]) async throws -> Response {
        let form = try await body(request), language = await desk.language, back = "/caso/\(Encoding.hex(id))"
        let keys = try await desk.unlocked()
        guard form["entiendo"] == "1" else { return await done(L("Read the warning first.", in: language), error: true, then: back) }
        guard let index = form["n"].flatMap(Int.init) else { throw MesaError.badRequest(L("Which attachment?", in: language)) }
        let written: (path: String, mediaType: String)
        let folder = try outputFolder()
        do { written = try workspace.writeAttachment(id, index: index, to: folder, keys: keys) } catch { return await done(error.description, error: true, then: back) }
        switch MetadataStripper.strip(written.path) {
        case .stripped: return await done(L("Wrote {path} (metadata removed with mat2).", ["path": written.path], in: language), then: back)
        case .notStripped(let why):
            return await done(L("Wrote {path}, but its METADATA WAS NOT REMOVED ({why}): do not share it as is.", ["path": written.path, "why": why], in: language), error: true, then: back)
        }
    }

    // MARK: - De-identification, side by side

    func chosenRedactions(_ values: [String]) -> Set<StaffRedaction> { Set(values.compactMap(StaffRedaction.init(rawValue:))) }

    func deidentifyPage(_ request: Request, _ id: [UInt8]) async throws -> Response {
        let p = await page()
        let (summary, report, keys) = try await open(id)
        let chosen = chosenRedactions(request.uri.queryParameters[values: "quitar"].map(String.init))
        let preview: Registration.Preview
        do {
            guard let first = try Registration(workspace: workspace, keys: keys).preview([id], edits: [id: chosen]).first else { throw MesaError.notFound }
            preview = first
        } catch let error as MesaError { throw error } catch { throw MesaError.badRequest("\(error)") }
        let base = "/caso/\(Encoding.hex(id))"
        var body = "<p><a href=\"\(base)\">\(h(p.T("Back to the case")))</a></p><div class=\"columns\">"
        body += "<section aria-labelledby=\"col-informe\"><h2 id=\"col-informe\">\(h(p.T("The report")))</h2>" + p.list(CaseView.fields(summary, report, p.language).map { ($0.label, $0.value) })
            + "<pre class=\"relato\">\(h(report.description))</pre></section>"
        body += "<section aria-labelledby=\"col-registro\"><h2 id=\"col-registro\">\(h(p.T("The registry record it becomes")))</h2>" + p.list(Self.recordRows(preview.record, p.language)) + "</section>"
        body += "<section aria-labelledby=\"col-cambios\"><h2 id=\"col-cambios\">\(h(p.T("Redaction log")))</h2><ul>"
        for r in preview.redactions { body += "<li><b>\(h(r.field))</b>: \(h(r.action.rawValue)) — \(h(r.reason))</li>" }
        body += "</ul>"
        body += preview.belowK ? "<p class=\"warning\" role=\"alert\">\(h(p.T("k-check: this record's group is still below k = {k} after every generalisation step.", ["k": "\(KAnonymity.k)"])))</p>"
            : "<p class=\"notice\">\(h(p.T("k-check: passed (its group has at least k = {k} defenders, or was generalised until it had).", ["k": "\(KAnonymity.k)"])))</p>"
        body += "</section></div>"
        // The edits: checkboxes for what the record holds; preview (GET) or load (POST).
        let boxes = StaffRedaction.allCases.filter { $0.applies(to: preview.record) || chosen.contains($0) }.map { edit in
            "<div><label><input type=\"checkbox\" name=\"quitar\" value=\"\(edit.rawValue)\"\(chosen.contains(edit) ? " checked" : "")> \(h(edit.label(p.language)))</label></div>"
        }.joined()
        let fieldset = "<fieldset><legend>\(h(p.T("Also remove or coarsen (your judgement: what would point at her)")))</legend>\(boxes.isEmpty ? h(p.T("Nothing more to remove.")) : boxes)</fieldset>"
        body += "<h2>\(h(p.T("Edit the redactions")))</h2><form method=\"get\" action=\"\(base)/registro\">\(fieldset)<button type=\"submit\" class=\"secondary\">\(h(p.T("Preview again")))</button></form>"
        if summary.state == .vetted && report.consent.registry {
            let hiddenChoice = chosen.sorted().map { "<input type=\"hidden\" name=\"quitar\" value=\"\($0.rawValue)\">" }.joined()
            body += p.form("\(base)/registrar", button: p.T("Load this record into the registry"), content: hiddenChoice)
        } else {
            body += "<p>\(h(summary.state == .registered ? p.T("Already in the registry.") : !report.consent.registry ? p.T("She did not consent to the registry: it cannot be loaded.") : p.T("Vet the case first: only vetted cases are loaded.")))</p>"
        }
        return html(p.render(title: p.T("De-identification of case {id}", ["id": summary.shortId]), section: .inbox, body: body, notice: await desk.takeNotice()))
    }

    func registerCase(_ request: Request, _ id: [UInt8]) async throws -> Response {
        let form = try await body(request), language = await desk.language, keys = try await desk.unlocked()
        let chosen = chosenRedactions(form.all("quitar"))
        do {
            let n = try Registration(workspace: workspace, keys: keys).register([id], edits: [id: chosen])
            return await done(L("Loaded {n} record into the registry ({edits} of your redactions).", ["n": "\(n)", "edits": "\(chosen.count)"], in: language), then: "/caso/\(Encoding.hex(id))")
        } catch {
            return await done("\(error)", error: true, then: "/caso/\(Encoding.hex(id))/registro")
        }
    }

    /// The record's fields as the registry keeps them (codes shown with their label).
    static func recordRows(_ r: RegistryRecord, _ language: Language) -> [(String, String)] {
        func terms(_ codes: [String], _ v: Vocabulary) -> String { codes.isEmpty ? "—" : codes.map { v.term($0)?.label(language) ?? $0 }.joined(separator: "; ") }
        let T = { (s: String) in L(s, in: language) }
        return [
            (T("Defender pseudonym"), String(r.defenderPid.prefix(12)) + "…"),
            (T("Organisation pseudonym"), r.organisationPid.map { String($0.prefix(12)) + "…" } ?? "—"),
            (T("Country"), Vocabulary.countries.term(r.country)?.label(language) ?? r.country),
            (T("Region"), r.region.map { Regions.name(of: $0) ?? $0 } ?? "—"),
            (T("Period"), r.period ?? "—"), (T("Date precision"), r.datePrecision),
            (T("Aggressions"), terms(r.aggressionTypes, .aggressionTypes)), (T("Perpetrators"), terms(r.perpetrators, .perpetrators)),
            (T("Rights defended"), terms(r.rightsDefended, .rightsDefended)),
            (T("Gender identity"), r.genderIdentity), (T("Age band"), r.ageBand ?? "—"), (T("Ethnicity or people"), r.ethnicity),
            (T("Setting"), r.setting ?? "—"), (T("People affected"), r.peopleAffected.map(String.init) ?? "—"),
        ]
    }
}
