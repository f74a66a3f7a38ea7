import DurableFiles
import Foundation
import Intake
import Testing
import TestSupport
import TestHarness
import Formats
import Sodium
import Vault

/// Several networks in one intake, through the real router in process (issue 16 item 1): what
/// is listed and served, where each envelope and each no-JavaScript report lands, and which
/// configurations are refused.
@Suite("Several networks in one intake (router in process)", .serialized)
struct NetworkRouteTests {
    /// Two networks with their own keys (made by `resguardo key init`) and vaults.
    struct TwoNetworks {
        let scratch: Scratch
        let mx: StaffSetup
        let gt: StaffSetup

        init() throws {
            scratch = try Scratch()
            let mxDir = URL(fileURLWithPath: scratch.path("mx")), gtDir = URL(fileURLWithPath: scratch.path("gt"))
            for d in [mxDir, gtDir] { try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true) }
            mx = try StaffSetup(in: mxDir, organisation: "Red Nacional MX")
            gt = try StaffSetup(in: gtDir, organisation: "Red Nacional GT")
        }

        func settings() throws -> [NetworkSetting] {
            try [(mx, "mx", "MX"), (gt, "gt", "GT")].map { staff, id, country in
                NetworkSetting(id: try #require(NetworkId(id)), name: "Red Nacional \(country)", countries: [country], manifestPath: staff.keys + "/manifest.json",
                               fingerprint: try #require(SigningKeyFingerprint(text: staff.fingerprint)), vaultPath: staff.vault)
            }
        }

        func harness() throws -> RouterHarness {
            let networks = try settings()
            return try RouterHarness { c in
                c.manifestPath = ""
                c.signingKeyFingerprint = nil
                c.vaultPath = IntakeConfiguration().vaultPath
                c.networks = networks
            }
        }
    }

    func network(_ harness: RouterHarness, _ id: String) throws -> IntakeNetwork {
        guard let nid = NetworkId(id), let n = harness.deps.networks.network(id: nid) else { throw TestFailure("no network \(id)") }
        return n
    }

    func count(_ vault: VaultDatabase) async throws -> Int { try await vault.stats().reduce(0) { $0 + $1.count } }

    @Test("GET /v1/networks lists id, name and countries; each manifest at its own path; /v1/keys says to ask for a network; an unknown one is 404")
    func listing() async throws {
        let two = try TwoNetworks()
        let harness = try two.harness()
        let mxManifest = try Array(Data(contentsOf: URL(fileURLWithPath: two.mx.keys + "/manifest.json")))
        let pin = try #require(SigningKeyFingerprint(text: two.mx.fingerprint))
        try await harness.test { client in
            let list = try await client.send(.get, "/v1/networks")
            #expect(list.status == 200)
            #expect(String(decoding: list.body, as: UTF8.self)
                == #"{"networks":[{"id":"mx","name":"Red Nacional MX","countries":["MX"]},{"id":"gt","name":"Red Nacional GT","countries":["GT"]}]}"#)
            let keys = try await client.send(.get, "/v1/networks/mx/keys")
            #expect(keys.status == 200)
            let served = try SignedKeyManifest(json: keys.body, trust: .fingerprint(pin))
            #expect(served.serialized() == (try SignedKeyManifest(json: mxManifest, trust: .fingerprint(pin))).serialized())
            let single = try await client.send(.get, "/v1/keys")
            #expect(single.status == 404 && single.errorCode == "several_networks")
            #expect(try await client.send(.get, "/v1/networks/ni/keys").errorCode == "network_unknown")
            #expect(try await client.send(.get, "/v1/networks/..%2F/keys").status == 404)
        }
    }

