public import Sodium

/// The network's pseudonym key: the BLAKE2b key behind every defender and organisation pseudonym
/// in its registry and referrals. A type of its own over guarded memory, as the encryption keys
/// are, so it cannot be passed where a data key or a scratch buffer is expected. Made once per
/// workspace (`Workspace.create`), kept sealed to the network's encryption key.
public struct PseudonymKey: Sendable, CustomStringConvertible {
    public static let byteCount = 32
    let bytes: SecureBytes

    /// Takes ownership of guarded bytes (an opened sealed box, or a test's fixed key).
    public init(_ bytes: SecureBytes) throws(SodiumError) {
        guard bytes.count == Self.byteCount else {
            throw .invalidLength(what: "pseudonym key", expected: Self.byteCount, actual: bytes.count)
        }
        self.bytes = bytes
    }

    public static func generate() throws(SodiumError) -> PseudonymKey {
        try PseudonymKey(SecureBytes.random(count: byteCount))
    }

    /// The key sealed to the network's encryption key, as the case store keeps it.
    public func sealed(to recipient: SealPublicKey) throws(SodiumError) -> [UInt8] {
        try SealedBox.seal(bytes, to: recipient)
    }

    /// Opens the sealed key the case store keeps.
    public init(opening sealed: [UInt8], with key: SealSecretKey) throws(SodiumError) {
        try self.init(SealedBox.open(sealed, with: key))
    }

    /// The key itself, still in guarded memory: only for sealing it into the recovery file.
    public var guardedBytes: SecureBytes { bytes }

    public var description: String { "PseudonymKey(<redacted>)" }
}
