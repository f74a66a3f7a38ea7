import Deidentify
import DurableFiles
import Foundation
import Formats
import HTTPTypes
import Hummingbird
import Keys
import NIOCore
import Registry
import Sodium

/// What the guard, the idle lock and the shared screens need of a desk: the network's desk
/// (`Desk`, a workspace) and the regional office's (`RegionDesk`) alike.
protocol DeskState: Actor {
    var isUnlocked: Bool { get }
    var language: Language { get }
    func touch()
    func lock()
    @discardableResult func lockIfIdle() -> Bool
    func setLanguage(_ language: Language)
    func say(_ text: String, error: Bool)
    func takeNotice() -> (text: String, isError: Bool)?
    func unlock(passphrase: SecureBytes) throws
    /// Whether `unlock` failed on the passphrase itself (said plainly) rather than on a file.
    nonisolated func isWrongPassphrase(_ error: any Error) -> Bool
}

/// The frame both desks share: unlock and lock, the language, errors and notices, the report
/// preview and the custody summary. Each desk adds its own screens.
protocol DeskScreens: Sendable {
    associatedtype State: DeskState
    var desk: State { get }
    var gate: MesaGate { get }
    /// The name in the header: the network's organisation, or the regional office's.
    var organisation: String { get }
    var regional: Bool { get }
    /// Where an unlocked desk opens.
    var home: String { get }
    /// The registry the report preview is drawn from.
    func registryRecords() throws -> [RegistryRecord]
    /// Where files for the USB stick are written.
    func outputFolder() throws -> String
}

