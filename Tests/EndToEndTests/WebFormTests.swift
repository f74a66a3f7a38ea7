import Foundation
import Testing
import TestSupport
import TestHarness
import Formats
import Sodium
import Vault

/// The defender's web form in a real browser: headless Chromium driven by Selenium
/// (scripts/lib/webform.py) against a live intake over TLS, then the offline side opens what
/// arrived. The browser's cryptography is checked against libsodium (here) and python3-nacl.
@Suite("Web form in Chromium", .serialized)
struct WebFormTests {
    static let script = repositoryRoot.appendingPathComponent("scripts/lib/webform.py").path

    func webform(_ arguments: [String]) throws -> SubprocessOutcome {
        try runSubprocess(debianPython, [Self.script] + arguments)
    }

    func tool(_ name: String, _ arguments: [String]) throws -> SubprocessOutcome {
        try runSubprocess(IntakeProcess.binaries.appendingPathComponent(name).path, arguments)
    }

    func jsonObject(_ path: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
    }

    @Test("the Spanish form, with JavaScript and without, arrives intact through export and the offline unseal; the photo lost its GPS tag")
    func bothPathsEndToEnd() async throws {
        let scratch = try IntakeProcess()
        let dir = scratch.folder
        let staff = try StaffSetup(in: dir, organisation: "Red Web")
        let (pass, vpass, keys, vault, workspace) = (staff.pass, staff.vpass, staff.keys, staff.vault, staff.workspace)
        let bundle = dir.appendingPathComponent("b1.rsgb").path, vaultFingerprint = staff.vaultFingerprint

        let intake = try IntakeProcess(arguments: staff.intakeArguments)
        try intake.start()
        let photo = dir.appendingPathComponent("foto.jpg").path
        #expect(try webform(["photo", photo]).status == 0)
        let original = try webform(["gps", photo])
        #expect(original.output.contains("\"2\": \"(15.0, 46.0, 30.0)\""), "the test photo must carry GPS: \(original.output)")

        let withScript = try webform(["submit", intake.baseURL, photo, dir.appendingPathComponent("js.json").path])
        #expect(withScript.status == 0, "\(withScript.output)")
        let withoutScript = try webform(["nojs", intake.baseURL, dir.appendingPathComponent("nojs.json").path])
        #expect(withoutScript.status == 0, "\(withoutScript.output)")
        intake.kill(signal: SIGTERM)
        let jsOut = try jsonObject(dir.appendingPathComponent("js.json").path)
        let nojsOut = try jsonObject(dir.appendingPathComponent("nojs.json").path)

        // The vault knows only who sealed each one, and the urgent bit.
        let sealedBy = try runSubprocess(debianPython, ["-c", "import sqlite3,sys; print(sorted(sqlite3.connect(sys.argv[1]).execute('SELECT sealed_by, urgent FROM submission').fetchall()))", vault])
        #expect(sealedBy.output.contains("[('device', 1), ('server', 1)]"), "\(sealedBy.output)")

        #expect(try tool("resguardo-intake", ["export", "--vault", vault, "--out", bundle, "--passphrase-file", vpass]).status == 0)
        #expect(try tool("resguardo", ["init", "--workspace", workspace, "--keys", keys, "--passphrase-file", pass]).status == 0)
        #expect(try tool("resguardo", ["vault", "trust", "--workspace", workspace, "--fingerprint", vaultFingerprint, "--public-key", vault + ".signing.pub"]).status == 0)
        let unseal = try tool("resguardo", ["unseal", "--workspace", workspace, bundle, "--passphrase-file", pass])
        #expect(unseal.output.contains("2 envelopes → 2 new cases, 0 duplicates, 0 quarantined"), "\(unseal.output)")
        let list = try tool("resguardo", ["cases", "list", "--workspace", workspace])
        let ids = list.output.split(separator: "\n").filter { $0.contains(" HN ") }.map { String($0.prefix(12)) }
        #expect(ids.count == 2, "\(list.output)")

        var seen: Set<String> = []
        for id in ids {
            let shown = try tool("resguardo", ["cases", "show", "--workspace", workspace, id, "--json", "--passphrase-file", pass])
            #expect(shown.status == 0, "\(shown.output)")
            let report = try Report.parse(Array(shown.output.utf8))
            let fromBrowser = !report.attachments.isEmpty
            seen.insert(fromBrowser ? "js" : "nojs")
            let filled = try #require((fromBrowser ? jsOut : nojsOut)["filled"] as? [String: Any])
            try check(report, against: filled)
            if fromBrowser {
                let attachment = try #require(report.attachments.first)
                #expect(report.attachments.count == 2 && attachment.filename == "foto-1.jpg" && attachment.mediaType == "image/jpeg")
                // Issue 14 item 15: a document arrives under a neutral name, never the one it had.
                #expect(report.attachments.map(\.filename) == ["foto-1.jpg", "archivo-2.pdf"], "\(report.attachments.map(\.filename))")
                let arrived = dir.appendingPathComponent("arrived.jpg").path
                try Data(attachment.data).write(to: URL(fileURLWithPath: arrived))
                let exif = try webform(["gps", arrived])
                #expect(exif.output.contains("\"exif\": false, \"gps\": {}") && exif.output.contains("[640, 480]"), "\(exif.output)")
            }
        }
        #expect(seen == ["js", "nojs"])
    }

