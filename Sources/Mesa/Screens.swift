import Casework
import Deidentify
import Registration
import Foundation
import Formats
import HTTPTypes
import Hummingbird
import Keys
import NIOCore
import Sodium

/// Every screen of la mesa. Each is a second face over the library calls the CLI makes
/// (Casework, Registration, Registry, Keys): no rule lives here, only forms and pages.
struct Screens: DeskScreens {
    let desk: Desk
    let gate: MesaGate

    var workspace: Workspace { desk.workspace }
    var organisation: String { workspace.keys.manifest.manifest.organisation }
    var regional: Bool { false }
    var home: String { "/bandeja" }
    func registryRecords() throws -> [RegistryRecord] { try Registration.openRegistry(of: workspace).all() }

    func register(on router: Router<BasicRequestContext>) {
        registerCommon(on: router)
        router.get("/bandeja") { request, _ in try await guarded { try await inbox(request) } }
        router.get("/claves") { _, _ in try await guarded { try await keysPage() } }
        registerCase(on: router)
        registerImport(on: router)
        registerRegistry(on: router)
    }

    // MARK: - Inbox

    static let pageSize = 250

    func inbox(_ request: Request) async throws -> Response {
        let p = await page()
        let q = request.uri.queryParameters
        var filter = CaseFilter(state: q["estado"].flatMap { CaseState(rawValue: String($0)) }, urgentOnly: q["urgentes"] == "1")
        filter.minimumRisk = q["riesgo"].flatMap { RiskLevel(rawValue: String($0)) }
        filter.order = q["orden"].flatMap { CaseListOrder(rawValue: String($0)) } ?? .urgency
        let cases: [CaseSummary]
        do { cases = try workspace.listCases(filter) } catch { throw MesaError.badRequest(error.description) }
        let pages = max(1, (cases.count + Self.pageSize - 1) / Self.pageSize)
        let number = min(max(1, q["pagina"].flatMap { Int(String($0)) } ?? 1), pages)
        let shown = cases.dropFirst((number - 1) * Self.pageSize).prefix(Self.pageSize)
        let today = CalendarDay.today()
        let states: [(String, String)] = [("", p.T("all")), ("new", p.T("new")), ("vetted", p.T("vetted")), ("registered", p.T("registered")), ("rejected", p.T("rejected")), ("merged", p.T("merged"))]
        let risks: [(String, String)] = [("", p.T("any"))] + RiskLevel.allCases.map { ($0.rawValue, p.language == .es ? $0.spanish : $0.rawValue) }
        let orders: [(String, String)] = [("urgency", p.T("urgent first, then oldest")), ("risk", p.T("highest risk first")), ("assessed", p.T("longest since assessed"))]
        var body = "<form method=\"get\" action=\"/bandeja\" class=\"filters\" role=\"search\">"
        body += p.field("estado", p.T("State"), p.select("estado", states, selected: filter.state?.rawValue ?? ""))
        body += p.field("riesgo", p.T("Risk at least"), p.select("riesgo", risks, selected: filter.minimumRisk?.rawValue ?? ""))
        body += p.field("orden", p.T("Order"), p.select("orden", orders, selected: filter.order.rawValue))
        body += "<div class=\"field\"><label><input type=\"checkbox\" name=\"urgentes\" value=\"1\"\(filter.urgentOnly ? " checked" : "")> \(h(p.T("Urgent only")))</label></div>"
        body += "<button type=\"submit\" class=\"secondary\">\(h(p.T("Show")))</button></form>"
        let urgentNew = cases.filter { $0.urgent && $0.state == .new }.count
        body += "<p>\(h(p.T("{count} cases, {urgent} urgent and new; network {network}.", ["count": "\(cases.count)", "urgent": "\(urgentNew)", "network": workspace.keys.manifest.manifest.organisation])))</p>"
        body += "<table><caption>\(h(p.T("Cases")))</caption><thead><tr><th scope=\"col\">\(h(p.T("Case")))</th><th scope=\"col\">\(h(p.T("Received")))</th><th scope=\"col\">\(h(p.T("State")))</th>"
        body += "<th scope=\"col\">\(h(p.T("Country")))</th><th scope=\"col\">\(h(p.T("Urgent")))</th><th scope=\"col\">\(h(p.T("Risk")))</th><th scope=\"col\">\(h(p.T("Days since assessed")))</th></tr></thead><tbody>"
        var rows = ""
        rows.reserveCapacity(shown.count * 400)
        let yes = h(p.T("urgent")), never = h(p.T("never"))
        for c in shown {
            let hex = Encoding.hex(c.id)
            let risk = c.risk.map { "<span class=\"badge risk-\($0.rawValue)\">\(h(p.language == .es ? $0.spanish : $0.rawValue))</span>" } ?? "—"
            rows += "<tr><td><a href=\"/caso/\(hex)\">\(c.shortId)</a></td><td>\(h(c.receivedDay))</td><td>\(h(p.T(c.state.rawValue)))</td><td>\(h(Vocabulary.countries.term(c.country)?.label(p.language) ?? c.country))</td>"
            rows += "<td>\(c.urgent ? "<span class=\"badge urgent\">\(yes)</span>" : "")</td><td>\(risk)</td><td>\(c.daysSinceAssessment(on: today).map(String.init) ?? never)</td></tr>"
        }
        body += rows + "</tbody></table>"
        if pages > 1 {
            let link = "/bandeja?estado=\(filter.state?.rawValue ?? "")&riesgo=\(filter.minimumRisk?.rawValue ?? "")&orden=\(filter.order.rawValue)&urgentes=\(filter.urgentOnly ? "1" : "")&pagina="
            body += "<nav class=\"pager\" aria-label=\"\(h(p.T("Pages")))\">"
            if number > 1 { body += "<a href=\"\(link)\(number - 1)\">\(h(p.T("previous")))</a> " }
            body += h(p.T("page {n} of {pages}", ["n": "\(number)", "pages": "\(pages)"]))
            if number < pages { body += " <a href=\"\(link)\(number + 1)\">\(h(p.T("next")))</a>" }
            body += "</nav>"
        }
        return html(p.render(title: p.T("Inbox"), section: .inbox, body: body, notice: await desk.takeNotice()))
    }

    // MARK: - Keys and custody

    func keysPage() async throws -> Response {
        let p = await page()
        let keys = workspace.keys, manifest = keys.manifest.manifest, today = CalendarDay.today()
        var body = "<h2>\(h(p.T("Keys")))</h2>"
        let fingerprint = (try? keys.manifest.fingerprint().description) ?? "—"
        var rows: [(String, String)] = [(p.T("Organisation"), manifest.organisation), (p.T("Signing-key fingerprint"), fingerprint),
                                        (p.T("Manifest issued"), manifest.issued.description), (p.T("Manifest expires (renew before)"), manifest.expires.description)]
        if manifest.expires < today.adding(days: 30) { rows.append((p.T("Renewal"), p.T("due: resguardo key renew"))) }
        body += p.list(rows)
        let current = manifest.currentEncryptionKey(on: today)
        body += "<table><caption>\(h(p.T("Encryption keys (rotation is due at the end of each)")))</caption><thead><tr><th scope=\"col\">\(h(p.T("Key")))</th><th scope=\"col\">\(h(p.T("Valid from")))</th><th scope=\"col\">\(h(p.T("Valid until")))</th><th scope=\"col\">\(h(p.T("Status")))</th></tr></thead><tbody>"
        for key in manifest.encryptionKeys {
            var notes: [String] = []
            if key.id == current?.id { notes.append(p.T("current")) } else if key.notAfter < today { notes.append(p.T("expired")) } else if key.notBefore > today { notes.append(p.T("not yet valid")) } else { notes.append(p.T("valid")) }
            if key.id == current?.id, key.notAfter < today.adding(days: 30) { notes.append(p.T("rotate soon: resguardo key rotate")) }
            if !keys.hasSecretKeyFile(for: key.id) { notes.append(p.T("secret key file missing")) }
            body += "<tr><td>\(h(key.id.description))</td><td>\(h(key.notBefore.description))</td><td>\(h(key.notAfter.description))</td><td>\(h(notes.joined(separator: ", ")))</td></tr>"
        }
        body += "</tbody></table>"
        body += custodySection(try? keys.recoveryFile(), unsplit: keys.hasUnsplitRecoverySecret, split: "resguardo key custody split", p)
        body += await coordinatorSection(p)
        body += await vaultSection(p)
        return html(p.render(title: p.T("Keys and custody"), section: .keys, body: body, notice: await desk.takeNotice()))
    }
}