extension DeskScreens {
    func registerCommon(on router: Router<BasicRequestContext>) {
        router.get("/estilo.css") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/css; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: mesaStylesheet)))
        }
        router.get("/") { _, _ in await desk.isUnlocked ? Response.redirect(to: home) : try await unlockPage() }
        router.post("/desbloquear") { request, _ in try await unlock(request) }
        router.post("/bloquear") { _, _ in
            await desk.lock()
            await desk.say(L("Locked: the keys are out of memory.", in: await desk.language), error: false)
            return Response.redirect(to: "/")
        }
        router.post("/idioma") { request, _ in
            let form = try await body(request)
            await desk.setLanguage(form["idioma"].flatMap(Language.init(rawValue:)) ?? .es)
            return Response.redirect(to: "/")
        }
        router.get("/informes") { request, _ in try await guarded { try await reportsPage(request) } }
        router.get("/informes/vista") { request, _ in try await guarded { try await reportView(request) } }
        router.post("/informes/escribir") { request, _ in try await guarded { try await writeReport(request) } }
    }

    func page() async -> Page {
        Page(language: await desk.language, csrf: gate.csrfHex, unlocked: await desk.isUnlocked, organisation: organisation, regional: regional)
    }

    func html(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    func body(_ request: Request) async throws -> FormBody {
        var request = request
        return FormBody(Array(try await request.body.collect(upTo: MesaServer.requestBodyLimit).readableBytesView))
    }

    /// Runs a screen that needs the keys; locked, it goes to the unlock screen instead; a
    /// library error becomes the screen's notice, never a stack trace.
    func guarded(_ screen: () async throws -> Response) async throws -> Response {
        guard await desk.isUnlocked else { return Response.redirect(to: "/") }
        do { return try await screen() } catch let error as MesaError {
            if error == .locked { return Response.redirect(to: "/") }
            return try await errorPage(error.text(await desk.language), status: error == .notFound ? .notFound : .badRequest)
        }
    }

    func errorPage(_ text: String, status: HTTPResponse.Status) async throws -> Response {
        let p = await page()
        let back = regional ? p.T("Back to the regional registry") : p.T("Back to the inbox")
        return html(p.render(title: p.T("Not possible"), section: .none, body: "<p class=\"warning\" role=\"alert\">\(h(text))</p><p><a href=\"\(home)\">\(h(back))</a></p>"), status: status)
    }

    /// After a change: say what happened and show the page again (POST → redirect → GET).
    func done(_ text: String, error: Bool = false, then location: String) async -> Response {
        await desk.say(text, error: error)
        return Response.redirect(to: location)
    }

    // MARK: - Unlock

    func unlockPage() async throws -> Response {
        let p = await page()
        let notice = await desk.takeNotice()
        let form = p.form("/desbloquear", button: p.T("Unlock"), content: p.field("frase", p.T("Passphrase"), "<input type=\"password\" id=\"frase\" name=\"frase\" autocomplete=\"off\" required autofocus>",
                                                                                  hint: p.T("The keys stay in this program's protected memory; the desk locks itself after a while without use.")))
        return html(p.render(title: p.T("The desk is locked"), section: .none, body: form, notice: notice))
    }

    func unlock(_ request: Request) async throws -> Response {
        let form = try await body(request)
        let language = await desk.language
        guard let typed = form["frase"], !typed.isEmpty else { return await done(L("Type the passphrase.", in: language), error: true, then: "/") }
        let secret = try SecureBytes(copying: Array(typed.utf8))
        do { try await desk.unlock(passphrase: secret) } catch {
            return await done(desk.isWrongPassphrase(error) ? L("Wrong passphrase: nothing was opened.", in: language) : "\(error)", error: true, then: "/")
        }
        return await done(L("Unlocked.", in: language), then: home)
    }

    // MARK: - Reports

    func reportsPage(_ request: Request) async throws -> Response {
        let p = await page()
        let r = ReportRequest(request)
        var body = "<form method=\"get\" action=\"/informes\" class=\"filters\">"
        body += p.field("desde", p.T("From (YYYY or YYYY-MM)"), "<input type=\"text\" id=\"desde\" name=\"desde\" value=\"\(h(r.from))\" size=\"8\">")
        body += p.field("hasta", p.T("To (YYYY or YYYY-MM)"), "<input type=\"text\" id=\"hasta\" name=\"hasta\" value=\"\(h(r.to))\" size=\"8\">")
        if !regional {
            body += "<div class=\"field\"><label><input type=\"checkbox\" name=\"mapa\" value=\"1\"\(r.map ? " checked" : "")> \(h(p.T("As the regional report shows it (map and subdivisions)")))</label></div>"
        }
        body += "<button type=\"submit\" class=\"secondary\">\(h(p.T("Preview")))</button></form>"
        let explanation = regional ? p.T("This is the regional report as it will be published, every network's records, small counts suppressed. To write it: resguardo registry report --region DIR --format html.")
            : p.T("This is the report as it will be published: small counts suppressed. To write it: resguardo registry report --format html.")
        body += "<p>\(h(explanation))</p>"
        // The same report, written to the stick: HTML to publish, CSV for the tables.
        var write = "<input type=\"hidden\" name=\"desde\" value=\"\(h(r.from))\"><input type=\"hidden\" name=\"hasta\" value=\"\(h(r.to))\">"
        if regional || r.map { write += "<input type=\"hidden\" name=\"mapa\" value=\"1\">" }
        write += p.field("formato", p.T("Format"), p.select("formato", [("html", "HTML"), ("csv", "CSV")], selected: "html"))
        body += p.form("/informes/escribir", button: p.T("Write this report to the USB stick"), content: write, style: "secondary")
        if !regional { body += "<p><a href=\"/registro-regional\">\(h(p.T("To the regional office: its key, and the next registry bundle")))</a></p>" }
        body += "<iframe class=\"report\" title=\"\(h(p.T("Report preview")))\" sandbox src=\"/informes/vista?\(r.query)\"></iframe>"
        return html(p.render(title: regional ? p.T("Regional report") : p.T("Reports"), section: .reports, body: body, notice: await desk.takeNotice()))
    }

    /// The published report's own HTML (`registry report --format html`), framed by the desk in
    /// a sandboxed frame; its inline styles are the only thing its policy allows.
    func reportView(_ request: Request) async throws -> Response {
        let language = await desk.language, r = ReportRequest(request)
        let records: [RegistryRecord]
        do { records = try registryRecords() } catch { throw MesaError.badRequest("\(error)") }
        let report = RegistryReport(records: records, from: r.from, to: r.to, regional: regional || r.map)
        var response = html(report.html(language: language))
        response.headers[.contentSecurityPolicy] = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'; base-uri 'none'; form-action 'none'"
        response.headers[HTTPField.Name("X-Frame-Options")!] = "SAMEORIGIN"
        return response
    }

    // MARK: - The report, written out

    /// `registry report` as the preview shows it, written to the USB stick (HTML or CSV).
    func writeReport(_ request: Request) async throws -> Response {
        let form = try await body(request), language = await desk.language
        let from = form["desde"] ?? "", to = form["hasta"] ?? "", csv = form["formato"] == "csv", map = form["mapa"] == "1"
        let back = "/informes?desde=\(from)&hasta=\(to)&mapa=\(map ? "1" : "")"
        guard ReportRequest.isPeriod(from), ReportRequest.isPeriod(to) else { return await done(L("A period is YYYY or YYYY-MM.", in: language), error: true, then: "/informes") }
        do {
            let report = RegistryReport(records: try registryRecords(), from: from, to: to, regional: map)
            let path = freshPath(in: try outputFolder(), "informe-\(regional ? "regional-" : "")\(from)-\(to)-\(language.rawValue)", extension: csv ? "csv" : "html")
            try DurableFile.createExclusive(path, bytes: Array((csv ? report.csv(language: language) : report.html(language: language)).utf8))
            return await done(L("Wrote {path}: {count} aggressions in {tables} tables, small counts suppressed.", ["path": path, "count": "\(report.totalAggressions)", "tables": "\(report.tables.count)"], in: language), then: back)
        } catch {
            return await done("\(error)", error: true, then: back)
        }
    }

    // MARK: - Custody

    /// The split's state from a recovery file: when, how many groups, the trustees by group;
    /// a warning when there is no split, or when the recovery secret still waits unsplit.
    func custodySection(_ recovery: RecoveryFile?, unsplit: Bool, split command: String, _ p: Page) -> String {
        var body = "<h2>\(h(p.T("Split custody")))</h2>"
        if let custody = recovery?.custody {
            body += p.list([(p.T("Split on"), custody.splitDay.description), (p.T("Groups needed"), "\(custody.groupThreshold) / \(custody.groups.count)")])
            body += "<table><caption>\(h(p.T("Trustees by group")))</caption><thead><tr><th scope=\"col\">\(h(p.T("Group")))</th><th scope=\"col\">\(h(p.T("Shares needed")))</th><th scope=\"col\">\(h(p.T("Shares")))</th></tr></thead><tbody>"
            for g in custody.groups { body += "<tr><td>\(h(g.name))</td><td>\(g.threshold)</td><td>\(g.count)</td></tr>" }
            body += "</tbody></table>"
        } else {
            body += "<p class=\"warning\">\(h(p.T("No custody split yet: if this laptop is lost, the keys are lost. Split them among trustees: {command}.", ["command": command])))</p>"
        }
        if unsplit {
            body += "<p class=\"warning\">\(h(p.T("The recovery secret is still on this laptop, unsplit: finish the split ceremony.")))</p>"
        }
        return body
    }
}

