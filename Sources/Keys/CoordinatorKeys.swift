import DurableFiles
import Foundation
import Formats
public import Sodium

/// A relocation coordinator's key directory: one X25519 key to receive referrals
/// (`coordinator.key`, a key file v1 of kind 01 under the coordinator's own passphrase) and its
/// public half (`coordinator.pub`, base64) to hand to the network with its fingerprint; and one
/// Ed25519 key that signs status updates back to the network (`coordinator-signing.key`, kind
/// 08, and `coordinator-signing.pub`), which the network pins the same way.
public enum CoordinatorKeys {
    static let secretName = "coordinator.key"
    public static let publicName = "coordinator.pub"
    static let signingSecretName = "coordinator-signing.key"
    public static let signingPublicName = "coordinator-signing.pub"

    /// Creates the directory (it must not exist, or be empty). Returns the public key.
    public static func create(at path: String, passphrase: SecureBytes, limits: KeyDerivationLimits) throws(KeyDirectoryError) -> SealPublicKey {
        let madeDirectory = try KeyDirectory.prepareEmptyDirectory(path)
        do {
            let key = try SealSecretKey.generate()
            let secret = try key.withUnsafeSecretBytes { (b) throws(SodiumError) in try SecureBytes(copying: b) }
            let sealed = try KeyFile.seal(secret: secret, publicKey: key.publicKey.bytes, kind: .encryption, passphrase: passphrase, limits: limits)
            try DurableFile.createExclusive(path + "/" + secretName, bytes: sealed.bytes)
            try DurableFile.createExclusive(path + "/" + publicName, bytes: Array((Encoding.base64(key.publicKey.bytes) + "\n").utf8), mode: 0o644)
            _ = try addSigningKey(at: path, passphrase: passphrase, limits: limits)
            DurableFile.syncDirectory(of: path + "/" + publicName)
            return key.publicKey
        } catch {
            unlink(path + "/" + secretName)
            unlink(path + "/" + publicName)
            unlink(path + "/" + signingSecretName)
            unlink(path + "/" + signingPublicName)
            if madeDirectory { rmdir(path) }
            throw KeyDirectoryError.wrap(error)
        }
    }

    public static func unlock(at path: String, passphrase: SecureBytes) throws(KeyDirectoryError) -> SealSecretKey {
        do {
            return try KeyDirectory.readKeyFile(path, secretName).unlockSealKey(passphrase: passphrase)
        } catch let error as KeyFileError {
            throw .keyFile(secretName, error)
        } catch {
            throw KeyDirectoryError.wrap(error)
        }
    }

    /// Reads a `coordinator.pub` file (base64 of 32 bytes).
    public static func readPublicKey(_ path: String) throws(KeyDirectoryError) -> SealPublicKey {
        guard let data = FileManager.default.contents(atPath: path), data.count <= 256,
              let text = String(data: data, encoding: .utf8),
              let bytes = Encoding.bytes(fromBase64: text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw .io("\(path) is not a coordinator public key (base64 of 32 bytes)")
        }
        do { return try SealPublicKey(bytes: bytes) } catch { throw .crypto(error) }
    }

    /// Makes the status-update signing key (`create` does; a directory made before updates
    /// existed gets it here). Refuses to replace one.
    public static func addSigningKey(at path: String, passphrase: SecureBytes, limits: KeyDerivationLimits) throws(KeyDirectoryError) -> VerifyingKey {
        if FileManager.default.fileExists(atPath: path + "/" + signingSecretName) { throw .alreadyExists(path + "/" + signingSecretName) }
        do {
            let key = try SigningKey.generate()
            let seed = try key.withUnsafeSeedBytes { (b) throws(SodiumError) in try SecureBytes(copying: b) }
            let sealed = try KeyFile.seal(secret: seed, publicKey: key.verifyingKey.bytes, kind: .coordinatorSigning, passphrase: passphrase, limits: limits)
            try DurableFile.createExclusive(path + "/" + signingSecretName, bytes: sealed.bytes)
            try DurableFile.createExclusive(path + "/" + signingPublicName, bytes: Array((Encoding.base64(key.verifyingKey.bytes) + "\n").utf8), mode: 0o644)
            return key.verifyingKey
        } catch {
            throw KeyDirectoryError.wrap(error)
        }
    }

    public static func unlockSigning(at path: String, passphrase: SecureBytes) throws(KeyDirectoryError) -> SigningKey {
        do {
            return try KeyDirectory.readKeyFile(path, signingSecretName).unlockSigningKey(passphrase: passphrase, kind: .coordinatorSigning)
        } catch let error as KeyFileError {
            throw .keyFile(signingSecretName, error)
        } catch {
            throw KeyDirectoryError.wrap(error)
        }
    }

    /// Reads a `coordinator-signing.pub` file (base64 of 32 bytes).
    public static func readSigningPublicKey(_ path: String) throws(KeyDirectoryError) -> VerifyingKey {
        guard let data = FileManager.default.contents(atPath: path), data.count <= 256, let text = String(data: data, encoding: .utf8),
              let bytes = Encoding.bytes(fromBase64: text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw .io(L("{path} is not a coordinator signing key (base64 of 32 bytes)", ["path": path]))
        }
        do { return try VerifyingKey(bytes: bytes) } catch { throw .crypto(error) }
    }
}
