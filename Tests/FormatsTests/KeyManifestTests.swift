import Testing
import Sodium
@testable import Formats

@Suite("Key manifest v1")
struct KeyManifestTests {
    let signing = try! SigningKey.generate()
    let reply = try! SigningKey.generate()
    let day = CalendarDay(year: 2026, month: 11, day: 25)!

    func manifest(_ keys: [(SealPublicKey, CalendarDay, CalendarDay)]) throws -> KeyManifest {
        try KeyManifest(organisation: "Red de Defensoras", issued: day,
                        encryptionKeys: keys.map { try KeyManifest.EncryptionKey(publicKey: $0.0, notBefore: $0.1, notAfter: $0.2) },
                        replySigningKey: reply.verifyingKey)
    }

    @Test("signed and verified against the pinned fingerprint")
    func roundTrip() throws {
        let m = try manifest([(SealSecretKey.generate().publicKey, day, day.adding(days: 365))])
        let signed = try SignedKeyManifest.sign(m, with: signing)
        let fingerprint = try SigningKeyFingerprint(verifyingKey: signing.verifyingKey)
        let reread = try SignedKeyManifest(json: signed.serialized(), trust: .fingerprint(fingerprint))
        #expect(reread.manifest == m)
        #expect(reread.payload == signed.payload)
    }

    @Test("fingerprint: 8 groups of 4 lowercase hex digits, parsed back from sloppy typing")
    func fingerprintFormat() throws {
        let f = try SigningKeyFingerprint(verifyingKey: signing.verifyingKey)
        let text = f.description
        #expect(text.split(separator: " ").count == 8 && text.split(separator: " ").allSatisfy { $0.count == 4 })
        #expect(text == text.lowercased())
        #expect(SigningKeyFingerprint(text: text.uppercased().replacingOccurrences(of: " ", with: ""))?.matches(f) == true)
        #expect(SigningKeyFingerprint(text: "abcd") == nil)
    }

    @Test("a manifest signed by another key is refused even though its signature is valid")
    func swappedKey() throws {
        let m = try manifest([(SealSecretKey.generate().publicKey, day, day.adding(days: 1))])
        let forged = try SignedKeyManifest.sign(m, with: SigningKey.generate())
        let pinned = try SigningKeyFingerprint(verifyingKey: signing.verifyingKey)
        #expect(throws: KeyManifestError.self) { try SignedKeyManifest(json: forged.serialized(), trust: .fingerprint(pinned)) }
        #expect(throws: KeyManifestError.self) { try SignedKeyManifest(json: forged.serialized(), trust: .key(signing.verifyingKey)) }
    }

    @Test("the current key is the newest one valid today")
    func currentKey() throws {
        let old = try SealSecretKey.generate().publicKey
        let new = try SealSecretKey.generate().publicKey
        let future = try SealSecretKey.generate().publicKey
        let m = try manifest([(old, day.adding(days: -300), day.adding(days: 30)),
                              (new, day.adding(days: -1), day.adding(days: 365)),
                              (future, day.adding(days: 10), day.adding(days: 400))])
        #expect(m.currentEncryptionKey(on: day)?.publicKey == new)
        #expect(m.currentEncryptionKey(on: day.adding(days: 20))?.publicKey == future)
        #expect(m.currentEncryptionKey(on: day.adding(days: 1000)) == nil)
    }

    @Test("payload strictness: extra, missing and mistyped members are errors that name them")
    func strictPayload() throws {
        let pk = Encoding.base64(try SealSecretKey.generate().publicKey.bytes)
        let id = try KeyId(publicKey: SealPublicKey(bytes: Encoding.bytes(fromBase64: pk)!)).hex
        let rk = Encoding.base64(reply.verifyingKey.bytes)
        func payload(_ extra: String = "", version: String = "1", issued: String = "\"2026-11-25\"") -> [UInt8] {
            Array("""
            {"version":\(version),"organisation":"Red","issued":\(issued),"encryption_keys":[{"id":"\(id)","public_key":"\(pk)","not_before":"2026-01-01","not_after":"2027-01-01"}],"reply_signing_key":"\(rk)"\(extra)}
            """.utf8)
        }
        _ = try KeyManifest(payload: payload())
        #expect(throws: KeyManifestError.unexpectedField("admin")) { try KeyManifest(payload: payload(",\"admin\":true")) }
        #expect(throws: KeyManifestError.unsupportedVersion(2)) { try KeyManifest(payload: payload(version: "2")) }
        #expect(throws: KeyManifestError.invalidField("issued", "`2026-13-01` is not a YYYY-MM-DD date")) {
            try KeyManifest(payload: payload(issued: "\"2026-13-01\""))
        }
        #expect(throws: KeyManifestError.self) { try KeyManifest(payload: payload(",\"version\":1")) }
        #expect(throws: KeyManifestError.tooLarge(byteCount: 70_000, max: 65_536)) {
            try SignedKeyManifest(json: [UInt8](repeating: 0x20, count: 70_000), trust: .key(signing.verifyingKey))
        }
    }
}
