import DurableFiles
public import Formats
public import Sodium
import Foundation

/// The key that signs releases (`SHA256SUMS` of the `.deb`s), in a key file of its own kind
/// (`KeyFile.Kind.releaseSigning`). It is never a key directory's manifest-signing key: a file
/// `key sign-file` signed with that key was a valid manifest (review N1). Its signatures carry
/// the release domain (`SignatureDomain.release`), so even a release key's signature is never a
/// manifest, bundle or acknowledgement.
public enum ReleaseKey {
    /// Creates `file` (exclusively, mode 0600) with a new release-signing key.
    public static func create(at file: String, passphrase: SecureBytes, limits: KeyDerivationLimits) throws(KeyDirectoryError) -> VerifyingKey {
        do {
            let key = try SigningKey.generate()
            try KeyDirectory.writeSigningKey(key, kind: .releaseSigning, to: file, passphrase: passphrase, limits: limits)
            DurableFile.syncDirectory(of: file)
            return key.verifyingKey
        } catch {
            throw KeyDirectoryError.wrap(error)
        }
    }

    /// The public half, without the passphrase; refuses every key file that is not a release key.
    public static func publicKey(of file: String) throws(KeyDirectoryError) -> VerifyingKey {
        let keyFile = try read(file)
        do { return try VerifyingKey(bytes: keyFile.publicKey) } catch { throw .crypto(error) }
    }

    /// Unlocks the release key; refuses every other kind by name.
    public static func unlock(_ file: String, passphrase: SecureBytes) throws(KeyDirectoryError) -> SigningKey {
        let keyFile = try read(file)
        do { return try keyFile.unlockSigningKey(passphrase: passphrase, kind: .releaseSigning) } catch { throw .keyFile(file, error) }
    }

    /// `"resguardo release v1\n" ‖ file`, signed: what OpenSSL checks after the same line is put in front.
    public static func sign(_ bytes: [UInt8], with key: SigningKey) throws(SodiumError) -> [UInt8] {
        try key.sign(bytes, in: .release)
    }

    public static func verify(_ signature: [UInt8], of bytes: [UInt8], by key: VerifyingKey) throws(SodiumError) {
        try key.verify(signature, for: bytes, in: .release)
    }

    /// SubjectPublicKeyInfo for Ed25519 (RFC 8410) as PEM, the form OpenSSL reads. Deterministic,
    /// so `sha256sum release.pem` is a fingerprint anyone can compute before installing anything.
    public static func pem(_ key: VerifyingKey) -> String {
        let der: [UInt8] = [0x30, 0x2A, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x03, 0x21, 0x00] + key.bytes
        return "-----BEGIN PUBLIC KEY-----\n" + Encoding.base64(der) + "\n-----END PUBLIC KEY-----\n"
    }

    /// Reads a PEM written by `pem(_:)`; nil for anything else.
    public static func parsePEM(_ text: String) -> VerifyingKey? {
        let lines = text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        guard lines.first == "-----BEGIN PUBLIC KEY-----", lines.last == "-----END PUBLIC KEY-----" else { return nil }
        let body = lines.dropFirst().dropLast().joined()
        guard let der = Encoding.bytes(fromBase64: body), der.count == 44,
              Array(der.prefix(12)) == [0x30, 0x2A, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x03, 0x21, 0x00] else { return nil }
        return try? VerifyingKey(bytes: der.suffix(32))
    }

    /// SHA-256 of the PEM text as lowercase hex: what `sha256sum release.pem` prints.
    public static func pemDigest(_ key: VerifyingKey) throws(SodiumError) -> String {
        Encoding.hex(try SHA256.hash(Array(pem(key).utf8)))
    }

    private static func read(_ file: String) throws(KeyDirectoryError) -> KeyFile {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory), isDirectory.boolValue {
            throw .notAReleaseKey(file, nil)
        }
        let bytes: [UInt8]
        do { bytes = try DurableFile.read(file, maxBytes: 4096) } catch {
            if error.code == ENOENT { throw .missingFile(file) }
            throw .io(error.description)
        }
        let keyFile: KeyFile
        do { keyFile = try KeyFile(bytes: bytes) } catch { throw .keyFile(file, error) }
        guard keyFile.kind == .releaseSigning else { throw .notAReleaseKey(file, keyFile.kind) }
        return keyFile
    }
}
