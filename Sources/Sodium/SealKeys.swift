internal import CSodium

/// An X25519 public key that reports are sealed to (`crypto_box`). Public: plain bytes are fine.
public struct SealPublicKey: Hashable, Sendable, CustomStringConvertible {
    public static let byteCount = 32
    public let bytes: [UInt8]

    public init(bytes: some Collection<UInt8>) throws(SodiumError) {
        guard bytes.count == Self.byteCount else {
            throw .invalidLength(what: "X25519 public key", expected: Self.byteCount, actual: bytes.count)
        }
        self.bytes = Array(bytes)
    }

    public var description: String { "SealPublicKey(\(bytes.count) bytes)" }
}

/// An X25519 secret key, held only in guarded memory.
public struct SealSecretKey: Sendable, CustomStringConvertible {
    public static let byteCount = 32
    let storage: SecureBytes
    public let publicKey: SealPublicKey

    /// Takes ownership of guarded bytes holding a secret scalar and derives its public key.
    public init(secretBytes: SecureBytes) throws(SodiumError) {
        guard secretBytes.count == Self.byteCount else {
            throw .invalidLength(what: "X25519 secret key", expected: Self.byteCount, actual: secretBytes.count)
        }
        var pk = [UInt8](repeating: 0, count: SealPublicKey.byteCount)
        secretBytes.withUnsafeBytes { sk in
            guard let skBase = sk.baseAddress else { return }
            _ = crypto_scalarmult_base(&pk, skBase.assumingMemoryBound(to: UInt8.self))
        }
        storage = secretBytes
        publicKey = try SealPublicKey(bytes: pk)
    }

    /// A new random keypair.
    public static func generate() throws(SodiumError) -> SealSecretKey {
        try SealSecretKey(secretBytes: SecureBytes.random(count: byteCount))
    }

    /// A deterministic keypair from a 32-byte seed (`crypto_box_seed_keypair`), used for codenames.
    public init(seed: SecureBytes) throws(SodiumError) {
        guard seed.count == crypto_box_seedbytes() else {
            throw .invalidLength(what: "X25519 seed", expected: Int(crypto_box_seedbytes()), actual: seed.count)
        }
        var pk = [UInt8](repeating: 0, count: SealPublicKey.byteCount)
        let sk: SecureBytes
        do {
            sk = try SecureBytes(count: Self.byteCount) { (out: UnsafeMutableRawBufferPointer) throws(Never) in
                seed.withUnsafeBytes { s in
                    guard let o = out.baseAddress, let sb = s.baseAddress else { return }
                    _ = crypto_box_seed_keypair(&pk, o.assumingMemoryBound(to: UInt8.self),
                                                sb.assumingMemoryBound(to: UInt8.self))
                }
            }
        } catch {
            throw error.sodiumError
        }
        try self.init(secretBytes: sk)
    }

    /// Reads the secret bytes, e.g. to write an encrypted key file. Do not copy them out.
    public func withUnsafeSecretBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try storage.withUnsafeBytes(body)
    }

    public var description: String { "SealSecretKey(<redacted>)" }
}
