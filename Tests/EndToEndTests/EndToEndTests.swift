import Foundation
import Testing
import TestSupport
import TestHarness
import Formats
import Sodium
import Vault

/// The whole path through the real binaries: keys → vault → intake → submissions → signed export →
/// offline unseal (cases, duplicates, quarantine) → vetting → signed acknowledgement → purge.
@Suite("End to end", .serialized)
struct EndToEndTests {
    static let secretPhrase = "Xochitl-7741 llamó desde la radio comunitaria"

    /// The offline tool always runs in a namespace with no network at all (`unshare -n`), so the
    /// whole offline workflow is proven to need none; the online tools run normally.
    static let canUnshare = (try? runSubprocess("/usr/bin/unshare", ["-n", "true"]).status) == 0

    func tool(_ name: String, _ arguments: [String], in dir: URL) throws -> SubprocessOutcome {
        let binary = IntakeProcess.binaries.appendingPathComponent(name).path
        if name == "resguardo" && Self.canUnshare {
            return try runSubprocess("/usr/bin/unshare", ["-n", binary] + arguments)
        }
        return try runSubprocess(binary, arguments)
    }

    @Test("seal → vault → export → unseal → vet → registry → acknowledge → purge; the offline side inside unshare -n")
    func fullLoop() async throws {
        if !Self.canUnshare { print("note: unshare -n is not permitted here; the offline steps ran with the network namespace as it is") }
        let intake = try IntakeProcess()
        let dir = intake.folder
        let staff = try StaffSetup(in: dir, organisation: "Red E2E")
        let (pass, vpass, keys, vault, workspace) = (staff.pass, staff.vpass, staff.keys, staff.vault, staff.workspace)
        let bundle = dir.appendingPathComponent("b1.rsgb").path, vaultFingerprint = staff.vaultFingerprint

        let intakeRun = try IntakeProcess(arguments: staff.intakeArguments)
        try intakeRun.start()
        let client = try intakeRun.client()
        defer { _ = client.shutdown() }
        let manifestJSON = try Array(Data(contentsOf: URL(fileURLWithPath: keys + "/manifest.json")))
        let key = try #require(try SignedKeyManifest(json: manifestJSON, trust: .key(VerifyingKey(bytes: Encoding.bytes(fromBase64: {
            guard case .string(let k)? = try JSONValue.parse(manifestJSON)["signing_key"] else { return "" }
            return k
        }()) ?? []))).manifest.currentEncryptionKey(on: .today())).publicKey

        var valid = Report(language: .es, country: "HN", description: Self.secretPhrase)
        valid.region = "HN-AT"
        valid.locality = "Aldea Nueva Esperanza, Tela"
        valid.incidentDate = .day(CalendarDay(year: 2026, month: 10, day: 3)!)
        valid.aggressionTypes = ["threat", "surveillance"]
        valid.defender.name = "Berta Cáceres Flores"
        valid.defender.contact = "+504 9988-7766 / berta.f@correo.hn"
        valid.defender.nationalId = "0801-1985-04567"
        valid.defender.birthYear = 1985
        valid.consent = Report.Consent(registry: true, contact: true)
        let second = Report(language: .en, country: "GT", description: "They followed me home.")
        let bodies: [[UInt8]] = [
            valid.jsonBytes(),
            second.jsonBytes(),
            Array(#"{"version":1,"language":"es","country":"SV","description":"Otro caso","apodo":"la Chata"}"#.utf8),
            Array(#"{"version":1,"language":"es","country":"MX","description":"x","aggression_types":["amenaza"]}"#.utf8),
            Array("{not json".utf8),
        ]
        var envelopes = try bodies.map { try Envelope.seal(report: $0, to: key).bytes }
        envelopes.append(envelopes[0]) // the same envelope sent twice: one case, one duplicate
        for e in envelopes { #expect(try await client.submit(e, to: intakeRun.baseURL).status == 201) }
        intakeRun.kill(signal: SIGTERM)

        let export = try tool("resguardo-intake", ["export", "--vault", vault, "--out", bundle, "--passphrase-file", vpass], in: dir)
        #expect(export.status == 0 && export.output.contains("exported 6 envelopes"), "\(export.output)")

        #expect(try tool("resguardo", ["init", "--workspace", workspace, "--keys", keys, "--passphrase-file", pass], in: dir).status == 0)
        // Unsealing before trusting the vault key is refused.
        let untrusted = try tool("resguardo", ["unseal", "--workspace", workspace, bundle, "--passphrase-file", pass], in: dir)
        #expect(untrusted.status == 65 && untrusted.output.contains("no vault key is trusted"), "\(untrusted.output)")
        let wrongPin = try tool("resguardo", ["vault", "trust", "--workspace", workspace, "--fingerprint", "0000 0000 0000 0000 0000 0000 0000 0000",
                                              "--public-key", vault + ".signing.pub"], in: dir)
        #expect(wrongPin.status == 65)
        #expect(try tool("resguardo", ["vault", "trust", "--workspace", workspace, "--fingerprint", vaultFingerprint, "--public-key", vault + ".signing.pub"], in: dir).status == 0)

        // A wrong passphrase changes nothing.
        try "no es la frase\n".write(toFile: dir.appendingPathComponent("wrong").path, atomically: true, encoding: .utf8)
        #expect(try tool("resguardo", ["unseal", "--workspace", workspace, bundle, "--passphrase-file", dir.appendingPathComponent("wrong").path], in: dir).status == 77)
        // A tampered copy is refused.
        var tampered = try Array(Data(contentsOf: URL(fileURLWithPath: bundle)))
        tampered[200] ^= 1
        try Data(tampered).write(to: dir.appendingPathComponent("tampered.rsgb"))
        let refused = try tool("resguardo", ["unseal", "--workspace", workspace, dir.appendingPathComponent("tampered.rsgb").path, "--passphrase-file", pass], in: dir)
        #expect(refused.status == 65 && refused.output.contains("digest does not match"), "\(refused.output)")

        let unseal = try tool("resguardo", ["unseal", "--workspace", workspace, bundle, "--passphrase-file", pass], in: dir)
        #expect(unseal.status == 0, "\(unseal.output)")
        #expect(unseal.output.contains("6 envelopes → 3 new cases, 1 duplicates, 2 quarantined (report_malformed_json: 1, report_unknown_code: 1)"), "\(unseal.output)")
        #expect(unseal.output.contains("1 cases carry fields this version does not know"))
        let quarantine = try tool("resguardo", ["cases", "quarantine", "--workspace", workspace], in: dir)
        let unknownLine = try #require(quarantine.output.split(separator: "\n").first { $0.hasSuffix("report_unknown_code") }, "\(quarantine.output)")
        let reason = try tool("resguardo", ["cases", "quarantine", "--workspace", workspace, String(unknownLine.prefix(12)), "--passphrase-file", pass], in: dir)
        #expect(reason.output.contains("has unknown code `amenaza`"), "\(reason.output)")
        // Issue 14 item 17: a bundle imported again changes nothing and re-issues its
        // acknowledgement, so one that could not be written (a read-only stick) is no dead end.
        try FileManager.default.removeItem(atPath: bundle + ".ack")
        let unwritable = try tool("resguardo", ["unseal", "--workspace", workspace, bundle, "--ack-out", dir.appendingPathComponent("no-such-dir").path, "--passphrase-file", pass], in: dir)
        #expect(unwritable.status == 73 && unwritable.output.contains("is imported, but its acknowledgement could not be written")
                && unwritable.output.contains("--ack-out"), "\(unwritable.output)")
        let replay = try tool("resguardo", ["unseal", "--workspace", workspace, bundle, "--passphrase-file", pass], in: dir)
        #expect(replay.status == 0 && replay.output.contains("already imported; nothing was changed") && replay.output.contains("acknowledgement: \(bundle).ack"), "\(replay.output)")
        #expect(FileManager.default.fileExists(atPath: bundle + ".ack"))
        let elsewhere = dir.appendingPathComponent("otra-usb")
        try FileManager.default.createDirectory(at: elsewhere, withIntermediateDirectories: true)
        let redirected = try tool("resguardo", ["unseal", "--workspace", workspace, bundle, "--ack-out", elsewhere.path, "--passphrase-file", pass], in: dir)
        #expect(redirected.status == 0 && FileManager.default.fileExists(atPath: elsewhere.appendingPathComponent("b1.rsgb.ack").path), "\(redirected.output)")
        #expect(try tool("resguardo", ["cases", "list", "--workspace", workspace], in: dir).output.contains("3 cases"))

        // Encrypted at rest: the narrative is nowhere in the workspace in the clear.
        for name in try FileManager.default.contentsOfDirectory(atPath: workspace) {
            let data = try Data(contentsOf: URL(fileURLWithPath: workspace + "/" + name))
            #expect(!String(decoding: data, as: UTF8.self).contains("Xochitl"), "\(name) holds plaintext")
        }

        let list = try tool("resguardo", ["cases", "list", "--workspace", workspace], in: dir)
        #expect(list.output.contains("3 cases"), "\(list.output)")
        let hondurasLine = try #require(list.output.split(separator: "\n").first { $0.contains(" HN ") })
        let caseId = String(hondurasLine.prefix(12))
        let show = try tool("resguardo", ["cases", "show", "--workspace", workspace, caseId, "--passphrase-file", pass], in: dir)
        #expect(show.output.contains(Self.secretPhrase) && show.output.contains("Region: Atlántida (HN-AT)"), "\(show.output)")
        #expect(show.output.contains("Aggressions: Threat"), "\(show.output)")
        let noteFile = dir.appendingPathComponent("nota").path
        try "confirmado con la red local\n".write(toFile: noteFile, atomically: true, encoding: .utf8)
        let vet = try tool("resguardo", ["cases", "vet", "--workspace", workspace, caseId, "--decision", "accept", "--note-file", noteFile], in: dir)
        #expect(vet.status == 0 && !vet.output.contains("warning"), "\(vet.output)")
        let again = try tool("resguardo", ["cases", "vet", "--workspace", workspace, caseId, "--decision", "accept", "--note", "otra vez"], in: dir)
        #expect(again.status == 65 && again.output.contains("a vetted case cannot become vetted"), "\(again.output)")
        let vetted = try tool("resguardo", ["cases", "list", "--workspace", workspace, "--state", "vetted"], in: dir)
        #expect(vetted.output.contains("1 cases"))
        let trail = try tool("resguardo", ["cases", "show", "--workspace", workspace, caseId, "--passphrase-file", pass], in: dir)
        #expect(trail.output.contains("new→vetted  confirmado"), "\(trail.output)")
        // The vetting note is shown with the passphrase, but sealed on disk.
        let store = String(decoding: try Data(contentsOf: URL(fileURLWithPath: workspace + "/cases.sqlite")), as: UTF8.self)
        #expect(!store.contains("confirmado") && store.contains("sealed:"))

        // De-identify and load: preview first, then the registry; loading twice is refused.
        let preview = try tool("resguardo", ["cases", "deidentify", "--workspace", workspace, caseId, "--preview", "--passphrase-file", pass], in: dir)
        // A lone record climbs the whole k-check ladder: region → country, month → quarter.
        #expect(preview.output.contains("defender.name: removed") && preview.output.contains("\"period\":\"2026-Q4\"")
                && preview.output.contains("\"region\":null") && preview.output.contains("still below k"), "\(preview.output)")
        let add = try tool("resguardo", ["registry", "add", "--workspace", workspace, caseId, "--passphrase-file", pass], in: dir)
        #expect(add.status == 0 && add.output.contains("loaded 1 records"), "\(add.output)")
        let twice = try tool("resguardo", ["registry", "add", "--workspace", workspace, caseId, "--passphrase-file", pass], in: dir)
        #expect(twice.status == 65 && twice.output.contains("only vetted cases"), "\(twice.output)")
        for format in ["csv", "json"] {
            let out = dir.appendingPathComponent("registro.\(format)").path
            // Issue 14 item 7: one defender is a group of one on every field: withheld and counted.
            let exported = try tool("resguardo", ["registry", "export", "--workspace", workspace, "--format", format, "--out", out], in: dir)
            #expect(exported.status == 0 && exported.output.contains("wrote 0 records") && exported.output.contains("1 records withheld"), "\(exported.output)")
        }
        // No name, contact, ID, place below region or narrative anywhere in the registry or its exports.
        for path in [workspace + "/registry.sqlite", dir.appendingPathComponent("registro.csv").path, dir.appendingPathComponent("registro.json").path] {
            let text = String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self)
            for secret in ["Berta", "Cáceres", "9988", "berta.f", "0801-1985", "Nueva Esperanza", "Tela", "Xochitl", "1985"] {
                // Digits are hex digits too: "1985" inside a hex id or digest (a 1-in-65,536 chance
                // per position) is a coincidence, not a leak; standing alone it would be one.
                let pattern = secret.allSatisfy(\.isNumber) ? "(?<![0-9a-fA-F])\(secret)(?![0-9a-fA-F])" : NSRegularExpression.escapedPattern(for: secret)
                #expect(text.range(of: pattern, options: .regularExpression) == nil, "\(secret) is in \(path)")
            }
        }
        let json = String(decoding: try Data(contentsOf: dir.appendingPathComponent("registro.json")), as: UTF8.self)
        #expect(json.contains(#""withheld_below_k":1"#) && json.contains(#""records":[]"#), "\(json)")
        // The record itself, as `cases deidentify --preview` shows it to staff, carries the MT04 codes.
        let previewed = try tool("resguardo", ["cases", "deidentify", "--workspace", workspace, caseId, "--preview", "--passphrase-file", pass], in: dir)
        #expect(previewed.output.contains("\"country\":\"HN\"") && previewed.output.contains("\"aggression_types_mt04\":[\"120104\",\"020103\"]"), "\(previewed.output)")

        // The acknowledgement lets the intake purge exactly what the bundle carried.
        let purge = try tool("resguardo-intake", ["purge", "--vault", vault, "--acknowledgement", bundle + ".ack"] + staff.manifestArguments, in: dir)
        #expect(purge.status == 0 && purge.output.contains("purged 6 envelopes"), "\(purge.output)")
        let total = try await VaultDatabase(path: vault).stats().reduce(0) { $0 + $1.count }
        #expect(total == 0)
        _ = intake
    }
}

@Suite("Online tools' help")
struct OnlineHelpTests {
    @Test("every online command has --help with an example", arguments: [
        ("resguardo-intake", ["--help"]), ("resguardo-intake", ["serve", "--help"]), ("resguardo-intake", ["vault", "init", "--help"]),
        ("resguardo-intake", ["export", "--help"]), ("resguardo-intake", ["purge", "--help"]), ("resguardo-intake", ["stats", "--help"]),
        ("resguardo-submit", ["--help"]), ("resguardo-submit", ["submit", "--help"]), ("resguardo-submit", ["send", "--help"]),
        ("resguardo-submit", ["replies", "--help"]), ("resguardo-intake", ["import-replies", "--help"]),
    ])
    func help(tool: String, arguments: [String]) throws {
        let outcome = try runSubprocess(IntakeProcess.binaries.appendingPathComponent(tool).path, arguments)
        #expect(outcome.status == 0 && outcome.output.contains("Example"), "\(tool) \(arguments.joined(separator: " ")): no example")
    }
}
