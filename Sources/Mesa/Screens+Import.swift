import Casework
import Deidentify
import DurableFiles
import Foundation
import Formats
import HTTPTypes
import Hummingbird
import NIOCore
import Registration
import Registry

extension Screens {
    func registerImport(on router: Router<BasicRequestContext>) {
        router.get("/importar") { _, _ in try await guarded { try await importPage() } }
        router.post("/importar") { request, _ in try await guarded { try await startImport(request) } }
        router.post("/respuestas") { _, _ in try await guarded { try await exportReplies() } }
        router.post("/actualizacion") { request, _ in try await guarded { try await importUpdate(request) } }
        router.get("/cuarentena/:id") { _, context in try await guarded { try await quarantinePage(try quarantineId(context)) } }
        router.post("/cuarentena/:id/escribir") { _, context in try await guarded { try await writeQuarantined(try quarantineId(context)) } }
    }

    // MARK: - Import from the USB stick

    func importPage() async throws -> Response {
        let p = await page()
        var body = ""
        var refresh: Int?
        if let job = await desk.importJob {
            let s = job.snapshot
            body += "<section aria-live=\"polite\"><h2>\(h(p.T("Last import")))</h2><p>\(h((job.bundle as NSString).lastPathComponent))</p>"
            if !s.finished {
                refresh = 1
                body += "<p>\(h(p.T("Opening envelopes: {done} of {total}…", ["done": "\(s.done)", "total": s.total > 0 ? "\(s.total)" : "?"])))</p>"
                body += "<progress max=\"\(max(s.total, 1))\" value=\"\(s.done)\">\(s.done)</progress>"
            } else if let error = s.error {
                body += "<p class=\"warning\" role=\"alert\">\(h(p.T("Nothing was imported: {error}", ["error": error])))</p>"
            } else {
                if s.alreadyImported { body += "<p class=\"notice\">\(h(p.T("Already imported: nothing was changed; its acknowledgement was written again.")))</p>" }
                if let summary = s.summary {
                    var rows = [(p.T("Envelopes"), "\(summary.envelopes)"), (p.T("New cases"), "\(summary.newCases)"), (p.T("Duplicates (already here)"), "\(summary.duplicates)"),
                                (p.T("Quarantined"), "\(summary.quarantinedTotal)")]
                    for (reason, count) in summary.quarantined.sorted(by: { $0.key < $1.key }) { rows.append(("  " + p.T("quarantine: {reason}", ["reason": reason]), "\(count)")) }
                    if summary.followUps > 0 { rows.append((p.T("Follow-ups linked (same codename)"), "\(summary.followUps)")) }
                    if summary.casesWithUnknownFields > 0 { rows.append((p.T("Cases with fields this version does not know (kept)"), "\(summary.casesWithUnknownFields)")) }
                    body += p.list(rows)
                }
                if let ack = s.acknowledgement { body += "<p class=\"notice\">\(h(p.T("Acknowledgement written: {path}. Carry it back to the intake so it may purge.", ["path": ack])))</p>" }
            }
            body += "</section>"
        }
        body += "<h2>\(h(p.T("Bundles on the USB stick")))</h2>"
        let bundles = await desk.bundlesOnSticks()
        if bundles.isEmpty { body += "<p>\(h(p.T("No .rsgb file in {folders}.", ["folders": desk.usbFolders.isEmpty ? "—" : desk.usbFolders.joined(separator: ", ")])))</p>" }
        body += "<ul>" + bundles.map { b in "<li>\(h(b.name)) " + p.form("/importar", button: p.T("Import"), fields: ["ruta": b.path], style: "inline") + "</li>" }.joined() + "</ul>"
        body += p.form("/importar", button: p.T("Import this file"), content: p.field("ruta", p.T("Or the path of a bundle"), "<input type=\"text\" id=\"ruta\" name=\"ruta\">"), style: "secondary")

        body += "<h2>\(h(p.T("Quarantine")))</h2>"
        let quarantined = (try? workspace.listQuarantine()) ?? []
        body += "<p>\(h(p.T("{count} items set aside (envelopes that did not open, reports that did not validate); nothing is dropped.", ["count": "\(quarantined.count)"])))</p>"
        if !quarantined.isEmpty {
            body += "<table><thead><tr><th scope=\"col\">\(h(p.T("Item")))</th><th scope=\"col\">\(h(p.T("Received")))</th><th scope=\"col\">\(h(p.T("Reason")))</th></tr></thead><tbody>"
            for q in quarantined.prefix(200) { body += "<tr><td><a href=\"/cuarentena/\(Encoding.hex(q.id))\">\(Encoding.hex(q.id).prefix(12))</a></td><td>\(h(q.receivedDay))</td><td>\(h(q.reasonClass))</td></tr>" }
            body += "</tbody></table>"
        }

        body += "<h2>\(h(p.T("Coordinator updates on the USB stick")))</h2>"
        let updates = await desk.filesOnSticks(endingIn: ".rsgs")
        if updates.isEmpty { body += "<p>\(h(p.T("No .rsgs file.")))</p>" }
        body += "<ul>" + updates.map { u in "<li>\(h(u.name)) " + p.form("/actualizacion", button: p.T("Import the update"), fields: ["ruta": u.path], style: "inline secondary") + "</li>" }.joined() + "</ul>"

        body += "<h2>\(h(p.T("Replies to defenders")))</h2>"
        let pending = (try? workspace.pendingReplyCount()) ?? 0
        body += "<p>\(h(p.T("{count} replies waiting.", ["count": "\(pending)"])))</p>"
        if pending > 0 { body += p.form("/respuestas", button: p.T("Write the reply bundle to the USB stick")) }
        return html(p.render(title: p.T("Import"), section: .importing, body: body, notice: await desk.takeNotice(), refreshSeconds: refresh))
    }

