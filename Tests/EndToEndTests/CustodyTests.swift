import Foundation
import Testing
import TestSupport
import TestHarness
@testable import Sodium
import Formats
import DurableFiles
@testable import Casework
@testable import Keys

/// Issue 17's drill, through the real `resguardo` binary inside `unshare -n`: the laptop is lost
/// after the keys were split; the trustees bring two of three shares; the rebuilt key directory
/// opens a bundle sealed before the loss and one sealed after a rotation made after the split,
/// and the registry's pseudonyms are the same as before.
@Suite("Key custody (SLIP-0039), the drill", .serialized)
struct CustodyTests {
    static let canUnshare = (try? runSubprocess("/usr/bin/unshare", ["-n", "true"]).status) == 0

    /// Every command of the drill, offline.
    func resguardo(_ arguments: [String]) throws -> SubprocessOutcome {
        if Self.canUnshare {
            return try runSubprocess("/usr/bin/unshare", ["-n", CLIRunner.executable.path] + arguments, unsetting: ["RESGUARDO_PASSPHRASE"], separateStreams: true)
        }
        return try CLIRunner.run(arguments)
    }

    @discardableResult
    func ok(_ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> SubprocessOutcome {
        let outcome = try resguardo(arguments)
        #expect(outcome.status == 0, "resguardo \(arguments.joined(separator: " ")): \(outcome.output)", sourceLocation: sourceLocation)
        return outcome
    }

    func fingerprint(_ keys: String) throws -> String {
        let shown = try ok(["key", "show", "--dir", keys, "--format", "json"])
        guard case .string(let f)? = try JSONValue.parse(Array(shown.stdout.utf8))["signing_key_fingerprint"] else { throw CaseError.io("no fingerprint") }
        return f
    }

    /// A bundle of envelopes sealed to the directory's current key, signed by a vault key.
    func bundle(_ reports: [String], keys: String, vault: SigningKey, to path: String) throws {
        let directory = try KeyDirectory(path: keys)
        guard let key = directory.manifest.manifest.encryptionKeys.last?.publicKey else { throw CaseError.io("no key") }
        let entries = try reports.map { r in
            ExportBundle.Entry(submissionId: try Random.bytes(count: 16), receivedDay: .today(), envelope: try Envelope.seal(report: Array(r.utf8), to: key).bytes)
        }
        try Data(try ExportBundle.seal(bundleId: try Random.bytes(count: 16), createdDay: .today(), entries: entries, signer: vault).bytes).write(to: URL(fileURLWithPath: path))
    }

    func defenderPids(_ workspace: String) throws -> [String] {
        let run = try runSubprocess(debianPython, ["-c", "import sqlite3,sys; print('\\n'.join(r[0] for r in sqlite3.connect(sys.argv[1]).execute('SELECT defender_pid FROM record ORDER BY 1')))", workspace + "/registry.sqlite"])
        return run.stdout.split(separator: "\n").map(String.init)
    }

    func vetAndRegister(_ workspace: String, pass: String) throws {
        let list = try ok(["cases", "list", "--workspace", workspace, "--state", "new"]).stdout
        for line in list.split(separator: "\n") where line.count > 13 && line.prefix(12).allSatisfy(\.isHexDigit) && line.dropFirst(12).first == " " {
            let id = String(line.prefix(12))
            try ok(["cases", "vet", "--workspace", workspace, id, "--decision", "accept", "--note", "ok"])
            try ok(["registry", "add", "--workspace", workspace, id, "--passphrase-file", pass])
        }
    }

    @Test("init → register → split 2 of 3 → rotate → the laptop is lost → one share is not enough, a foreign share and a typo are refused → shares 1 and 3 rebuild the keys → both bundles open, pseudonyms unchanged")
    func drill() throws {
        let s = try Scratch()
        let pass = try s.write("pass", "frase de paso original del equipo\n"), newPass = try s.write("new", "frase nueva tras la pérdida\n")
        let keys = s.path("llaves"), workspace = s.path("casos")
        try ok(["key", "init", "--dir", keys, "--organisation", "Red Simulacro", "--kdf", "interactive", "--passphrase-file", pass])
        #expect(FileManager.default.fileExists(atPath: keys + "/recovery.rsgr") && FileManager.default.fileExists(atPath: keys + "/recovery-secret.key"))
        let made = try ok(["init", "--workspace", workspace, "--keys", keys, "--passphrase-file", pass])
        let check = try #require(made.stdout.split(separator: "\n").first { $0.hasPrefix("pseudonym key check value: ") }).dropFirst("pseudonym key check value: ".count).prefix(19)
        let vault = try SigningKey.generate()
        let vaultPub = try s.write("vault.pub", Encoding.base64(vault.verifyingKey.bytes) + "\n")
        try ok(["vault", "trust", "--workspace", workspace, "--fingerprint", try SigningKeyFingerprint(verifyingKey: vault.verifyingKey).description, "--public-key", vaultPub])
        let report = #"{"version":1,"language":"es","country":"GT","incident_date":"2026-10","aggression_types":["threat"],"defender":{"national_id":"DPI 1122 33445 0101"},"consent":{"registry":true,"contact":false},"description":"Antes de la pérdida."}"#
        let before = s.path("antes.rsgb")
        try bundle([report], keys: keys, vault: vault, to: before)
        try ok(["unseal", "--workspace", workspace, before, "--passphrase-file", pass])
        try vetAndRegister(workspace, pass: pass)
        let pidsBefore = try defenderPids(workspace)
        #expect(pidsBefore.count == 1)

        // Split 2 of 3; the secret is gone afterwards.
        let split = try ok(["key", "custody", "split", "--dir", keys, "--groups", "equipo:2/3", "--group-threshold", "1", "--passphrase-file", pass])
        let shares = split.stdout.split(separator: "\n").filter { $0.hasPrefix("share ") }.map { String($0.split(separator: ":", maxSplits: 1)[1].dropFirst()) }
        #expect(shares.count == 3 && shares.allSatisfy { $0.split(separator: " ").count == 33 }, "\(split.stdout)")
        #expect(!FileManager.default.fileExists(atPath: keys + "/recovery-secret.key"))
        let again = try resguardo(["key", "custody", "split", "--dir", keys, "--groups", "equipo:2/3", "--passphrase-file", pass])
        #expect(again.status != 0 && again.stderr.contains("split already"))
        // A trustee checks her share alone.
        let verify = try runSubprocess("/bin/sh", ["-c", "printf '%s\\n' \"$1\" | \"$2\" key custody verify --recovery-file \"$3\" --shares-file -", "sh", shares[1], CLIRunner.executable.path, keys + "/recovery.rsgr"])
        #expect(verify.status == 0 && verify.output.contains("valid share") && verify.output.contains("«equipo»") && verify.output.contains("member 2"), "\(verify.output)")

        // A rotation after the split joins the recovery file without any share.
        try ok(["key", "rotate", "--dir", keys, "--kdf", "interactive", "--passphrase-file", pass])
        let after = s.path("despues.rsgb")
        try bundle([report.replacingOccurrences(of: "Antes de la pérdida", with: "Después de la rotación")], keys: keys, vault: vault, to: after)
        let pinned = try fingerprint(keys)

        // The laptop is lost: keys and cases gone; the recovery file was kept elsewhere.
        let recoveryFile = s.path("recovery-copia.rsgr")
        try FileManager.default.copyItem(atPath: keys + "/recovery.rsgr", toPath: recoveryFile)
        try FileManager.default.removeItem(atPath: keys)
        try FileManager.default.removeItem(atPath: workspace)

        let rebuilt = s.path("llaves-nuevas")
        func recover(_ lines: [String]) throws -> SubprocessOutcome {
            let file = try s.write("shares-\(UUID().uuidString)", lines.joined(separator: "\n") + "\n")
            defer { try? FileManager.default.removeItem(atPath: file) }
            return try resguardo(["key", "custody", "recover", "--out", rebuilt, "--recovery-file", recoveryFile, "--fingerprint", pinned,
                                  "--shares-file", file, "--passphrase-file", newPass, "--kdf", "interactive"])
        }
        let one = try recover([shares[0]])
        #expect(one.status == 65 && one.stderr.contains("1/2") && one.stderr.contains("not enough shares"), "\(one.stderr)")
        #expect(!FileManager.default.fileExists(atPath: rebuilt + "/signing.key"))
        // A share of another split (another directory's) is refused and named as such.
        let otherKeys = s.path("otra")
        try ok(["key", "init", "--dir", otherKeys, "--organisation", "Otra red", "--kdf", "interactive", "--passphrase-file", pass])
        let otherSplit = try ok(["key", "custody", "split", "--dir", otherKeys, "--groups", "x:2/3", "--passphrase-file", pass])
        let foreign = try #require(otherSplit.stdout.split(separator: "\n").first { $0.hasPrefix("share ") }).split(separator: ":", maxSplits: 1)[1].dropFirst()
        let mixed = try recover([shares[0], String(foreign)])
        #expect(mixed.status == 65 && mixed.stderr.contains("another split"), "\(mixed.stderr)")
        // A mistyped word is caught by the checksum and named; the share is asked again.
        var typo = shares[2].split(separator: " ").map(String.init)
        typo[12] = typo[12] == "academic" ? "acid" : "academic"
        let recovered = try recover([shares[0], typo.joined(separator: " "), shares[2]])
        #expect(recovered.status == 0, "\(recovered.output)")
        #expect(recovered.stderr.contains("share 2 refused") && recovered.stderr.contains("checksum"), "\(recovered.stderr)")
        #expect(recovered.stdout.contains("matches the pinned one"))
        #expect(recovered.stdout.contains("pseudonym key check value: \(check)"), "\(recovered.stdout)")

        // The rebuilt keys open both bundles, under the new passphrase only.
        #expect(try fingerprint(rebuilt) == pinned)
        try ok(["init", "--workspace", workspace, "--keys", rebuilt, "--passphrase-file", newPass])
        try ok(["vault", "trust", "--workspace", workspace, "--fingerprint", try SigningKeyFingerprint(verifyingKey: vault.verifyingKey).description, "--public-key", vaultPub])
        let oldPassphrase = try resguardo(["unseal", "--workspace", workspace, before, "--passphrase-file", pass])
        #expect(oldPassphrase.status == 77, "\(oldPassphrase.output)")
        for bundle in [before, after] {
            let opened = try ok(["unseal", "--workspace", workspace, bundle, "--passphrase-file", newPass])
            #expect(opened.stdout.contains("1 envelopes → 1 new cases, 0 duplicates, 0 quarantined"), "\(opened.stdout)")
        }
        try vetAndRegister(workspace, pass: newPass)
        // Same defender, same pseudonym as before the loss: the workspace's pseudonym key came back.
        #expect(try defenderPids(workspace) == [pidsBefore[0], pidsBefore[0]])
    }

    @Test("the regional office's drill (issue 30): region init → a network's record imported → split 2 of 3 → the office's laptop is lost → one share, the wrong fingerprint and the wrong kind of recovery file are refused → shares 1 and 3 rebuild it with the same fingerprint and pseudonym check value → key-for works under the new passphrase only, and the network's full bundle refills the registry")
    func regionalDrill() throws {
        let s = try Scratch()
        let pass = try s.write("pass", "frase de paso del equipo de la red\n"), rpass = try s.write("rpass", "frase de la oficina regional antes\n")
        let newPass = try s.write("new", "frase nueva de la oficina tras la pérdida\n")
        let keys = s.path("llaves"), workspace = s.path("casos"), region = s.path("region")
        try ok(["key", "init", "--dir", keys, "--organisation", "Red Guatemala", "--kdf", "interactive", "--passphrase-file", pass])
        try ok(["init", "--workspace", workspace, "--keys", keys, "--passphrase-file", pass])
        let vault = try SigningKey.generate()
        let vaultPub = try s.write("vault.pub", Encoding.base64(vault.verifyingKey.bytes) + "\n")
        try ok(["vault", "trust", "--workspace", workspace, "--fingerprint", try SigningKeyFingerprint(verifyingKey: vault.verifyingKey).description, "--public-key", vaultPub])
        let report = #"{"version":1,"language":"es","country":"GT","incident_date":"2026-10","aggression_types":["threat"],"consent":{"registry":true,"contact":false},"description":"Amenaza antes de la pérdida de la oficina."}"#
        let bundle = s.path("envio.rsgb")
        try self.bundle([report], keys: keys, vault: vault, to: bundle)
        try ok(["unseal", "--workspace", workspace, bundle, "--passphrase-file", pass])
        try vetAndRegister(workspace, pass: pass)

        // The office, with custody from its first day; the network takes its key and sends bundle 1.
        let made = try ok(["region", "init", "--region", region, "--name", "Iniciativa Mesoamericana", "--kdf", "interactive", "--passphrase-file", rpass]).stdout
        func value(_ text: String, after prefix: String) throws -> String {
            String(try #require(text.split(separator: "\n").first { $0.hasPrefix(prefix) }, "\(text)").dropFirst(prefix.count).prefix(39))
        }
        let regionPrint = try value(made, after: "regional signing-key fingerprint: ")
        let check = String(try value(made, after: "regional pseudonym key check value: ").prefix(19))
        #expect(FileManager.default.fileExists(atPath: region + "/recovery.rsgr") && FileManager.default.fileExists(atPath: region + "/recovery-secret.key"))
        let networkPrint = try fingerprint(keys)
        try ok(["networks", "add", "gt", "--fingerprint", networkPrint, "--countries", "GT", "--region", region])
        let keyFile = s.path("clave-regional-gt.json")
        try ok(["region", "key-for", "gt", "--manifest", keys + "/manifest.json", "--region", region, "--out", keyFile, "--passphrase-file", rpass])
        try ok(["registry", "regional-key", "import", keyFile, "--region-fingerprint", regionPrint, "--workspace", workspace, "--passphrase-file", pass])
        let first = s.path("registro-1.json")
        try ok(["registry", "publish", "--workspace", workspace, "--out", first, "--passphrase-file", pass])
        #expect(try ok(["registry", "import", "--region", region, first, "--passphrase-file", rpass]).stdout.contains("1 added"))

        // Split 2 of 3 for the office's trustees; `region show` says so.
        let split = try ok(["region", "custody", "split", "--region", region, "--groups", "oficina:2/3", "--passphrase-file", rpass])
        let shares = split.stdout.split(separator: "\n").filter { $0.hasPrefix("share ") }.map { String($0.split(separator: ":", maxSplits: 1)[1].dropFirst()) }
        #expect(shares.count == 3 && !FileManager.default.fileExists(atPath: region + "/recovery-secret.key"), "\(split.output)")
        let shown = try ok(["region", "show", "--region", region]).stdout
        #expect(shown.contains("custody: split on") && shown.contains("«oficina» 2/3") && shown.contains(check), "\(shown)")

        // The office's laptop is lost; the recovery file was kept elsewhere.
        let recoveryFile = s.path("recovery-region.rsgr")
        try FileManager.default.copyItem(atPath: region + "/recovery.rsgr", toPath: recoveryFile)
        try FileManager.default.removeItem(atPath: region)
        let rebuilt = s.path("region-nueva")
        func recover(_ lines: [String], file: String? = nil, fingerprint: String? = nil, command: [String] = ["region", "custody", "recover"]) throws -> SubprocessOutcome {
            let sharesFile = try s.write("shares-\(UUID().uuidString)", lines.joined(separator: "\n") + "\n")
            defer { try? FileManager.default.removeItem(atPath: sharesFile) }
            return try resguardo(command + ["--out", rebuilt, "--recovery-file", file ?? recoveryFile, "--fingerprint", fingerprint ?? regionPrint,
                                            "--shares-file", sharesFile, "--passphrase-file", newPass, "--kdf", "interactive"])
        }
        let one = try recover([shares[0]])
        #expect(one.status == 65 && one.stderr.contains("not enough shares"), "\(one.stderr)")
        let wrongPin = try recover([shares[0], shares[2]], fingerprint: networkPrint)
        #expect(wrongPin.status == 65 && wrongPin.stderr.contains("not the pinned fingerprint") && !wrongPin.stderr.contains("share 1 accepted"), "\(wrongPin.stderr)")
        let networkFile = try recover([shares[0], shares[2]], file: keys + "/recovery.rsgr")
        #expect(networkFile.status == 65 && networkFile.stderr.contains("network's recovery file"), "\(networkFile.stderr)")
        let asNetwork = try recover([shares[0], shares[2]], command: ["key", "custody", "recover"])
        #expect(asNetwork.status == 65 && asNetwork.stderr.contains("regional office's recovery file"), "\(asNetwork.stderr)")
        #expect(!FileManager.default.fileExists(atPath: rebuilt + "/region.json"))

        let recovered = try recover([shares[0], shares[2]])
        #expect(recovered.status == 0, "\(recovered.output)")
        #expect(recovered.stdout.contains("signing-key fingerprint \(regionPrint) (matches the pinned one)"), "\(recovered.stdout)")
        #expect(recovered.stdout.contains("regional pseudonym key check value: \(check)"), "\(recovered.stdout)")

        // Under the new passphrase only, the office serves the network again.
        try ok(["networks", "add", "gt", "--fingerprint", networkPrint, "--countries", "GT", "--region", rebuilt])
        let again = s.path("clave-regional-gt-2.json")
        let old = try resguardo(["region", "key-for", "gt", "--manifest", keys + "/manifest.json", "--region", rebuilt, "--out", again, "--passphrase-file", rpass])
        #expect(old.status == 77, "\(old.output)")
        try ok(["region", "key-for", "gt", "--manifest", keys + "/manifest.json", "--region", rebuilt, "--out", again, "--passphrase-file", newPass])
        let full = s.path("registro-completo.json")
        try ok(["registry", "publish", "--workspace", workspace, "--out", full, "--full", "--passphrase-file", pass])
        #expect(try ok(["registry", "import", "--region", rebuilt, full, "--passphrase-file", newPass]).stdout.contains("1 added"))
    }

    @Test("custody init --replace keeps the workspace's pseudonym key: refused without --workspace (nothing changed), and with it the new shares recover the same check value")
    func replaceKeepsPseudonym() throws {
        let s = try Scratch()
        let pass = try s.write("pass", "frase de paso del reemplazo\n"), newPass = try s.write("new", "frase nueva del reemplazo\n")
        let keys = s.path("llaves"), workspace = s.path("casos")
        try ok(["key", "init", "--dir", keys, "--organisation", "Red Reemplazo", "--kdf", "interactive", "--passphrase-file", pass])
        let made = try ok(["init", "--workspace", workspace, "--keys", keys, "--passphrase-file", pass])
        let check = try #require(made.stdout.split(separator: "\n").first { $0.hasPrefix("pseudonym key check value: ") }).dropFirst("pseudonym key check value: ".count).prefix(19)
        let before = try Data(contentsOf: URL(fileURLWithPath: keys + "/recovery.rsgr"))
        let refused = try resguardo(["key", "custody", "init", "--dir", keys, "--replace", "--kdf", "interactive", "--passphrase-file", pass])
        #expect(refused.status == 64 && refused.stderr.contains("pseudonym key") && refused.stderr.contains("--workspace"), "\(refused.output)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: keys + "/recovery.rsgr")) == before)
        let replaced = try ok(["key", "custody", "init", "--dir", keys, "--replace", "--workspace", workspace, "--kdf", "interactive", "--passphrase-file", pass])
        #expect(replaced.stdout.contains("pseudonym key check value: \(check)"), "\(replaced.stdout)")
        let file = try RecoveryFile(bytes: try DurableFile.read(keys + "/recovery.rsgr", maxBytes: RecoveryFile.maxByteCount))
        #expect(file.entries.filter { $0.kind == .pseudonym }.count == 1)
        let split = try ok(["key", "custody", "split", "--dir", keys, "--groups", "equipo:2/3", "--group-threshold", "1", "--passphrase-file", pass])
        let shares = split.stdout.split(separator: "\n").filter { $0.hasPrefix("share ") }.map { String($0.split(separator: ":", maxSplits: 1)[1].dropFirst()) }
        let lines = try s.write("shares", shares.prefix(2).joined(separator: "\n") + "\n")
        let recovered = try ok(["key", "custody", "recover", "--out", s.path("otra"), "--recovery-file", keys + "/recovery.rsgr", "--fingerprint", try fingerprint(keys),
                                "--shares-file", lines, "--passphrase-file", newPass, "--kdf", "interactive"])
        #expect(recovered.stdout.contains("pseudonym key check value: \(check)"), "\(recovered.stdout)")
    }

    @Test("review N15: key passphrase's help says it does not lock out a departing key holder and points to the README's procedure, which runs rotate and a new split")
    func departingHolder() throws {
        let help = try resguardo(["key", "passphrase", "--help"])
        #expect(help.status == 0 && help.stdout.contains("does not lock out") && help.stdout.contains("When someone who held the keys leaves"), "\(help.stdout)")
        let readme = try String(contentsOf: repositoryRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let section = try #require(readme.range(of: "### When someone who held the keys leaves")).upperBound
        let procedure = readme[section...].prefix(1500)
        for step in ["key passphrase --dir", "key rotate --dir", "key custody init --dir $K --replace", "key custody split --dir"] {
            #expect(procedure.contains(step), "the README's procedure lacks \(step)")
        }
    }

    @Test("key passphrase changes every key file at once; the old passphrase stops working; an interrupted change is finished on the next open")
    func passphraseChange() throws {
        let s = try Scratch()
        let pass = try s.write("pass", "frase de paso original del equipo\n"), newPass = try s.write("new", "otra frase de paso muy distinta\n")
        let keys = s.path("llaves")
        try ok(["key", "init", "--dir", keys, "--organisation", "Red", "--kdf", "interactive", "--passphrase-file", pass])
        let changed = try ok(["key", "passphrase", "--dir", keys, "--passphrase-file", pass, "--new-passphrase-file", newPass, "--kdf", "interactive"])
        #expect(changed.stdout.contains("4 key files"), "\(changed.stdout)")
        #expect(try resguardo(["key", "rotate", "--dir", keys, "--passphrase-file", pass]).status == 77)
        try ok(["key", "rotate", "--dir", keys, "--kdf", "interactive", "--passphrase-file", newPass])
        let wrong = try resguardo(["key", "passphrase", "--dir", keys, "--passphrase-file", pass, "--new-passphrase-file", newPass])
        #expect(wrong.status == 77 && !FileManager.default.fileExists(atPath: keys + "/passphrase-change.pending"))

        // Interrupted after the decision: the marker and the new files are there, the old files not yet replaced.
        let third = try SecureBytes(copying: Array("la tercera frase de paso".utf8)), current = try SecureBytes(copying: Array("otra frase de paso muy distinta".utf8))
        let directory = try KeyDirectory(path: keys)
        for name in directory.keyFileNames {
            let file = try KeyDirectory.readKeyFile(keys, name)
            let bytes = try KeyFile.seal(secret: try file.unlock(passphrase: current), publicKey: file.publicKey, kind: file.kind, passphrase: third,
                                         limits: KeyDerivationLimits(opsLimit: 1, memLimit: 1 << 20)).bytes
            try Data(bytes).write(to: URL(fileURLWithPath: keys + "/" + name + ".new"))
        }
        try Data("3\n".utf8).write(to: URL(fileURLWithPath: keys + "/passphrase-change.pending"))
        let reopened = try KeyDirectory(path: keys)
        #expect(throws: KeyDirectoryError.self) { _ = try reopened.unlockEncryptionKeys(passphrase: current) }
        #expect(try reopened.unlockEncryptionKeys(passphrase: third).ids.count == 2)
        #expect(!FileManager.default.fileExists(atPath: keys + "/passphrase-change.pending"))
    }
}

/// Review N3 and N4: the recovery file can be sealed to by anyone who holds it, so its entry list
/// is signed by the manifest-signing key and checked against the pin before anything opens; a
/// `--manifest` older than the file's, or missing one of its keys, is refused.
@Suite("Key custody: the recovery file is signed")
struct RecoveryFileSignatureTests {
    let s: Scratch
    let pass: SecureBytes
    let limits: KeyDerivationLimits
    let directory: KeyDirectory
    let check: String
    let shares: [SLIP39.Share]
    let pin: SigningKeyFingerprint

    init() throws {
        s = try Scratch()
        pass = try SecureBytes(copying: Array("frase de paso de la prueba N3".utf8))
        limits = try KeyDerivationLimits(opsLimit: 1, memLimit: 1 << 20)
        directory = try KeyDirectory.create(at: s.path("keys"), organisation: "Red", passphrase: pass, limits: limits, today: .today(), validDays: 60)
        check = try #require(try Workspace.create(at: s.path("ws"), keyDirectory: directory.path, passphrase: pass))
        shares = Array(try directory.split(passphrase: pass, groupThreshold: 1, groups: [.init(name: "equipo", threshold: 2, count: 3)], today: .today())[0].prefix(2))
        pin = try SigningKeyFingerprint(verifyingKey: directory.manifest.signingKey)
    }

    func recover(_ file: RecoveryFile, manifest: [UInt8]? = nil, acceptUnsigned: Bool = false) throws -> KeyDirectory.Recovered {
        try KeyDirectory.recover(shares: shares, recoveryFile: file, manifest: manifest, pinned: pin, to: s.path("out-\(UUID().uuidString)"),
                                 passphrase: pass, limits: limits, acceptUnsigned: acceptUnsigned)
    }

    func refusal(_ body: () throws -> Any) -> String {
        do { _ = try body(); return "" } catch { return "\(error)" }
    }

    /// The file's JSON with `signature` taken out, as files were before this review.
    func unsigned(_ file: RecoveryFile) throws -> RecoveryFile {
        let text = String(decoding: file.bytes, as: UTF8.self)
        return try RecoveryFile(bytes: Array(text.replacingOccurrences(of: #","signature":"[^"]*""#, with: "", options: .regularExpression).utf8))
    }

    @Test("the network's own file recovers and prints the pseudonym check value resguardo init printed")
    func own() throws {
        let file = try #require(try directory.recoveryFile())
        #expect(file.signature != nil)
        let recovered = try recover(file)
        #expect(recovered.pseudonymCheck == check && !recovered.entriesWereUnsigned)
        #expect(check.split(separator: " ").count == 4)
    }

    @Test("an attacker with the public recovery key swaps in his pseudonym key: unsigned, his signature, the old signature pasted back, a second pseudonym entry: each refused before anything opens")
    func attacks() throws {
        let file = try #require(try directory.recoveryFile())
        let attackerKey = try SecureBytes.random(count: 32)
        var swapped = file
        try swapped.add(name: "pseudonym", kind: .pseudonym, publicKey: try RecoveryFile.pseudonymCheck(attackerKey), secret: attackerKey)
        #expect(swapped.signature == nil)
        #expect(refusal { try recover(swapped) }.contains("not signed"))
        var own = swapped
        try own.sign(with: try SigningKey.generate())
        #expect(refusal { try recover(own) }.contains("not signed by the network's manifest-signing key"))
        let signature = try #require(file.signature)
        let pasted = Array(swapped.bytes.dropLast(2)) + Array(",\"signature\":\"\(Encoding.base64(signature))\"}\n".utf8)
        #expect(refusal { try recover(try RecoveryFile(bytes: pasted)) }.contains("not signed by the network's manifest-signing key"))
        // A second pseudonym entry next to the network's: refused when the file is read.
        let sealed = try SealedBox.seal(attackerKey, to: file.recoveryKey)
        let second = String(decoding: file.bytes, as: UTF8.self).replacingOccurrences(
            of: #""entries":["#, with: #""entries":[{"name":"pseudonym-2","kind":"pseudonym","public_key":"","sealed":"\#(Encoding.base64(sealed))"},"#)
        #expect(throws: RecoveryFileError.duplicateKind("pseudonym")) { try RecoveryFile(bytes: Array(second.utf8)) }
        // An extra encryption key sealed in: the signature no longer covers the list.
        var extra = file
        let foreign = try SealSecretKey.generate()
        try extra.add(name: "encryption-extra.key", kind: .encryption, publicKey: foreign.publicKey.bytes,
                      secret: try foreign.withUnsafeSecretBytes { (b) throws(SodiumError) in try SecureBytes(copying: b) })
        let forged = Array(extra.bytes.dropLast(2)) + Array(",\"signature\":\"\(Encoding.base64(signature))\"}\n".utf8)
        #expect(refusal { try recover(try RecoveryFile(bytes: forged)) }.contains("not signed by the network's manifest-signing key"))
    }

    @Test("a file from before signing: refused, recovered only with acceptUnsigned (then signed); key renew signs the network's own and refuses one with a stranger's key")
    func legacy() throws {
        let file = try #require(try directory.recoveryFile())
        let old = try unsigned(file)
        #expect(old.signature == nil)
        #expect(refusal { try recover(old) }.contains("not signed (it was written before"))
        let accepted = try recover(old, acceptUnsigned: true)
        #expect(accepted.entriesWereUnsigned && accepted.pseudonymCheck == check)
        try #require(try accepted.directory.recoveryFile()).verifyEntries(signedBy: directory.manifest.signingKey)

        try Data(old.bytes).write(to: URL(fileURLWithPath: directory.recoveryFilePath))
        let renewed = try directory.renew(passphrase: pass, today: .today())
        #expect(renewed.signedRecoveryFile)
        try #require(try directory.recoveryFile()).verifyEntries(signedBy: directory.manifest.signingKey)

        var stranger = try unsigned(try #require(try directory.recoveryFile()))
        let foreign = try SealSecretKey.generate()
        let id = try KeyId(publicKey: foreign.publicKey)
        try stranger.add(name: "encryption-\(id.hex).key", kind: .encryption, publicKey: foreign.publicKey.bytes,
                         secret: try foreign.withUnsafeSecretBytes { (b) throws(SodiumError) in try SecureBytes(copying: b) })
        try Data(stranger.bytes).write(to: URL(fileURLWithPath: directory.recoveryFilePath))
        #expect(refusal { try directory.renew(passphrase: pass, today: .today()) }.contains("is not an encryption key of this directory"))
    }

    @Test("recover --manifest: one issued before the recovery file's, or lacking one of its keys, is refused (N4)")
    func olderManifest() throws {
        let file = try #require(try directory.recoveryFile())
        let signing = try directory.unlockManifestSigningKey(passphrase: pass)
        let m = directory.manifest.manifest
        let older = try SignedKeyManifest.sign(try KeyManifest(organisation: m.organisation, issued: CalendarDay.today().adding(days: -3), encryptionKeys: m.encryptionKeys,
                                                               replySigningKey: m.replySigningKey), with: signing).serialized()
        #expect(refusal { try recover(file, manifest: older) }.contains("an older manifest is refused"))
        let fresh = try KeyManifest.EncryptionKey(publicKey: try SealSecretKey.generate().publicKey, notBefore: .today(), notAfter: CalendarDay.today().adding(days: 30))
        let lacking = try SignedKeyManifest.sign(try KeyManifest(organisation: m.organisation, issued: .today(), encryptionKeys: [fresh],
                                                                 replySigningKey: m.replySigningKey), with: signing).serialized()
        #expect(refusal { try recover(file, manifest: lacking) }.contains("lacks key \(try #require(m.encryptionKeys.first).id.hex)"))
        // The same keys, newer: accepted.
        #expect(try recover(file, manifest: directory.manifest.serialized()).pseudonymCheck == check)
    }
}

@Suite("Key custody: share pages")
struct SharePageTests {
    @Test("split --pages writes one 0600 page per share on a RAM disk, refuses a disk unless told, and the page renders in Chromium (docs/share-sheet-es.png with RESGUARDO_WRITE_SAMPLE_SHARE)")
    func pages() throws {
        let s = try Scratch()
        let pass = try s.write("pass", "frase de paso para las hojas\n")
        let keys = s.path("llaves")
        _ = try CLIRunner.run(["key", "init", "--dir", keys, "--organisation", "Red de Defensoras (DEMO)", "--kdf", "interactive", "--passphrase-file", pass])
        let onDisk = try CLIRunner.run(["key", "custody", "split", "--dir", keys, "--groups", "equipo:2/3", "--pages", s.path("hojas"), "--passphrase-file", pass])
        #expect(onDisk.status == 64 && onDisk.stderr.contains("RAM disk"), "\(onDisk.stderr)")
        let shm = "/dev/shm/resguardo-hojas-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: shm) }
        let split = try CLIRunner.run(["key", "custody", "split", "--dir", keys, "--groups", "equipo:2/3,junta:3/5", "--group-threshold", "1", "--pages", shm, "--passphrase-file", pass])
        #expect(split.status == 0, "\(split.stderr)")
        let names = try FileManager.default.contentsOfDirectory(atPath: shm).sorted()
        #expect(names.count == 8 && names.first == "compartido-1-1.html")
        let first = shm + "/compartido-1-1.html"
        let mode = try FileManager.default.attributesOfItem(atPath: first)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let html = try String(contentsOfFile: first, encoding: .utf8)
        let words = try #require(split.stdout.split(separator: "\n").first { $0.hasPrefix("share 1.1") }).split(separator: ":")[1].split(separator: " ")
        #expect(words.allSatisfy { html.contains("</span> \($0)</li>") } && html.contains("Red de Defensoras (DEMO)") && html.contains("Cómo guardarlo") && html.contains("When to bring it"))
        guard let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else { return }
        let png = s.path("hoja.png")
        _ = try runSubprocess(chromium, ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-dev-shm-usage",
                                         "--window-size=820,1160", "--screenshot=\(png)", URL(fileURLWithPath: first).absoluteString])
        let bytes = try Data(contentsOf: URL(fileURLWithPath: png))
        #expect(bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]) && bytes.count > 20_000)
        if let sample = ProcessInfo.processInfo.environment["RESGUARDO_WRITE_SAMPLE_SHARE"] {
            try? FileManager.default.removeItem(atPath: sample)
            try FileManager.default.copyItem(atPath: png, toPath: sample)
        }
    }
}

@Suite("Release signing and signature domains (review N1)")
struct ReleaseSigningTests {
    @Test("a release key signs under its domain; OpenSSL verifies with the domain line in front; verify-file checks the fingerprint and refuses a changed file")
    func signAndVerify() throws {
        let s = try Scratch()
        let pass = try s.write("pass", "frase de las versiones publicadas\n")
        let key = s.path("release-signing.key"), pem = s.path("release.pem")
        let made = try CLIRunner.run(["key", "release-init", "--out", key, "--pem-out", pem, "--kdf", "interactive", "--passphrase-file", pass])
        #expect(made.status == 0, "\(made.stderr)")
        // The digest it prints is what sha256sum prints: a check with standard tools before installing (N7).
        let sha = try runSubprocess("/usr/bin/sha256sum", [pem])
        #expect(made.stdout.contains(String(sha.output.prefix(64))), "\(made.stdout) vs \(sha.output)")
        let sums = try s.write("SHA256SUMS", "0123  ./resguardo_1_amd64.deb\n")
        let signed = try CLIRunner.run(["key", "sign-file", "--key", key, sums, "--passphrase-file", pass])
        #expect(signed.status == 0, "\(signed.stderr)")
        let framed = try s.write("SHA256SUMS.signed", "resguardo release v1\n0123  ./resguardo_1_amd64.deb\n")
        let openssl = try runSubprocess("/usr/bin/openssl", ["pkeyutl", "-verify", "-pubin", "-inkey", pem, "-rawin", "-in", framed, "-sigfile", sums + ".sig"])
        #expect(openssl.status == 0 && openssl.output.contains("Signature Verified Successfully"), "\(openssl.output)")
        let bare = try runSubprocess("/usr/bin/openssl", ["pkeyutl", "-verify", "-pubin", "-inkey", pem, "-rawin", "-in", sums, "-sigfile", sums + ".sig"])
        #expect(bare.status != 0, "the bare file must not verify: the signature carries the release domain")
        let fingerprint = try #require(signed.stdout.split(separator: " ").suffix(8).joined(separator: " ").split(separator: "\n").first.map(String.init))
        #expect(try CLIRunner.run(["key", "verify-file", sums, sums + ".sig", "--public-key", pem, "--fingerprint", fingerprint]).status == 0)
        let other = "0000 0000 0000 0000 0000 0000 0000 0000"
        #expect(try CLIRunner.run(["key", "verify-file", sums, sums + ".sig", "--public-key", pem, "--fingerprint", other]).status == 77)
        #expect(try CLIRunner.run(["key", "verify-file", sums, sums + ".sig", "--public-key", pem]).status == 64, "a key from the stick needs the published fingerprint")
        try "tampered\n".write(toFile: sums, atomically: true, encoding: .utf8)
        #expect(try CLIRunner.run(["key", "verify-file", sums, sums + ".sig", "--public-key", pem, "--fingerprint", fingerprint]).status == 65)
    }

    @Test("sign-file refuses a network's key directory and its manifest-signing key file before asking the passphrase; the old oracle's manifest is refused and renew does not migrate it")
    func noSigningOracle() throws {
        let s = try Scratch()
        let pass = try s.write("pass", "frase de paso de la red de prueba\n")
        let keys = s.path("mx-keys")
        #expect(try CLIRunner.run(["key", "init", "--dir", keys, "--organisation", "Red MX", "--kdf", "interactive", "--passphrase-file", pass]).status == 0)
        // Given the review's payload: MX's manifest listing an attacker's encryption key.
        let directory = try KeyDirectory(path: keys)
        let attacker = try SealSecretKey.generate()
        let forged = try KeyManifest(organisation: "Red MX", issued: .today(), encryptionKeys: [
            KeyManifest.EncryptionKey(publicKey: attacker.publicKey, notBefore: .today(), notAfter: CalendarDay.today().adding(days: 90))],
            replySigningKey: directory.manifest.manifest.replySigningKey)
        let payload = try s.write("payload.json", String(decoding: forged.payloadBytes(), as: UTF8.self))
        for target in [keys, keys + "/signing.key", keys + "/reply-signing.key"] {
            let run = try CLIRunner.run(["key", "sign-file", "--key", target, payload, "--passphrase-file", pass])
            #expect(run.status == 64, "\(target): \(run.stderr)")
            #expect(run.stderr.contains("not a release key") || run.stderr.contains("is a directory"), "\(run.stderr)")
            #expect(!FileManager.default.fileExists(atPath: payload + ".sig"))
        }
        #expect(try CLIRunner.run(["key", "sign-file", "--dir", keys, payload, "--passphrase-file", pass]).status == 64)
        // Even a signature the real key made over the bare payload (what the old sign-file did) is no manifest now…
        let signing = try directory.unlockManifestSigningKey(passphrase: SecureBytes(copying: Array("frase de paso de la red de prueba".utf8)))
        let bare = try signing.signBare(forged.payloadBytes())
        let json = Array(#"{"payload":"\#(Encoding.base64(forged.payloadBytes()))","signature":"\#(Encoding.base64(bare))","signing_key":"\#(Encoding.base64(signing.verifyingKey.bytes))"}"#.utf8)
        #expect(throws: KeyManifestError.signedWithoutDomain) { try SignedKeyManifest(json: json, trust: .key(signing.verifyingKey)) }
        // …and renew, the migration, refuses it: the attacker's key has no key file here.
        try Data(json).write(to: URL(fileURLWithPath: keys + "/manifest.json"))
        let shown = try CLIRunner.run(["key", "show", "--dir", keys])
        #expect(shown.status == 65 && shown.stderr.contains("key renew"), "\(shown.stderr)")
        let renew = try CLIRunner.run(["key", "renew", "--dir", keys, "--passphrase-file", pass])
        #expect(renew.status != 0 && renew.stderr.contains("no key file here"), "\(renew.stderr)")
    }

    @Test("renew migrates a genuine manifest signed before domains, after checking every key against the key files")
    func migration() throws {
        let s = try Scratch()
        let pass = try s.write("pass", "frase de paso de la red de prueba\n")
        let keys = s.path("gt-keys")
        #expect(try CLIRunner.run(["key", "init", "--dir", keys, "--organisation", "Red GT", "--kdf", "interactive", "--passphrase-file", pass]).status == 0)
        let directory = try KeyDirectory(path: keys)
        let signing = try directory.unlockManifestSigningKey(passphrase: SecureBytes(copying: Array("frase de paso de la red de prueba".utf8)))
        let old = directory.manifest
        let bare = try signing.signBare(old.payload)
        let json = Array(#"{"payload":"\#(Encoding.base64(old.payload))","signature":"\#(Encoding.base64(bare))","signing_key":"\#(Encoding.base64(signing.verifyingKey.bytes))"}"#.utf8)
        try Data(json).write(to: URL(fileURLWithPath: keys + "/manifest.json"))
        #expect(throws: KeyDirectoryError.self) { try KeyDirectory(path: keys) }
        let renew = try CLIRunner.run(["key", "renew", "--dir", keys, "--passphrase-file", pass])
        #expect(renew.status == 0, "\(renew.stderr)")
        let migrated = try KeyDirectory(path: keys)
        #expect(migrated.manifest.manifest.encryptionKeys.map(\.id) == old.manifest.encryptionKeys.map(\.id))
    }
}
