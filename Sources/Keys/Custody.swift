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
    public static let recoveryFileName = CustodyFolder.recoveryFileName
    public static let recoverySecretName = CustodyFolder.recoverySecretName
    /// A recovered workspace pseudonym key, sealed to the current encryption key, for `resguardo init`.
    public static let recoveredPseudonymName = "pseudonym.sealed"

    /// The directory's recovery file and waiting secret.
    public var custody: CustodyFolder { CustodyFolder(path: path) }
    public var recoveryFilePath: String { custody.recoveryFilePath }
    public var hasUnsplitRecoverySecret: Bool { custody.hasUnsplitRecoverySecret }

    /// The directory's recovery file, or nil when custody was never set up.
    public func recoveryFile() throws(KeyDirectoryError) -> RecoveryFile? { try custody.recoveryFile() }

    func writeRecoveryFile(_ file: RecoveryFile) throws(KeyDirectoryError) { try custody.write(file) }

    /// Seals one more secret into the recovery file and signs the new entry list with the
    /// manifest-signing key (nothing to do when custody was never set up). A file whose list is
    /// signed by another key is refused; one from before signing is checked first (`blessLegacy`).
    public func addToRecovery(name: String, kind: RecoveryFile.Kind, publicKey: [UInt8], secret: SecureBytes, signing: SigningKey) throws(KeyDirectoryError) {
        guard var file = try recoveryFile() else { return }
        try checkSignedOrLegacy(file, signing: signing.verifyingKey)
        do { try file.add(name: name, kind: kind, publicKey: publicKey, secret: secret) } catch { throw .io("\(recoveryFilePath): \(error)") }
        do { try file.sign(with: signing) } catch { throw .crypto(error) }
        try writeRecoveryFile(file)
    }

    /// Signs a recovery file written before entry lists were signed (`key renew` does it), once
    /// `checkSignedOrLegacy` found nothing a stranger added. True when it signed one.
    func signLegacyRecoveryFile(signing: SigningKey) throws(KeyDirectoryError) -> Bool {
        guard var file = try recoveryFile(), file.signature == nil else { return false }
        try checkSignedOrLegacy(file, signing: signing.verifyingKey)
        do { try file.sign(with: signing) } catch { throw .crypto(error) }
        try writeRecoveryFile(file)
        return true
    }

    /// A signed list must verify with this directory's signing key. An unsigned one (from before
    /// review N3) is checked with what is public here: the signing and reply keys are this
    /// directory's, every encryption entry is a key of the manifest with its key file here, at
    /// most one pseudonym key (the parser refuses a second). What this cannot check is the sealed
    /// part of the pseudonym entry: its check value, printed by `recover`, is what a person compares.
    func checkSignedOrLegacy(_ file: RecoveryFile, signing: VerifyingKey) throws(KeyDirectoryError) {
        if file.signature != nil {
            do { try file.verifyEntries(signedBy: signing) } catch { throw .io("\(recoveryFilePath): \(error)") }
            return
        }
        func refuse(_ why: String) -> KeyDirectoryError {
            .io(L("{path}: its entry list is not signed and {why}: not signing it; make a new recovery file with `resguardo key custody init --replace`", ["path": recoveryFilePath, "why": why]))
        }
        for e in file.entries {
            switch e.kind {
            case .manifestSigning:
                guard ConstantTime.equals(e.publicKey, signing.bytes) else { throw refuse(L("its manifest-signing entry is not this directory's key")) }
            case .replySigning:
                guard ConstantTime.equals(e.publicKey, manifest.manifest.replySigningKey.bytes) else { throw refuse(L("its reply-signing entry is not the manifest's key")) }
            case .encryption:
                guard let key = try? SealPublicKey(bytes: e.publicKey), let id = try? KeyId(publicKey: key),
                      e.name == Self.encryptionKeyName(id), manifest.manifest.encryptionKeys.contains(where: { $0.id == id }), hasSecretKeyFile(for: id) else {
                    throw refuse(L("entry {name} is not an encryption key of this directory", ["name": TerminalText.escaped(e.name)]))
                }
            case .pseudonym:
                break
            case .regionSigning:
                throw refuse(L("it holds a regional office's signing key"))
            }
        }
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
    /// `pseudonym`: the workspace's pseudonym key (from `Workspace.pseudonymKey`), which lives in
    /// the workspace, not the key directory: a replaced file that held one must hold it again,
    /// or a recovery from the new shares would bring back the keys but not the registry's
    /// pseudonyms. Replacing such a file without it is refused before anything changes.
    public func initCustody(passphrase: SecureBytes, limits: KeyDerivationLimits, replace: Bool = false,
                            pseudonym: SecureBytes? = nil) throws(KeyDirectoryError) -> RecoveryFile {
        if !replace, FileManager.default.fileExists(atPath: recoveryFilePath) { throw .alreadyExists(recoveryFilePath) }
        if pseudonym == nil, let old = try? recoveryFile(), old.entries.contains(where: { $0.kind == .pseudonym }) {
            throw .pseudonymWouldBeLost(recoveryFilePath)
        }
        var secrets = try recoverySecrets(passphrase: passphrase)
        if let pseudonym {
            let check: [UInt8]
            do { check = try RecoveryFile.pseudonymCheck(pseudonym) } catch { throw .crypto(error) }
            secrets.append((name: "pseudonym", kind: .pseudonym, publicKey: check, secret: pseudonym))
        }
        guard let seed = secrets.first(where: { $0.kind == .manifestSigning }) else { throw .missingFile(path + "/" + Self.signingKeyName) }
        let signing: SigningKey
        do { signing = try SigningKey(seed: seed.secret) } catch { throw .crypto(error) }
        return try Self.writeNewCustody(in: path, manifest: manifest, signing: signing, secrets: secrets, passphrase: passphrase, limits: limits)
    }

    typealias RecoverySecret = CustodyFolder.Secret

    static func writeNewCustody(in path: String, manifest: SignedKeyManifest, signing: SigningKey, secrets: [RecoverySecret], passphrase: SecureBytes,
                                limits: KeyDerivationLimits) throws(KeyDirectoryError) -> RecoveryFile {
        try CustodyFolder(path: path).create(organisation: manifest.manifest.organisation, scope: .network, document: manifest.serialized(), signing: signing,
                                             secrets: secrets, passphrase: passphrase, limits: limits)
    }

    /// Splits the waiting recovery secret (`CustodyFolder.split`).
    public func split(passphrase: SecureBytes, groupThreshold: Int, groups: [RecoveryFile.Custody.Group], today: CalendarDay) throws -> [[SLIP39.Share]] {
        try custody.split(passphrase: passphrase, groupThreshold: groupThreshold, groups: groups, today: today)
    }

    /// Deletes the recovery secret once the shares exist (`CustodyFolder.finishSplit`).
    public func finishSplit() throws(KeyDirectoryError) { try custody.finishSplit() }

    /// What `recover` rebuilt, and what a person should compare.
    public struct Recovered: Sendable {
        public let directory: KeyDirectory
        /// The pseudonym key's check value (`RecoveryFile.checkText`), nil when there was none.
        public let pseudonymCheck: String?
        /// The recovery file's entry list was not signed and `acceptUnsigned` let it through.
        public let entriesWereUnsigned: Bool
    }

    /// Rebuilds a key directory at `out` from the recovery file and enough shares: every key
    /// file under a new passphrase, the manifest (checked against `pinned`, and every key against
    /// it), the recovery file, and a recovered workspace pseudonym key if there was one.
    ///
    /// Before anything is opened: the entry list's signature is checked against the pinned key
    /// (review N3; an unsigned list from before that only with `acceptUnsigned`), and a newer
    /// manifest given with `override` must be at least as new as the recovery file's and list
    /// every key it lists (review N4: an older one would revive a retired key).
    public static func recover(shares: [SLIP39.Share], recoveryFile file: RecoveryFile, manifest override: [UInt8]?, pinned: SigningKeyFingerprint,
                               to out: String, passphrase: SecureBytes, limits: KeyDerivationLimits, acceptUnsigned: Bool = false) throws -> Recovered {
        guard file.scope == .network else { throw CustodyError.mismatch(L("this is the regional office's recovery file: recover it with resguardo region custody recover")) }
        let own: KeyManifest, ownSigningKey: VerifyingKey
        do {
            let signed = try SignedKeyManifest(json: file.manifest, trust: .fingerprint(pinned))
            (own, ownSigningKey) = (signed.manifest, signed.signingKey)
        } catch KeyManifestError.signedWithoutDomain {
            // A recovery file from before signature domains: its manifest still says which keys
            // and which date it had, checked against the pin.
            own = try SignedKeyManifest.undomainedForMigration(json: file.manifest, trust: .fingerprint(pinned))
            guard let key = try? VerifyingKey(bytes: ownSigningKeyBytes(file.manifest)) else { throw CustodyError.mismatch(L("the recovery file's manifest names no signing key")) }
            ownSigningKey = key
        } catch {
            throw CustodyError.mismatch(L("the recovery file's manifest is not signed by the pinned fingerprint {pinned}: {error}", ["pinned": "\(pinned)", "error": "\(error)"]))
        }
        let unsigned = file.signature == nil
        if !(unsigned && acceptUnsigned) { try file.verifyEntries(signedBy: ownSigningKey) }
        let signed: SignedKeyManifest
        do { signed = try SignedKeyManifest(json: override ?? file.manifest, trust: .fingerprint(pinned)) } catch KeyManifestError.signedWithoutDomain where override == nil {
            throw CustodyError.mismatch(L("the recovery file's manifest was signed before signature domains: give the network's current manifest with --manifest"))
        } catch {
            throw CustodyError.mismatch(L("the manifest is not signed by the pinned fingerprint {pinned}: {error}", ["pinned": "\(pinned)", "error": "\(error)"]))
        }
        if override != nil {
            guard signed.manifest.issued >= own.issued else {
                throw CustodyError.mismatch(L("the manifest given with --manifest was issued {issued}, before the recovery file's ({own}): an older manifest is refused (it could bring back a retired key)", ["issued": "\(signed.manifest.issued)", "own": "\(own.issued)"]))
            }
            for key in own.encryptionKeys where !signed.manifest.encryptionKeys.contains(where: { $0.id == key.id }) {
                throw CustodyError.mismatch(L("the manifest given with --manifest lacks key {id}, which the recovery file's manifest lists: refused", ["id": key.id.hex]))
            }
        }
        let opened = try CustodyFolder.openEntries(file, shares: shares)
        func entry(_ kind: RecoveryFile.Kind) -> [(entry: RecoveryFile.Entry, secret: SecureBytes)] { opened.filter { $0.entry.kind == kind } }
        guard let signing = entry(.manifestSigning).last, let reply = entry(.replySigning).last else { throw CustodyError.mismatch(L("the recovery file lacks a signing key")) }
        let signingKey = try SigningKey(seed: signing.secret), replyKey = try SigningKey(seed: reply.secret)
        guard ConstantTime.equals(signingKey.verifyingKey.bytes, signed.signingKey.bytes) else {
            throw CustodyError.mismatch(L("the recovered signing key is not the one that signed the manifest"))
        }
        guard ConstantTime.equals(replyKey.verifyingKey.bytes, signed.manifest.replySigningKey.bytes) else {
            throw CustodyError.mismatch(L("the recovered reply-signing key is not the manifest's"))
        }
        var encryption: [(KeyId, SealSecretKey)] = []
        for e in entry(.encryption) {
            let key = try SealSecretKey(secretBytes: e.secret)
            let id = try KeyId(publicKey: key.publicKey)
            guard signed.manifest.encryptionKeys.contains(where: { $0.id == id }) else { continue }
            encryption.append((id, key))
        }
        guard let current = signed.manifest.encryptionKeys.last, encryption.contains(where: { $0.0 == current.id }) else {
            throw CustodyError.mismatch(L("the recovery file lacks the manifest's current encryption key"))
        }
        var pseudonymCheck: String?
        if let pseudonym = entry(.pseudonym).last { pseudonymCheck = try CustodyFolder.pseudonymCheck(of: pseudonym) }
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
            // Signed again by the recovered key: a list accepted unsigned is signed from here on.
            try copy.sign(with: signingKey)
            try DurableFile.createExclusive(out + "/" + recoveryFileName, bytes: copy.bytes)
            try DurableFile.createExclusive(out + "/" + manifestName, bytes: signed.serialized(), mode: 0o644)
            DurableFile.syncDirectory(of: out + "/" + manifestName)
        } catch {
            removeCreatedFiles(in: out, removeDirectory: made)
            unlink(out + "/" + recoveredPseudonymName)
            unlink(out + "/" + recoveryFileName)
            throw error
        }
        return Recovered(directory: try KeyDirectory(path: out), pseudonymCheck: pseudonymCheck, entriesWereUnsigned: unsigned)
    }

    /// The `signing_key` member of a signed manifest, read before its signature is trusted only
    /// to pick the key the pin was already checked against.
    static func ownSigningKeyBytes(_ json: [UInt8]) -> [UInt8] {
        guard case .string(let text)? = try? JSONValue.parse(json)["signing_key"], let bytes = Encoding.bytes(fromBase64: text) else { return [] }
        return bytes
    }
}

public enum CustodyError: Error, CustomStringConvertible {
    case noCustody
    /// The scope names the command that makes a new recovery key (`key` or `region custody init`).
    case alreadySplit(CalendarDay?, RecoveryFile.Scope)
    case mismatch(String)

    public var description: String {
        switch self {
        case .noCustody: return L("this key directory has no recovery key yet: resguardo key custody init")
        case .alreadySplit(let day, let scope):
            return L("the recovery secret was split already{value} and is no longer here; to make a new set of shares, `{command} --replace` (the old shares then stop working), then split again",
                     ["value": "\(day.map { " on \($0)" } ?? "")", "command": scope == .region ? "resguardo region custody init" : "resguardo key custody init"])
        case .mismatch(let why): return why
        }
    }
}
