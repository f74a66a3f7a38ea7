import DurableFiles
public import Formats
public import Sodium
import Foundation

/// The organisation's keys on the offline machine: one folder, made by `resguardo key init`.
///
///     manifest.json              signed key manifest (public; copied to the intake)
///     signing.key                Ed25519 manifest-signing key (key file v1)
///     reply-signing.key          Ed25519 key that signs reply bundles
///     encryption-<key id>.key    X25519 keys that open reports, one per rotation; never deleted
///     recovery.rsgr              every secret above sealed to the recovery key (Custody.swift)
///     recovery-secret.key        the recovery secret, only until `key custody split`
///
/// Every secret file is encrypted under the same passphrase and created with mode 0600.
public struct KeyDirectory: Sendable {
    public static let manifestName = "manifest.json"
    public static let signingKeyName = "signing.key"
    public static let replySigningKeyName = "reply-signing.key"
    static func encryptionKeyName(_ id: KeyId) -> String { "encryption-\(id.hex).key" }

    public let path: String
    public let manifest: SignedKeyManifest

    /// Opens an existing directory and verifies its manifest against the public half of
    /// `signing.key`. Needs no passphrase.
    public init(path: String) throws(KeyDirectoryError) {
        self.path = path
        // A passphrase change interrupted after it was decided is finished before anything reads a key.
        try Self.finishPassphraseChange(in: path)
        let signingFile = try Self.readKeyFile(path, Self.signingKeyName)
        guard signingFile.kind == .manifestSigning else {
            throw .keyFile(Self.signingKeyName, .wrongKind(expected: .manifestSigning, actual: signingFile.kind))
        }
        let manifestPath = path + "/" + Self.manifestName
        let json: [UInt8]
        do { json = try DurableFile.read(manifestPath, maxBytes: SignedKeyManifest.maxByteCount) } catch {
            if error.code == ENOENT { throw .missingFile(manifestPath) }
            throw .io(error.description)
        }
        do {
            let trusted = try VerifyingKey(bytes: signingFile.publicKey)
            manifest = try SignedKeyManifest(json: json, trust: .key(trusted))
        } catch let error as KeyManifestError {
            throw .manifest(error)
        } catch {
            throw .keyFile(Self.signingKeyName, .corrupt(L("stored public key is not an Ed25519 key")))
        }
    }

    /// Creates a new key directory (the folder must not exist, or be empty) with a fresh
    /// encryption key, a manifest-signing key, a reply-signing key and a signed manifest.
    @discardableResult
    public static func create(
        at path: String, organisation: String, passphrase: SecureBytes,
        limits: KeyDerivationLimits, today: CalendarDay, validDays: Int
    ) throws(KeyDirectoryError) -> KeyDirectory {
        let madeDirectory = try prepareEmptyDirectory(path)
        do {
            let signing = try SigningKey.generate()
            let replySigning = try SigningKey.generate()
            let encryption = try SealSecretKey.generate()
            let entry = try KeyManifest.EncryptionKey(publicKey: encryption.publicKey, notBefore: today, notAfter: today.adding(days: validDays))
            let manifest = try KeyManifest(organisation: organisation, issued: today, expires: Self.expiry(today, keys: [entry]),
                                           encryptionKeys: [entry], replySigningKey: replySigning.verifyingKey)
            // Secrets first, manifest last: a directory with a manifest is a complete one.
            try writeSigningKey(signing, kind: .manifestSigning, to: path + "/" + signingKeyName, passphrase: passphrase, limits: limits)
            try writeSigningKey(replySigning, kind: .replySigning, to: path + "/" + replySigningKeyName, passphrase: passphrase, limits: limits)
            try writeEncryptionKey(encryption, id: entry.id, in: path, passphrase: passphrase, limits: limits)
            let signed = try SignedKeyManifest.sign(manifest, with: signing)
            // Split custody from the first day (DESIGN.md §10): every secret sealed to a new
            // recovery key, whose secret waits under the passphrase until `key custody split`.
            func secret(_ key: SigningKey) throws -> SecureBytes { try key.withUnsafeSeedBytes { (b) throws(SodiumError) in try SecureBytes(copying: b) } }
            let encryptionSecret = try encryption.withUnsafeSecretBytes { (b) throws(SodiumError) in try SecureBytes(copying: b) }
            _ = try writeNewCustody(in: path, manifest: signed, signing: signing, secrets: [
                (signingKeyName, .manifestSigning, signing.verifyingKey.bytes, try secret(signing)),
                (replySigningKeyName, .replySigning, replySigning.verifyingKey.bytes, try secret(replySigning)),
                (encryptionKeyName(entry.id), .encryption, encryption.publicKey.bytes, encryptionSecret),
            ], passphrase: passphrase, limits: limits)
            try DurableFile.createExclusive(path + "/" + manifestName, bytes: signed.serialized(), mode: 0o644)
            DurableFile.syncDirectory(of: path + "/" + manifestName)
        } catch {
            // Leave nothing half-made behind: a later `init` would refuse the non-empty folder.
            removeCreatedFiles(in: path, removeDirectory: madeDirectory)
            throw KeyDirectoryError.wrap(error)
        }
        return try KeyDirectory(path: path)
    }

