import Testing
@testable import Sodium
@testable import Formats

/// Vectors produced by PyNaCl (scripts/gen-vectors); Swift must agree with every one.
@Suite("Cross-implementation vectors (PyNaCl → Swift)")
struct VectorTests {
    @Test("each vector folder is present", arguments: ["sealed_box", "signature", "blake2b", "envelope", "manifest", "keyfile"])
    func folderIsPopulated(kind: String) {
        #expect(Vector.load(kind).count >= 3, "Tests/Vectors/\(kind) is missing or nearly empty")
    }

    @Test("sealed boxes", arguments: Vector.load("sealed_box"))
    func sealedBox(_ v: Vector) throws {
        let key = try SealSecretKey(secretBytes: SecureBytes(copying: v.bytes("secret_key")))
        switch v.expect {
        case "success":
            let opened = try SealedBox.open(v.bytes("ciphertext"), with: key)
            #expect(opened.withUnsafeBytes { Array($0) } == v.bytes("plaintext"))
        default:
            #expect(throws: SodiumError.sealedBoxOpenFailed) { try SealedBox.open(v.bytes("ciphertext"), with: key) }
        }
    }

    @Test("Ed25519 signatures", arguments: Vector.load("signature"))
    func signature(_ v: Vector) throws {
        let key = try VerifyingKey(bytes: v.bytes("public_key"))
        if v.expect == "success" {
            try key.verifyBare(v.bytes("signature"), for: v.bytes("message"))
        } else {
            #expect(throws: SodiumError.invalidSignature) { try key.verifyBare(v.bytes("signature"), for: v.bytes("message")) }
        }
    }

    @Test("BLAKE2b digests", arguments: Vector.load("blake2b"))
    func blake2b(_ v: Vector) throws {
        let expected = v.bytes("digest")
        let key = v.bytes("key")
        let digest = key.isEmpty
            ? try GenericHash.hash(v.bytes("message"), outputByteCount: expected.count)
            : try GenericHash.hash(v.bytes("message"), outputByteCount: expected.count, key: SecureBytes(copying: key))
        #expect(digest == expected)
    }

    @Test("envelopes", arguments: Vector.load("envelope"))
    func envelope(_ v: Vector) throws {
        let key = try SealSecretKey(secretBytes: SecureBytes(copying: v.bytes("secret_key")))
        let known: Set<KeyId> = [try KeyId(publicKey: key.publicKey)]
        switch v.expect {
        case "success":
            let envelope = try Envelope(bytes: v.bytes("envelope"), knownKeyIds: known)
            #expect(envelope.bucket.byteCount == Int(v.text("bucket")))
            #expect(envelope.isUrgent == (v.text("urgent") == "true"))
            let report = try envelope.open(with: key)
            #expect(report.withUnsafeBytes { Array($0) } == v.bytes("report"))
            // And the report inside is a valid Report v1.
            _ = try report.withUnsafeBytes { try Report.parse(Array($0), today: CalendarDay(year: 2026, month: 11, day: 25)!) }
        case "header failure":
            do {
                _ = try Envelope(bytes: v.bytes("envelope"), knownKeyIds: known)
                Issue.record("\(v.name) parsed but should fail with \(v.text("error"))")
            } catch {
                #expect(error.code == v.text("error"))
            }
        default:
            let envelope = try Envelope(bytes: v.bytes("envelope"), knownKeyIds: known)
            do {
                _ = try envelope.open(with: key)
                Issue.record("\(v.name) opened but should fail with \(v.text("error"))")
            } catch {
                #expect(error.code == v.text("error"))
            }
        }
    }

    @Test("key manifests", arguments: Vector.load("manifest"))
    func manifest(_ v: Vector) throws {
        let pinned = try #require(SigningKeyFingerprint(text: v.text("fingerprint")))
        let result = Result { () throws(KeyManifestError) in try SignedKeyManifest(json: v.bytes("manifest"), trust: .fingerprint(pinned)) }
        switch (v.expect, result) {
        case ("success", .success(let signed)):
            #expect(signed.manifest.encryptionKeys.map(\.id.hex) == [v.text("key_id")])
            #expect(try signed.fingerprint().description == v.text("fingerprint"))
        case ("signature failure", .failure(.badSignature)),
             ("untrusted key", .failure(.untrustedSigningKey)),
             ("payload failure", .failure(.invalidField)),
             ("undomained", .failure(.signedWithoutDomain)):
            break
        default:
            Issue.record("\(v.name): expected \(v.expect), got \(result)")
        }
    }

    @Test("key files", arguments: Vector.load("keyfile"))
    func keyFile(_ v: Vector) throws {
        let passphrase = try SecureBytes(copying: Array(v.text("passphrase").utf8))
        let result = Result { () throws(KeyFileError) in try KeyFile(bytes: v.bytes("file")).unlock(passphrase: passphrase) }
        switch (v.expect, result) {
        case ("success", .success(let secret)):
            #expect(secret.withUnsafeBytes { Array($0) } == v.bytes("secret"))
            #expect(try KeyFile(bytes: v.bytes("file")).publicKey == v.bytes("public_key"))
        case ("wrong passphrase", .failure(.wrongPassphrase)),
             ("corrupt", .failure(.corrupt)),
             ("truncated", .failure(.truncated)),
             ("unsupported version", .failure(.unsupportedVersion)):
            break
        default:
            Issue.record("\(v.name): expected \(v.expect), got \(result)")
        }
    }
}
