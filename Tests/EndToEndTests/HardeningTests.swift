import AsyncHTTPClient
import DurableFiles
import Foundation
import Logging
import Testing
import TestSupport
import TestHarness
import Formats
import Sodium
import Vault
@testable import Intake

/// Findings of the independent security review (issue 14), each with the test that reproduces it.
@Suite("Security review findings", .serialized)
struct HardeningTests {
    static func tool(_ name: String, _ arguments: [String]) throws -> SubprocessOutcome {
        try runSubprocess(IntakeProcess.binaries.appendingPathComponent(name).path, arguments)
    }

    /// A manifest someone else made: well formed and validly self-signed, with keys of its own.
    static func foreignManifest(at path: String) throws -> (signed: SignedKeyManifest, replyKey: SigningKey) {
        let signing = try SigningKey.generate(), reply = try SigningKey.generate()
        let key = try KeyManifest.EncryptionKey(publicKey: SealSecretKey.generate().publicKey, notBefore: .today().adding(days: -1), notAfter: .today().adding(days: 300))
        let manifest = try KeyManifest(organisation: "Red Resguardo", issued: .today(), encryptionKeys: [key], replySigningKey: reply.verifyingKey)
        let signed = try SignedKeyManifest.sign(manifest, with: signing)
        try Data(signed.serialized()).write(to: URL(fileURLWithPath: path))
        return (signed, reply)
    }

    @Test("1: the intake refuses to start with a manifest not signed by the pinned key, and outside --dev it needs a pin")
    func intakePinsTheManifest() throws {
        let intake = try IntakeProcess()
        let forged = intake.folder.appendingPathComponent("swapped.json").path
        _ = try Self.foreignManifest(at: forged)
        // --dev pins the demo fingerprint: the swapped manifest is refused, nothing is served.
        let swapped = try IntakeProcess(arguments: ["--manifest", forged])
        #expect(throws: (any Error).self) { try swapped.start() }
        let log = try String(contentsOfFile: swapped.logPath, encoding: .utf8)
        #expect(log.contains("not by the trusted key \(IntakeProcess.demoFingerprint)") && log.contains("may have been swapped"), "\(log)")
        #expect(!log.contains("serving https"))

        // Outside --dev a fingerprint is required.
        let noPin = try Self.tool("resguardo-intake", ["serve", "--certificate", "/nonexistent", "--private-key", "/nonexistent",
                                                       "--manifest", IntakeProcess.repository.appendingPathComponent("keys-example/manifest.json").path])
        #expect(noPin.status == 64 && noPin.output.contains("keys.fingerprint"), "\(noPin.output)")
        let badPin = try Self.tool("resguardo-intake", ["serve", "--dev", "--fingerprint", "not-a-fingerprint"])
        #expect(badPin.status == 64 && badPin.output.contains("is not a signing-key fingerprint"), "\(badPin.output)")
    }

    @Test("1: a forged acknowledgement signed with a swapped manifest's key purges nothing; import-replies refuses the swapped manifest")
    func purgeAndRepliesPinTheManifest() async throws {
        let scratch = try IntakeProcess()
        let dir = scratch.folder
        let staff = try StaffSetup(in: dir, organisation: "Red Custodia")
        let vault = try VaultDatabase(path: staff.vault)
        let demoKey = try SealSecretKey.generate().publicKey
        try vault.storeNow([try Submission(id: .random(), receivedDay: .today(), envelope: Envelope.seal(report: Array("{}".utf8), to: demoKey))])
        let bundle = dir.appendingPathComponent("b.rsgb").path
        let exported = try await vault.export(to: bundle, signer: SigningKey.generate(), today: .today())

        let forgedManifest = dir.appendingPathComponent("swapped.json").path
        let (_, forgedReplyKey) = try Self.foreignManifest(at: forgedManifest)
        let ack = try Acknowledgement.sign(bundleDigest: exported.digest, day: .today(), with: forgedReplyKey)
        let ackPath = bundle + ".ack"
        try Data(ack.bytes).write(to: URL(fileURLWithPath: ackPath))

        let purge = try Self.tool("resguardo-intake", ["purge", "--vault", staff.vault, "--acknowledgement", ackPath,
                                                       "--manifest", forgedManifest, "--fingerprint", staff.fingerprint])
        #expect(purge.status == 65 && purge.output.contains("not by the trusted key \(staff.fingerprint)"), "\(purge.output)")
        #expect(try await vault.stats().reduce(0) { $0 + $1.count } == 1, "a forged acknowledgement purged envelopes")
        let unpinned = try Self.tool("resguardo-intake", ["purge", "--vault", staff.vault, "--acknowledgement", ackPath, "--manifest", forgedManifest])
        #expect(unpinned.status == 64 && unpinned.output.contains("fingerprint"), "\(unpinned.output)")

        let replies = try Self.tool("resguardo-intake", ["import-replies", "--vault", staff.vault, "--manifest", forgedManifest,
                                                         "--fingerprint", staff.fingerprint, bundle])
        #expect(replies.status == 65 && replies.output.contains("not by the trusted key"), "\(replies.output)")
        // The same pin read from the intake's own config file.
        let config = dir.appendingPathComponent("intake.json").path
        try #"{"keys": {"manifest": "\#(forgedManifest)", "fingerprint": "\#(staff.fingerprint)"}}"#.write(toFile: config, atomically: true, encoding: .utf8)
        let viaConfig = try Self.tool("resguardo-intake", ["purge", "--vault", staff.vault, "--acknowledgement", ackPath, "--config", config])
        #expect(viaConfig.status == 65 && viaConfig.output.contains("not by the trusted key"), "\(viaConfig.output)")
    }