    func startImport(_ request: Request) async throws -> Response {
        let form = try await body(request), language = await desk.language
        guard let path = form["ruta"]?.trimmingCharacters(in: .whitespaces), !path.isEmpty else { return await done(L("Give the bundle's path.", in: language), error: true, then: "/importar") }
        guard FileManager.default.isReadableFile(atPath: path) else { return await done(L("Cannot read {path}.", ["path": path], in: language), error: true, then: "/importar") }
        do { try await desk.startImport(bundle: path, acknowledgementFolder: nil) } catch { return await done(error.text(language), error: true, then: "/importar") }
        return Response.redirect(to: "/importar")
    }

    func exportReplies() async throws -> Response {
        let language = await desk.language, signer = try await desk.replySigner()
        let path = try outputFolder() + "/respuestas-\(CalendarDay.today()).rsgr"
        do {
            let n = try workspace.exportReplies(to: path, signer: signer, today: .today())
            return await done(L("Wrote {n} replies to {path}: carry it to the intake (resguardo-intake import-replies).", ["n": "\(n)", "path": path], in: language), then: "/importar")
        } catch { return await done(error.description, error: true, then: "/importar") }
    }

    /// A coordinator's signed status update (`referral import-update`): applied to the case it
    /// answers only when signed by a registered coordinator and newer than the last.
    func importUpdate(_ request: Request) async throws -> Response {
        let form = try await body(request), language = await desk.language, keys = try await desk.unlocked()
        guard let path = form["ruta"], !path.isEmpty else { return await done(L("Give the bundle's path.", in: language), error: true, then: "/importar") }
        let data: [UInt8]
        do { data = Array(try DurableFile.read(path, maxBytes: RelocationUpdateFile.maxByteCount)) } catch {
            return await done(L("Cannot read {path}.", ["path": path], in: language) + " " + error.description, error: true, then: "/importar")
        }
        do {
            let applied = try workspace.importRelocationUpdate(data, keys: keys, today: .today())
            return await done(L("Update {sequence} from {coordinator} applied (stage {stage}).", ["sequence": "\(applied.update.sequence)", "coordinator": applied.coordinator, "stage": applied.update.stage], in: language),
                              then: "/caso/\(Encoding.hex(applied.caseId))/proteccion")
        } catch {
            return await done(L("{path}: {error}; nothing changed.", ["path": (path as NSString).lastPathComponent, "error": "\(error)"], in: language), error: true, then: "/importar")
        }
    }

    // MARK: - Quarantine

    func quarantineId(_ context: BasicRequestContext) throws -> String {
        guard let text = context.parameters.get("id"), text.count == 32, Encoding.bytes(fromHex: text) != nil else { throw MesaError.notFound }
        return text
    }

    /// One quarantined item: its full reason and what was kept. A report that opened but did
    /// not validate is shown as text (escaped, like every report string); a raw envelope only by size.
    func quarantinePage(_ hex: String) async throws -> Response {
        let p = await page(), keys = try await desk.unlocked()
        let item: (summary: QuarantineSummary, reason: String, content: [UInt8])
        do { item = try workspace.openQuarantined(hex, keys: keys) } catch { throw MesaError.badRequest(error.description) }
        var body = "<p><a href=\"/importar\">\(h(p.T("Back to the import")))</a></p>"
        body += p.list([(p.T("Item"), hex), (p.T("Received"), item.summary.receivedDay), (p.T("Class"), item.summary.reasonClass),
                        (p.T("Reason"), item.reason), (p.T("Kept"), p.T("{count} bytes", ["count": "\(item.content.count)"]))])
        if item.content.first == UInt8(ascii: "{") {
            // Invalid UTF-8 shows as U+FFFD; a report past 64 KiB is shown in part (written out whole).
            let text = String(decoding: item.content.prefix(65_536), as: UTF8.self)
            body += "<h2>\(h(p.T("What was kept (the report as it arrived)")))</h2><pre class=\"relato\">\(h(text))</pre>"
        } else {
            body += "<p>\(h(p.T("What was kept is the envelope as it arrived (it did not open); it is not shown.")))</p>"
        }
        body += "<p class=\"warning\">\(h(p.T("Written out, it may hold a defender's report in the clear: keep it on this laptop or the stick, never online.")))</p>"
        body += p.form("/cuarentena/\(hex)/escribir", button: p.T("Write what was kept to the output folder"), style: "secondary")
        return html(p.render(title: p.T("Quarantine {id}", ["id": String(hex.prefix(12))]), section: .importing, body: body, notice: await desk.takeNotice()))
    }

    func writeQuarantined(_ hex: String) async throws -> Response {
        let language = await desk.language, keys = try await desk.unlocked(), back = "/cuarentena/\(hex)"
        // A second click writes a second file rather than failing on the first one's name.
        let path = freshPath(in: try outputFolder(), "cuarentena-\(hex.prefix(12))", extension: "bin")
        do {
            let item = try workspace.openQuarantined(hex, keys: keys)
            try DurableFile.createExclusive(path, bytes: item.content)
        } catch { return await done("\(error)", error: true, then: back) }
        return await done(L("Wrote {path} (mode 0600).", ["path": path], in: language), then: back)
    }
}
