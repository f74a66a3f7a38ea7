import Foundation
import Testing
import TestSupport
@testable import Deidentify
import Formats
@testable import Keys
@testable import Region
@testable import Sodium

/// Issue 30: the regional office's keys under the same split custody as a network's, and the
/// checks a recovery makes before it opens or writes anything.
@Suite("Regional office custody")
struct RegionalCustodyTests {
    let s: Scratch
    let pass: SecureBytes
    let limits: KeyDerivationLimits
    let office: RegionalOffice
    let shares: [SLIP39.Share]
    let pin: SigningKeyFingerprint

    init() throws {
        s = try Scratch()
        pass = try SecureBytes(copying: Array("frase de la oficina regional de prueba".utf8))
        limits = try KeyDerivationLimits(opsLimit: 1, memLimit: 1 << 20)
        office = try RegionalOffice.create(at: s.path("region"), name: "Iniciativa", passphrase: pass, limits: limits)
        shares = Array(try office.custody.split(passphrase: pass, groupThreshold: 1, groups: [.init(name: "oficina", threshold: 2, count: 3)], today: .today())[0].prefix(2))
        try office.custody.finishSplit()
        pin = try office.fingerprint
    }

    func file() throws -> RecoveryFile { try #require(try office.custody.recoveryFile()) }

    func recover(_ file: RecoveryFile, pinned: SigningKeyFingerprint? = nil, to out: String? = nil) throws -> RegionalOffice.Recovered {
        try RegionalOffice.recover(shares: shares, recoveryFile: file, pinned: pinned ?? pin, to: out ?? s.path("out-\(UUID().uuidString)"), passphrase: pass, limits: limits)
    }

    func refusal(_ body: () throws -> Any) -> String {
        do { _ = try body(); return "" } catch { return "\(error)" }
    }

    @Test("create seals the three keys to a recovery key (scope region, signed by the office's key); two of three shares rebuild the same keys and pseudonym key")
    func roundTrip() throws {
        let file = try file()
        #expect(file.scope == .region && file.entries.map(\.kind) == [.encryption, .regionSigning, .pseudonym])
        try file.verifyEntries(signedBy: office.signingKey)
        #expect(String(decoding: file.bytes, as: UTF8.self).contains(#""scope":"region""#))
        let recovered = try recover(file)
        #expect(try recovered.office.fingerprint == pin)
        #expect(recovered.office.encryptionKey.bytes == office.encryptionKey.bytes)
        #expect(recovered.pseudonymCheck == office.pseudonymCheckText())
        // Every key works under the passphrase: the pseudonym key opens the same as before.
        let before = try office.unlockAll(passphrase: pass), after = try recovered.office.unlockAll(passphrase: pass)
        #expect(Array(before.pseudonym.guardedBytes.withUnsafeBytes { Array($0) }) == Array(after.pseudonym.guardedBytes.withUnsafeBytes { Array($0) }))
        let rebuiltFile = try recovered.office.custody.recoveryFile()
        #expect(!recovered.office.custody.hasUnsplitRecoverySecret && rebuiltFile?.custody != nil)
    }

    @Test("refused before anything opens: another office's fingerprint, a changed region-public.json, an entry added and signed by a stranger, a network's file; nothing written")
    func attacks() throws {
        let file = try file()
        let out = s.path("nada")
        #expect(refusal { try recover(file, pinned: try SigningKeyFingerprint(verifyingKey: try SigningKey.generate().verifyingKey), to: out) }.contains("not the pinned fingerprint"))
        // The document is not signed itself: a swapped encryption key must match the signed entry.
        let attacker = try SealSecretKey.generate()
        let document = try RegionalOffice.publicKeys(name: "Iniciativa", encryption: attacker.publicKey, signing: office.signingKey)
        var swapped = try RecoveryFile(bytes: Array(String(decoding: file.bytes, as: UTF8.self)
            .replacingOccurrences(of: Encoding.base64(file.manifest), with: Encoding.base64(document)).utf8))
        #expect(refusal { try recover(swapped, to: out) }.contains("not the office's"))
        // His own encryption key sealed in and the list signed by him.
        try swapped.add(name: "encryption.key", kind: .encryption, publicKey: attacker.publicKey.bytes,
                        secret: try attacker.withUnsafeSecretBytes { (b) throws(SodiumError) in try SecureBytes(copying: b) })
        try swapped.sign(with: try SigningKey.generate())
        #expect(refusal { try recover(swapped, to: out) }.contains("not signed by the regional office's signing key"))
        // A network's file (scope network) is not recovered as the office.
        let keys = try KeyDirectory.create(at: s.path("keys"), organisation: "Red", passphrase: pass, limits: limits, today: .today(), validDays: 60)
        #expect(refusal { try recover(try #require(try keys.recoveryFile()), to: out) }.contains("network's recovery file"))
        #expect(refusal { try KeyDirectory.recover(shares: shares, recoveryFile: file, manifest: nil, pinned: pin, to: out, passphrase: pass, limits: limits) }
            .contains("regional office's recovery file"))
        #expect(!FileManager.default.fileExists(atPath: out + "/region.json") && !FileManager.default.fileExists(atPath: out + "/signing.key"))
    }

