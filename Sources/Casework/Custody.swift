import DurableFiles
public import Formats
public import Sodium
import Foundation

/// Split custody of a key directory (DESIGN.md §10): a recovery X25519 key pair; every secret
/// key sealed to its public half in the recovery file (`recovery.rsgr`, safe to keep anywhere);
/// the recovery secret split with SLIP-0039 among trustees and then deleted. Adding a key needs
/// only the public half, so rotations after the split are recoverable too.
///
///     DIR/recovery.rsgr         recovery file v1 (docs/formats.md §18)
///     DIR/recovery-secret.key   the recovery secret under the passphrase, only until `custody split`
extension KeyDirectory {
    public static let recoveryFileName = "recovery.rsgr"
    public static let recoverySecretName = "recovery-secret.key"
    /// A recovered workspace pseudonym key, sealed to the current encryption key, for `resguardo init`.
    public static let recoveredPseudonymName = "pseudonym.sealed"

    public var recoveryFilePath: String { path + "/" + Self.recoveryFileName }
    public var hasUnsplitRecoverySecret: Bool { FileManager.default.fileExists(atPath: path + "/" + Self.recoverySecretName) }

    /// The directory's recovery file, or nil when custody was never set up.
    public func recoveryFile() throws(KeyDirectoryError) -> RecoveryFile? {
        guard FileManager.default.fileExists(atPath: recoveryFilePath) else { return nil }
        do { return try RecoveryFile(bytes: try DurableFile.read(recoveryFilePath, maxBytes: RecoveryFile.maxByteCount)) } catch let e as RecoveryFileError {
            throw .io("\(recoveryFilePath): \(e)")
        } catch { throw .io("\(error)") }
    }

    func writeRecoveryFile(_ file: RecoveryFile) throws(KeyDirectoryError) {
        do { try DurableFile.replaceAtomically(recoveryFilePath, bytes: file.bytes, mode: 0o600) } catch { throw .io(error.description) }
    }

    /// Seals one more secret into the recovery file with the public key alone (no share, no
    /// passphrase); nothing to do when custody was never set up.
    public func addToRecovery(name: String, kind: RecoveryFile.Kind, publicKey: [UInt8], secret: SecureBytes) throws(KeyDirectoryError) {
        guard var file = try recoveryFile() else { return }
        do { try file.add(name: name, kind: kind, publicKey: publicKey, secret: secret) } catch { throw .crypto(error) }
        try writeRecoveryFile(file)
    }

    /// Keeps the recovery file's copy of the manifest current (after a rotation or a renewal).
    func refreshRecoveryManifest() throws(KeyDirectoryError) {
        guard var file = try recoveryFile() else { return }
        do { file.manifest = try DurableFile.read(path + "/" + Self.manifestName, maxBytes: SignedKeyManifest.maxByteCount) } catch { throw .io(error.description) }
        try writeRecoveryFile(file)
    }

    /// Every secret key of the directory, for the recovery file.
    func recoverySecrets(passphrase: SecureBytes) throws(KeyDirectoryError) -> [RecoverySecret] {
        var out: [RecoverySecret] = []
        do {
            for (name, kind, fileKind) in [(Self.signingKeyName, RecoveryFile.Kind.manifestSigning, KeyFile.Kind.manifestSigning),
                                           (Self.replySigningKeyName, .replySigning, .replySigning)] {
                // One Argon2id per file: the typed unlock checks the kind and the public key, and
                // the secret is taken from the key it returns.
                let file = try Self.readKeyFile(path, name)
                let key = try file.unlockSigningKey(passphrase: passphrase, kind: fileKind)
                out.append((name, kind, file.publicKey, try key.withUnsafeSeedBytes { (b) throws(SodiumError) in try SecureBytes(copying: b) }))
            }
            for entry in manifest.manifest.encryptionKeys where hasSecretKeyFile(for: entry.id) {
                let name = Self.encryptionKeyName(entry.id)
                let file = try Self.readKeyFile(path, name)
                let key = try file.unlockSealKey(passphrase: passphrase)
                out.append((name, .encryption, file.publicKey, try key.withUnsafeSecretBytes { (b) throws(SodiumError) in try SecureBytes(copying: b) }))
            }
        } catch let e as KeyDirectoryError { throw e } catch let e as KeyFileError { throw .keyFile("key file", e) } catch { throw .wrap(error) }
        return out
    }