    @Test("review N9: one network's manifest signed by another key refuses that network alone; the other serves, and the refusal is counted")
    func oneBadManifest() async throws {
        let two = try TwoNetworks()
        // GT's manifest swapped for MX's (signed by a key GT did not pin).
        try FileManager.default.removeItem(atPath: two.gt.keys + "/manifest.json")
        try FileManager.default.copyItem(atPath: two.mx.keys + "/manifest.json", toPath: two.gt.keys + "/manifest.json")
        let harness = try two.harness()
        #expect(harness.deps.networks.all.map(\.id.text) == ["mx"])
        #expect(harness.deps.networks.refused.map(\.network.text) == ["gt"] && harness.deps.networks.refused[0].isUntrustedKey)
        #expect(harness.deps.counters.totals["error.network_refused"]?.description == "1")
        try await harness.test { client in
            let list = try await client.send(.get, "/v1/networks")
            #expect(String(decoding: list.body, as: UTF8.self) == #"{"networks":[{"id":"mx","name":"Red Nacional MX","countries":["MX"]}]}"#)
            #expect(try await client.send(.get, "/v1/networks/mx/keys").status == 200)
            #expect(try await client.send(.get, "/v1/networks/gt/keys").errorCode == "network_unknown")
        }
        // Every network refused: nothing to serve, the start fails with the first reason.
        var none = IntakeConfiguration()
        none.certificatePath = "c"
        none.privateKeyPath = "k"
        var settings = try two.settings()
        settings.removeFirst()
        none.networks = settings
        #expect { _ = try IntakeDependencies(configuration: none) } throws: { "\($0)".contains("network gt") }
    }