    @Test("independent check of formats.md §18 for the office's file: PyPI shamir-mnemonic combines two shares, PyNaCl opens every entry with that secret, verifies the entry list's signature over the spec's bytes and domain with region-public.json's key, and finds the keys the spec says")
    func independentImplementations() throws {
        let words = shares.map { SLIP39.words(of: $0).joined(separator: " ") }
        let combined = try runSubprocess(try ShamirMnemonic.python(), ["-c", "import sys, shamir_mnemonic; print(shamir_mnemonic.combine_mnemonics(sys.argv[1:]).hex())"] + words)
        #expect(combined.status == 0, "\(combined.stderr)")
        let secret = combined.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let checked = try runSubprocess(debianPython, ["-c", """
            import base64, hashlib, json, sys
            import nacl.public, nacl.signing, nacl.encoding
            f = json.load(open(sys.argv[1]))
            assert f["format"] == "resguardo-recovery" and f["version"] == 1 and f["scope"] == "region", f.get("scope")
            pub = json.loads(base64.b64decode(f["manifest"]))
            signing = nacl.signing.VerifyKey(base64.b64decode(pub["signing_key"]))
            content = base64.b64decode(f["recovery_key"])
            for e in f["entries"]:
                sealed = base64.b64decode(e["sealed"])
                for field in (e["name"].encode(), e["kind"].encode(), base64.b64decode(e["public_key"]).hex().encode(), hashlib.blake2b(sealed, digest_size=32).hexdigest().encode()):
                    content += field + b"\\0"
            signing.verify(b"resguardo recovery file v1\\n" + content, base64.b64decode(f["signature"]))
            box = nacl.public.SealedBox(nacl.public.PrivateKey(bytes.fromhex(sys.argv[2])))
            opened = {e["kind"]: (box.decrypt(base64.b64decode(e["sealed"])), base64.b64decode(e["public_key"])) for e in f["entries"]}
            assert sorted(opened) == ["encryption", "pseudonym", "region_signing"], sorted(opened)
            seed, pk = opened["region_signing"]
            assert bytes(nacl.signing.SigningKey(seed).verify_key) == bytes(signing) == pk
            secret, pk = opened["encryption"]
            assert bytes(nacl.public.PrivateKey(secret).public_key) == base64.b64decode(pub["encryption_key"]) == pk
            key, check = opened["pseudonym"]
            assert hashlib.blake2b(b"resguardo pseudonym check v1", digest_size=32, key=key).digest() == check
            print("ok")
            """, office.custody.recoveryFilePath, secret])
        #expect(checked.status == 0 && checked.stdout.contains("ok"), "\(checked.output)")
    }

    @Test("scope and kinds go together: a network kind in a regional file, a region_signing key in a network's, and an unknown scope are refused when the file is read")
    func scopes() throws {
        let text = String(decoding: try file().bytes, as: UTF8.self)
        #expect(throws: RecoveryFileError.self) { try RecoveryFile(bytes: Array(text.replacingOccurrences(of: #""kind":"region_signing""#, with: #""kind":"manifest_signing""#).utf8)) }
        #expect(throws: RecoveryFileError.self) { try RecoveryFile(bytes: Array(text.replacingOccurrences(of: #""scope":"region","#, with: "").utf8)) }
        #expect(throws: RecoveryFileError.self) { try RecoveryFile(bytes: Array(text.replacingOccurrences(of: #""scope":"region""#, with: #""scope":"oficina""#).utf8)) }
    }

    @Test("an office made before custody gets it with custody init; init again is refused, --replace makes a new recovery key the old shares do not open")
    func initAndReplace() throws {
        try FileManager.default.removeItem(atPath: office.custody.recoveryFilePath)
        let made = try office.initCustody(passphrase: pass, limits: limits)
        #expect(made.scope == .region && made.entries.count == 3 && office.custody.hasUnsplitRecoverySecret)
        #expect(throws: RegionError.alreadyExists(office.custody.recoveryFilePath)) { try office.initCustody(passphrase: pass, limits: limits) }
        let replaced = try office.initCustody(passphrase: pass, limits: limits, replace: true)
        #expect(replaced.recoveryKey.bytes != made.recoveryKey.bytes)
        #expect(refusal { try recover(replaced) }.contains("not this recovery file's"))
    }
}