    /// A manifest's own expiry: `KeyManifest.defaultValidityDays` after it was signed, never
    /// past its last key.
    static func expiry(_ today: CalendarDay, keys: [KeyManifest.EncryptionKey]) -> CalendarDay {
        min(today.adding(days: KeyManifest.defaultValidityDays), keys.map(\.notAfter).max() ?? today)
    }

    /// Signs the same keys again with today's date and a new expiry (`resguardo key renew`):
    /// what keeps a manifest current between rotations. A recovery file from before entry lists
    /// were signed is checked and signed on the way (`signedRecoveryFile`).
    public func renew(passphrase: SecureBytes, today: CalendarDay) throws(KeyDirectoryError) -> (manifest: KeyManifest, signedRecoveryFile: Bool) {
        do {
            let signing = try Self.readKeyFile(path, Self.signingKeyName).unlockSigningKey(passphrase: passphrase, kind: .manifestSigning)
            let current = manifest.manifest
            let next = try Self.nextManifest(from: current, keys: current.encryptionKeys, today: today)
            return (next, try Self.replaceManifest(with: next, in: path, signing: signing).signLegacyRecoveryFile(signing: signing))
        } catch let error as KeyDirectoryError {
            throw error
        } catch {
            throw KeyDirectoryError.wrap(error)
        }
    }

    /// The migration from manifests signed before signature domains (review N1), run by
    /// `resguardo key renew` when the directory's manifest is in that format: every key the old
    /// manifest lists must be one of this directory's own, proven by unlocking its key file with
    /// the passphrase (a manifest forged through the old `sign-file` would list a stranger's key,
    /// which no file here opens); then it is signed again in the current format, dated today.
    public static func migrateUndomainedManifest(at path: String, passphrase: SecureBytes, today: CalendarDay) throws(KeyDirectoryError) -> (manifest: KeyManifest, signedRecoveryFile: Bool) {
        try finishPassphraseChange(in: path)
        let signingFile = try readKeyFile(path, signingKeyName)
        let json: [UInt8]
        do { json = try DurableFile.read(path + "/" + manifestName, maxBytes: SignedKeyManifest.maxByteCount) } catch {
            if error.code == ENOENT { throw .missingFile(path + "/" + manifestName) }
            throw .io(error.description)
        }
        do {
            let signing = try signingFile.unlockSigningKey(passphrase: passphrase, kind: .manifestSigning)
            let old = try SignedKeyManifest.undomainedForMigration(json: json, trust: .key(signing.verifyingKey))
            let reply = try readKeyFile(path, replySigningKeyName).unlockSigningKey(passphrase: passphrase, kind: .replySigning)
            guard ConstantTime.equals(reply.verifyingKey.bytes, old.replySigningKey.bytes) else {
                throw KeyDirectoryError.manifest(.invalidField("reply_signing_key", L("is not the key in {file}: not migrating a manifest this directory did not make", ["file": replySigningKeyName])))
            }
            for entry in old.encryptionKeys {
                let name = encryptionKeyName(entry.id)
                let key: SealSecretKey
                do { key = try readKeyFile(path, name).unlockSealKey(passphrase: passphrase) } catch KeyDirectoryError.missingFile {
                    throw KeyDirectoryError.manifest(.invalidField("encryption_keys", L("lists key {id}, which has no key file here: not migrating a manifest this directory did not make", ["id": entry.id.hex])))
                }
                guard ConstantTime.equals(key.publicKey.bytes, entry.publicKey.bytes) else {
                    throw KeyDirectoryError.manifest(.invalidField("encryption_keys", L("key {id} is not the one in {file}", ["id": entry.id.hex, "file": name])))
                }
            }
            let next = try nextManifest(from: old, keys: old.encryptionKeys, today: today)
            return (next, try replaceManifest(with: next, in: path, signing: signing).signLegacyRecoveryFile(signing: signing))
        } catch let error as KeyDirectoryError {
            throw error
        } catch let error as KeyFileError {
            throw .keyFile(signingKeyName, error)
        } catch {
            throw KeyDirectoryError.wrap(error)
        }
    }