    /// Every question the browser answered, as the offline side reads it.
    func check(_ report: Report, against filled: [String: Any]) throws {
        func s(_ key: String) -> String? { filled[key] as? String }
        func set(_ key: String) -> Set<String> { Set(filled[key] as? [String] ?? []) }
        #expect(report.language == .es)
        #expect(report.country == s("country") && report.region == s("region") && report.locality == s("locality") && report.setting == s("setting"))
        #expect(report.incidentDate?.description == "\(s("incident_year") ?? "")-\(s("incident_month") ?? "")-\(s("incident_day") ?? "")")
        #expect(report.description == s("description"))
        #expect(Set(report.aggressionTypes) == set("aggression_types") && Set(report.perpetrators) == set("perpetrators"))
        #expect(Set(report.rightsDefended) == set("rights_defended") && report.targetScope == s("target_scope"))
        #expect(report.peopleAffected == 3 && report.affectsRelatives == true && report.genderComponent == true)
        #expect(Set(report.genderComponentTypes) == set("gender_component_types"))
        #expect(report.defender.name == s("defender_name") && report.defender.organisation == s("defender_organisation"))
        #expect(report.defender.contact == s("defender_contact") && report.defender.nationalId == s("defender_national_id"))
        #expect(report.defender.birthYear == 1985 && report.defender.genderIdentity == s("defender_gender_identity")
                && report.defender.ethnicity == s("defender_ethnicity"))
        #expect(Set(report.needs) == set("needs") && report.urgent)
        #expect(report.consent == Report.Consent(registry: true, contact: true))
        #expect(report.unknownFields.isEmpty)
    }

    @Test("BLAKE2b, sealed boxes, envelopes and proofs of work in Chromium agree with libsodium and python3-nacl")
    func browserCryptography() async throws {
        let intake = try IntakeProcess()
        try intake.start()
        var cases: [[String: Any]] = []
        // The committed vectors (made by python3-nacl, RFC 7693's among them)…
        let vectorDir = repositoryRoot.appendingPathComponent("Tests/Vectors/blake2b")
        for name in try FileManager.default.contentsOfDirectory(atPath: vectorDir.path).sorted() {
            var fields: [String: String] = [:]
            for line in try String(contentsOf: vectorDir.appendingPathComponent(name), encoding: .utf8).split(separator: "\n") {
                let parts = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                if parts.count == 2 { fields[parts[0]] = parts[1] } else if parts.count == 1 { fields[parts[0]] = "" }
            }
            let digest = try #require(fields["digest"])
            cases.append(["source": name, "message": fields["message"] ?? "", "key": fields["key"] ?? "", "size": digest.count / 2, "digest": digest])
        }
        // …and random inputs digested here by libsodium, across block boundaries and key sizes.
        for n in 0..<40 {
            let length = [0, 1, 127, 128, 129, 256, 1000, 4097][n % 8] + n
            let message = try Random.bytes(count: length)
            let size = [16, 20, 32, 48, 64][n % 5]
            let key = n % 3 == 0 ? [] : try Random.bytes(count: [16, 32, 64][n % 3])
            let digest = key.isEmpty ? try GenericHash.hash(message, outputByteCount: size)
                : try GenericHash.hash(message, outputByteCount: size, key: SecureBytes(copying: key))
            cases.append(["source": "libsodium", "message": Encoding.hex(message), "key": Encoding.hex(key), "size": size, "digest": Encoding.hex(digest)])
        }
        // Codename vectors made by python3-nacl (Tests/Vectors/codename).
        var codenames: [[String: String]] = []
        let codenameDir = repositoryRoot.appendingPathComponent("Tests/Vectors/codename")
        for name in try FileManager.default.contentsOfDirectory(atPath: codenameDir.path).sorted() {
            var fields: [String: String] = [:]
            for line in try String(contentsOf: codenameDir.appendingPathComponent(name), encoding: .utf8).split(separator: "\n") {
                if let r = line.range(of: ": ") { fields[String(line[..<r.lowerBound])] = String(line[r.upperBound...]) }
            }
            fields["typed"] = fields["typed"]?.replacingOccurrences(of: "\\t", with: "\t")
            codenames.append(fields)
        }
        #expect(codenames.count == 3)
        let report = #"{"version":1,"language":"es","country":"MX","description":"sellado en Chromium"}"#
        let input = intake.folder.appendingPathComponent("in.json"), output = intake.folder.appendingPathComponent("out.json")
        try JSONSerialization.data(withJSONObject: ["blake2b": cases, "report": report, "codenames": codenames]).write(to: input)
        let run = try webform(["vectors", intake.baseURL, input.path, output.path])
        #expect(run.status == 0, "\(run.output)")
        let result = try jsonObject(output.path)
        #expect(result["checked"] as? Int == cases.count + 40)
        // libsodium opens the envelope the browser sealed.
        let secretHex = try #require(result["secret_key"] as? String), envelopeHex = try #require(result["envelope"] as? String)
        let secret = try #require(Encoding.bytes(fromHex: secretHex)), envelopeBytes = try #require(Encoding.bytes(fromHex: envelopeHex))
        let key = try SealSecretKey(secretBytes: SecureBytes(copying: secret))
        let envelope = try Envelope(bytes: envelopeBytes)
        #expect(envelope.isUrgent && envelope.bucket == Bucket.smallest)
        let opened = try envelope.open(with: key)
        #expect(opened.withUnsafeBytes { String(decoding: $0, as: UTF8.self) } == report)
    }

    @Test("a tampered manifest signature stops the page before anything is sent, with a message in Spanish")
    func tamperedManifest() async throws {
        let intake = try IntakeProcess()
        try intake.start()
        let run = try webform(["tampered", intake.baseURL, intake.certificatePath,
                               intake.folder.appendingPathComponent(".resguardo-dev/key.pem").path])
        #expect(run.status == 0 && run.output.contains("No se envió nada"), "\(run.output)")
        intake.kill(signal: SIGTERM)
        let stored = try await VaultDatabase(path: intake.vaultPath).stats().reduce(0) { $0 + $1.count }
        #expect(stored == 0)
    }

    @Test("seal now, send later: with the server gone the page seals anyway, saves the envelope, and resguardo-submit sends it")
    func sealNowSendLater() async throws {
        let intake = try IntakeProcess()
        try intake.start()
        let downloads = intake.folder.appendingPathComponent("descargas")
        try FileManager.default.createDirectory(at: downloads, withIntermediateDirectories: true)
        let pid = try #require(intake.processIdentifier)
        let run = try webform(["offline", intake.baseURL, String(pid), downloads.path])
        #expect(run.status == 0, "\(run.output)")
        let saved = try #require(run.output.split(separator: "\n").last.map(String.init))
        let envelope = try Envelope(bytes: Array(Data(contentsOf: URL(fileURLWithPath: saved))))
        #expect(!envelope.flags.contains(.sealedByIntake))
        try intake.start()
        let send = try tool("resguardo-submit", ["send", "--url", intake.baseURL, "--ca", intake.certificatePath,
                                                 "--fingerprint", IntakeProcess.demoFingerprint, "--outbox", intake.folder.appendingPathComponent("outbox").path,
                                                 "--known-intakes", intake.folder.appendingPathComponent("known").path, saved])
        #expect(send.status == 0 && send.output.contains("receipt"), "\(send.output)")
        intake.kill(signal: SIGTERM)
        let stored = try await VaultDatabase(path: intake.vaultPath).stats().reduce(0) { $0 + $1.count }
        #expect(stored == 1)
    }

    @Test("14.8: the offline form, opened from a file:// URL, seals on the device and gets a receipt over CORS; unreachable, it saves the sealed file")
    func offlineFormFromFile() async throws {
        let intake = try IntakeProcess()
        try intake.start()
        let client = try intake.client()
        defer { _ = client.shutdown() }
        let manifest = intake.folder.appendingPathComponent("keys-example/manifest.json").path
        func make(_ url: String, _ name: String) throws -> String {
            let out = intake.folder.appendingPathComponent(name).path
            let made = try tool("resguardo-intake", ["offline-form", "--manifest", manifest, "--fingerprint", IntakeProcess.demoFingerprint,
                                                     "--url", url, "--out", out])
            // The checksum the network publishes is the one `sha256sum` gives.
            let independent = try runSubprocess("/usr/bin/sha256sum", [out]).output.split(separator: " ").first.map(String.init) ?? "none"
            #expect(made.status == 0 && made.output.contains("SHA-256: \(independent)"), "\(made.output)")
            return out
        }
        // A form made against a swapped manifest is refused.
        let forged = try tool("resguardo-intake", ["offline-form", "--manifest", manifest, "--fingerprint", "0000 0000 0000 0000 0000 0000 0000 0000",
                                                   "--url", intake.baseURL, "--out", intake.folder.appendingPathComponent("no.html").path])
        #expect(forged.status == 65 && forged.output.contains("not by the trusted key"), "\(forged.output)")

        let reachable = try make(intake.baseURL, "formulario.html")
        let html = try String(contentsOfFile: reachable, encoding: .utf8)
        #expect(html.contains(IntakeProcess.demoFingerprint) && html.contains("data-manifest=") && !html.contains("src=\"/assets"))
        let downloads = intake.folder.appendingPathComponent("descargas")
        try FileManager.default.createDirectory(at: downloads, withIntermediateDirectories: true)
        let out = intake.folder.appendingPathComponent("fileform.json").path
        let run = try webform(["fileform", reachable, downloads.path, out])
        #expect(run.status == 0, "\(run.output)")
        let result = try jsonObject(out)
        #expect(result["outcome"] as? String == "receipt", "\(result)")
        #expect(try await VaultDatabase(path: intake.vaultPath).stats().reduce(0) { $0 + $1.count } == 1)

        // Nothing listens there: the form seals with the manifest it carries and saves the file.
        let unreachable = try make("https://127.0.0.1:18999", "formulario-sin-red.html")
        let offlineOut = intake.folder.appendingPathComponent("fileform-offline.json").path
        let offline = try webform(["fileform", unreachable, downloads.path, offlineOut])
        #expect(offline.status == 0, "offline form: \(offline.output)")
        let saved = try #require(try jsonObject(offlineOut)["saved"] as? String)
        let envelope = try Envelope(bytes: Array(Data(contentsOf: URL(fileURLWithPath: saved))), knownKeyIds: [try KeyId(publicKey: intake.currentKey())])
        #expect(!envelope.flags.contains(.sealedByIntake))

        // CORS for the API only, never with credentials; the page and the no-JavaScript path stay same-origin.
        let preflight = try await client.send(.OPTIONS, intake.baseURL + "/v1/reports",
                                              headers: [("Origin", "null"), ("Access-Control-Request-Method", "POST"), ("Access-Control-Request-Headers", "content-type,resguardo-token,resguardo-proof")])
        #expect(preflight.status == 204 && preflight.header("Access-Control-Allow-Origin") == "*"
                && preflight.header("Access-Control-Allow-Headers")?.lowercased().contains("resguardo-proof") == true
                && preflight.header("Access-Control-Allow-Credentials") == nil, "\(preflight.headers)")
        let page = try await client.send(.GET, intake.baseURL + "/", headers: [("Origin", "null")])
        #expect(page.status == 200 && page.header("Access-Control-Allow-Origin") == nil)
        let form = try await client.send(.OPTIONS, intake.baseURL + "/v1/reports/form", headers: [("Origin", "null"), ("Access-Control-Request-Method", "POST")])
        #expect(form.header("Access-Control-Allow-Origin") == nil)
    }

    @Test("review N10: on an intake of two networks, offline-form --config --network makes that network's form; from file:// it fetches /v1/networks/ID/keys over CORS, seals to it and lands in its vault")
    func offlineFormSeveralNetworks() async throws {
        let scratch = try IntakeProcess()
        let dir = scratch.folder
        let (config, staff) = try StaffSetup.severalNetworks(in: dir, [("mx", "MX"), ("gt", "GT")])
        let (mx, gt) = (try #require(staff["mx"]), try #require(staff["gt"]))
        let intake = try IntakeProcess(arguments: ["--config", config])
        try intake.start()
        defer { intake.kill(signal: SIGTERM) }
        let client = try intake.client()
        defer { _ = client.shutdown() }

        let out = dir.appendingPathComponent("formulario-gt.html").path
        let made = try tool("resguardo-intake", ["offline-form", "--config", config, "--network", "gt", "--url", intake.baseURL, "--out", out])
        #expect(made.status == 0 && made.output.contains("network gt"), "\(made.output)")
        let html = try String(contentsOfFile: out, encoding: .utf8)
        #expect(html.contains("data-networks=") && html.contains(gt.fingerprint) && !html.contains(mx.fingerprint), "only GT's pin")
        let noNetwork = try tool("resguardo-intake", ["offline-form", "--config", config, "--url", intake.baseURL, "--out", dir.appendingPathComponent("x.html").path])
        #expect(noNetwork.status == 64 && noNetwork.output.contains("--network"), "\(noNetwork.output)")

        // The network's manifest and the list answer a page opened from a file (origin null).
        for path in ["/v1/networks/gt/keys", "/v1/networks"] {
            let reply = try await client.send(.GET, intake.baseURL + path, headers: [("Origin", "null")])
            #expect(reply.status == 200 && reply.header("Access-Control-Allow-Origin") == "*", "\(path): \(reply.headers)")
        }

        let downloads = dir.appendingPathComponent("descargas")
        try FileManager.default.createDirectory(at: downloads, withIntermediateDirectories: true)
        let result = dir.appendingPathComponent("fileform.json").path
        let run = try webform(["fileform", out, downloads.path, result])
        #expect(run.status == 0, "\(run.output)")
        #expect(try jsonObject(result)["outcome"] as? String == "receipt")
        intake.kill(signal: SIGTERM)
        let gtCount = try await VaultDatabase(path: gt.vault).stats().reduce(0) { $0 + $1.count }
        let mxCount = try await VaultDatabase(path: mx.vault).stats().reduce(0) { $0 + $1.count }
        #expect(gtCount == 1 && mxCount == 0, "gt \(gtCount), mx \(mxCount)")
        // It opens offline, with GT's key, as a report from Guatemala.
        let opened = try gt.exportAndUnseal(into: dir.appendingPathComponent("gt.rsgb").path)
        #expect(opened.status == 0 && opened.output.contains("1 new cases, 0 duplicates, 0 quarantined"), "\(opened.output)")
    }

    @Test("phone-width screenshots in both languages; every field labelled, touch targets ≥ 44 px, no console errors")
    func screenshots() async throws {
        let intake = try IntakeProcess()
        try intake.start()
        // RESGUARDO_WRITE_SAMPLE=1 refreshes the screenshots kept in docs/.
        let folder = ProcessInfo.processInfo.environment["RESGUARDO_WRITE_SAMPLE"] != nil
            ? repositoryRoot.appendingPathComponent("docs").path : intake.folder.appendingPathComponent("shots").path
        let run = try webform(["screenshots", intake.baseURL, folder])
        #expect(run.status == 0, "\(run.output)")
        for name in ["es", "en", "codename-es"] {
            let size = try FileManager.default.attributesOfItem(atPath: folder + "/webform-\(name).png")[.size] as? Int ?? 0
            #expect(size > 10_000)
        }
    }

    @Test("a voice note recorded in Chromium (fake microphone), listened to and sent, comes out offline as a WebM/Opus file of the recorded length under a neutral name; with the microphone refused the page offers a file picker")
    func voiceNote() async throws {
        let scratch = try IntakeProcess()
        let dir = scratch.folder
        let staff = try StaffSetup(in: dir, organisation: "Red Voz")
        let intake = try IntakeProcess(arguments: staff.intakeArguments)
        try intake.start()
        // RESGUARDO_WRITE_SAMPLE=1 refreshes the screenshots kept in docs/.
        let shots = ProcessInfo.processInfo.environment["RESGUARDO_WRITE_SAMPLE"] != nil ? repositoryRoot.appendingPathComponent("docs").path : dir.path
        let recorded = try webform(["voice", intake.baseURL, dir.appendingPathComponent("voice.json").path, shots + "/voice-recorder-es.png"])
        #expect(recorded.status == 0, "\(recorded.output)")
        let denied = try webform(["voice-denied", intake.baseURL, shots + "/voice-fallback-es.png"])
        #expect(denied.status == 0 && denied.output.contains("Tor Browser"), "\(denied.output)")
        intake.kill(signal: SIGTERM)
        let seconds = try #require(try jsonObject(dir.appendingPathComponent("voice.json").path)["recorded_seconds"] as? Double)

        let bundle = dir.appendingPathComponent("voz.rsgb").path
        #expect(try tool("resguardo-intake", ["export", "--vault", staff.vault, "--out", bundle, "--passphrase-file", staff.vpass]).status == 0)
        #expect(try tool("resguardo", ["init", "--workspace", staff.workspace, "--keys", staff.keys, "--passphrase-file", staff.pass]).status == 0)
        #expect(try tool("resguardo", ["vault", "trust", "--workspace", staff.workspace, "--fingerprint", staff.vaultFingerprint, "--public-key", staff.vault + ".signing.pub"]).status == 0)
        let unseal = try tool("resguardo", ["unseal", "--workspace", staff.workspace, bundle, "--passphrase-file", staff.pass])
        #expect(unseal.output.contains("1 new cases"), "\(unseal.output)")
        let list = try tool("resguardo", ["cases", "list", "--workspace", staff.workspace])
        let id = try #require(list.output.split(separator: "\n").first { $0.contains(" HN ") }.map { String($0.prefix(12)) }, "\(list.output)")
        let shown = try tool("resguardo", ["cases", "show", "--workspace", staff.workspace, id, "--json", "--passphrase-file", staff.pass])
        let report = try Report.parse(Array(shown.output.utf8))
        let voice = try #require(report.attachments.first)
        #expect(report.attachments.count == 1 && voice.filename.hasPrefix("voz-1.") && voice.mediaType.hasPrefix("audio/"), "\(voice.filename) \(voice.mediaType)")
        let out = dir.appendingPathComponent("revision").path
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let extracted = try tool("resguardo", ["cases", "attachment", "--workspace", staff.workspace, id, "1", "--out", out, "--passphrase-file", staff.pass])
        #expect(extracted.status == 0, "\(extracted.output)")
        let file = try #require(try FileManager.default.contentsOfDirectory(atPath: out).first { $0.hasSuffix(".webm") || $0.hasSuffix(".ogg") }, "\(extracted.output)")
        let probe = try runSubprocess(debianPython, [repositoryRoot.appendingPathComponent("scripts/lib/webm_audio.py").path, out + "/" + file])
        #expect(probe.status == 0, "\(probe.output)")
        let info = try JSONSerialization.jsonObject(with: Data(probe.output.utf8)) as? [String: Any]
        #expect(info?["codec"] as? String == "opus", "\(probe.output)")
        let length = info?["seconds"] as? Double ?? 0
        #expect(abs(length - seconds) < 1.5, "recorded \(seconds) s, the file holds \(length) s")
    }

    @Test("page and scripts weigh under 200 KB, with SRI on every script, no inline script or style, and the language chosen as asked")
    func pageShape() async throws {
        let intake = try IntakeProcess()
        try intake.start()
        let client = try intake.client()
        defer { _ = client.shutdown() }
        let page = try await client.send(.GET, intake.baseURL + "/", headers: [("Accept-Language", "es-MX,es;q=0.9")])
        let html = String(decoding: page.body, as: UTF8.self)
        #expect(page.status == 200 && html.contains("<html lang=\"es\"") && html.contains("Enviar denuncia"))
        #expect(page.header("Content-Security-Policy")?.contains("default-src 'self'") == true && page.header("Set-Cookie") == nil)
        let scripts = html.components(separatedBy: "<script").dropFirst()
        #expect(scripts.count == 4 && scripts.allSatisfy { $0.contains("src=\"/assets/") && $0.contains("integrity=\"sha512-") })
        #expect(!html.contains(" style=") && !html.contains(" onclick=") && !html.contains(" onsubmit="))
        var weight = page.body.count, onTheWire = page.body.count
        let scratch = try Scratch()
        for asset in ["nacl-fast.min.js", "blake2b.js", "sealing.js", "form.js", "form.css", "pow.wasm"] {
            let reply = try await client.send(.GET, intake.baseURL + "/assets/" + asset)
            #expect(reply.status == 200 && reply.header("Content-Encoding") == nil, "\(asset)")
            weight += reply.body.count
            // Gzipped when asked for (a browser always asks), and the same bytes once unpacked.
            let packed = try await client.send(.GET, intake.baseURL + "/assets/" + asset, headers: [("Accept-Encoding", "gzip, deflate, br")])
            #expect(packed.header("Content-Encoding") == "gzip" && packed.body.count < reply.body.count, "\(asset): \(packed.body.count) of \(reply.body.count)")
            let file = scratch.path(asset + ".gz")
            try Data(packed.body).write(to: URL(fileURLWithPath: file))
            try Data(reply.body).write(to: URL(fileURLWithPath: scratch.path(asset)))
            let same = try runSubprocess("/bin/sh", ["-c", "gzip -dc \"$0\" | cmp -s - \"$1\"", file, scratch.path(asset)])
            #expect(same.status == 0, "\(asset): gunzipped bytes differ")
            onTheWire += packed.body.count
            let refused = try await client.send(.GET, intake.baseURL + "/assets/" + asset, headers: [("Accept-Encoding", "gzip;q=0, identity")])
            #expect(refused.header("Content-Encoding") == nil && refused.body == reply.body, "\(asset) with gzip refused")
        }
        #expect(weight < 200_000, "page weight \(weight) bytes")
        print("web form page weight: \(weight) bytes (page \(page.body.count)); \(onTheWire) bytes on the wire with gzip")
        #expect(try await client.send(.GET, intake.baseURL + "/assets/../Package.swift").status == 404)

        let english = try await client.send(.GET, intake.baseURL + "/", headers: [("Accept-Language", "en-GB,en;q=0.8,es;q=0.5")])
        #expect(String(decoding: english.body, as: UTF8.self).contains("<html lang=\"en\""))
        let forced = try await client.send(.GET, intake.baseURL + "/?lang=es", headers: [("Accept-Language", "en")])
        #expect(String(decoding: forced.body, as: UTF8.self).contains("<html lang=\"es\""))
        let none = try await client.send(.GET, intake.baseURL + "/", headers: [("Accept-Language", "de-DE")])
        #expect(String(decoding: none.body, as: UTF8.self).contains("<html lang=\"es\""))
        // The no-JavaScript path holds plaintext in memory for a moment: no core dumps.
        let pid = try #require(intake.processIdentifier)
        let limits = try String(contentsOfFile: "/proc/\(pid)/limits", encoding: .utf8)
        #expect(limits.split(separator: "\n").contains { $0.hasPrefix("Max core file size") && $0.split(separator: " ", omittingEmptySubsequences: true).dropFirst(4).first == "0" }, "\(limits)")
    }
}
