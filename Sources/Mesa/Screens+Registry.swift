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

/// What a network's desk owes beyond one case: the protection cases' due list (`cases due`),
/// the registry's way to the regional office (`registry regional-key import`, `registry
/// publish`) and the published report written out (`registry report`).
extension Screens {
    func registerRegistry(on router: Router<BasicRequestContext>) {
        router.get("/pendientes") { request, _ in try await guarded { try await duePage(request) } }
        router.get("/registro-regional") { _, _ in try await guarded { try await regionalPage() } }
        router.post("/registro-regional/clave") { request, _ in try await guarded { try await importRegionalKey(request) } }
        router.post("/registro-regional/publicar") { request, _ in try await guarded { try await publish(request) } }
        router.post("/coordinadoras") { request, _ in try await guarded { try await addCoordinator(request) } }
        router.post("/coordinadoras/quitar") { request, _ in try await guarded { try await removeCoordinator(request) } }
        router.post("/boveda") { request, _ in try await guarded { try await trustVault(request) } }
    }

    // MARK: - Due

    func duePage(_ request: Request) async throws -> Response {
        let p = await page(), keys = try await desk.unlocked(), today = CalendarDay.today()
        let within = min(max(0, request.uri.queryParameters["dias"].flatMap { Int(String($0)) } ?? 7), 365)
        let due: [DueItem]
        do { due = try workspace.dueItems(on: today, within: within, keys: keys) } catch { throw MesaError.badRequest(error.description) }
        var body = "<form method=\"get\" action=\"/pendientes\" class=\"filters\">"
        body += p.field("dias", p.T("Also what falls due within (days)"), "<input type=\"text\" id=\"dias\" name=\"dias\" value=\"\(within)\" size=\"4\" inputmode=\"numeric\">")
        body += "<button type=\"submit\" class=\"secondary\">\(h(p.T("Show")))</button></form>"
        body += "<p>\(h(p.T("A reassessment falls due 14 days after an assessment at extreme risk, 30 at high, 90 at medium and 180 at low. Closed cases are left out.")))</p>"
        if due.isEmpty { body += "<p class=\"notice\">\(h(p.T("Nothing due.")))</p>" } else {
            body += "<table><caption>\(h(p.T("{count} items, earliest first", ["count": "\(due.count)"])))</caption><thead><tr><th scope=\"col\">\(h(p.T("Due")))</th>"
                + "<th scope=\"col\">\(h(p.T("Case")))</th><th scope=\"col\">\(h(p.T("What")))</th><th scope=\"col\">\(h(p.T("Detail")))</th></tr></thead><tbody>"
            for d in due {
                let kind: String
                switch d.kind {
                case .measure: kind = p.T("measure")
                case .followUp: kind = p.T("follow-up")
                case .reassessment: kind = p.T("reassessment")
                case .plannedReturn: kind = p.T("planned return")
                }
                let late = d.due < today ? " <span class=\"badge urgent\">\(h(p.T("overdue")))</span>" : ""
                let hex = Encoding.hex(d.caseId)
                body += "<tr><td>\(h(d.due.description))\(late)</td><td><a href=\"/caso/\(hex)/proteccion\">\(hex.prefix(12))</a></td><td>\(h(kind))</td><td>\(h(d.text))</td></tr>"
            }
            body += "</tbody></table>"
        }
        return html(p.render(title: p.T("What is due"), section: .due, body: body, notice: await desk.takeNotice()))
    }

    // MARK: - To the regional office