    /// The manifest `renew`, `rotate` and the undomained migration sign: `keys` with `current`'s
    /// organisation and reply-signing key, issued today, expiring with its keys. Built before
    /// anything is written, so a manifest that cannot be made changes nothing on disk.
    static func nextManifest(from current: KeyManifest, keys: [KeyManifest.EncryptionKey], today: CalendarDay) throws -> KeyManifest {
        try KeyManifest(organisation: current.organisation, issued: today, expires: expiry(today, keys: keys), encryptionKeys: keys,
                        replySigningKey: current.replySigningKey)
    }

    /// Their one tail: `next`, signed, in place of the directory's manifest and in the recovery
    /// file too. Returns the directory as it now is.
    static func replaceManifest(with next: KeyManifest, in path: String, signing: SigningKey) throws -> KeyDirectory {
        try DurableFile.replaceAtomically(path + "/" + manifestName, bytes: SignedKeyManifest.sign(next, with: signing).serialized(), mode: 0o644)
        let replaced = try KeyDirectory(path: path)
        try replaced.refreshRecoveryManifest()
        return replaced
    }

    /// Adds a new encryption key valid from `today`, shortens older keys' validity to at most
    /// `overlapDays` from now (clients with a cached manifest still reach us meanwhile), and
    /// re-signs the manifest. Old secret key files stay, so old reports still open.
    public func rotate(passphrase: SecureBytes, limits: KeyDerivationLimits, today: CalendarDay,
                       validDays: Int, overlapDays: Int) throws(KeyDirectoryError) -> KeyManifest.EncryptionKey {
        do {
            // Unlock first: a wrong passphrase must change nothing on disk.
            let signing = try Self.readKeyFile(path, Self.signingKeyName).unlockSigningKey(passphrase: passphrase, kind: .manifestSigning)
            let encryption = try SealSecretKey.generate()
            let entry = try KeyManifest.EncryptionKey(publicKey: encryption.publicKey, notBefore: today, notAfter: today.adding(days: validDays))
            let retireBy = today.adding(days: overlapDays)
            let older = try manifest.manifest.encryptionKeys.map { (key) throws(SodiumError) in
                try KeyManifest.EncryptionKey(publicKey: key.publicKey, notBefore: key.notBefore,
                                              notAfter: max(key.notBefore, min(key.notAfter, retireBy)))
            }
            let next = try Self.nextManifest(from: manifest.manifest, keys: older + [entry], today: today)
            try Self.writeEncryptionKey(encryption, id: entry.id, in: path, passphrase: passphrase, limits: limits)
            // The new key joins the recovery file with its public key alone: no share needed.
            let secret = try encryption.withUnsafeSecretBytes { (b) throws(SodiumError) in try SecureBytes(copying: b) }
            try addToRecovery(name: Self.encryptionKeyName(entry.id), kind: .encryption, publicKey: encryption.publicKey.bytes, secret: secret, signing: signing)
            _ = try Self.replaceManifest(with: next, in: path, signing: signing)
            return entry
        } catch let error as KeyDirectoryError {
            throw error
        } catch {
            throw KeyDirectoryError.wrap(error)
        }
    }