    /// Makes the recovery key pair and file (`key init` does this; `key custody init` for an
    /// older directory). The recovery secret waits under the passphrase until `custody split`.
    /// With `replace`, a new recovery key: shares of the old one stop opening the new file.
    public func initCustody(passphrase: SecureBytes, limits: KeyDerivationLimits, replace: Bool = false) throws(KeyDirectoryError) -> RecoveryFile {
        if !replace, FileManager.default.fileExists(atPath: recoveryFilePath) { throw .alreadyExists(recoveryFilePath) }
        return try Self.writeNewCustody(in: path, manifest: manifest, secrets: try recoverySecrets(passphrase: passphrase), passphrase: passphrase, limits: limits)
    }

    typealias RecoverySecret = (name: String, kind: RecoveryFile.Kind, publicKey: [UInt8], secret: SecureBytes)

    static func writeNewCustody(in path: String, manifest: SignedKeyManifest, secrets: [RecoverySecret], passphrase: SecureBytes,
                                limits: KeyDerivationLimits) throws(KeyDirectoryError) -> RecoveryFile {
        do {
            let recovery = try SealSecretKey.generate()
            var file = RecoveryFile(organisation: manifest.manifest.organisation, recoveryKey: recovery.publicKey, manifest: manifest.serialized())
            for s in secrets { try file.add(name: s.name, kind: s.kind, publicKey: s.publicKey, secret: s.secret) }
            let secret = try recovery.withUnsafeSecretBytes { (b) throws(SodiumError) in try SecureBytes(copying: b) }
            let sealed = try KeyFile.seal(secret: secret, publicKey: recovery.publicKey.bytes, kind: .recovery, passphrase: passphrase, limits: limits)
            try DurableFile.replaceAtomically(path + "/" + recoverySecretName, bytes: sealed.bytes, mode: 0o600)
            try DurableFile.replaceAtomically(path + "/" + recoveryFileName, bytes: file.bytes, mode: 0o600)
            return file
        } catch let e as KeyDirectoryError { throw e } catch { throw .wrap(error) }
    }

    /// Splits the waiting recovery secret with SLIP-0039 and records the split (public facts
    /// only) in the recovery file. The secret file stays until `finishSplit`, called once every
    /// share has been shown: a split interrupted halfway can be made again.
    public func split(passphrase: SecureBytes, groupThreshold: Int, groups: [RecoveryFile.Custody.Group], today: CalendarDay) throws -> [[SLIP39.Share]] {
        guard hasUnsplitRecoverySecret else { throw CustodyError.alreadySplit(try recoveryFile()?.custody?.splitDay) }
        guard var file = try recoveryFile() else { throw CustodyError.noCustody }
        let keyFile = try Self.readKeyFile(path, Self.recoverySecretName)
        guard keyFile.kind == .recovery else { throw KeyDirectoryError.keyFile(Self.recoverySecretName, .wrongKind(expected: .recovery, actual: keyFile.kind)) }
        let secret: SecureBytes
        do { secret = try keyFile.unlock(passphrase: passphrase) } catch { throw KeyDirectoryError.keyFile(Self.recoverySecretName, error) }
        guard ConstantTime.equals(try SealSecretKey(secretBytes: secret).publicKey.bytes, file.recoveryKey.bytes) else {
            throw CustodyError.mismatch("the waiting recovery secret is not the recovery file's")
        }
        let shares = try SLIP39.split(secret: secret, groupThreshold: groupThreshold, groups: groups.map { ($0.threshold, $0.count) })
        guard let set = shares.first?.first?.identifier else { throw CustodyError.mismatch("no share was made") }
        file.custody = RecoveryFile.Custody(set: set, groupThreshold: groupThreshold, groups: groups, splitDay: today)
        try writeRecoveryFile(file)
        return shares
    }

    /// Deletes the recovery secret once the shares exist: overwritten, synced, unlinked.
    public func finishSplit() throws(KeyDirectoryError) {
        let file = path + "/" + Self.recoverySecretName
        let fd = open(file, O_WRONLY | O_CLOEXEC)
        if fd >= 0 {
            var size = stat()
            if fstat(fd, &size) == 0 {
                let zeros = [UInt8](repeating: 0, count: Int(size.st_size))
                _ = zeros.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
                fsync(fd)
            }
            close(fd)
        }
        guard unlink(file) == 0 || errno == ENOENT else { throw .io("cannot remove \(file): \(String(cString: strerror(errno)))") }
        DurableFile.syncDirectory(of: file)
    }

