public import Formats
public import Sodium

/// The network's encryption keys once a person typed the passphrase: every key the manifest has
/// ever listed whose secret file is here (old reports are sealed to old keys). Made only by
/// `KeyDirectory.unlockEncryptionKeys`, passed down whole, so no function takes a bare dictionary
/// of secret keys and nothing can print one: `description`, `debugDescription` and the mirror
/// (`dump`, string interpolation in a test failure) say how many keys and nothing else.
public struct UnlockedKeys: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    private let keys: [KeyId: SealSecretKey]
    /// The ids an envelope may be sealed to (envelopes to any other id are quarantined); kept,
    /// not computed, because the unseal loop asks once per envelope.
    public let ids: Set<KeyId>

    init(_ keys: [KeyId: SealSecretKey]) {
        self.keys = keys
        ids = Set(keys.keys)
    }

    /// No keys: what reading an audit trail without the passphrase uses (sealed notes stay sealed).
    public static let none = UnlockedKeys([:])

    public subscript(id: KeyId) -> SealSecretKey? { keys[id] }

    public var count: Int { keys.count }

    public var description: String { "UnlockedKeys(\(keys.count) encryption keys, redacted)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}