    /// Unlocks every encryption key the manifest has ever listed whose file is here.
    public func unlockEncryptionKeys(passphrase: SecureBytes) throws(KeyDirectoryError) -> UnlockedKeys {
        var keys: [KeyId: SealSecretKey] = [:]
        for entry in manifest.manifest.encryptionKeys {
            keys[entry.id] = try unlocking(Self.encryptionKeyName(entry.id)) { try $0.unlockSealKey(passphrase: passphrase) }
        }
        return UnlockedKeys(keys)
    }

    /// The manifest-signing key: the network's identity, which also signs its registry bundles
    /// (the regional office pins its fingerprint, as every client does).
    public func unlockManifestSigningKey(passphrase: SecureBytes) throws(KeyDirectoryError) -> SigningKey {
        try unlockSigningKey(Self.signingKeyName, kind: .manifestSigning, passphrase: passphrase)
    }

    /// The reply-signing key (it also signs acknowledgements of imported bundles).
    public func unlockReplySigningKey(passphrase: SecureBytes) throws(KeyDirectoryError) -> SigningKey {
        try unlockSigningKey(Self.replySigningKeyName, kind: .replySigning, passphrase: passphrase)
    }

    private func unlockSigningKey(_ name: String, kind: KeyFile.Kind, passphrase: SecureBytes) throws(KeyDirectoryError) -> SigningKey {
        try unlocking(name) { try $0.unlockSigningKey(passphrase: passphrase, kind: kind) }
    }

    /// One key file of the directory, opened by `body`; its errors named by the file.
    private func unlocking<T>(_ name: String, _ body: (KeyFile) throws -> T) throws(KeyDirectoryError) -> T {
        do {
            return try body(try Self.readKeyFile(path, name))
        } catch let error as KeyFileError {
            throw .keyFile(name, error)
        } catch let error as KeyDirectoryError {
            throw error
        } catch {
            throw KeyDirectoryError.wrap(error)
        }
    }

    /// Files whose permissions let someone other than the owner read them.
    public func permissionWarnings() -> [String] {
        var warnings: [String] = []
        if let mode = DurableFile.mode(of: path), mode & 0o077 != 0 {
            warnings.append(L("key directory {path} is accessible by other users (mode {mode}); run: chmod 700 {path}", ["path": path, "mode": String(mode, radix: 8)]))
        }
        let names = [Self.signingKeyName, Self.replySigningKeyName] + manifest.manifest.encryptionKeys.map { Self.encryptionKeyName($0.id) }
        for name in names {
            let file = path + "/" + name
            if let mode = DurableFile.mode(of: file), mode & 0o077 != 0 {
                warnings.append(L("key file {file} is readable by other users (mode {mode}); run: chmod 600 {file}", ["file": file, "mode": String(mode, radix: 8)]))
            }
        }
        return warnings
    }

    public func hasSecretKeyFile(for id: KeyId) -> Bool {
        FileManager.default.fileExists(atPath: path + "/" + Self.encryptionKeyName(id))
    }

    // MARK: - File helpers

    static func readKeyFile(_ dir: String, _ name: String) throws(KeyDirectoryError) -> KeyFile {
        let bytes: [UInt8]
        do { bytes = try DurableFile.read(dir + "/" + name, maxBytes: 4096) } catch {
            if error.code == ENOENT { throw .missingFile(dir + "/" + name) }
            throw .io(error.description)
        }
        do { return try KeyFile(bytes: bytes) } catch { throw .keyFile(name, error) }
    }