struct ReportRequest {
    let from: String, to: String, map: Bool
    init(_ request: Request) {
        let q = request.uri.queryParameters, year = CalendarDay.today().year
        func period(_ s: Substring?, _ fallback: String) -> String {
            guard let s, Self.isPeriod(String(s)) else { return fallback }
            return String(s)
        }
        from = period(q["desde"], "\(year)")
        to = period(q["hasta"], "\(year)")
        map = q["mapa"] == "1"
    }
    var query: String { "desde=\(from)&hasta=\(to)&mapa=\(map ? "1" : "")" }

    /// YYYY or YYYY-MM, digits only.
    static func isPeriod(_ s: String) -> Bool {
        let parts = s.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count <= 2, parts[0].count == 4, parts.allSatisfy({ $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }) else { return false }
        return parts.count == 1 || (parts[1].count == 2 && (1...12).contains(Int(parts[1]) ?? 0))
    }
}

/// `folder/name.ext`, or `name-2.ext`, `name-3.ext`… when it exists: writing the same report
/// again never fails on the name nor replaces the first (files are created exclusively).
func freshPath(in folder: String, _ name: String, extension ext: String) -> String {
    var path = "\(folder)/\(name).\(ext)", n = 1
    while FileManager.default.fileExists(atPath: path) {
        n += 1
        path = "\(folder)/\(name)-\(n).\(ext)"
    }
    return path
}

/// The files of `folders` whose name ends in `suffix`, newest first.
func files(in folders: [String], endingIn suffix: String) -> [(name: String, path: String)] {
    var found: [(name: String, path: String, modified: Date)] = []
    for folder in folders {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { continue }
        for name in names where name.hasSuffix(suffix) {
            let path = (folder as NSString).appendingPathComponent(name)
            let modified = ((try? FileManager.default.attributesOfItem(atPath: path)[.modificationDate]) as? Date) ?? .distantPast
            found.append((name, path, modified))
        }
    }
    return found.sorted { $0.modified > $1.modified }.map { ($0.name, $0.path) }
}
