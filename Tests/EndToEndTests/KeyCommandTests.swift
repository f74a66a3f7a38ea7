import Foundation
import Testing
import TestSupport
import TestHarness
import Sodium
import Formats
@testable import Casework
import Keys

@Suite("resguardo key …")
struct KeyCommandTests {
    let scratch: Scratch
    let passphraseFile: String
    let keys: String

    init() throws {
        scratch = try Scratch()
        passphraseFile = try scratch.write("pass", "una frase de paso bastante larga\n")
        keys = scratch.path("keys")
    }

    func initKeys() throws -> SubprocessOutcome {
        try CLIRunner.run(["key", "init", "--dir", keys, "--organisation", "Red de Defensoras", "--kdf", "interactive",
                           "--passphrase-file", passphraseFile])
    }

    @Test("init creates 0600 secret files and a manifest that verifies; show prints the fingerprint")
    func initAndShow() throws {
        let created = try initKeys()
        #expect(created.status == 0, "\(created.stderr)")
        let directory = try KeyDirectory(path: keys)
        let fingerprint = try directory.manifest.fingerprint().description
        #expect(created.stdout.contains("signing-key fingerprint: \(fingerprint)"))
        let names = try FileManager.default.contentsOfDirectory(atPath: keys).sorted()
        // Since issue 17: the recovery file and the recovery secret waiting to be split.
        #expect(names.count == 6 && names.contains("manifest.json") && names.contains("signing.key") && names.contains("reply-signing.key")
                && names.contains("recovery.rsgr") && names.contains("recovery-secret.key"), "\(names)")
        for name in names where name.hasSuffix(".key") || name == "recovery.rsgr" {
            let mode = try FileManager.default.attributesOfItem(atPath: "\(keys)/\(name)")[.posixPermissions] as? Int
            #expect(mode == 0o600, "\(name) has mode \(String(mode ?? 0, radix: 8))")
        }
        // The manifest verifies against the fingerprint a client would pin.
        let json = try Array(Data(contentsOf: URL(fileURLWithPath: "\(keys)/manifest.json")))
        let pinned = try #require(SigningKeyFingerprint(text: fingerprint))
        let signed = try SignedKeyManifest(json: json, trust: .fingerprint(pinned))
        #expect(signed.manifest.organisation == "Red de Defensoras")

