import Foundation
import TestSupport
import Sodium
import Formats
import Casework
import Keys

/// A key directory (fast Argon2id), a workspace bound to it, and a trusted vault key: the setting
/// every unseal test starts from.
public struct TestWorkspace {
    public static let passphraseText = "frase de paso de prueba"
    public let scratch: Scratch
    public let keys: KeyDirectory
    public let workspace: Workspace
    public let vaultKey: SigningKey
    public let publicKey: SealPublicKey
    public let secrets: UnlockedKeys

    public init() throws {
        scratch = try Scratch()
        let passphrase = try SecureBytes(copying: Array(Self.passphraseText.utf8))
        keys = try KeyDirectory.create(at: scratch.path("keys"), organisation: "Red", passphrase: passphrase,
                                       limits: KeyDerivationLimits(opsLimit: 1, memLimit: 1 << 20), today: .today(), validDays: 30)
        try Workspace.create(at: scratch.path("ws"), keyDirectory: keys.path, passphrase: passphrase)
        workspace = try Workspace(path: scratch.path("ws"))
        vaultKey = try SigningKey.generate()
        try workspace.trustVault(publicKey: vaultKey.verifyingKey, fingerprint: SigningKeyFingerprint(verifyingKey: vaultKey.verifyingKey), today: .today())
        guard let current = keys.manifest.manifest.currentEncryptionKey(on: .today()) else { throw CaseError.io("no current key") }
        publicKey = current.publicKey
        secrets = try keys.unlockEncryptionKeys(passphrase: passphrase)
    }

    /// Seals each report (or takes raw envelope bytes as they are) into one signed bundle and unseals it.
    public func unseal(envelopes: [[UInt8]]) throws -> Unsealer.Summary {
        let entries = try envelopes.map { ExportBundle.Entry(submissionId: try Random.bytes(count: 16), receivedDay: .today(), envelope: $0) }
        let bundle = try ExportBundle.seal(bundleId: try Random.bytes(count: 16), createdDay: .today(), entries: entries, signer: vaultKey)
        return try Unsealer(workspace: workspace, keys: secrets).unseal(bundle: bundle.bytes, today: .today())
    }

    public func seal(_ report: [UInt8]) throws -> [UInt8] { try Envelope.seal(report: report, to: publicKey).bytes }
}
