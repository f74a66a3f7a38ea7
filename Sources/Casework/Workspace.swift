import DurableFiles
public import Deidentify
public import Formats
public import Keys
import Foundation
public import Sodium

/// An offline workspace: the case store (with quarantine, imported bundles, trusted vault keys and
/// the audit log) bound to one key directory.
///
///     DIR/workspace.json   {"version":1,"key_directory":"/abs/path"}
///     DIR/cases.sqlite     everything else, case contents encrypted at rest
public struct Workspace: Sendable {
    public let path: String
    public let keys: KeyDirectory
    public let database: CaseDatabase

    /// Makes the workspace and, unless the key directory was rebuilt from shares and brings one,
    /// a new pseudonym key, sealed into the recovery file under a new signature of its entry list
    /// (hence the passphrase: the manifest-signing key signs it). Returns the pseudonym key's check
    /// value, for the custody record (`key custody recover` prints the same one); nil when the key
    /// came from a recovery, which printed it.
    @discardableResult
    public static func create(at path: String, keyDirectory: String, passphrase: SecureBytes) throws(WorkspaceError) -> String? {
        let keys: KeyDirectory
        do { keys = try KeyDirectory(path: keyDirectory) } catch { throw .keys(error) }
        let fm = FileManager.default
        if fm.fileExists(atPath: path + "/workspace.json") { throw .alreadyExists(path) }
        let recovered = keys.path + "/" + KeyDirectory.recoveredPseudonymName
        let recoveredSealed = try? DurableFile.read(recovered, maxBytes: 4096)
        // Unlocked before anything is written: a wrong passphrase leaves no half-made workspace.
        var signing: SigningKey?
        let hasCustody: Bool
        do { hasCustody = try keys.recoveryFile() != nil } catch { throw .keys(error) }
        if recoveredSealed == nil, hasCustody {
            do { signing = try keys.unlockManifestSigningKey(passphrase: passphrase) } catch { throw .keys(error) }
        }
        do {
            try fm.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            let absolute = URL(fileURLWithPath: keys.path).standardizedFileURL.path
            let json = JSONValue.object([("version", .int(1)), ("key_directory", .string(absolute))]).serialized() + [0x0A]
            do { try DurableFile.createExclusive(path + "/workspace.json", bytes: json) } catch {
                throw WorkspaceError.io(error.description)
            }
            let database: CaseDatabase
            do { database = try CaseDatabase(path: path + "/cases.sqlite") } catch { throw WorkspaceError.io(error.description) }
            // The per-network pseudonym key: made once, sealed to the organisation's key, and into
            // the recovery file; a key directory rebuilt from shares brings the old one back, so
            // the registry's pseudonyms stay the same.
            guard let current = keys.manifest.manifest.encryptionKeys.last else { throw WorkspaceError.corrupt(L("the key directory lists no encryption key")) }
            do {
                if let sealed = recoveredSealed {
                    try database.storeSealedPseudonymKey(sealed, keyId: current.id)
                    // Its check value needs the key itself, which opens only with the encryption
                    // key; `recover` printed it already.
                    return nil
                }
                let key = try PseudonymKey.generate()
                let check = try RecoveryFile.pseudonymCheck(key.guardedBytes)
                try database.storeSealedPseudonymKey(try key.sealed(to: current.publicKey), keyId: current.id)
                if let signing {
                    try keys.addToRecovery(name: "pseudonym", kind: .pseudonym, publicKey: check, secret: key.guardedBytes, signing: signing)
                }
                return RecoveryFile.checkText(check)
            } catch {
                throw WorkspaceError.io("\(error)")
            }
        } catch let error as WorkspaceError {
            throw error
        } catch {
            throw .io("\(error)")
        }
    }

    public init(path: String) throws(WorkspaceError) {
        guard let data = try? DurableFile.read(path + "/workspace.json", maxBytes: 64 * 1024) else { throw .missing(path) }
        guard let json = try? JSONValue.parse(Array(data)), json["version"]?.intValue == 1,
              case .string(let keyPath)? = json["key_directory"] else {
            throw .corrupt(L("{path}/workspace.json is not a version 1 workspace file", ["path": "\(path)"]))
        }
        do { keys = try KeyDirectory(path: keyPath) } catch { throw .keys(error) }
        do { database = try CaseDatabase(path: path + "/cases.sqlite") } catch { throw .io(error.description) }
        self.path = path
    }

    /// Who acts, for the audit log: the current encryption key id of this workspace's keys.
    public var actor: String {
        keys.manifest.manifest.encryptionKeys.last.map(\.id.hex) ?? "unknown"
    }

    /// Registers an online vault's bundle-signing key after checking it against the fingerprint a
    /// person read from `resguardo-intake vault init`.
    public func trustVault(publicKey: VerifyingKey, fingerprint: SigningKeyFingerprint, today: CalendarDay) throws(WorkspaceError) {
        let actual: SigningKeyFingerprint
        do { actual = try SigningKeyFingerprint(verifyingKey: publicKey) } catch { throw .io("\(error)") }
        guard actual.matches(fingerprint) else { throw .fingerprintMismatch(actual: actual, expected: fingerprint) }
        do { try database.trustVault(publicKey, fingerprint: actual, day: today, actor: actor) } catch { throw .io(error.description) }
    }