    func regionalPage() async throws -> Response {
        let p = await page()
        var body = ""
        let region = try? workspace.region()
        if let region {
            body += p.list([(p.T("This network, for the regional office"), region.network.description), (p.T("Regional office fingerprint"), region.fingerprint)])
        } else {
            body += "<p class=\"warning\">\(h(p.T("No regional key yet: import the key file the regional office made for this network, after comparing its fingerprint in person or by a trusted channel.")))</p>"
        }
        let keyFiles = await desk.filesOnSticks(endingIn: ".json").filter { $0.name.hasPrefix("clave-regional") }
        let choices = keyFiles.map { ($0.path, $0.name) }
        var fields = choices.isEmpty ? p.field("archivo", p.T("The regional key file (path)"), "<input type=\"text\" id=\"archivo\" name=\"archivo\" required>")
            : p.field("archivo", p.T("The regional key file"), p.select("archivo", choices, selected: nil))
        fields += p.field("huella", p.T("The regional office's signing-key fingerprint, as they read it out to you"), "<input type=\"text\" id=\"huella\" name=\"huella\" required autocomplete=\"off\">",
                          hint: p.T("32 hex digits, in 8 groups of 4."))
        body += p.form("/registro-regional/clave", button: region == nil ? p.T("Import the regional key") : p.T("Import a new regional key"), content: "<fieldset><legend>\(h(p.T("Regional key")))</legend>\(fields)</fieldset>", style: "secondary")

        body += "<h2>\(h(p.T("Publish to the regional office")))</h2>"
        body += "<p>\(h(p.T("The next registry bundle: the records, corrections and withdrawals since the last one, with regional pseudonyms, sealed to the regional office and signed with this network's signing key. It is written to the USB stick.")))</p>"
        var publish = p.field("frase-publicar", p.T("Passphrase again (the signing key is opened for this bundle only)"), "<input type=\"password\" id=\"frase-publicar\" name=\"frase\" autocomplete=\"off\" required>")
        publish += "<div class=\"field\"><label><input type=\"checkbox\" name=\"completo\" value=\"1\"> \(h(p.T("Every record, not only the changes (after a lost bundle or a new regional key)")))</label></div>"
        body += region == nil ? "<p>\(h(p.T("Import the regional key first.")))</p>" : p.form("/registro-regional/publicar", button: p.T("Write the next bundle to the USB stick"), content: publish)
        return html(p.render(title: p.T("Regional office"), section: .reports, body: body, notice: await desk.takeNotice()))
    }

    func importRegionalKey(_ request: Request) async throws -> Response {
        let form = try await body(request), language = await desk.language, keys = try await desk.unlocked(), back = "/registro-regional"
        guard let pin = SigningKeyFingerprint(text: form["huella"] ?? "") else { return await done(L("That is not a fingerprint (32 hex digits).", in: language), error: true, then: back) }
        let path = form["archivo"] ?? ""
        do {
            let file = try RegionalKeyFile(bytes: Array(try DurableFile.read(path, maxBytes: 64 * 1024)), pinned: pin)
            let backfilled = try Registration(workspace: workspace, keys: keys).importRegionalKey(file)
            return await done(L("Regional key stored: this network publishes as {network}; {count} records registered earlier got their regional pseudonyms.",
                                ["network": file.network.description, "count": "\(backfilled)"], in: language), then: back)
        } catch {
            return await done(L("{path}: {error}; nothing was stored.", ["path": (path as NSString).lastPathComponent, "error": "\(error)"], in: language), error: true, then: back)
        }
    }

    func publish(_ request: Request) async throws -> Response {
        let form = try await body(request), language = await desk.language, back = "/registro-regional"
        _ = try await desk.unlocked()
        guard let typed = form["frase"], !typed.isEmpty else { return await done(L("Type the passphrase.", in: language), error: true, then: back) }
        let full = form["completo"] == "1"
        let signer: SigningKey
        let secret = try SecureBytes(copying: Array(typed.utf8))
        do { signer = try workspace.keys.unlockManifestSigningKey(passphrase: secret) } catch {
            return await done(error.isWrongPassphrase ? L("Wrong passphrase: nothing was opened.", in: language) : error.description, error: true, then: back)
        }
        do {
            let folder = try outputFolder()
            var path = ""
            let next = try Registration(withoutKeys: workspace).publish(full: full, signingKey: signer) { bundle in
                path = folder + "/registro-\(bundle.network)-\(String(format: "%04d", bundle.sequence)).json"
                try DurableFile.createExclusive(path, bytes: bundle.bytes)
            }
            let p = next.pending
            return await done(L("Wrote bundle {sequence} to {path}: {additions} additions, {corrections} corrections, {withdrawals} withdrawals. Carry it to the regional office.",
                                ["sequence": "\(p.sequence)", "path": path, "additions": "\(p.additions.count)", "corrections": "\(p.corrections.count)", "withdrawals": "\(p.withdrawals.count)"], in: language), then: back)
        } catch {
            return await done("\(error)", error: true, then: back)
        }
    }