    @Test("an envelope goes to the vault of the network whose manifest holds its key id; an unknown key id is refused and stored nowhere")
    func routingByKeyId() async throws {
        let two = try TwoNetworks()
        let harness = try two.harness()
        let report = Array(#"{"version":1,"language":"es","country":"GT","description":"x"}"#.utf8)
        let toGT = try Envelope.seal(report: report, to: try two.gt.currentKey(), flags: [])
        let toMX = try Envelope.seal(report: report, to: try two.mx.currentKey(), flags: [])
        let stranger = try Envelope.seal(report: report, to: try SealSecretKey.generate().publicKey, flags: [])
        try await harness.test { client in
            #expect(try await client.submit(toGT.bytes).status == 201)
            #expect(try await client.submit(toGT.bytes).status == 201)
            #expect(try await client.submit(toMX.bytes).status == 201)
            let refused = try await client.submit(stranger.bytes)
            #expect(refused.status == 422 && refused.errorCode == "envelope_unknown_key", "\(refused.status) \(refused.errorCode ?? "")")
        }
        #expect(try await count(try #require(network(harness, "gt").sqliteVault)) == 2)
        #expect(try await count(try #require(network(harness, "mx").sqliteVault)) == 1)
    }

    @Test("the page offers only the served countries and lists each network with its fingerprint; the no-JavaScript form seals to the chosen country's network")
    func formByCountry() async throws {
        let two = try TwoNetworks()
        let harness = try two.harness()
        let (gtPrint, mxPrint) = (two.gt.fingerprint, two.mx.fingerprint)
        try await harness.test { client in
            let page = String(decoding: try await client.send(.get, "/").body, as: UTF8.self)
            #expect(page.contains("<option value=\"MX\">") && page.contains("<option value=\"GT\">"))
            #expect(!page.contains("<option value=\"HN\">") && !page.contains("<option value=\"SV\">"))
            #expect(page.contains(gtPrint) && page.contains(mxPrint) && page.contains("data-networks="))
            let form = [("Content-Type", "application/x-www-form-urlencoded")]
            let accepted = try await client.send(.post, "/v1/reports/form", body: Array("language=es&country=GT&description=amenaza".utf8), headers: form)
            #expect(accepted.status == 201)
            // HN is served by no network here: refused, shown again, stored nowhere.
            let unserved = try await client.send(.post, "/v1/reports/form", body: Array("language=es&country=HN&description=amenaza".utf8), headers: form)
            #expect(unserved.status == 422 && String(decoding: unserved.body, as: UTF8.self).contains("Ninguna red de este servidor"))
        }
        let gt = try network(harness, "gt"), mx = try network(harness, "mx")
        #expect(try await count(try #require(gt.sqliteVault)) == 1)
        #expect(try await count(try #require(mx.sqliteVault)) == 0)
    }

    @Test("config: the networks array is strict, and ids, countries, vaults and key ids are each one network's")
    func configurationRules() throws {
        let two = try TwoNetworks()
        func load(_ json: String) throws -> Result<IntakeConfiguration, ConfigurationError> {
            let path = two.scratch.path("intake-\(UUID().uuidString).json")
            try json.write(toFile: path, atomically: true, encoding: .utf8)
            return Result { () throws(ConfigurationError) in
                var c = try IntakeConfiguration(jsonFile: path)
                c.certificatePath = "c.pem"
                c.privateKeyPath = "k.pem"
                return try c.validated()
            }
        }
        func entry(_ id: String, _ country: String, _ staff: StaffSetup, vault: String? = nil) -> String {
            #"{"id":"\#(id)","name":"Red \#(id)","countries":["\#(country)"],"manifest":"\#(staff.keys)/manifest.json","fingerprint":"\#(staff.fingerprint)","vault":"\#(vault ?? staff.vault)"}"#
        }
        func refusal(_ json: String) throws -> String {
            guard case .failure(let e) = try load(json) else { return "accepted" }
            return e.description
        }
        let good = try load(#"{"networks":[\#(entry("mx", "MX", two.mx)),\#(entry("gt", "GT", two.gt))]}"#)
        #expect(try good.get().networks.map(\.id.text) == ["mx", "gt"])
        #expect(try refusal(#"{"networks":[\#(entry("mx", "MX", two.mx)),\#(entry("gt", "MX", two.gt))]}"#).contains("share the country `MX`"))
        #expect(try refusal(#"{"networks":[\#(entry("mx", "MX", two.mx)),\#(entry("mx", "GT", two.gt))]}"#).contains("share the id `mx`"))
        #expect(try refusal(#"{"networks":[\#(entry("mx", "MX", two.mx)),\#(entry("gt", "GT", two.gt, vault: two.mx.vault))]}"#).contains("share the vault"))
        #expect(try refusal(#"{"networks":[\#(entry("MX", "MX", two.mx))]}"#).contains("lowercase"))
        #expect(try refusal(#"{"networks":[\#(entry("mx", "XX", two.mx))]}"#).contains("known countries"))
        #expect(try refusal(#"{"networks":[{"id":"mx","colour":"red"}]}"#).contains("unknown key `networks[0].colour`"))
        #expect(try refusal(#"{"keys":{"manifest":"m.json"},"networks":[\#(entry("mx", "MX", two.mx))]}"#).contains("remove keys.manifest"))
        // The same manifest under two ids: one key id would route two ways; refused at start-up.
        var twice = IntakeConfiguration()
        twice.certificatePath = "c"
        twice.privateKeyPath = "k"
        var settings = try two.settings()
        settings[1].manifestPath = settings[0].manifestPath
        settings[1].fingerprint = settings[0].fingerprint
        twice.networks = settings
        #expect(throws: (any Error).self) { _ = try IntakeDependencies(configuration: twice) }
    }

    @Test("review N8: vaults are compared where they are (./, symlinks, postgres:// spellings), and a vault belongs to the network that first opened it: swapped vault paths refuse both networks, the others serve")
    func vaultBoundToNetwork() async throws {
        let two = try TwoNetworks()
        // Spellings of one vault are one vault.
        let folder = (two.mx.vault as NSString).deletingLastPathComponent
        let link = two.scratch.path("enlace.sqlite")
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: two.mx.vault)
        for other in [folder + "/./" + (two.mx.vault as NSString).lastPathComponent, link] {
            var settings = try two.settings()
            settings[1].vaultPath = other
            #expect(throws: ConfigurationError.self, "\(other)") { try NetworkSetting.check(settings, alongside: IntakeConfiguration()) }
        }
        for (a, b) in [("postgres://intake@db.example/resguardo?sslmode=require", "postgresql://otro@DB.example:5432/resguardo?sslmode=verify-full"),
                       ("postgres:///resguardo?host=/run/postgresql&user=a", "postgres:///resguardo?user=b&host=/run/postgresql/&port=5432")] {
            var settings = try two.settings()
            settings[0].vaultPath = a
            settings[1].vaultPath = b
            #expect(throws: ConfigurationError.self, "\(a) and \(b)") { try NetworkSetting.check(settings, alongside: IntakeConfiguration()) }
        }
        var apart = try two.settings()
        apart[0].vaultPath = "postgres:///resguardo_mx?host=/run/postgresql&user=a"
        apart[1].vaultPath = "postgres:///resguardo_gt?host=/run/postgresql&user=a"
        #expect(throws: Never.self) { try NetworkSetting.check(apart, alongside: IntakeConfiguration()) }

        // First start: each vault is bound to its network.
        let harness = try two.harness()
        #expect(harness.deps.networks.refused.isEmpty)
        try await harness.test { _ in }
        let mxVault = try VaultDatabase(path: two.mx.vault)
        #expect(try await mxVault.binding() == VaultBinding(network: try #require(NetworkId("mx")), fingerprint: try #require(SigningKeyFingerprint(text: two.mx.fingerprint))))
        try mxVault.close()

        // The two vault paths swapped, beside a third network with a vault of its own.
        let hnDir = URL(fileURLWithPath: two.scratch.path("hn"))
        try FileManager.default.createDirectory(at: hnDir, withIntermediateDirectories: true)
        let hn = try StaffSetup(in: hnDir, organisation: "Red Nacional HN")
        var swapped = try two.settings()
        (swapped[0].vaultPath, swapped[1].vaultPath) = (swapped[1].vaultPath, swapped[0].vaultPath)
        swapped.append(NetworkSetting(id: try #require(NetworkId("hn")), name: "Red Nacional HN", countries: ["HN"], manifestPath: hn.keys + "/manifest.json",
                                      fingerprint: try #require(SigningKeyFingerprint(text: hn.fingerprint)), vaultPath: hn.vault))
        let mixed = try RouterHarness { c in
            c.manifestPath = ""
            c.signingKeyFingerprint = nil
            c.vaultPath = IntakeConfiguration().vaultPath
            c.networks = swapped
        }
        #expect(mixed.deps.networks.all.map(\.id.text) == ["hn"])
        let reasons = mixed.deps.networks.refused.map(\.description)
        #expect(reasons.count == 2 && reasons.allSatisfy { $0.contains("this vault belongs to network") }, "\(reasons)")
        #expect(reasons.first?.contains("belongs to network gt") == true, "\(reasons)")
        try await mixed.test { _ in }
        // Nothing was written into either vault by the refused networks.
        for path in [two.mx.vault, two.gt.vault] {
            let v = try VaultDatabase(path: path)
            #expect(try await v.stats().isEmpty)
            try v.close()
        }
    }

    @Test("review N17: a proof-of-work token spent through one intake is refused by another intake for every network, each network on a database of its own")
    func tokenSpentInEveryNetwork() async throws {
        let two = try TwoNetworks()
        let cluster = try PostgresCluster()
        try cluster.createDatabase("red_gt")
        let powKey = two.scratch.path("pow.key")
        try DurableFile.createExclusive(powKey, bytes: Array((Encoding.hex(try Random.bytes(count: 32)) + "\n").utf8), mode: 0o600)
        var networks = try two.settings()
        networks[0].vaultPath = cluster.url(database: "postgres")
        networks[1].vaultPath = cluster.url(database: "red_gt")
        func intake() throws -> RouterHarness {
            try RouterHarness { c in
                c.manifestPath = ""
                c.signingKeyFingerprint = nil
                c.vaultPath = IntakeConfiguration().vaultPath
                c.networks = networks
                c.powKeyFile = powKey
                c.powDifficulty = 4
                c.powMaxDifficulty = 8
            }
        }
        let (a, b) = (try intake(), try intake())
        for harness in [a, b] { try await harness.deps.networks.prepare() }
        let mxKey = try #require(try network(a, "mx").manifest.currentEncryptionKey(on: .today())).publicKey
        let gtKey = try #require(try network(a, "gt").manifest.currentEncryptionKey(on: .today())).publicKey
        let report = Array(#"{"version":1,"language":"es","country":"MX","description":"ficha"}"#.utf8)
        final class Paid: @unchecked Sendable { var token = "", proof = "" }
        let paid = Paid()
        try await a.test { client in
            let challenge = try await client.send(.get, "/v1/challenge")
            guard case .string(let t)? = challenge.json?["token"] else { Issue.record("no token"); return }
            let (token, proof) = (t, try ProofOfWorkSolver.solve(token: t))
            (paid.token, paid.proof) = (token, proof)
            let first = try await client.submit(try Envelope.seal(report: report, to: mxKey).bytes, headers: [("Resguardo-Token", token), ("Resguardo-Proof", proof)])
            #expect(first.status == 201, "\(first.errorCode ?? "")")
        }
        try await b.test { client in
            for key in [gtKey, mxKey] {
                let again = try await client.submit(try Envelope.seal(report: report, to: key).bytes, headers: [("Resguardo-Token", paid.token), ("Resguardo-Proof", paid.proof)])
                #expect(again.status == 429 && again.errorCode == "proof_replayed", "\(again.status) \(again.errorCode ?? "")")
            }
        }
        for harness in [a, b] { try? await harness.deps.networks.close() }
    }
}
