import Testing
import CSodium
@testable import Sodium

@Suite("Sodium wrappers")
struct SodiumTests {
    @Test("a sealed box opens with its key and not with another")
    func sealedBoxRoundTrip() throws {
        // Given two keypairs and a message
        let alice = try SealSecretKey.generate()
        let mallory = try SealSecretKey.generate()
        let message = Array("amenaza contra la defensora".utf8)
        // When sealing to alice
        let box = try SealedBox.seal(message, to: alice.publicKey)
        // Then alice opens it, mallory cannot, and the box has the documented overhead
        #expect(box.count == message.count + 48)
        let opened = try SealedBox.open(box, with: alice)
        #expect(opened.withUnsafeBytes { Array($0) } == message)
        #expect(throws: SodiumError.sealedBoxOpenFailed) { try SealedBox.open(box, with: mallory) }
        #expect(throws: SodiumError.sealedBoxOpenFailed) { try SealedBox.open(Array(box.prefix(47)), with: alice) }
    }

    @Test("secret bytes never print")
    func redaction() throws {
        let key = try SealSecretKey.generate()
        let bytes = try SecureBytes(copying: [1, 2, 3])
        #expect("\(key)" == "SealSecretKey(<redacted>)")
        #expect("\(bytes)" == "<redacted 3 bytes>")
        #expect(String(reflecting: bytes) == "<redacted 3 bytes>")
    }