    // MARK: - Coordinators

    /// The registered coordinators, and a form to register one (`coordinators add`): her public
    /// keys from the stick, each checked against the fingerprint she read out.
    func coordinatorSection(_ p: Page) async -> String {
        var body = "<h2>\(h(p.T("Relocation coordinators")))</h2>"
        let known = (try? workspace.coordinators()) ?? []
        if known.isEmpty { body += "<p>\(h(p.T("None registered.")))</p>" } else {
            body += "<ul>" + known.map { c in
                let removed = c.removed.map { " — <strong>" + h(p.T("removed {day}: {why}", ["day": $0.day.description, "why": $0.reason.label(in: p.language)])) + "</strong>" } ?? ""
                return "<li>\(h(c.name)) — \(h(c.fingerprint)) (\(h(c.added)))\(removed)</li>"
            }.joined() + "</ul>"
        }
        // Removing one (`coordinators remove`): no new referral to her; why decides whether her updates still count.
        let active = known.filter { $0.removed == nil }
        if !active.isEmpty {
            var fields = p.field("quitar-coordinadora", p.T("Coordinator"), p.select("nombre", active.map { ($0.name, $0.name) }, selected: nil, id: "quitar-coordinadora"))
            fields += p.field("motivo-quitar", p.T("Why"), p.select("motivo", CoordinatorRemoval.Reason.allCases.map { ($0.rawValue, $0.label(in: p.language)) }, selected: nil, id: "motivo-quitar"),
                              hint: p.T("Her name stays in her referrals and the audit trail, and is not reused."))
            // It cannot be undone: one click on the wrong row must not do it.
            fields += "<div class=\"field\"><label><input type=\"checkbox\" id=\"confirmar-quitar\" name=\"confirmar\" value=\"si\" required> \(h(p.T("Yes, remove her: this cannot be undone")))</label></div>"
            body += p.form("/coordinadoras/quitar", button: p.T("Remove the coordinator"), content: "<fieldset><legend>\(h(p.T("Remove a coordinator")))</legend>\(fields)</fieldset>", style: "secondary")
        }
        let keys = await desk.filesOnSticks(endingIn: ".pub").map { ($0.path, $0.name) }
        func keyField(_ id: String, _ label: String, required: Bool) -> String {
            keys.isEmpty ? p.field(id, label, "<input type=\"text\" id=\"\(id)\" name=\"\(id)\"\(required ? " required" : "")>")
                : p.field(id, label, p.select(id, (required ? [] : [("", "—")]) + keys, selected: nil))
        }
        var fields = p.field("nombre-coordinadora", p.T("Name"), "<input type=\"text\" id=\"nombre-coordinadora\" name=\"nombre\" required>")
        fields += keyField("clave", p.T("Her coordinator.pub"), required: true)
        fields += p.field("huella-coordinadora", p.T("Its fingerprint, as she read it out to you"), "<input type=\"text\" id=\"huella-coordinadora\" name=\"huella\" required autocomplete=\"off\">")
        fields += keyField("clave-firma", p.T("Her coordinator-signing.pub (for her status updates)"), required: false)
        fields += p.field("huella-firma", p.T("Its fingerprint"), "<input type=\"text\" id=\"huella-firma\" name=\"huella-firma\" autocomplete=\"off\">")
        body += p.form("/coordinadoras", button: p.T("Register the coordinator"), content: "<fieldset><legend>\(h(p.T("New coordinator")))</legend>\(fields)</fieldset>", style: "secondary")
        return body
    }

