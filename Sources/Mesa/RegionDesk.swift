import Deidentify
import DurableFiles
import Foundation
import Formats
import HTTPTypes
import Hummingbird
import Keys
import Region
import Registry
import Sodium

/// The regional office's desk: its folder and, while unlocked, its passphrase in guarded memory
/// (the office opens its keys per operation, as `registry import --region` does). Locks as the
/// network's desk does: the button, the idle time, the server stopping.
actor RegionDesk: DeskState {
    let office: RegionalOffice
    let usbFolders: [String]
    let idle: Duration
    private var passphrase: SecureBytes?
    private var lastUse = ContinuousClock.now
    private(set) var language: Language = .es
    private var notice: (text: String, isError: Bool)?

    init(region path: String, usbFolders: [String], idle: Duration) throws {
        office = try RegionalOffice(path: path)
        self.usbFolders = usbFolders
        self.idle = idle
    }

    var isUnlocked: Bool { passphrase != nil }

    func unlock(passphrase: SecureBytes) throws(RegionError) {
        try office.checkPassphrase(passphrase)
        self.passphrase = passphrase
        lastUse = .now
    }

    nonisolated func isWrongPassphrase(_ error: any Error) -> Bool { (error as? RegionError) == .wrongPassphrase }

    func lock() { passphrase = nil }
    func touch() { lastUse = .now }

    @discardableResult
    func lockIfIdle() -> Bool {
        guard passphrase != nil, ContinuousClock.now - lastUse >= idle else { return false }
        lock()
        return true
    }

    func setLanguage(_ language: Language) { self.language = language }
    func say(_ text: String, error: Bool) { notice = (text, error) }
    func takeNotice() -> (text: String, isError: Bool)? {
        defer { notice = nil }
        return notice
    }

    func secret() throws(MesaError) -> SecureBytes {
        guard let passphrase else { throw .locked }
        return passphrase
    }
}

/// The regional office's screens (DESIGN.md §9): the networks it pinned and their last bundle,
/// registry bundles imported from the USB stick, the regional report with its map, custody.
/// The same `RegionalOffice` calls as `registry import --region`, `networks list`,
/// `registry report --region` and `region show`.
struct RegionScreens: DeskScreens {
    let desk: RegionDesk
    let gate: MesaGate

    var office: RegionalOffice { desk.office }
    var organisation: String { office.name }
    var regional: Bool { true }
    var home: String { "/registro" }
    func registryRecords() throws -> [RegistryRecord] { try office.registry.all() }

    /// The first USB folder, else the office's `salida` folder.
    func outputFolder() throws -> String {
        if let usb = desk.usbFolders.first { return usb }
        let folder = office.path + "/salida"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        return folder
    }

    func register(on router: Router<BasicRequestContext>) {
        registerCommon(on: router)
        router.get("/registro") { _, _ in try await guarded { try await registryPage() } }
        router.post("/registro/importar") { request, _ in try await guarded { try await importBundle(request) } }
        router.post("/registro/red") { request, _ in try await guarded { try await pinNetwork(request) } }
        router.get("/custodia") { _, _ in try await guarded { try await custodyPage() } }
    }