    @Test("a secretbox detects tampering and the wrong key")
    func secretBox() throws {
        let key = try SecretBoxKey.generate()
        let nonce = try SecretBox.randomNonce()
        var box = try SecretBox.seal([9, 8, 7], nonce: nonce, key: key)
        #expect(try SecretBox.open(box, nonce: nonce, key: key).withUnsafeBytes { Array($0) } == [9, 8, 7])
        #expect(throws: SodiumError.secretBoxAuthenticationFailed) { try SecretBox.open(box, nonce: nonce, key: SecretBoxKey.generate()) }
        box[0] ^= 1
        #expect(throws: SodiumError.secretBoxAuthenticationFailed) { try SecretBox.open(box, nonce: nonce, key: key) }
        #expect(throws: SodiumError.invalidLength(what: "secretbox nonce", expected: 24, actual: 3)) {
            try SecretBox.seal([1], nonce: [1, 2, 3], key: key)
        }
    }

    @Test("Argon2id derives the same key from the same inputs and refuses absurd limits")
    func passwordHash() throws {
        let passphrase = try SecureBytes(copying: Array("frase de paso".utf8))
        let salt = [UInt8](repeating: 7, count: 16)
        let limits = try KeyDerivationLimits(opsLimit: 1, memLimit: 1 << 20)
        let a = try PasswordHash.derive(outputByteCount: 32, passphrase: passphrase, salt: salt, limits: limits)
        let b = try PasswordHash.derive(outputByteCount: 32, passphrase: passphrase, salt: salt, limits: limits)
        #expect(a.constantTimeEquals(b))
        #expect(throws: SodiumError.self) { try KeyDerivationLimits(opsLimit: 1, memLimit: 1 << 40) }
        #expect(throws: SodiumError.self) { try KeyDerivationLimits(opsLimit: 0, memLimit: 1 << 20) }
        #expect(KeyDerivationLimits.moderate.opsLimit == 3 && KeyDerivationLimits.moderate.memLimit == 256 << 20)
        #expect(throws: SodiumError.self) { try PasswordHash.derive(outputByteCount: 32, passphrase: passphrase, salt: [1], limits: limits) }
    }

    @Test("a signature made for one purpose verifies for no other; a bare one is named as the old format (review N1)")
    func signatureDomains() throws {
        let key = try SigningKey.generate()
        let payload = Array(#"{"version":1}"#.utf8)
        for domain in SignatureDomain.all {
            let signature = try key.sign(payload, in: domain)
            try key.verifyingKey.verify(signature, for: payload, in: domain)
            for other in SignatureDomain.all where other != domain {
                #expect(throws: SodiumError.invalidSignature) { try key.verifyingKey.verify(signature, for: payload, in: other) }
            }
            // The oracle the review used: signing domain ‖ payload as a "file" under another domain is no signature of payload.
            let wrapped = try key.sign(domain.context + payload, in: .release)
            if domain != .release {
                #expect(throws: SodiumError.invalidSignature) { try key.verifyingKey.verify(wrapped, for: payload, in: domain) }
            }
        }
        #expect(throws: SodiumError.signatureWithoutDomain("manifest")) { try key.verifyingKey.verify(try key.signBare(payload), for: payload, in: .manifest) }
        // No context is a prefix of another.
        for a in SignatureDomain.all { for b in SignatureDomain.all where a != b { #expect(!b.context.starts(with: a.context)) } }
    }

    @Test("Ed25519 signatures verify only for their message and key")
    func signing() throws {
        let key = try SigningKey.generate()
        let signature = try key.sign(Array("manifiesto".utf8), in: .manifest)
        try key.verifyingKey.verify(signature, for: Array("manifiesto".utf8), in: .manifest)
        #expect(throws: SodiumError.invalidSignature) { try key.verifyingKey.verify(signature, for: Array("manifiestO".utf8), in: .manifest) }
        #expect(throws: SodiumError.invalidSignature) { try SigningKey.generate().verifyingKey.verify(signature, for: Array("manifiesto".utf8), in: .manifest) }
        #expect(throws: SodiumError.invalidSignature) { try key.verifyingKey.verify(signature.prefix(10), for: [1], in: .manifest) }
        // The same seed gives the same key, which is what key files rely on.
        let seed = try SecureBytes(copying: [UInt8](repeating: 1, count: 32))
        #expect(try SigningKey(seed: seed).verifyingKey == SigningKey(seed: seed).verifyingKey)
    }

    @Test("BLAKE2b streams like it hashes, and rejects bad lengths")
    func genericHash() throws {
        let data = (0..<1000).map { UInt8(truncatingIfNeeded: $0) }
        var hasher = try GenericHash.Hasher(outputByteCount: 32)
        hasher.update(Array(data[0..<333]))
        hasher.update(Array(data[333...]))
        #expect(hasher.finalize() == (try GenericHash.hash(data)))
        #expect(throws: SodiumError.self) { try GenericHash.hash(data, outputByteCount: 8) }
        #expect(throws: SodiumError.self) { try GenericHash.hash(data, outputByteCount: 32, key: SecureBytes(copying: [1, 2])) }
        let key = try SecureBytes(copying: [UInt8](repeating: 3, count: 32))
        #expect(try GenericHash.hash(data, key: key) != GenericHash.hash(data))
    }

    @Test("padding adds 0x80 and zeros to the block, and malformed padding is an error")
    func padding() throws {
        let padded = try Padding.pad([1, 2, 3], blockSize: 8)
        #expect(padded == [1, 2, 3, 0x80, 0, 0, 0, 0])
        #expect(try padded.withUnsafeBytes { try Padding.unpaddedLength(of: $0, blockSize: 8) } == 3)
        // A full block still gets a marker, in a new block.
        #expect(try Padding.pad([UInt8](repeating: 1, count: 8), blockSize: 8).count == 16)
        let zeros = [UInt8](repeating: 0, count: 8)
        #expect(throws: SodiumError.invalidPadding) { try zeros.withUnsafeBytes { try Padding.unpaddedLength(of: $0, blockSize: 8) } }
        #expect(throws: SodiumError.invalidPaddingBlockSize(0)) { try Padding.pad([1], blockSize: 0) }
    }

    @Test("unpadding agrees with libsodium's sodium_unpad on valid and malformed buffers")
    func unpaddingMatchesLibsodium() throws {
        var generator = SystemRandomNumberGenerator()
        func reference(_ buffer: [UInt8], _ blockSize: Int) -> Int? {
            var length = 0
            let rc = buffer.withUnsafeBufferPointer { b -> Int32 in
                guard let base = b.baseAddress else { return -1 }
                return sodium_unpad(&length, base, b.count, blockSize)
            }
            return rc == 0 ? length : nil
        }
        for round in 0..<3_000 {
            let blockSize = [1, 2, 8, 16, 64, 4096][round % 6]
            var buffer = try Padding.pad((0..<Int.random(in: 0...200, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) },
                                         blockSize: blockSize)
            switch round % 5 {
            case 1: buffer[Int.random(in: 0..<buffer.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)  // anywhere
            case 2: buffer = [UInt8](repeating: 0, count: buffer.count)                                                         // no marker
            case 3: buffer += [UInt8](repeating: 0, count: blockSize)                                                            // marker a block early
            case 4: buffer[buffer.count - 1] = UInt8.random(in: 1...255, using: &generator)                                      // last byte set
            default: break
            }
            let ours = try? buffer.withUnsafeBytes { try Padding.unpaddedLength(of: $0, blockSize: blockSize) }
            #expect(ours == reference(buffer, blockSize), "round \(round), block \(blockSize), \(buffer.suffix(8))")
        }
    }

    @Test("constant-time comparison compares lengths and bytes")
    func constantTime() throws {
        #expect(ConstantTime.equals([1, 2, 3], [1, 2, 3]))
        #expect(!ConstantTime.equals([1, 2, 3], [1, 2, 4]))
        #expect(!ConstantTime.equals([1, 2, 3], [1, 2]))
        #expect(ConstantTime.equals([UInt8](), [UInt8]()))
        #expect(try SecureBytes(copying: [5]).constantTimeEquals(SecureBytes(copying: [5])))
    }

    @Test("a keypair from a seed is deterministic (codenames depend on it)")
    func seededBoxKey() throws {
        let seed = try SecureBytes(copying: [UInt8](repeating: 42, count: 32))
        #expect(try SealSecretKey(seed: seed).publicKey == SealSecretKey(seed: seed).publicKey)
        #expect(throws: SodiumError.self) { try SealSecretKey(seed: SecureBytes(copying: [1])) }
    }
}