    /// Makes sure `path` is an empty directory of mode 0700; returns whether it had to create it.
    static func prepareEmptyDirectory(_ path: String) throws(KeyDirectoryError) -> Bool {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw .notADirectory(path) }
            let contents = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
            guard contents.isEmpty else { throw .alreadyExists(path) }
            _ = chmod(path, 0o700)
            return false
        }
        guard mkdir(path, 0o700) == 0 else { throw .io(L("cannot create directory {path}: {value}", ["path": "\(path)", "value": "\(String(cString: strerror(errno)))"])) }
        return true
    }

    static func removeCreatedFiles(in path: String, removeDirectory: Bool) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        for name in names where name == manifestName || name == recoveryFileName || name.hasSuffix(".key") || name.contains(".tmp-") {
            unlink(path + "/" + name)
        }
        if removeDirectory { rmdir(path) }
    }

    static func writeSigningKey(_ key: SigningKey, kind: KeyFile.Kind, to file: String,
                                passphrase: SecureBytes, limits: KeyDerivationLimits) throws -> Void {
        let seed = try key.withUnsafeSeedBytes { (b) throws(SodiumError) in try SecureBytes(copying: b) }
        let sealed = try KeyFile.seal(secret: seed, publicKey: key.verifyingKey.bytes, kind: kind, passphrase: passphrase, limits: limits)
        try DurableFile.createExclusive(file, bytes: sealed.bytes)
    }

    static func writeEncryptionKey(_ key: SealSecretKey, id: KeyId, in dir: String,
                                   passphrase: SecureBytes, limits: KeyDerivationLimits) throws -> Void {
        let secret = try key.withUnsafeSecretBytes { (b) throws(SodiumError) in try SecureBytes(copying: b) }
        let sealed = try KeyFile.seal(secret: secret, publicKey: key.publicKey.bytes, kind: .encryption, passphrase: passphrase, limits: limits)
        try DurableFile.createExclusive(dir + "/" + encryptionKeyName(id), bytes: sealed.bytes)
    }
}

public enum KeyDirectoryError: Error, CustomStringConvertible {
    case alreadyExists(String)
    case notADirectory(String)
    case missingFile(String)
    case io(String)
    case keyFile(String, KeyFileError)
    case manifest(KeyManifestError)
    case crypto(SodiumError)
    /// `key sign-file` was given something other than a release key (nil: a directory).
    case notAReleaseKey(String, KeyFile.Kind?)
    /// `key custody init --replace` without the workspace, on a recovery file that holds its pseudonym key.
    case pseudonymWouldBeLost(String)

    static func wrap(_ error: any Error) -> KeyDirectoryError {
        switch error {
        case let e as KeyDirectoryError: return e
        case let e as SodiumError: return .crypto(e)
        case let e as KeyManifestError: return .manifest(e)
        case let e as KeyFileError: return .keyFile("key file", e)
        case let e as DurableFile.Failure: return e.exists ? .alreadyExists(e.path) : .io(e.description)
        default: return .io("\(error)")
        }
    }

    public var description: String {
        switch self {
        case .alreadyExists(let p): return L("{path} already exists and is not empty; refusing to overwrite keys", ["path": p])
        case .notADirectory(let p): return L("{path} is not a directory", ["path": p])
        case .missingFile(let p): return L("{path} is missing; is this a key directory made by `resguardo key init`?", ["path": p])
        case .io(let why): return why
        case .keyFile(let name, let e): return "\(name): \(e)"
        case .manifest(let e): return "\(KeyDirectory.manifestName): \(e)"
        case .crypto(let e): return L("cryptographic failure: {error}", ["error": "\(e)"])
        case .notAReleaseKey(let p, nil):
            return L("{path} is a directory, not a release key file; releases are signed only with a release key (resguardo key release-init), never with a network's keys", ["path": p])
        case .pseudonymWouldBeLost(let p):
            return L("{path} holds the workspace's pseudonym key, which the key directory does not: give --workspace so the new recovery file holds it too (without it, keys recovered from the new shares would come back without the registry's pseudonyms); nothing was changed", ["path": p])
        case .notAReleaseKey(let p, let kind?):
            return L("{path} is a {kind} key, not a release key; releases are signed only with a release key (resguardo key release-init), never with a network's keys", ["path": p, "kind": "\(kind)"])
        }
    }

    /// True when the cause is the passphrase, so the CLI can exit with its documented code.
    public var isWrongPassphrase: Bool {
        if case .keyFile(_, .wrongPassphrase) = self { return true }
        return false
    }
}
