public import Sodium

/// The 8-byte id of an encryption key: the first 8 bytes of BLAKE2b-256(public key). It travels in
/// every envelope so the offline side knows which secret key opens it (DESIGN.md §3).
public struct KeyId: Hashable, Sendable, CustomStringConvertible {
    public static let byteCount = 8
    public let bytes: [UInt8]

    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == Self.byteCount else { return nil }
        self.bytes = Array(bytes)
    }

    public init?(hex: String) {
        guard let b = Encoding.bytes(fromHex: hex) else { return nil }
        self.init(bytes: b)
    }

    public init(publicKey: SealPublicKey) throws(SodiumError) {
        bytes = Array(try GenericHash.hash(publicKey.bytes, outputByteCount: 32).prefix(Self.byteCount))
    }

    public var hex: String { Encoding.hex(bytes) }
    public var description: String { hex }
}

/// What a person compares to trust a manifest: the first 16 bytes of BLAKE2b-256(Ed25519 signing
/// public key), lowercase hex in groups of four (`a1b2 c3d4 …`), 8 groups.
public struct SigningKeyFingerprint: Hashable, Sendable, CustomStringConvertible {
    public static let byteCount = 16
    public let bytes: [UInt8]

    public init(verifyingKey: VerifyingKey) throws(SodiumError) {
        bytes = Array(try GenericHash.hash(verifyingKey.bytes, outputByteCount: 32).prefix(Self.byteCount))
    }

    /// A relocation coordinator's encryption key is compared the same way (same construction
    /// over the X25519 public key), so one habit serves both.
    public init(coordinatorKey: SealPublicKey) throws(SodiumError) {
        bytes = Array(try GenericHash.hash(coordinatorKey.bytes, outputByteCount: 32).prefix(Self.byteCount))
    }

    /// Accepts the grouped form, or the same 32 hex digits without spaces, in any letter case,
    /// because people copy fingerprints by hand.
    public init?(text: String) {
        let compact = String(text.lowercased().filter { $0 != " " })
        guard let b = Encoding.bytes(fromHex: compact), b.count == Self.byteCount else { return nil }
        bytes = b
    }

    public var description: String {
        let hex = Array(Encoding.hex(bytes))
        return stride(from: 0, to: hex.count, by: 4).map { String(hex[$0..<$0 + 4]) }.joined(separator: " ")
    }

    /// Constant-time, although fingerprints are public: it costs nothing and removes a question.
    public func matches(_ other: SigningKeyFingerprint) -> Bool {
        ConstantTime.equals(bytes, other.bytes)
    }
}
