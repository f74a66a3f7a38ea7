import Foundation
import Testing
import TestSupport
import Sodium
@testable import Formats

/// Registry bundle v1 and regional key file v1 (docs/formats.md §15–16): round trips, every
/// refusal, and PyNaCl (Debian's python3-nacl) verifying and opening a bundle from the spec alone.
@Suite("Registry bundles and regional key files")
struct RegistryBundleTests {
    let region = try! SealSecretKey.generate()
    let network = try! SigningKey.generate()
    let mx = NetworkId("mx")!
    let payload = Array(#"{"network":"mx","sequence":3,"full":false,"additions":[],"corrections":[],"withdrawals":[]}"#.utf8)

    func bundle() throws -> RegistryBundle {
        try RegistryBundle.make(network: mx, sequence: 3, isFull: false, payload: payload, to: region.publicKey, signedBy: network)
    }

    func opened(_ b: RegistryBundle) throws -> [UInt8] {
        try b.openPayload(with: region).withUnsafeBytes { Array($0) }
    }

    @Test("a bundle round-trips, names its signer, and opens only with the regional key")
    func roundTrip() throws {
        let parsed = try RegistryBundle(bytes: try bundle().bytes)
        #expect(parsed.network == mx && parsed.sequence == 3 && !parsed.isFull)
        #expect(try parsed.signerFingerprint.matches(SigningKeyFingerprint(verifyingKey: network.verifyingKey)))
        #expect(try opened(parsed) == payload)
        #expect(throws: RegistryBundleError.doesNotOpen) { _ = try parsed.openPayload(with: try SealSecretKey.generate()) }
    }

    @Test("every header field is signed: changing the network, the sequence, full or a byte of the records breaks the signature")
    func headerIsSigned() throws {
        let text = String(decoding: try bundle().bytes, as: UTF8.self)
        for (from, to) in [("\"network\":\"mx\"", "\"network\":\"gt\""), ("\"sequence\":3", "\"sequence\":4"), ("\"full\":false", "\"full\":true")] {
            #expect(throws: RegistryBundleError.badSignature) { _ = try RegistryBundle(bytes: Array(text.replacingOccurrences(of: from, with: to).utf8)) }
        }
        let sealedAt = try #require(text.range(of: "\"sealed\":\""))
        var tampered = text
        let i = tampered.index(sealedAt.upperBound, offsetBy: 10)
        tampered.replaceSubrange(i...i, with: tampered[i] == "A" ? "B" : "A")
        #expect(throws: RegistryBundleError.badSignature) { _ = try RegistryBundle(bytes: Array(tampered.utf8)) }
    }

    @Test("malformed bundles are refused with a precise message")
    func malformed() throws {
        let good = String(decoding: try bundle().bytes, as: UTF8.self)
        func refusal(_ text: String) -> String {
            do { _ = try RegistryBundle(bytes: Array(text.utf8)); return "accepted" } catch { return error.description }
        }
        #expect(refusal("[]").contains("not an object"))
        #expect(refusal("{").contains("not JSON"))
        #expect(refusal(good.replacingOccurrences(of: "resguardo-registry-bundle", with: "x")).contains("not a registry bundle"))
        #expect(refusal(good.replacingOccurrences(of: "\"version\":1", with: "\"version\":2")).contains("version"))
        #expect(refusal(good.replacingOccurrences(of: "\"sequence\":3", with: "\"sequence\":0")).contains("sequence"))
        #expect(refusal(good.replacingOccurrences(of: "\"network\":\"mx\"", with: "\"network\":\"M X\"")).contains("network"))
        #expect(refusal(good.replacingOccurrences(of: "{\"format\"", with: "{\"extra\":1,\"format\"")).contains("unknown member `extra`"))
        #expect(refusal(good.replacingOccurrences(of: "\"signature\":\"", with: "\"signature\":\"*")).contains("base64"))
    }

    @Test("a regional key file verifies against the pinned office, opens with the network's key, and is refused for any other pin or change")
    func regionalKeyFile() throws {
        let office = try SigningKey.generate()
        let networkKey = try SealSecretKey.generate()
        let pseudonym = try SecureBytes.random(count: 32)
        let file = try RegionalKeyFile.make(network: mx, pseudonymKey: pseudonym, to: networkKey.publicKey, regionEncryptionKey: region.publicKey, signedBy: office)
        let pin = try SigningKeyFingerprint(verifyingKey: office.verifyingKey)
        let parsed = try RegionalKeyFile(bytes: file.bytes, pinned: pin)
        #expect(parsed.keyId == (try KeyId(publicKey: networkKey.publicKey)) && parsed.network == mx)
        #expect(try SealedBox.open(parsed.sealedKey, with: networkKey).constantTimeEquals(pseudonym))
        let other = try SigningKeyFingerprint(verifyingKey: try SigningKey.generate().verifyingKey)
        #expect(throws: RegistryBundleError.self) { _ = try RegionalKeyFile(bytes: file.bytes, pinned: other) }
        let altered = String(decoding: file.bytes, as: UTF8.self).replacingOccurrences(of: "\"network\":\"mx\"", with: "\"network\":\"gt\"")
        #expect(throws: RegistryBundleError.badSignature) { _ = try RegionalKeyFile(bytes: Array(altered.utf8), pinned: pin) }
    }

    @Test("PyNaCl verifies a bundle's signature from the spec's signed bytes and opens its records")
    func pynaclAgrees() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bundle-xcheck-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("bundle.json").path
        try Data(try bundle().bytes).write(to: URL(fileURLWithPath: path))
        let secret = region.withUnsafeSecretBytes { Encoding.hex($0) }
        let script = """
        import base64, json, sys
        from nacl.public import PrivateKey, SealedBox
        from nacl.signing import VerifyKey
        b = json.load(open(sys.argv[1]))
        sealed = base64.b64decode(b["sealed"])
        signing = base64.b64decode(b["signing_key"])
        fields = [b["network"], str(b["sequence"]), "full" if b["full"] else "changes", b["region_key_id"], signing.hex()]
        signed = b"resguardo registry bundle v1\\n" + b"".join(f.encode() + b"\\0" for f in fields) + sealed
        VerifyKey(signing).verify(signed, base64.b64decode(b["signature"]))
        sys.stdout.write(SealedBox(PrivateKey(bytes.fromhex(sys.argv[2]))).decrypt(sealed).decode())
        """
        let run = try runSubprocess(debianPython, ["-c", script, path, secret])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout == String(decoding: payload, as: UTF8.self))
    }
}