    func registryPage() async throws -> Response {
        let p = await page()
        let networks: [RegistryDatabase.PinnedNetwork], records: [RegistryRecord]
        do {
            networks = try office.registry.pinnedNetworks()
            records = try office.registry.all()
        } catch { throw MesaError.badRequest("\(error)") }
        var body = "<p>\(h(p.T("De-identified records: {count}, from networks: {networks}. No key here opens any network's cases.", ["count": "\(records.count)", "networks": "\(networks.count)"])))</p>"
        body += "<table><caption>\(h(p.T("Pinned networks")))</caption><thead><tr><th scope=\"col\">\(h(p.T("Network")))</th><th scope=\"col\">\(h(p.T("Countries")))</th>"
            + "<th scope=\"col\">\(h(p.T("Signing-key fingerprint")))</th><th scope=\"col\">\(h(p.T("Last bundle")))</th><th scope=\"col\">\(h(p.T("Records")))</th></tr></thead><tbody>"
        for n in networks {
            let count = records.filter { $0.network == n.id.description }.count
            body += "<tr><td>\(h(n.id.description))</td><td>\(h(n.countries.joined(separator: ", ")))</td><td>\(h(n.fingerprint.description))</td>"
                + "<td>\(n.lastSequence == 0 ? h(p.T("none yet")) : "\(n.lastSequence)")</td><td>\(count)</td></tr>"
        }
        body += "</tbody></table>"
        if networks.isEmpty { body += "<p>\(h(p.T("No network pinned yet.")))</p>" }
        var pin = p.field("red", p.T("The network's id (e.g. mx)"), "<input type=\"text\" id=\"red\" name=\"red\" required size=\"8\">")
        pin += p.field("huella-red", p.T("Its signing-key fingerprint, compared with the network in person or by a trusted channel"), "<input type=\"text\" id=\"huella-red\" name=\"huella\" required autocomplete=\"off\">")
        pin += p.field("paises", p.T("Its countries (ISO 3166-1, comma-separated)"), "<input type=\"text\" id=\"paises\" name=\"paises\" required size=\"12\">",
                       hint: p.T("A bundle with a record in any other country is refused."))
        body += p.form("/registro/red", button: p.T("Pin the network"), content: "<fieldset><legend>\(h(p.T("Pin a network")))</legend>\(pin)</fieldset>", style: "secondary")

        body += "<h2>\(h(p.T("Registry bundles on the USB stick")))</h2>"
        let bundles = files(in: desk.usbFolders, endingIn: ".json")
        if bundles.isEmpty { body += "<p>\(h(p.T("No .json file in {folders}.", ["folders": desk.usbFolders.isEmpty ? "—" : desk.usbFolders.joined(separator: ", ")])))</p>" }
        let button = p.T("Import")
        body += "<ul>" + bundles.map { (b: (name: String, path: String)) -> String in
            "<li>" + h(b.name) + " " + p.form("/registro/importar", button: button, fields: ["ruta": b.path], style: "inline") + "</li>"
        }.joined() + "</ul>"
        body += p.form("/registro/importar", button: p.T("Import this file"), content: p.field("ruta", p.T("Or the path of a bundle"), "<input type=\"text\" id=\"ruta\" name=\"ruta\">"), style: "secondary")
        return html(p.render(title: p.T("Regional registry"), section: .importing, body: body, notice: await desk.takeNotice()))
    }

    /// One network's bundle: refused, changing nothing, unless signed by its pinned key, sealed
    /// to this office and next in its sequence (a full bundle may skip).
    func importBundle(_ request: Request) async throws -> Response {
        let form = try await body(request), language = await desk.language, secret = try await desk.secret()
        guard let path = form["ruta"]?.trimmingCharacters(in: .whitespaces), !path.isEmpty else { return await done(L("Give the bundle's path.", in: language), error: true, then: home) }
        let bytes: [UInt8]
        do { bytes = Array(try DurableFile.read(path, maxBytes: RegistryBundle.maxByteCount)) } catch {
            return await done(L("Cannot read {path}.", ["path": path], in: language), error: true, then: home)
        }
        do {
            let (bundle, outcome) = try office.importBundle(bytes, passphrase: secret)
            return await done(L("Network {network}, bundle {sequence}: {added} added, {corrected} corrected, {withdrawn} withdrawn.",
                                ["network": bundle.network.description, "sequence": "\(bundle.sequence)", "added": "\(outcome.added)",
                                 "corrected": "\(outcome.corrected)", "withdrawn": "\(outcome.withdrawn)"], in: language), then: home)
        } catch {
            return await done(L("{path}: {error}; nothing changed.", ["path": (path as NSString).lastPathComponent, "error": error.description], in: language), error: true, then: home)
        }
    }

    /// `networks add`: the network's id, fingerprint and countries, pinned in the registry.
    func pinNetwork(_ request: Request) async throws -> Response {
        let form = try await body(request), language = await desk.language
        guard let id = NetworkId((form["red"] ?? "").trimmingCharacters(in: .whitespaces)) else {
            return await done(L("That is not a network id ({rule}).", ["rule": NetworkId.rule], in: language), error: true, then: home)
        }
        guard let fingerprint = SigningKeyFingerprint(text: form["huella"] ?? "") else { return await done(L("That is not a fingerprint (32 hex digits).", in: language), error: true, then: home) }
        let countries = (form["paises"] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        do { try office.registry.pin(id, fingerprint: fingerprint, countries: countries) } catch {
            return await done(error.description, error: true, then: home)
        }
        return await done(L("Network {id} pinned to {fingerprint}, countries {countries}.", ["id": id.description, "fingerprint": fingerprint.description, "countries": countries.joined(separator: " ")], in: language), then: home)
    }

    func custodyPage() async throws -> Response {
        let p = await page()
        var body = p.list([(p.T("Regional office"), office.name), (p.T("Signing-key fingerprint (the networks pin it)"), (try? office.fingerprint.description) ?? "—"),
                           (p.T("Regional pseudonym key check value"), office.pseudonymCheckText() ?? "—")])
        body += custodySection(try? office.custody.recoveryFile(), unsplit: office.custody.hasUnsplitRecoverySecret, split: "resguardo region custody split", p)
        return html(p.render(title: p.T("Keys and custody"), section: .keys, body: body, notice: await desk.takeNotice()))
    }
}