    /// A vault's `VAULT.signing.pub`: one base64 Ed25519 public key (what `vault trust` and la
    /// mesa's keys page read from the stick).
    public static func readVaultKey(_ path: String) throws(WorkspaceError) -> VerifyingKey {
        guard let data = try? DurableFile.read(path, maxBytes: 4096) else { throw .io(L("cannot read {public_key}", ["public_key": path])) }
        guard let bytes = Encoding.bytes(fromBase64: String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)),
              let key = try? VerifyingKey(bytes: bytes) else {
            throw .io(L("{public_key} does not hold a base64 Ed25519 public key", ["public_key": path]))
        }
        return key
    }

    public func trustedVaultKeys() throws(WorkspaceError) -> [VerifyingKey] {
        do { return try database.trustedVaultKeys() } catch { throw .io(error.description) }
    }

    /// The network's pseudonym key, opened with the unlocked keys.
    public func pseudonymKey(_ keys: UnlockedKeys) throws(CaseError) -> PseudonymKey {
        let (keyId, sealed) = try database.sealedPseudonymKey()
        guard let key = keys[keyId] else { throw .noKey(keyId.hex) }
        do { return try PseudonymKey(opening: sealed, with: key) } catch {
            throw .io(L("the workspace's pseudonym key does not open: the case store was altered or damaged"))
        }
    }

    /// The regional office this network publishes to, once its key file was imported.
    public struct Region: Sendable {
        public let network: NetworkId
        public let encryptionKey: SealPublicKey
        public let fingerprint: String
    }

    public func region() throws(CaseError) -> Region? {
        try database.region().map { Region(network: $0.network, encryptionKey: $0.encryptionKey, fingerprint: $0.fingerprint) }
    }

    /// Stores the regional office's key file after checking that it opens with this network's
    /// keys (a file sealed to another network's key is refused here, not at the first bundle).
    public func importRegionalKey(_ file: RegionalKeyFile, keys: UnlockedKeys) throws(CaseError) {
        guard let key = keys[file.keyId] else {
            throw .io(L("the regional key file is sealed to key {key_id}, which is not one of this network's keys: it was made for another network", ["key_id": "\(file.keyId)"]))
        }
        do { _ = try PseudonymKey(opening: file.sealedKey, with: key) } catch {
            throw .io(L("the regional key file does not open with this network's key {key_id}: it is damaged or was altered", ["key_id": "\(file.keyId)"]))
        }
        let fingerprint: SigningKeyFingerprint
        do { fingerprint = try SigningKeyFingerprint(verifyingKey: file.regionSigningKey) } catch { throw .io("\(error)") }
        try database.storeRegion(network: file.network, sealedKey: file.sealedKey, keyId: file.keyId, encryptionKey: file.regionEncryptionKey,
                                 fingerprint: fingerprint, actor: actor)
    }

    /// The regional pseudonym key (DESIGN.md §9), or nil before the regional key file was imported.
    public func regionalPseudonymKey(_ keys: UnlockedKeys) throws(CaseError) -> PseudonymKey? {
        guard let region = try database.region() else { return nil }
        guard let key = keys[region.keyId] else { throw .noKey(region.keyId.hex) }
        do { return try PseudonymKey(opening: region.sealedKey, with: key) } catch {
            throw .io(L("the regional pseudonym key does not open: the case store was altered or damaged"))
        }
    }

    /// The registry records a case became: what la mesa's case page withdraws or corrects.
    public func recordIds(forCase caseId: [UInt8]) throws(CaseError) -> [String] {
        try database.recordIds(forCase: caseId)
    }

    /// The cases that became these registry records.
    public func caseIds(forRecords recordIds: [String]) throws(CaseError) -> [String: [UInt8]] {
        try database.caseIds(forRecords: recordIds)
    }

    public func audit(caseId: [UInt8]?, action: String, detail: String) throws(CaseError) {
        try database.audit(actor: actor, caseId: caseId, action: action, detail: detail)
    }

    /// The de-identifier of this workspace's network (its pseudonym key and name).
    public func deidentifier(_ keys: UnlockedKeys) throws(CaseError) -> Deidentifier {
        Deidentifier(pseudonymKey: try pseudonymKey(keys), network: self.keys.manifest.manifest.organisation)
    }
}

public enum WorkspaceError: Error, CustomStringConvertible {
    case alreadyExists(String)
    case missing(String)
    case corrupt(String)
    case keys(KeyDirectoryError)
    case fingerprintMismatch(actual: SigningKeyFingerprint, expected: SigningKeyFingerprint)
    case io(String)

    public var description: String {
        switch self {
        case .alreadyExists(let p): return L("{path} already holds a workspace", ["path": p])
        case .missing(let p): return L("{path} is not a workspace (no workspace.json)", ["path": p])
        case .corrupt(let why): return why
        case .keys(let e): return L("key directory: {error}", ["error": "\(e)"])
        case .fingerprintMismatch(let actual, let expected):
            return L("the public key's fingerprint is {actual}, not {expected}", ["actual": "\(actual)", "expected": "\(expected)"])
        case .io(let why): return why
        }
    }
}
