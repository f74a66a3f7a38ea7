import DurableFiles
import Foundation
import Formats
public import Sodium

/// A relocation coordinator's key directory: one X25519 key to receive referrals
/// (`coordinator.key`, a key file v1 of kind 01 under the coordinator's own passphrase) and its
/// public half (`coordinator.pub`, base64) to hand to the network with its fingerprint.
public enum CoordinatorKeys {
    static let secretName = "coordinator.key"
    public static let publicName = "coordinator.pub"

    /// Creates the directory (it must not exist, or be empty). Returns the public key.
    public static func create(at path: String, passphrase: SecureBytes, limits: KeyDerivationLimits) throws(KeyDirectoryError) -> SealPublicKey {
        let madeDirectory = try KeyDirectory.prepareEmptyDirectory(path)
        do {
            let key = try SealSecretKey.generate()
            let secret = try key.withUnsafeSecretBytes { (b) throws(SodiumError) in try SecureBytes(copying: b) }
            let sealed = try KeyFile.seal(secret: secret, publicKey: key.publicKey.bytes, kind: .encryption, passphrase: passphrase, limits: limits)
            try DurableFile.createExclusive(path + "/" + secretName, bytes: sealed.bytes)
            try DurableFile.createExclusive(path + "/" + publicName, bytes: Array((Encoding.base64(key.publicKey.bytes) + "\n").utf8), mode: 0o644)
            DurableFile.syncDirectory(of: path + "/" + publicName)
            return key.publicKey
        } catch {
            unlink(path + "/" + secretName)
            unlink(path + "/" + publicName)
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
}