    func addCoordinator(_ request: Request) async throws -> Response {
        let form = try await body(request), language = await desk.language, back = "/claves"
        guard let pinned = SigningKeyFingerprint(text: form["huella"] ?? "") else { return await done(L("That is not a fingerprint (32 hex digits).", in: language), error: true, then: back) }
        let name = (form["nombre"] ?? "").trimmingCharacters(in: .whitespaces)
        do {
            let key = try CoordinatorKeys.readPublicKey(form["clave"] ?? "")
            var signing: (key: VerifyingKey, fingerprint: SigningKeyFingerprint)?
            if let path = form["clave-firma"], !path.isEmpty {
                guard let print = SigningKeyFingerprint(text: form["huella-firma"] ?? "") else { return await done(L("That is not a fingerprint (32 hex digits).", in: language), error: true, then: back) }
                signing = (try CoordinatorKeys.readSigningPublicKey(path), print)
            }
            try workspace.addCoordinator(name: name, publicKey: key, fingerprint: pinned, signing: signing, today: .today())
        } catch {
            return await done("\(error)", error: true, then: back)
        }
        return await done(L("Coordinator {name} registered ({pinned}).", ["name": name, "pinned": pinned.description], in: language), then: back)
    }

    func removeCoordinator(_ request: Request) async throws -> Response {
        let form = try await body(request), language = await desk.language, back = "/claves"
        let name = form["nombre"] ?? ""
        guard let reason = CoordinatorRemoval.Reason(rawValue: form["motivo"] ?? "") else { return await done(L("Choose why she is removed.", in: language), error: true, then: back) }
        guard form["confirmar"] == "si" else { return await done(L("Nothing removed: tick the box that says it cannot be undone.", in: language), error: true, then: back) }
        do { try workspace.removeCoordinator(name: name, reason: reason, today: .today()) } catch {
            return await done(error.description, error: true, then: back)
        }
        return await done(L("Coordinator {name} removed: {why}", ["name": name, "why": reason.label(in: language)], in: language), then: back)
    }

    // MARK: - Vaults

    /// `vault trust`: an online vault's bundle-signing key from the stick, pinned when it
    /// matches the fingerprint `resguardo-intake vault init` printed on the server.
    func vaultSection(_ p: Page) async -> String {
        var body = "<h2>\(h(p.T("Trusted vaults")))</h2>"
        let trusted = ((try? workspace.trustedVaultKeys()) ?? []).compactMap { try? SigningKeyFingerprint(verifyingKey: $0).description }
        body += trusted.isEmpty ? "<p>\(h(p.T("None: no bundle can be imported yet.")))</p>" : "<ul>" + trusted.map { "<li>\(h($0))</li>" }.joined() + "</ul>"
        let keys = await desk.filesOnSticks(endingIn: ".pub").map { ($0.path, $0.name) }
        var fields = keys.isEmpty ? p.field("clave-boveda", p.T("The vault's signing.pub (path)"), "<input type=\"text\" id=\"clave-boveda\" name=\"clave\" required>")
            : p.field("clave-boveda", p.T("The vault's signing.pub"), p.select("clave", keys, selected: nil, id: "clave-boveda"))
        fields += p.field("huella-boveda", p.T("The fingerprint resguardo-intake vault init printed on the server"), "<input type=\"text\" id=\"huella-boveda\" name=\"huella\" required autocomplete=\"off\">")
        body += p.form("/boveda", button: p.T("Trust this vault"), content: "<fieldset><legend>\(h(p.T("New vault")))</legend>\(fields)</fieldset>", style: "secondary")
        return body
    }

    func trustVault(_ request: Request) async throws -> Response {
        let form = try await body(request), language = await desk.language, back = "/claves"
        guard let pinned = SigningKeyFingerprint(text: form["huella"] ?? "") else { return await done(L("That is not a fingerprint (32 hex digits).", in: language), error: true, then: back) }
        do {
            try workspace.trustVault(publicKey: try Workspace.readVaultKey(form["clave"] ?? ""), fingerprint: pinned, today: .today())
        } catch {
            return await done("\(error)", error: true, then: back)
        }
        return await done(L("Vault key {pinned} trusted: its bundles can be imported.", ["pinned": pinned.description], in: language), then: back)
    }
}