    /// Rebuilds a key directory at `out` from the recovery file and enough shares: every key
    /// file under a new passphrase, the manifest (checked against `pinned`, and every key against
    /// it), the recovery file, and a recovered workspace pseudonym key if there was one.
    public static func recover(shares: [SLIP39.Share], recoveryFile file: RecoveryFile, manifest override: [UInt8]?, pinned: SigningKeyFingerprint,
                               to out: String, passphrase: SecureBytes, limits: KeyDerivationLimits) throws -> KeyDirectory {
        let secret = try SLIP39.combine(shares)
        let recovery = try SealSecretKey(secretBytes: secret)
        let opened = try file.open(with: recovery)
        let manifestBytes = override ?? file.manifest
        let signed: SignedKeyManifest
        do { signed = try SignedKeyManifest(json: manifestBytes, trust: .fingerprint(pinned)) } catch {
            throw CustodyError.mismatch("the manifest is not signed by the pinned fingerprint \(pinned): \(error)")
        }
        func entry(_ kind: RecoveryFile.Kind) -> [(entry: RecoveryFile.Entry, secret: SecureBytes)] { opened.filter { $0.entry.kind == kind } }
        guard let signing = entry(.manifestSigning).last, let reply = entry(.replySigning).last else { throw CustodyError.mismatch("the recovery file lacks a signing key") }
        let signingKey = try SigningKey(seed: signing.secret), replyKey = try SigningKey(seed: reply.secret)
        guard ConstantTime.equals(signingKey.verifyingKey.bytes, signed.signingKey.bytes) else {
            throw CustodyError.mismatch("the recovered signing key is not the one that signed the manifest")
        }
        guard ConstantTime.equals(replyKey.verifyingKey.bytes, signed.manifest.replySigningKey.bytes) else {
            throw CustodyError.mismatch("the recovered reply-signing key is not the manifest's")
        }
        var encryption: [(KeyId, SealSecretKey)] = []
        for e in entry(.encryption) {
            let key = try SealSecretKey(secretBytes: e.secret)
            let id = try KeyId(publicKey: key.publicKey)
            guard signed.manifest.encryptionKeys.contains(where: { $0.id == id }) else { continue }
            encryption.append((id, key))
        }
        guard let current = signed.manifest.encryptionKeys.last, encryption.contains(where: { $0.0 == current.id }) else {
            throw CustodyError.mismatch("the recovery file lacks the manifest's current encryption key")
        }
        let made = try prepareEmptyDirectory(out)
        do {
            try writeSigningKey(signingKey, kind: .manifestSigning, to: out + "/" + signingKeyName, passphrase: passphrase, limits: limits)
            try writeSigningKey(replyKey, kind: .replySigning, to: out + "/" + replySigningKeyName, passphrase: passphrase, limits: limits)
            for (id, key) in encryption { try writeEncryptionKey(key, id: id, in: out, passphrase: passphrase, limits: limits) }
            if let pseudonym = entry(.pseudonym).last {
                try DurableFile.createExclusive(out + "/" + recoveredPseudonymName, bytes: try SealedBox.seal(pseudonym.secret, to: current.publicKey))
            }
            var copy = file
            copy.manifest = signed.serialized()
            try DurableFile.createExclusive(out + "/" + recoveryFileName, bytes: copy.bytes)
            try DurableFile.createExclusive(out + "/" + manifestName, bytes: signed.serialized(), mode: 0o644)
            DurableFile.syncDirectory(of: out + "/" + manifestName)
        } catch {
            removeCreatedFiles(in: out, removeDirectory: made)
            unlink(out + "/" + recoveredPseudonymName)
            unlink(out + "/" + recoveryFileName)
            throw error
        }
        return try KeyDirectory(path: out)
    }
}

public enum CustodyError: Error, CustomStringConvertible {
    case noCustody
    case alreadySplit(CalendarDay?)
    case mismatch(String)

    public var description: String {
        switch self {
        case .noCustody: return L("this key directory has no recovery key yet: resguardo key custody init")
        case .alreadySplit(let day):
            return L("the recovery secret was split already{value} and is no longer here; to make a new set of shares, `resguardo key custody init --replace` (the old shares then stop working), then split again", ["value": "\(day.map { " on \($0)" } ?? "")"])
        case .mismatch(let why): return why
        }
    }
}
