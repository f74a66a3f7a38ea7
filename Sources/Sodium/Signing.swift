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

    /// Throws `.invalidSignature` unless `signature` is a valid detached signature of `domain`'s
    /// context followed by `message`; `.signatureWithoutDomain` when it is instead a bare signature
    /// of `message` alone (the format before domains, review N1), so the caller can say which
    /// migration re-signs it. Either way the file is refused.
    public func verify(_ signature: some Collection<UInt8>, for message: some ContiguousBytesLike, in domain: SignatureDomain) throws(SodiumError) {
        do {
            try verifyBare(signature, for: domain.framing(message))
        } catch .invalidSignature {
            if (try? verifyBare(signature, for: message)) != nil { throw .signatureWithoutDomain(domain.purpose) }
            throw .invalidSignature
        }
    }

    /// A bare Ed25519 check with no domain: only the test vectors (RFC 8032, PyNaCl) need it.
    func verifyBare(_ signature: some Collection<UInt8>, for message: some ContiguousBytesLike) throws(SodiumError) {
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

    /// A 64-byte detached signature of `domain`'s context followed by `message`. There is no
    /// public way to sign bare bytes: a signature made for one purpose must never be valid for
    /// another (review N1: a release signature was a valid manifest).
    public func sign(_ message: some ContiguousBytesLike, in domain: SignatureDomain) throws(SodiumError) -> [UInt8] {
        try signBare(domain.framing(message))
    }

    /// A bare Ed25519 signature: only the test vectors need it.
    func signBare(_ message: some ContiguousBytesLike) throws(SodiumError) -> [UInt8] {
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

/// What a signature is for. Its context, `"resguardo " + purpose + " v1\n"`, is signed in front
/// of the message and checked on verify, so a signature made for one purpose (a release, a
/// registry bundle) never verifies as another (a key manifest). No context is a prefix of
/// another (each ends at its only newline), and no bare message of ours starts with one.
/// docs/formats.md §0 lists them; a new purpose is a new constant here, never a reused one.
public struct SignatureDomain: Sendable, Hashable, CustomStringConvertible {
    public let purpose: String
    public let context: [UInt8]

    private init(_ purpose: String) {
        self.purpose = purpose
        context = Array("resguardo \(purpose) v1\n".utf8)
    }

    public static let manifest = SignatureDomain("manifest")
    public static let acknowledgement = SignatureDomain("acknowledgement")
    public static let exportBundle = SignatureDomain("export bundle")
    public static let replyBundle = SignatureDomain("reply bundle")
    public static let registryBundle = SignatureDomain("registry bundle")
    public static let regionalKey = SignatureDomain("regional key")
    public static let recoveryFile = SignatureDomain("recovery file")
    public static let referral = SignatureDomain("referral")
    public static let release = SignatureDomain("release")
    public static let relocationUpdate = SignatureDomain("relocation update")

    public static let all: [SignatureDomain] = [.manifest, .acknowledgement, .exportBundle, .replyBundle, .registryBundle,
                                                .regionalKey, .recoveryFile, .referral, .release, .relocationUpdate]

    func framing(_ message: some ContiguousBytesLike) -> [UInt8] {
        message.withRawBytes { context + Array($0) }
    }

    public var description: String { String(decoding: context.dropLast(), as: UTF8.self) }
}