    @Test("2: the log does not grow with the number of submissions; the totals are written at shutdown")
    func noLogLinePerRequest() async throws {
        func run(submissions n: Int) async throws -> (lines: Int, log: String) {
            let intake = try IntakeProcess()
            try intake.start()
            let client = try intake.client()
            let key = try intake.currentKey()
            for i in 0..<n {
                let envelope = try Envelope.seal(report: Array("{\"n\":\(i)}".utf8), to: key, flags: i % 3 == 0 ? .urgent : []).bytes
                #expect(try await client.submit(envelope, to: intake.baseURL).status == 201)
                #expect(try await client.submit([1, 2, 3], to: intake.baseURL).status == 422)
                let form = "language=es&country=MX&description=Nos+amenazaron+\(i)&consent_registry=no&consent_contact=no"
                let posted = try await client.send(.POST, intake.baseURL + "/v1/reports/form", body: Array(form.utf8),
                                                   headers: [("Content-Type", "application/x-www-form-urlencoded")])
                #expect(posted.status == 201, "\(String(decoding: posted.body, as: UTF8.self).prefix(400))")
            }
            try await client.shutdown()
            intake.kill(signal: SIGTERM)
            let log = try String(contentsOfFile: intake.logPath, encoding: .utf8)
            return (log.split(separator: "\n").count, log)
        }
        let few = try await run(submissions: 2)
        let many = try await run(submissions: 30)
        #expect(few.lines == many.lines, "the log grew with the submissions:\n\(few.log)\n---\n\(many.log)")
        #expect(many.log.contains("POST_/v1/reports_201=30") && many.log.contains("POST_/v1/reports_422=30")
                && many.log.contains("POST_/v1/reports/form_201=30"), "\(many.log)")
        #expect(!many.log.contains("status=201") && !many.log.contains("notification sent"), "\(many.log)")
        // Made-up methods share one counter: a stranger cannot grow the table.
        let counters = IntakeCounters(logger: Logger(label: "test"))
        for i in 0..<1_000 { counters.request(method: "X\(i)", route: "unmatched", status: 405) }
        #expect(counters.totals.count == 1 && counters.totals["OTHER_unmatched_405"]?.description == "1000")
    }

    @Test("9: a quote followed by a combining mark is escaped in the refused no-JavaScript form (no attribute injection)")
    func htmlEscapesPerScalar() async throws {
        #expect(Encoding.htmlEscaped("\"\u{301} autofocus") == "&quot;\u{301} autofocus")
        #expect(Encoding.htmlEscaped(">\u{338}<\u{20D2}'\u{301}&\u{301}") == "&gt;\u{338}&lt;\u{20D2}&#39;\u{301}&amp;\u{301}")
        // Through the real router in process: what the form route answers is all that matters here.
        let intake = try RouterHarness()
        try await intake.test { client in
            // No country: refused, and the form comes back filled in with what was typed.
            let injected = "\"\u{301} autofocus onfocus=alert(1) x=\""
            let body = "language=es&description=Nos+amenazaron&locality=" + (injected.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")
            let refused = try await client.send(.post, "/v1/reports/form", body: Array(body.utf8),
                                                headers: [("Content-Type", "application/x-www-form-urlencoded")])
            #expect(refused.status == 422)
            let html = String(decoding: refused.body, as: UTF8.self)
            #expect(!html.contains("\"\u{301} autofocus") && html.contains("&quot;\u{301} autofocus onfocus=alert(1) x=&quot;"), "\(html.prefix(2000))")
        }
    }

    @Test("12: purge --older-than keeps envelopes of unacknowledged bundles unless --force-unacknowledged, and names the bundle")
    func purgeByAgeNeedsAnAcknowledgement() async throws {
        let scratch = try IntakeProcess()
        let path = scratch.folder.appendingPathComponent("v.sqlite").path
        let vault = try VaultDatabase(path: path)
        let key = try SealSecretKey.generate().publicKey
        let old = CalendarDay.today().adding(days: -200)
        try vault.storeNow([try Submission(id: .random(), receivedDay: old, envelope: Envelope.seal(report: Array("{}".utf8), to: key))])
        let exported = try await vault.export(to: scratch.folder.appendingPathComponent("b.rsgb").path, signer: SigningKey.generate(), today: .today())
        try vault.storeNow([try Submission(id: .random(), receivedDay: old, envelope: Envelope.seal(report: Array("{}".utf8), to: key))])
        let kept = try Self.tool("resguardo-intake", ["purge", "--vault", path, "--older-than", "90"])
        #expect(kept.status == 0 && kept.output.contains("purged 0 envelopes") && kept.output.contains("kept 1 envelopes of bundle \(Encoding.hex(exported.digest))")
                && kept.output.contains("never exported"), "\(kept.output)")
        #expect(try await vault.stats().reduce(0) { $0 + $1.count } == 2)
        let forced = try Self.tool("resguardo-intake", ["purge", "--vault", path, "--older-than", "90", "--force-unacknowledged"])
        #expect(forced.status == 0 && forced.output.contains("purged 1 envelopes") && forced.output.contains("if that bundle was lost, those reports are gone"), "\(forced.output)")
        #expect(try await vault.stats().reduce(0) { $0 + $1.count } == 1)
    }

    @Test("14: the vault, its log, the case store and everything else the tools create is readable by its owner only")
    func filesAreOwnerOnly() async throws {
        let scratch = try IntakeProcess()
        let staff = try StaffSetup(in: scratch.folder, organisation: "Red Permisos")
        let intake = try IntakeProcess(arguments: staff.intakeArguments)
        try intake.start()
        let client = try intake.client()
        let key = try staff.currentKey()
        #expect(try await client.submit(Envelope.seal(report: Report(language: .es, country: "MX", description: "x").jsonBytes(), to: key).bytes, to: intake.baseURL).status == 201)
        var checked: [String] = []
        func owner(only path: String) {
            guard let mode = (try? FileManager.default.attributesOfItem(atPath: path))?[.posixPermissions] as? Int else { return }
            checked.append((path as NSString).lastPathComponent)
            #expect(mode & 0o077 == 0, "\(path) has mode \(String(mode, radix: 8))")
        }
        for suffix in ["", "-wal", "-shm", ".signing.key"] { owner(only: staff.vault + suffix) }
        try await client.shutdown()
        intake.kill(signal: SIGTERM)
        let bundle = scratch.folder.appendingPathComponent("b.rsgb").path
        let unsealed = try staff.exportAndUnseal(into: bundle)
        #expect(unsealed.status == 0, "\(unsealed.output)")
        owner(only: bundle)
        owner(only: bundle + ".ack")
        for name in (try? FileManager.default.contentsOfDirectory(atPath: staff.workspace)) ?? [] { owner(only: staff.workspace + "/" + name) }
        #expect(checked.contains("vault.sqlite") && checked.contains("vault.sqlite-wal") && checked.contains("cases.sqlite"), "\(checked)")
    }

    @Test("14: trust on first use is remembered in an owner-only file, whole lines only, added to what was there")
    func knownIntakesOwnerOnly() async throws {
        let intake = try IntakeProcess()
        try intake.start()
        defer { intake.kill(signal: SIGTERM) }
        let known = intake.folder.appendingPathComponent("known").path
        // A line from an earlier intake, left without its newline (an editor, an old version).
        try DurableFile.createExclusive(known, bytes: Array("https://otra.example:8443 1111 2222 3333 4444 5555 6666 7777 8888".utf8), mode: 0o600)
        let description = intake.folder.appendingPathComponent("relato.txt").path
        try DurableFile.createExclusive(description, bytes: Array("Me siguieron.".utf8))
        let sent = try runSubprocess(IntakeProcess.binaries.appendingPathComponent("resguardo-submit").path,
                                     ["submit", "--url", intake.baseURL, "--ca", intake.certificatePath, "--known-intakes", known,
                                      "--outbox", intake.folder.appendingPathComponent("outbox").path, "--country", "MX", "--description-file", description])
        #expect(sent.status == 0 && sent.output.contains("first use"), "\(sent.output)")
        let lines = String(decoding: try DurableFile.read(known, maxBytes: 4096), as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines == ["https://otra.example:8443 1111 2222 3333 4444 5555 6666 7777 8888",
                          Substring("\(intake.baseURL) \(IntakeProcess.demoFingerprint)"), ""], "\(lines)")
        #expect(DurableFile.mode(of: known) == 0o600)
    }

    @Test("review N11: on a several-network intake, a network first seen on a known intake is refused without --fingerprint, and so is a country moved to another network")
    func trustOnFirstUseByCountry() async throws {
        // One intake, one address: restarted on the same port with another config, as a taken-over
        // intake would be.
        let live = FileManager.default.temporaryDirectory.appendingPathComponent("n11-\(UUID().uuidString).json").path
        defer { try? FileManager.default.removeItem(atPath: live) }
        let intake = try IntakeProcess(arguments: ["--config", live])
        let dir = intake.folder
        let (config, staff) = try StaffSetup.severalNetworks(in: dir, [("mx", "MX"), ("gt", "GT")])
        func serve(_ path: String) throws {
            intake.kill(signal: SIGTERM)
            try? FileManager.default.removeItem(atPath: live)
            try FileManager.default.copyItem(atPath: path, toPath: live)
            try intake.start()
        }
        defer { intake.kill(signal: SIGTERM) }
        let (mx, gt) = (try #require(staff["mx"]), try #require(staff["gt"]))
        let known = dir.appendingPathComponent("known").path
        let description = dir.appendingPathComponent("relato.txt").path
        try DurableFile.createExclusive(description, bytes: Array("Me siguieron.".utf8))
        func submit(_ intake: IntakeProcess, _ country: String, _ extra: [String] = []) throws -> SubprocessOutcome {
            try runSubprocess(IntakeProcess.binaries.appendingPathComponent("resguardo-submit").path,
                              ["submit", "--url", intake.baseURL, "--ca", intake.certificatePath, "--known-intakes", known,
                               "--outbox", dir.appendingPathComponent("outbox").path, "--country", country, "--description-file", description] + extra)
        }
        func count(_ s: StaffSetup) async throws -> Int { try await VaultDatabase(path: s.vault).stats().reduce(0) { $0 + $1.count } }

        try serve(config)
        let first = try submit(intake, "MX")
        #expect(first.status == 0 && first.output.contains("first use"), "\(first.output)")
        let other = try submit(intake, "GT")
        #expect(other.status == 77 && other.output.contains("already trusts") && other.output.contains("--fingerprint"), "\(other.output)")
        let given = try submit(intake, "GT", ["--fingerprint", gt.fingerprint])
        #expect(given.status == 0, "\(given.output)")
        let again = try submit(intake, "GT")
        #expect(again.status == 0 && !again.output.contains("first use"), "the fingerprint given is remembered: \(again.output)")

        // A taken-over intake re-serves Mexico under a new id, with its own key.
        let attacker = try StaffSetup.severalNetworks(in: dir.appendingPathComponent("attacker"), [("mx2", "MX")])
        try serve(attacker.config)
        let fresh = try submit(intake, "MX")
        #expect(fresh.status == 77 && fresh.output.contains("already trusts"), "\(fresh.output)")

        // Or it hands Mexico to a network this computer trusts for another country.
        let moved = dir.appendingPathComponent("moved.json").path
        let hnKeys = try #require(attacker.staff["mx2"])
        let movedEntries = [
            #"{"id":"gt","name":"Red Nacional GT","countries":["GT","MX"],"manifest":"\#(gt.keys)/manifest.json","fingerprint":"\#(gt.fingerprint)","vault":"\#(gt.vault)"}"#,
            #"{"id":"hn","name":"Red Nacional HN","countries":["HN"],"manifest":"\#(hnKeys.keys)/manifest.json","fingerprint":"\#(hnKeys.fingerprint)","vault":"\#(dir.appendingPathComponent("hn.sqlite").path)"}"#,
        ]
        try #"{"networks":[\#(movedEntries.joined(separator: ","))]}"#.write(toFile: moved, atomically: true, encoding: .utf8)
        try serve(moved)
        let redirected = try submit(intake, "MX")
        #expect(redirected.status == 77 && redirected.output.contains("another network"), "\(redirected.output)")
        intake.kill(signal: SIGTERM)

        let (mxCount, gtCount) = (try await count(mx), try await count(gt))
        #expect(mxCount == 1 && gtCount == 2, "nothing refused was sent: mx \(mxCount), gt \(gtCount)")
        let attackerVault = try #require(attacker.staff["mx2"]).vault
        #expect(try await VaultDatabase(path: attackerVault).stats().isEmpty)
        #expect(DurableFile.mode(of: known) == 0o600)
    }

    @Test("review N8: vault init --fingerprint binds the vault to its network; stats says so; an intake pinned to another key refuses to start on it and stores nothing")
    func vaultInitBinds() throws {
        let scratch = try IntakeProcess()
        let dir = scratch.folder
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("red"), withIntermediateDirectories: true)
        let staff = try StaffSetup(in: dir.appendingPathComponent("red"), organisation: "Red Vinculada")
        let bound = dir.appendingPathComponent("bound.sqlite").path
        let made = try runSubprocess(IntakeProcess.binaries.appendingPathComponent("resguardo-intake").path,
                                     ["vault", "init", "--vault", bound, "--fingerprint", staff.fingerprint, "--passphrase-file", staff.vpass])
        #expect(made.status == 0 && made.output.contains("it belongs to network default (signing key \(staff.fingerprint))"), "\(made.output)")
        let badNetwork = try runSubprocess(IntakeProcess.binaries.appendingPathComponent("resguardo-intake").path,
                                           ["vault", "init", "--vault", dir.appendingPathComponent("x.sqlite").path, "--network", "mx", "--passphrase-file", staff.vpass])
        #expect(badNetwork.status == 64 && badNetwork.output.contains("--network needs --fingerprint"), "\(badNetwork.output)")
        let stats = try runSubprocess(IntakeProcess.binaries.appendingPathComponent("resguardo-intake").path, ["stats", "--vault", bound])
        #expect(stats.status == 0 && stats.output.contains("it belongs to network default"), "\(stats.output)")
        // The demo keys' intake (another signing key) on this vault: refused before it listens.
        let wrong = try IntakeProcess(arguments: ["--vault", bound])
        #expect(throws: TestFailure.self) { try wrong.start() }
        let log = (try? String(contentsOfFile: wrong.logPath, encoding: .utf8)) ?? ""
        #expect(log.contains("this vault belongs to network default (signing key \(staff.fingerprint))"), "\(log)")
        // Its own network's intake serves on it.
        let right = try IntakeProcess(arguments: staff.intakeArguments.dropLast(2) + ["--vault", bound])
        try right.start()
        right.kill(signal: SIGTERM)
    }

    @Test("review N12: onion.control is a Unix socket or loopback only; the control filter passes on the two descriptor queries and nothing else")
    func controlPortFiltered() throws {
        let counters = IntakeCounters(logger: Logger(label: "test"))
        let onion = String(repeating: "a", count: 56) + ".onion"
        for good in ["127.0.0.1:9051", "localhost:9051", "127.0.0.2:9051", "unix:/run/tor/control"] {
            #expect(throws: Never.self, "\(good)") { _ = try OnionDescriptorMonitor(control: good, cookie: "", onionName: onion, counters: counters) }
        }
        for bad in ["10.0.0.5:9051", "192.168.1.1:9051", "tor.example:9051", "unix:run/tor/control", "127.0.0.1:0", "::1"] {
            #expect(throws: ConfigurationError.self, "\(bad)") { _ = try OnionDescriptorMonitor(control: bad, cookie: "", onionName: onion, counters: counters) }
        }
        #expect(throws: ConfigurationError.self) { _ = try OnionControlFilter(listen: "127.0.0.1:9999", control: "unix:/run/tor/control", cookie: "c") }
        let id = String(repeating: "b", count: 56)
        #expect(OnionControlFilter.allowed("GETINFO hs/service/desc/id/" + id) && OnionControlFilter.allowed("SETEVENTS HS_DESC"))
        for refused in ["SETCONF HiddenServicePoWDefensesEnabled=0", "SAVECONF", "SIGNAL HALT", "GETINFO config-text", "GETINFO hs/service/desc/id/" + id + " config-text",
                        "GETINFO hs/service/desc/id/" + id.uppercased(), "SETEVENTS HS_DESC CIRC", "setevents hs_desc", "MAPADDRESS a=b"] {
            #expect(!OnionControlFilter.allowed(refused), "\(refused)")
        }
    }

    @Test("10: a production config asks a proof of work by default, and it rises with accepted submissions only")
    func adaptiveProofOfWork() throws {
        let defaults = IntakeConfiguration()
        #expect(defaults.powDifficulty == 8 && defaults.powMaxDifficulty == 16)
        let pow = try ProofOfWork(difficulty: 8, maxDifficulty: 16, calmPerMinute: 100, lifetimeSeconds: 600)
        let start = Date(timeIntervalSince1970: 1_800_000_000)  // the start of a minute
        #expect(pow.difficulty(now: start) == 8)
        #expect((try pow.challenge(now: start)).difficulty == 8)
        // Refusals are never reported as accepted, so a flood of garbage leaves the floor as it is.
        for _ in 0..<100 { pow.accepted(now: start) }
        #expect(pow.difficulty(now: start) == 8, "at the calm rate the floor holds")
        for _ in 0..<101 { pow.accepted(now: start) }
        #expect(pow.difficulty(now: start) == 10, "201 a minute is just over twice the calm rate")
        for _ in 0..<100_000 { pow.accepted(now: start) }
        #expect(pow.difficulty(now: start) == 16, "never above the maximum")
        #expect(pow.difficulty(now: start.addingTimeInterval(180)) == 8, "back to the floor once the burst has passed")
        // Without a proof the floor is required.
        #expect(throws: ProofOfWork.Failure.missing) { try pow.verify(token: nil, proof: nil, now: start) }
        let calm = try ProofOfWork(difficulty: 0, maxDifficulty: 16, calmPerMinute: 100, lifetimeSeconds: 600)
        #expect(throws: Never.self) { try calm.verify(token: nil, proof: nil, now: start) }
        for _ in 0..<300 { calm.accepted(now: start) }
        #expect(throws: ProofOfWork.Failure.missing) { try calm.verify(token: nil, proof: nil, now: start) }
    }

    @Test("11: offline, staff see which reports the intake sealed (no-JavaScript path) in cases list and cases show")
    func sealedByIntakeShownOffline() async throws {
        let scratch = try IntakeProcess()
        let staff = try StaffSetup(in: scratch.folder, organisation: "Red Sellos")
        let intake = try IntakeProcess(arguments: staff.intakeArguments)
        try intake.start()
        let client = try intake.client()
        let key = try staff.currentKey()
        #expect(try await client.submit(Envelope.seal(report: Report(language: .es, country: "MX", description: "desde el teléfono").jsonBytes(), to: key).bytes,
                                        to: intake.baseURL).status == 201)
        let form = "language=es&country=GT&description=sin+JavaScript&consent_registry=no&consent_contact=no"
        #expect(try await client.send(.POST, intake.baseURL + "/v1/reports/form", body: Array(form.utf8),
                                      headers: [("Content-Type", "application/x-www-form-urlencoded")]).status == 201)
        try await client.shutdown()
        intake.kill(signal: SIGTERM)
        #expect(try staff.exportAndUnseal(into: scratch.folder.appendingPathComponent("b.rsgb").path).status == 0)
        let list = try Self.tool("resguardo", ["cases", "list", "--workspace", staff.workspace])
        let lines = list.output.split(separator: "\n")
        let byServer = try #require(lines.first { $0.contains(" GT ") }, "\(list.output)")
        let byDevice = try #require(lines.first { $0.contains(" MX ") }, "\(list.output)")
        #expect(byServer.hasSuffix("INTAKE") && byDevice.hasSuffix("device"), "\(list.output)")
        let shown = try Self.tool("resguardo", ["cases", "show", "--workspace", staff.workspace, String(byServer.prefix(12)), "--passphrase-file", staff.pass])
        #expect(shown.output.contains("Sealed by: INTAKE") && shown.output.contains("the online server saw it in the clear"), "\(shown.output)")
    }

    @Test("18: a graceful stop under keep-alive load answers every submission it stored (stored = acknowledged)", arguments: 0..<3)
    func gracefulStopAnswersWhatItStored(round: Int) async throws {
        let intake = try IntakeProcess()
        try intake.start()
        let client = try intake.client()
        defer { _ = client.shutdown() }
        let receipts = try await submitUntilSignal(intake, client, workers: 16, perWorker: 400, signal: SIGTERM, after: .milliseconds(600 + 150 * round))
        #expect(intake.lastExitStatus == 0)
        #expect(receipts.count > 20)
        let stored = try await VaultDatabase(path: intake.vaultPath).storedIds()
        let acknowledged = Set(try receipts.map { try #require(SubmissionId(receipt: $0)) })
        #expect(acknowledged.isSubset(of: stored))
        #expect(stored.subtracting(acknowledged).isEmpty, "\(stored.count - acknowledged.count) reports were stored but their defenders got no receipt")
    }

    /// A manifest signed by `signing`, dated `issued`, with one key valid around it.
    static func manifest(_ signing: SigningKey, issued: CalendarDay, expires: CalendarDay?, key: SealPublicKey) throws -> SignedKeyManifest {
        let entry = try KeyManifest.EncryptionKey(publicKey: key, notBefore: issued, notAfter: issued.adding(days: 400))
        let manifest = try KeyManifest(organisation: "Red Rotación", issued: issued, expires: expires, encryptionKeys: [entry], replySigningKey: SigningKey.generate().verifyingKey)
        return try SignedKeyManifest.sign(manifest, with: signing)
    }

    @Test("6: a manifest has its own expiry; the intake refuses an expired one; resguardo-submit refuses one older than it saw; the page's check refuses both")
    func manifestRollback() async throws {
        let today = CalendarDay.today()
        let signing = try SigningKey.generate()
        let pin = try SigningKeyFingerprint(verifyingKey: signing.verifyingKey)
        let retired = try SealSecretKey.generate().publicKey, fresh = try SealSecretKey.generate().publicKey
        let old = try Self.manifest(signing, issued: today.adding(days: -40), expires: today.adding(days: 80), key: retired)
        let new = try Self.manifest(signing, issued: today, expires: today.adding(days: 120), key: fresh)
        let expired = try Self.manifest(signing, issued: today.adding(days: -200), expires: today.adding(days: -1), key: retired)
        // The format: `expires` round-trips; without it a manifest ends with its last key.
        #expect(try SignedKeyManifest(json: new.serialized(), trust: .fingerprint(pin)).manifest.expires == today.adding(days: 120))
        #expect(try Self.manifest(signing, issued: today, expires: nil, key: fresh).manifest.expires == today.adding(days: 400))
        #expect(!expired.manifest.isCurrent(on: today) && new.manifest.isCurrent(on: today))
        #expect(throws: KeyManifestError.self) { try Self.manifest(signing, issued: today, expires: today.adding(days: -1), key: fresh) }

        let scratch = try IntakeProcess()
        let dir = scratch.folder
        func write(_ m: SignedKeyManifest, _ name: String) throws -> String {
            let path = dir.appendingPathComponent(name).path
            try Data(m.serialized()).write(to: URL(fileURLWithPath: path))
            return path
        }
        let (oldPath, newPath, expiredPath) = (try write(old, "old.json"), try write(new, "new.json"), try write(expired, "expired.json"))
        let refused = try IntakeProcess(arguments: ["--manifest", expiredPath, "--fingerprint", pin.description])
        #expect(throws: (any Error).self) { try refused.start() }
        #expect(try String(contentsOfFile: refused.logPath, encoding: .utf8).contains("resguardo key renew"))

        // resguardo-submit, with a home of its own (the manifest cache lives there).
        func submit(_ intake: IntakeProcess) throws -> (status: Int32, output: String) {
            let process = Process()
            process.executableURL = IntakeProcess.binaries.appendingPathComponent("resguardo-submit")
            process.arguments = ["submit", "--url", intake.baseURL, "--ca", intake.certificatePath, "--fingerprint", pin.description,
                                 "--outbox", dir.appendingPathComponent("outbox").path, "--known-intakes", dir.appendingPathComponent("known").path,
                                 "--country", "MX", "--description-file", "-"]
            process.environment = ["HOME": dir.path, "PATH": "/usr/bin:/bin"]
            let input = Pipe(), output = Pipe()
            process.standardInput = input
            process.standardOutput = output
            process.standardError = output
            try process.run()
            input.fileHandleForWriting.write(Data("Me siguieron.\n".utf8))
            try input.fileHandleForWriting.close()
            let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            return (process.terminationStatus, text)
        }
        let current = try IntakeProcess(arguments: ["--manifest", newPath, "--fingerprint", pin.description])
        try current.start()
        let sent = try submit(current)
        #expect(sent.status == 0, "\(sent.output)")
        current.kill(signal: SIGTERM)
        let replaying = try IntakeProcess(arguments: ["--manifest", oldPath, "--fingerprint", pin.description])
        try replaying.start()
        let rolledBack = try submit(replaying)
        #expect(rolledBack.status == 77 && rolledBack.output.contains("older than the one this computer saw"), "\(rolledBack.output)")
        replaying.kill(signal: SIGTERM)

        // The page's own check (sealing.js, run by node with Debian's tweetnacl).
        let script = """
        globalThis.nacl = require('/usr/share/nodejs/tweetnacl/nacl-fast.js');
        const fs = require('fs'), vm = require('vm');
        for (const f of ['blake2b.js', 'sealing.js']) vm.runInThisContext(fs.readFileSync(process.argv[2] + '/' + f, 'utf8'));
        const S = globalThis.ResguardoSealing;
        for (const [file, floor] of [[process.argv[3], ''], [process.argv[4], ''], [process.argv[5], process.argv[7]]]) {
          try { S.verifyManifest(fs.readFileSync(file, 'utf8'), process.argv[6], process.argv[8], floor); console.log('accepted'); }
          catch (e) { console.log(e.code || String(e)); }
        }
        """
        let js = dir.appendingPathComponent("check.js").path
        try script.write(toFile: js, atomically: true, encoding: .utf8)
        let web = IntakeProcess.repository.appendingPathComponent("Sources/Intake/Web").path
        let checked = try runSubprocess("/usr/bin/node", [js, web, newPath, expiredPath, oldPath, pin.description, today.description, today.description])
        #expect(checked.output.split(separator: "\n") == ["accepted", "manifest_expired", "manifest_rolled_back"], "\(checked.output)")
    }

    /// Counts the occurrences of `needle` in the readable memory of process `pid` (Debian's
    /// Python reads /proc/PID/maps and /proc/PID/mem; root may read a non-dumpable process).
    static func occurrences(of needle: String, inProcess pid: Int32) throws -> (count: Int, regions: String) {
        let script = """
        import re, sys
        pid, needle = sys.argv[1], sys.argv[2].encode()
        found, where = 0, []
        with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "rb", 0) as mem:
            for line in maps:
                fields = line.split()
                if "r" not in fields[1] or (len(fields) > 5 and fields[5] in ("[vvar]", "[vsyscall]")): continue
                start, end = (int(x, 16) for x in fields[0].split("-"))
                try:
                    mem.seek(start); data = mem.read(end - start)
                except (OSError, ValueError, OverflowError): continue
                n = data.count(needle)
                if n: found += n; where.append(f"{fields[0]} {fields[5] if len(fields) > 5 else 'anon'}: {n}")
        print(found); print("; ".join(where))
        """
        let outcome = try runSubprocess(debianPython, ["-c", script, String(pid), needle])
        let lines = outcome.output.split(separator: "\n", omittingEmptySubsequences: false)
        return (Int(lines.first ?? "") ?? -1, lines.dropFirst().joined(separator: "\n"))
    }

    @Test("5: after no-JavaScript submissions no copy of the report's text is left in the intake's memory")
    func noPlaintextLeftInMemory() async throws {
        let intake = try IntakeProcess()
        try intake.start()
        let log = try String(contentsOfFile: intake.logPath, encoding: .utf8)
        #expect(log.contains("freed memory is wiped"), "\(log)")
        // Locking needs CAP_IPC_LOCK or an unlimited memlock limit; where neither is given the
        // intake must say so rather than pretend.
        #expect(log.contains("memory locked (no swap)") || log.contains("memory NOT locked"), "\(log)")
        let pid = try #require(intake.processIdentifier)
        let marker = "Distintivo" + Encoding.hex(try Random.bytes(count: 12))
        let name = "Defensora " + Encoding.hex(try Random.bytes(count: 8))
        let client = try intake.client()
        for i in 0..<20 {
            let description = "Nos amenazaron frente a la radio comunitaria, \(marker), vez \(i), y dijeron que volverían por nosotras."
            let form = "language=es&country=MX&consent_registry=no&consent_contact=no&description="
                + (description.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")
                + "&defender_name=" + (name.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")
            let posted = try await client.send(.POST, intake.baseURL + "/v1/reports/form", body: Array(form.utf8),
                                               headers: [("Content-Type", "application/x-www-form-urlencoded")])
            #expect(posted.status == 201 && posted.header("Connection")?.lowercased() == "close")
        }
        // Other traffic goes on meanwhile, as on a real intake.
        for _ in 0..<50 { _ = try await client.send(.GET, intake.baseURL + "/healthz") }
        try await client.shutdown()
        try await Task.sleep(for: .milliseconds(300))
        let text = try Self.occurrences(of: marker, inProcess: pid)
        #expect(text.count == 0, "the description is still in memory: \(text.regions)")
        let person = try Self.occurrences(of: name, inProcess: pid)
        #expect(person.count == 0, "the name is still in memory: \(person.regions)")
        // The scan itself works: the process's own fixed strings are found.
        #expect(try Self.occurrences(of: "Modo sin JavaScript", inProcess: pid).count > 0)
    }
}