        let shown = try CLIRunner.run(["key", "show", "--dir", keys])
        #expect(shown.status == 0 && shown.stdout.contains(fingerprint) && shown.stdout.contains("current"))
        let asJSON = try CLIRunner.run(["key", "show", "--dir", keys, "--format", "json"])
        let parsed = try JSONValue.parse(Array(asJSON.stdout.utf8))
        #expect(parsed["signing_key_fingerprint"] == .string(fingerprint))
    }

    @Test("the secret keys unlock with the passphrase and open what is sealed to the manifest's key")
    func keysWork() throws {
        #expect(try initKeys().status == 0)
        let directory = try KeyDirectory(path: keys)
        let passphrase = try SecureBytes(copying: Array("una frase de paso bastante larga".utf8))
        let secrets = try directory.unlockEncryptionKeys(passphrase: passphrase)
        let current = try #require(directory.manifest.manifest.currentEncryptionKey(on: .today()))
        let envelope = try Envelope.seal(report: Array("{}".utf8), to: current.publicKey)
        let secret = try #require(secrets[envelope.keyId])
        #expect(try envelope.open(with: secret).withUnsafeBytes { Array($0) } == Array("{}".utf8))
        // The unlocked keys print as a count, whichever way a program or a failing test prints them.
        let hexSecret = secret.withUnsafeSecretBytes { Encoding.hex(Array($0)) }
        var dumped = ""
        dump(secrets, to: &dumped)
        for shown in ["\(secrets)", String(reflecting: secrets), dumped] {
            #expect(shown.contains("1 encryption key") || shown.contains("UnlockedKeys"))
            #expect(!shown.contains(hexSecret) && !shown.contains("SecureBytes") && !shown.contains("SealSecretKey"))
        }
    }

    @Test("rotate adds a key, keeps the old one and its file, and re-signs")
    func rotate() throws {
        #expect(try initKeys().status == 0)
        let before = try KeyDirectory(path: keys).manifest.manifest
        let rotated = try CLIRunner.run(["key", "rotate", "--dir", keys, "--kdf", "interactive", "--overlap-days", "7"],
                                        environment: ["RESGUARDO_PASSPHRASE": "una frase de paso bastante larga"])
        #expect(rotated.status == 0, "\(rotated.stderr)")
        let after = try KeyDirectory(path: keys)
        let ids = after.manifest.manifest.encryptionKeys.map(\.id)
        #expect(ids.count == 2 && ids[0] == before.encryptionKeys[0].id)
        #expect(after.manifest.manifest.encryptionKeys[0].notAfter == CalendarDay.today().adding(days: 7))
        #expect(after.manifest.manifest.currentEncryptionKey(on: .today())?.id == ids[1])
        #expect(ids.allSatisfy(after.hasSecretKeyFile(for:)))
        let secrets = try after.unlockEncryptionKeys(passphrase: SecureBytes(copying: Array("una frase de paso bastante larga".utf8)))
        #expect(secrets.ids == Set(ids))
    }

    @Test("a wrong passphrase exits 77 and changes nothing")
    func wrongPassphrase() throws {
        #expect(try initKeys().status == 0)
        let manifestBefore = try Data(contentsOf: URL(fileURLWithPath: "\(keys)/manifest.json"))
        let wrong = try scratch.write("wrong", "otra frase de paso distinta")
        let outcome = try CLIRunner.run(["key", "rotate", "--dir", keys, "--passphrase-file", wrong])
        #expect(outcome.status == 77)
        #expect(outcome.stderr.hasPrefix("resguardo: error: wrong passphrase"))
        #expect(outcome.stderr.contains("resguardo: hint:"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: "\(keys)/manifest.json")) == manifestBefore)
        #expect(try FileManager.default.contentsOfDirectory(atPath: keys).count == 6)
    }

    @Test("keys are never overwritten: init into a used directory exits 73")
    func neverOverwrite() throws {
        #expect(try initKeys().status == 0)
        let again = try initKeys()
        #expect(again.status == 73 && again.stderr.contains("refusing to overwrite"))
    }

    @Test("a missing directory exits 66; a corrupt key file exits 65 and names the file")
    func missingAndCorrupt() throws {
        let missing = try CLIRunner.run(["key", "show", "--dir", scratch.path("nowhere")])
        #expect(missing.status == 66 && missing.stderr.contains("signing.key is missing"))
        #expect(try initKeys().status == 0)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: "\(keys)/signing.key"))
        bytes[60] ^= 0xFF
        try bytes.write(to: URL(fileURLWithPath: "\(keys)/signing.key"))
        let corrupt = try CLIRunner.run(["key", "show", "--dir", keys])
        #expect(corrupt.status == 65 && corrupt.stderr.contains("signing.key") && corrupt.stderr.contains("corrupt"))
    }

    @Test("a tampered manifest is refused")
    func tamperedManifest() throws {
        #expect(try initKeys().status == 0)
        let path = "\(keys)/manifest.json"
        let json = try JSONValue.parse(Array(Data(contentsOf: URL(fileURLWithPath: path))))
        guard case .string(let payload)? = json["payload"], var bytes = Encoding.bytes(fromBase64: payload) else {
            Issue.record("manifest has no payload"); return
        }
        bytes[bytes.count - 5] ^= 1
        let tampered = JSONValue.object([("payload", .string(Encoding.base64(bytes))), ("signature", json["signature"] ?? .null),
                                         ("signing_key", json["signing_key"] ?? .null)])
        try Data(tampered.serialized()).write(to: URL(fileURLWithPath: path))
        let outcome = try CLIRunner.run(["key", "show", "--dir", keys])
        #expect(outcome.status == 65 && outcome.stderr.contains("signature does not verify"))
    }

    @Test("loose permissions are warned about")
    func permissions() throws {
        #expect(try initKeys().status == 0)
        chmod("\(keys)/signing.key", 0o644)
        let outcome = try CLIRunner.run(["key", "show", "--dir", keys])
        #expect(outcome.status == 0)
        #expect(outcome.stderr.contains("resguardo: warning: key file \(keys)/signing.key is readable by other users (mode 644)"))
    }

    @Test("bad input on the command line gets a clear error")
    func usage() throws {
        let short = try scratch.write("short", "corta")
        let outcome = try CLIRunner.run(["key", "init", "--dir", keys, "--organisation", "Red", "--passphrase-file", short])
        #expect(outcome.status == 64 && outcome.stderr.contains("at least 12"))
        let noPass = try CLIRunner.run(["key", "init", "--dir", keys, "--organisation", "Red", "--kdf", "interactive"])
        #expect(noPass.status != 0)
        let days = try CLIRunner.run(["key", "init", "--dir", keys, "--organisation", "Red", "--valid-days", "0"])
        #expect(days.status == 64 && days.stderr.contains("--valid-days"))
        let missingFile = try CLIRunner.run(["key", "init", "--dir", keys, "--organisation", "Red", "--passphrase-file", scratch.path("nope")])
        #expect(missingFile.status == 66 && missingFile.stderr.contains("cannot open passphrase file"))
    }

    @Test("every command has --help with an example", arguments: [
        ["--help"], ["key", "--help"], ["key", "init", "--help"], ["key", "show", "--help"], ["key", "rotate", "--help"],
        ["init", "--help"], ["vault", "trust", "--help"], ["unseal", "--help"], ["cases", "--help"], ["cases", "list", "--help"],
        ["cases", "show", "--help"], ["cases", "vet", "--help"], ["cases", "quarantine", "--help"], ["cases", "attachment", "--help"],
        ["cases", "deidentify", "--help"], ["registry", "--help"], ["registry", "add", "--help"], ["registry", "export", "--help"],
        ["registry", "report", "--help"], ["reply", "--help"], ["reply", "queue", "--help"], ["reply", "export", "--help"],
        ["coordinators", "--help"], ["coordinators", "add", "--help"], ["coordinators", "list", "--help"],
        ["referral", "--help"], ["referral", "create", "--help"], ["referral", "open", "--help"],
    ])
    func help(_ arguments: [String]) throws {
        let outcome = try CLIRunner.run(arguments)
        #expect(outcome.status == 0)
        #expect(outcome.stdout.contains("Example"), "\(arguments.joined(separator: " ")) --help shows no example")
    }
}

@Suite("resguardo on a real terminal")
struct TerminalTests {
    static let script = repositoryRoot.appendingPathComponent("scripts/lib/tty_check.py").path

    @Test("the passphrase is typed without echo, confirmed, and unlocks the keys")
    func typedPassphrase() throws {
        let scratch = try Scratch()
        let outcome = try runSubprocess(debianPython, [Self.script, CLIRunner.executable.path, scratch.url.path])
        #expect(outcome.status == 0, "\(outcome.output)")
        #expect(outcome.output.contains("5 passed, 0 failed"), "\(outcome.output)")
    }
}
