import AsyncHTTPClient
import Foundation
import Testing
import TestSupport
import TestHarness
import Formats
import Sodium

/// Issue 16 end to end, with real binaries and files: four national networks with their own
/// keys behind one intake; reports through the web form (Chromium) and resguardo-submit; each
/// network unseals, vets, registers and publishes its own; the regional office imports the four
/// bundles and reports on the region. Nothing here is a mock of our own parts.
@Suite("Four networks and the regional registry (real binaries)", .serialized)
struct FederationTests {
    struct Network {
        let id: String
        let country: String
        let staff: StaffSetup
        var workspace: String { staff.workspace }
    }

    func tool(_ name: String, _ arguments: [String]) throws -> SubprocessOutcome {
        try runSubprocess(IntakeProcess.binaries.appendingPathComponent(name).path, arguments)
    }

    func ok(_ name: String, _ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        let outcome = try tool(name, arguments)
        #expect(outcome.status == 0, "\(name) \(arguments.joined(separator: " ")): \(outcome.output)", sourceLocation: sourceLocation)
        return outcome.output
    }

    func sqlite(_ path: String, _ sql: String) throws -> String {
        try runSubprocess(debianPython, ["-c", "import sqlite3,sys,json; print(json.dumps(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchall()))", path, sql]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The regional report as JSON, unsuppressed (what the office's staff check the figures with).
    func regionalReport(_ region: String, _ dir: URL) throws -> JSONValue {
        let out = dir.appendingPathComponent("regional-\(UUID().uuidString).json").path
        _ = try ok("resguardo", ["registry", "report", "--region", region, "--from", "2020", "--to", "2026", "--format", "json", "--internal", "--out", out])
        return try JSONValue.parse(Array(Data(contentsOf: URL(fileURLWithPath: out))))
    }

    func array(_ v: JSONValue?) -> [JSONValue]? { if case .array(let a)? = v { return a }; return nil }

    func table(_ report: JSONValue, _ name: String) -> [String: Int] {
        guard case .array(let tables)? = report["tables"],
              let t = tables.first(where: { if case .string(name)? = $0["name"] { return true }; return false }),
              case .array(let rows)? = t["rows"] else { return [:] }
        var out: [String: Int] = [:]
        for row in rows { if case .string(let code)? = row["code"], let n = row["count"]?.intValue { out[code] = n } }
        return out
    }

    @Test("four networks, one intake: each report lands in its own network's vault; each network registers and publishes; the region counts exactly, a relocated defender once; bad bundles change nothing; a withdrawal propagates")
    func fourNetworks() async throws {
        let scratch = try IntakeProcess()
        let dir = scratch.folder
        var networks: [Network] = []
        for (id, country) in [("mx", "MX"), ("gt", "GT"), ("hn", "HN"), ("sv", "SV")] {
            let folder = dir.appendingPathComponent(id)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            networks.append(Network(id: id, country: country, staff: try StaffSetup(in: folder, organisation: "Red Nacional \(country)")))
        }
        let (mx, gt, hn, sv) = (networks[0], networks[1], networks[2], networks[3])
        let entries = networks.map { n in
            #"{"id":"\#(n.id)","name":"Red Nacional \#(n.country)","countries":["\#(n.country)"],"manifest":"\#(n.staff.keys)/manifest.json","fingerprint":"\#(n.staff.fingerprint)","vault":"\#(n.staff.vault)"}"#
        }
        let config = dir.appendingPathComponent("intake.json").path
        try #"{"networks":[\#(entries.joined(separator: ","))]}"#.write(toFile: config, atomically: true, encoding: .utf8)
        let intake = try IntakeProcess(arguments: ["--config", config])
        try intake.start()

        // 1. The web form, one report per country with JavaScript (the page shows the chosen
        // network's name and fingerprint), and one without.
        for n in networks {
            let out = dir.appendingPathComponent("web-\(n.id).json").path
            // docs/webform-networks-es.png is made with RESGUARDO_WRITE_SAMPLE_NETWORKS=docs/webform-networks-es.png.
            let shot = n.id == "gt" ? ProcessInfo.processInfo.environment["RESGUARDO_WRITE_SAMPLE_NETWORKS"] : nil
            let run = try runSubprocess(debianPython, [WebFormTests.script, "networks", intake.baseURL, n.country, "js", "Amenaza por la web en \(n.id)", out] + (shot.map { [$0] } ?? []))
            #expect(run.status == 0, "\(run.output)")
            let shown = try JSONValue.parse(Array(Data(contentsOf: URL(fileURLWithPath: out))))
            #expect(shown["shown"]?["name"] == .string("Red Nacional \(n.country)") && shown["shown"]?["fingerprint"] == .string(n.staff.fingerprint), "\(shown)")
            #expect(shown["offered"] == .array(["MX", "GT", "HN", "SV"].map(JSONValue.string)), "only the served countries are offered")
        }
        let nojs = try runSubprocess(debianPython, [WebFormTests.script, "networks", intake.baseURL, "HN", "nojs", "Amenaza sin JavaScript", dir.appendingPathComponent("nojs.json").path])
        #expect(nojs.status == 0, "\(nojs.output)")

        // 2. resguardo-submit, by country; GT and MX share one defender (she relocated): same ID.
        for n in networks {
            let nationalId = n.id == "gt" || n.id == "mx" ? "2451 88710 0101" : "ID-\(n.id)-77"
            let report = #"{"version":1,"language":"es","country":"\#(n.country)","incident_date":"2026-10-03","aggression_types":["threat","harassment"],"perpetrators":["police"],"defender":{"name":"Defensora Prueba \#(n.id)","national_id":"\#(nationalId)","contact":"+502 5555 01\#(n.id)"},"consent":{"registry":true,"contact":false},"description":"Relato confidencial de \#(n.id)."}"#
            let file = dir.appendingPathComponent("report-\(n.id).json").path
            try report.write(toFile: file, atomically: true, encoding: .utf8)
            let sent = try tool("resguardo-submit", ["submit", "--url", intake.baseURL, "--ca", intake.certificatePath, "--fingerprint", n.staff.fingerprint,
                                                     "--known-intakes", dir.appendingPathComponent("known").path, "--outbox", dir.appendingPathComponent("outbox").path, "--report", file])
            #expect(sent.status == 0 && sent.output.contains("sending to network \(n.id)"), "\(sent.output)")
        }
        // 3. A forged envelope: GT's key id, sealed to MX's key. The intake can only read the key
        // id, so it goes to GT's vault, where it cannot open: quarantined at GT, never at MX.
        let sealedToMX = try Envelope.seal(report: Array(#"{"version":1,"language":"es","country":"GT","description":"forjado"}"#.utf8), to: try mx.staff.currentKey(), flags: [])
        var forged = sealedToMX.bytes
        forged.replaceSubrange(5..<13, with: try KeyId(publicKey: try gt.staff.currentKey()).bytes)
        let client = try intake.client()
        let forgedReply = try await client.submit(forged, to: intake.baseURL)
        try await client.shutdown()
        #expect(forgedReply.status == 201)
        intake.kill(signal: SIGTERM)

        // Each report is in its own network's vault and nowhere else.
        for (n, expected) in [(mx, 2), (gt, 3), (hn, 3), (sv, 2)] {
            #expect(try sqlite(n.staff.vault, "SELECT count(*) FROM submission") == "[[\(expected)]]", "vault of \(n.id)")
        }

        // 4. MX's keys can neither export GT's vault nor open what GT exports.
        let stolen = try tool("resguardo-intake", ["export", "--vault", gt.staff.vault, "--out", dir.appendingPathComponent("stolen.rsgb").path, "--passphrase-file", mx.staff.vpass])
        #expect(stolen.status == 77, "\(stolen.output)")
        for n in networks {
            _ = try ok("resguardo-intake", ["export", "--vault", n.staff.vault, "--out", n.staff.dir.appendingPathComponent("b1.rsgb").path, "--passphrase-file", n.staff.vpass])
            _ = try ok("resguardo", ["init", "--workspace", n.workspace, "--keys", n.staff.keys, "--passphrase-file", n.staff.pass])
            _ = try ok("resguardo", ["vault", "trust", "--workspace", n.workspace, "--fingerprint", n.staff.vaultFingerprint, "--public-key", n.staff.vault + ".signing.pub"])
        }
        let crossed = try tool("resguardo", ["unseal", "--workspace", mx.workspace, gt.staff.dir.appendingPathComponent("b1.rsgb").path, "--passphrase-file", mx.staff.pass])
        #expect(crossed.status != 0 && crossed.output.contains("trusted"), "\(crossed.output)")
        #expect(try ok("resguardo", ["cases", "list", "--workspace", mx.workspace]).contains("0 cases"))
        // GT's vault is purged only with GT's acknowledgement: MX's manifest (through the
        // intake's config) does not verify GT's acknowledgement, so nothing is deleted.
        for n in networks {
            let unsealed = try ok("resguardo", ["unseal", "--workspace", n.workspace, n.staff.dir.appendingPathComponent("b1.rsgb").path, "--passphrase-file", n.staff.pass])
            let expected = n.id == "gt" ? "3 envelopes → 2 new cases, 0 duplicates, 1 quarantined" : "\(n.id == "hn" ? 3 : 2) envelopes → \(n.id == "hn" ? 3 : 2) new cases, 0 duplicates, 0 quarantined"
            #expect(unsealed.contains(expected), "\(n.id): \(unsealed)")
        }

        let gtAck = gt.staff.dir.appendingPathComponent("b1.rsgb.ack").path
        let wrongPurge = try tool("resguardo-intake", ["purge", "--vault", gt.staff.vault, "--acknowledgement", gtAck, "--config", config, "--network", "mx"])
        #expect(wrongPurge.status != 0, "\(wrongPurge.output)")
        #expect(try sqlite(gt.staff.vault, "SELECT count(*) FROM submission") == "[[3]]")
        let noNetwork = try tool("resguardo-intake", ["purge", "--vault", gt.staff.vault, "--acknowledgement", gtAck, "--config", config])
        #expect(noNetwork.status == 64 && noNetwork.output.contains("give --network ID"), "\(noNetwork.output)")
        let rightPurge = try ok("resguardo-intake", ["purge", "--vault", gt.staff.vault, "--acknowledgement", gtAck, "--config", config, "--network", "gt"])
        #expect(try sqlite(gt.staff.vault, "SELECT count(*) FROM submission") == "[[0]]", "\(rightPurge)")

        // 5. Each network vets and registers its own cases (the web reports gave no consent to
        // the registry: only the resguardo-submit ones enter), then takes the regional key.
        for n in networks {
            let list = try ok("resguardo", ["cases", "list", "--workspace", n.workspace])
            for line in list.split(separator: "\n") where line.first?.isHexDigit == true && line.contains(" new ") {
                let id = String(line.prefix(12))
                _ = try ok("resguardo", ["cases", "vet", "--workspace", n.workspace, id, "--decision", "accept", "--note", "verificada"])
                _ = try tool("resguardo", ["registry", "add", "--workspace", n.workspace, id, "--passphrase-file", n.staff.pass])
            }
        }
        let region = dir.appendingPathComponent("region").path, rpass = dir.appendingPathComponent("rpass").path
        try "frase de la oficina regional\n".write(toFile: rpass, atomically: true, encoding: .utf8)
        let made = try ok("resguardo", ["region", "init", "--region", region, "--name", "Iniciativa Mesoamericana", "--kdf", "interactive", "--passphrase-file", rpass])
        let regionPrint = try #require(made.split(separator: "\n").first { $0.hasPrefix("regional signing-key fingerprint: ") }).dropFirst("regional signing-key fingerprint: ".count)
        var bundles: [String: String] = [:]
        for n in networks {
            _ = try ok("resguardo", ["networks", "add", n.id, "--fingerprint", n.staff.fingerprint, "--countries", n.country, "--region", region])
            let keyFile = n.staff.dir.appendingPathComponent("regional-key.json").path
            _ = try ok("resguardo", ["region", "key-for", n.id, "--manifest", n.staff.keys + "/manifest.json", "--region", region, "--out", keyFile, "--passphrase-file", rpass])
            // A key file made for another network is refused before anything is stored.
            if n.id == "gt" {
                let wrong = try tool("resguardo", ["registry", "regional-key", "import", mx.staff.dir.appendingPathComponent("regional-key.json").path,
                                                   "--region-fingerprint", String(regionPrint), "--workspace", n.workspace, "--passphrase-file", n.staff.pass])
                #expect(wrong.status != 0 && wrong.output.contains("another network"), "\(wrong.output)")
            }
            _ = try ok("resguardo", ["registry", "regional-key", "import", keyFile, "--region-fingerprint", String(regionPrint), "--workspace", n.workspace, "--passphrase-file", n.staff.pass])
            let bundle = n.staff.dir.appendingPathComponent("registro-1.json").path
            #expect(try ok("resguardo", ["registry", "publish", "--workspace", n.workspace, "--out", bundle, "--passphrase-file", n.staff.pass])
                .contains("wrote bundle 1 of network \(n.id): 1 additions, 0 corrections, 0 withdrawals"))
            bundles[n.id] = bundle
        }

        // 6. The regional office imports the four.
        for n in networks {
            #expect(try ok("resguardo", ["registry", "import", "--region", region, try #require(bundles[n.id]), "--passphrase-file", rpass]).contains("network \(n.id) bundle 1: 1 added"))
        }
        let regional = dir.appendingPathComponent("region/registry.sqlite").path
        func snapshot() throws -> String { try sqlite(regional, "SELECT record_id, defender_pid, country, network, verification FROM record ORDER BY record_id") }
        let report = try regionalReport(region, dir)
        // An independent count over the four national registries gives the same figures.
        var byCountry: [String: Int] = [:], byType: [String: Int] = [:], total = 0
        for n in networks {
            let national = n.workspace + "/registry.sqlite"
            let count = Int(try sqlite(national, "SELECT count(*) FROM record").filter(\.isNumber)) ?? -1
            byCountry[n.country] = count
            total += count
            for pair in array(try JSONValue.parse(Array(try sqlite(national, "SELECT aggression_type, count(*) FROM record_aggression GROUP BY aggression_type").utf8))) ?? [] {
                if case .string(let code)? = array(pair)?.first, let c = array(pair)?.last?.intValue { byType[code, default: 0] += c }
            }
        }
        #expect(total == 4)
        #expect(report["aggressions"]?.intValue == total)
        #expect(table(report, "by_country") == byCountry)
        #expect(table(report, "by_aggression_type") == byType)
        #expect(table(report, "by_network") == ["mx": 1, "gt": 1, "hn": 1, "sv": 1])
        // The defender reported in GT and MX: twice in the aggressions, once among the defenders.
        #expect(report["distinct_defenders"]?.intValue == 3, "\(report["distinct_defenders"] ?? .null)")

        // 7. Bundles the office must refuse, each changing nothing.
        let before = try snapshot()
        func refused(_ bundle: String, _ why: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
            let outcome = try tool("resguardo", ["registry", "import", "--region", region, bundle, "--passphrase-file", rpass])
            #expect(outcome.status != 0 && outcome.output.contains(why), "\(outcome.output)", sourceLocation: sourceLocation)
            #expect(try snapshot() == before, "a refused bundle changed the regional registry", sourceLocation: sourceLocation)
        }
        // Signed by a key nobody pinned, claiming to be MX.
        let regionKeys = try JSONValue.parse(Array(Data(contentsOf: URL(fileURLWithPath: region + "/region-public.json"))))
        guard case .string(let regionKey)? = regionKeys["encryption_key"], let regionKeyBytes = Encoding.bytes(fromBase64: regionKey) else { throw TestFailure("no regional key") }
        let impostor = try RegistryBundle.make(network: try #require(NetworkId("mx")), sequence: 7, isFull: true,
                                               payload: Array(#"{"network":"mx","sequence":7,"full":true,"additions":[],"corrections":[],"withdrawals":[]}"#.utf8),
                                               to: try SealPublicKey(bytes: regionKeyBytes), signedBy: try SigningKey.generate())
        let impostorPath = dir.appendingPathComponent("impostor.json").path
        try Data(impostor.bytes).write(to: URL(fileURLWithPath: impostorPath))
        try refused(impostorPath, "not by its pinned fingerprint")
        // Tampered: one character of the sealed records changed after signing.
        var tampered = try String(contentsOfFile: try #require(bundles["gt"]), encoding: .utf8)
        let sealedAt = try #require(tampered.range(of: "\"sealed\":\""))
        let target = tampered.index(sealedAt.upperBound, offsetBy: 40)
        tampered.replaceSubrange(target...target, with: tampered[target] == "A" ? "B" : "A")
        let tamperedPath = dir.appendingPathComponent("tampered.json").path
        try tampered.write(toFile: tamperedPath, atomically: true, encoding: .utf8)
        try refused(tamperedPath, "signature does not verify")
        // Replayed.
        try refused(try #require(bundles["hn"]), "a replay")

        // 8. MX withdraws its record (consent withdrawn) and GT corrects one; published twice by
        // MX (2 and 3); the office takes 3, then refuses 2 as a rollback.
        let mxRecord = try sqlite(mx.workspace + "/registry.sqlite", "SELECT record_id FROM record").filter(\.isHexDigit)
        _ = try ok("resguardo", ["registry", "correct", "--workspace", mx.workspace, mxRecord, "--verification", "confirmed", "--passphrase-file", mx.staff.pass])
        let mx2 = mx.staff.dir.appendingPathComponent("registro-2.json").path, mx3 = mx.staff.dir.appendingPathComponent("registro-3.json").path
        #expect(try ok("resguardo", ["registry", "publish", "--workspace", mx.workspace, "--out", mx2, "--passphrase-file", mx.staff.pass]).contains("0 additions, 1 corrections, 0 withdrawals"))
        _ = try ok("resguardo", ["registry", "withdraw", "--workspace", mx.workspace, mxRecord, "--reason", "consent", "--passphrase-file", mx.staff.pass])
        #expect(try ok("resguardo", ["registry", "publish", "--workspace", mx.workspace, "--out", mx3, "--passphrase-file", mx.staff.pass]).contains("0 additions, 0 corrections, 1 withdrawals"))
        // Review N6: a courier who holds back bundle 2 cannot have 3 taken; only a full bundle may skip.
        try refused(mx3, "the bundles in between are missing")
        #expect(try ok("resguardo", ["registry", "import", "--region", region, mx2, "--passphrase-file", rpass]).contains("1 corrected"))
        #expect(try ok("resguardo", ["registry", "import", "--region", region, mx3, "--passphrase-file", rpass]).contains("1 withdrawn"))
        let afterWithdrawal = try regionalReport(region, dir)
        #expect(afterWithdrawal["aggressions"]?.intValue == 3 && table(afterWithdrawal, "by_network")["mx"] == nil)
        #expect(afterWithdrawal["distinct_defenders"]?.intValue == 3, "GT's record of the relocated defender is still hers")
        let settled = try snapshot()
        let rollback = try tool("resguardo", ["registry", "import", "--region", region, mx2, "--passphrase-file", rpass])
        #expect(rollback.status != 0 && rollback.output.contains("a rollback"), "\(rollback.output)")
        #expect(try snapshot() == settled)
        // Signed by MX itself, yet refused: an unknown member in the sealed records, a sequence past the bound.
        let mxPassphrase = try SecureBytes(copying: Array(try String(contentsOfFile: mx.staff.pass, encoding: .utf8).dropLast().utf8))
        let mxSigner = try KeyFile(bytes: Array(try Data(contentsOf: URL(fileURLWithPath: mx.staff.keys + "/signing.key"))))
            .unlockSigningKey(passphrase: mxPassphrase, kind: .manifestSigning)
        func signedByMX(_ name: String, sequence: Int, full: Bool, payload: String) throws -> String {
            let bundle = try RegistryBundle.make(network: try #require(NetworkId("mx")), sequence: sequence, isFull: full, payload: Array(payload.utf8),
                                                 to: try SealPublicKey(bytes: regionKeyBytes), signedBy: mxSigner)
            let path = dir.appendingPathComponent(name).path
            try Data(bundle.bytes).write(to: URL(fileURLWithPath: path))
            return path
        }
        func refusedNow(_ bundle: String, _ why: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
            let outcome = try tool("resguardo", ["registry", "import", "--region", region, bundle, "--passphrase-file", rpass])
            #expect(outcome.status != 0 && outcome.output.contains(why), "\(outcome.output)", sourceLocation: sourceLocation)
            #expect(try snapshot() == settled, sourceLocation: sourceLocation)
        }
        try refusedNow(try signedByMX("extra.json", sequence: 4, full: false,
                                      payload: #"{"network":"mx","sequence":4,"full":false,"additions":[],"corrections":[],"withdrawals":[],"note":"x"}"#), "unknown member `note`")
        try refusedNow(try signedByMX("far.json", sequence: 2_000_000_000, full: true,
                                      payload: #"{"network":"mx","sequence":2000000000,"full":true,"additions":[],"corrections":[],"withdrawals":[]}"#), "must be an integer from 1 to")

        // 9. The regional registry holds none of the identifiers the reports carried.
        let file = try Data(contentsOf: URL(fileURLWithPath: regional)) + ((try? Data(contentsOf: URL(fileURLWithPath: regional + "-wal"))) ?? Data())
        let text = String(decoding: file, as: UTF8.self)
        for n in networks {
            for secret in ["Defensora Prueba \(n.id)", "ID-\(n.id)-77", "+502 5555 01\(n.id)", "Relato confidencial de \(n.id)", "Amenaza por la web en \(n.id)"] {
                #expect(!text.contains(secret), "the regional registry holds \(secret)")
            }
        }
        #expect(!text.contains("2451 88710 0101") && !text.contains("245188710"))

        // The regional report as a page, with the map (docs/regional-report.png is made from it).
        let html = dir.appendingPathComponent("regional.html").path
        _ = try ok("resguardo", ["registry", "report", "--region", region, "--from", "2026", "--to", "2026", "--format", "html", "--out", html])
        let page = try String(contentsOfFile: html, encoding: .utf8)
        #expect(page.contains("data-country=\"GT\"") && page.contains("Mapa de la región") && page.contains("Natural Earth"))
    }
}
