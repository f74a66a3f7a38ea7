internal import CSodium

/// An Ed25519 public key that checks signatures (manifests, bundles, referrals).
public struct VerifyingKey: Hashable, Sendable, CustomStringConvertible {
    public static let byteCount = Int(crypto_sign_PUBLICKEYBYTES)
    public let bytes: [UInt8]

    public init(bytes: some Collection<UInt8>) throws(SodiumError) {
        guard bytes.count == Self.byteCount else {
            throw .invalidLength(what: "Ed25519 public key", expected: Self.byteCount, actual: bytes.count)
        }
        self.bytes = Array(bytes)
    }

    /// Throws `.invalidSignature` unless `signature` is a valid detached signature of `message`.
    public func verify(_ signature: some Collection<UInt8>, for message: some ContiguousBytesLike) throws(SodiumError) {
        try SodiumRuntime.ensureInitialised()
        guard signature.count == Signing.signatureByteCount else { throw .invalidSignature }
        let sig = Array(signature)
        let rc = message.withRawBytes { m in
            crypto_sign_verify_detached(sig, m.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? emptyInput,
                                        UInt64(m.count), bytes)
        }
        guard rc == 0 else { throw .invalidSignature }
    }

    public var description: String { "VerifyingKey(\(bytes.count) bytes)" }
}

/// An Ed25519 secret key. Stored as its 32-byte seed; the expanded 64-byte key is kept alongside
/// in guarded memory so signing needs no re-derivation.
public struct SigningKey: Sendable, CustomStringConvertible {
    public static let seedByteCount = Int(crypto_sign_SEEDBYTES)
    let seed: SecureBytes
    let expanded: SecureBytes
    public let verifyingKey: VerifyingKey

    public init(seed: SecureBytes) throws(SodiumError) {
        try SodiumRuntime.ensureInitialised()
        guard seed.count == Self.seedByteCount else {
            throw .invalidLength(what: "Ed25519 seed", expected: Self.seedByteCount, actual: seed.count)
        }
        var pk = [UInt8](repeating: 0, count: VerifyingKey.byteCount)
        do {
            expanded = try SecureBytes(count: Int(crypto_sign_SECRETKEYBYTES)) { (out: UnsafeMutableRawBufferPointer) throws(Never) in
                seed.withUnsafeBytes { s in
                    guard let o = out.baseAddress, let sb = s.baseAddress else { return }
                    _ = crypto_sign_seed_keypair(&pk, o.assumingMemoryBound(to: UInt8.self), sb.assumingMemoryBound(to: UInt8.self))
                }
            }
        } catch {
            throw error.sodiumError
        }
        self.seed = seed
        verifyingKey = try VerifyingKey(bytes: pk)
    }

    public static func generate() throws(SodiumError) -> SigningKey {
        try SigningKey(seed: SecureBytes.random(count: seedByteCount))
    }

    /// A 64-byte detached signature.
    public func sign(_ message: some ContiguousBytesLike) throws(SodiumError) -> [UInt8] {
        try SodiumRuntime.ensureInitialised()
        var signature = [UInt8](repeating: 0, count: Signing.signatureByteCount)
        message.withRawBytes { m in
            expanded.withUnsafeBytes { sk in
                guard let skb = sk.baseAddress else { return }
                _ = crypto_sign_detached(&signature, nil,
                                         m.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? emptyInput,
                                         UInt64(m.count), skb.assumingMemoryBound(to: UInt8.self))
            }
        }
        return signature
    }

    /// Reads the seed, e.g. to write an encrypted key file.
    public func withUnsafeSeedBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try seed.withUnsafeBytes(body)
    }

    public var description: String { "SigningKey(<redacted>)" }
}

public enum Signing {
    public static let signatureByteCount = Int(crypto_sign_BYTES)
}
