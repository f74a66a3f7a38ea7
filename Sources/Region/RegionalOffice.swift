import DurableFiles
public import Deidentify
public import Keys
public import Formats
import Foundation
public import Registry
public import Sodium

/// The regional office's folder (DESIGN.md §9): its own keys, the regional pseudonym key and the
/// regional registry. It holds no key that opens a report: registry bundles are sealed to its
/// encryption key, and they carry de-identified records only.
///
///     DIR/region.json          {"version": 1, "name": "…"}
///     DIR/region-public.json   the public keys and signing-key fingerprint networks pin (public)
///     DIR/encryption.key       X25519 key registry bundles are sealed to (key file v1, 0600)
///     DIR/signing.key          Ed25519 key that signs regional key files (key file v1, 0600)
///     DIR/pseudonym.sealed     the regional pseudonym key, sealed to the encryption key (0600)
///     DIR/registry.sqlite      the regional registry: every network's records, tagged
///     DIR/recovery.rsgr        its keys sealed to a recovery key split among trustees (`RegionalOffice+Custody`)
public struct RegionalOffice: Sendable {
    public let path: String
    public let name: String
    public let encryptionKey: SealPublicKey
    public let signingKey: VerifyingKey
    public let registry: RegistryDatabase

    public var fingerprint: SigningKeyFingerprint {
        get throws(SodiumError) { try SigningKeyFingerprint(verifyingKey: signingKey) }
    }

    /// Makes the folder: keys, the sealed pseudonym key, an empty regional registry, and split
    /// custody from the first day (as `key init` does for a network): every secret sealed to a
    /// new recovery key, whose secret waits under the passphrase until `region custody split`.
    public static func create(at path: String, name: String, passphrase: SecureBytes, limits: KeyDerivationLimits) throws(RegionError) -> RegionalOffice {
        if FileManager.default.fileExists(atPath: path + "/region.json") { throw .alreadyExists(path) }
        let keys: OfficeKeys
        do { keys = OfficeKeys(encryption: try SealSecretKey.generate(), signing: try SigningKey.generate(), pseudonym: try PseudonymKey.generate()) } catch {
            throw .io("\(error)")
        }
        return try write(keys, at: path, name: name, passphrase: passphrase, limits: limits, recoveryFile: nil)
    }

    /// The office's three secrets: what `create` makes and `recover` brings back.
    struct OfficeKeys {
        let encryption: SealSecretKey
        let signing: SigningKey
        let pseudonym: PseudonymKey
    }

    /// Writes a complete office folder around `keys`: key files under the passphrase, the sealed
    /// pseudonym key, the public keys, an empty registry, and custody — a new recovery file, or
    /// (after a recovery) the one the shares opened. `region.json` comes last: a folder that has
    /// it is a complete one.
    static func write(_ keys: OfficeKeys, at path: String, name: String, passphrase: SecureBytes, limits: KeyDerivationLimits,
                      recoveryFile: RecoveryFile?) throws(RegionError) -> RegionalOffice {
        let fm = FileManager.default
        do {
            try fm.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            let encryption = keys.encryption, signing = keys.signing
            let secret = try encryption.withUnsafeSecretBytes { (b) throws(SodiumError) in try SecureBytes(copying: b) }
            try DurableFile.createExclusive(path + "/encryption.key", bytes: try KeyFile.seal(secret: secret, publicKey: encryption.publicKey.bytes, kind: .encryption,
                                                                                              passphrase: passphrase, limits: limits).bytes)
            let seed = try signing.withUnsafeSeedBytes { (b) throws(SodiumError) in try SecureBytes(copying: b) }
            try DurableFile.createExclusive(path + "/signing.key", bytes: try KeyFile.seal(secret: seed, publicKey: signing.verifyingKey.bytes, kind: .regionSigning,
                                                                                           passphrase: passphrase, limits: limits).bytes)
            try DurableFile.createExclusive(path + "/pseudonym.sealed", bytes: try keys.pseudonym.sealed(to: encryption.publicKey))
            let publicKeys = try Self.publicKeys(name: name, encryption: encryption.publicKey, signing: signing.verifyingKey)
            try DurableFile.createExclusive(path + "/" + publicKeysName, bytes: publicKeys, mode: 0o644)
            if let recoveryFile {
                try DurableFile.createExclusive(path + "/" + CustodyFolder.recoveryFileName, bytes: recoveryFile.bytes)
            } else {
                _ = try CustodyFolder(path: path).create(organisation: name, scope: .region, document: publicKeys, signing: signing,
                                                         secrets: try custodySecrets(keys), passphrase: passphrase, limits: limits)
            }
            _ = try RegistryDatabase(path: path + "/registry.sqlite")
            try DurableFile.createExclusive(path + "/region.json", bytes: JSONValue.object([("version", .int(1)), ("name", .string(name))]).serialized() + [0x0A])
        } catch let e as RegionError { throw e } catch { throw .io("\(error)") }
        return try RegionalOffice(path: path)
    }

    public static let publicKeysName = "region-public.json"

    /// `region-public.json`: what networks pin, and what the recovery file keeps as its document.
    static func publicKeys(name: String, encryption: SealPublicKey, signing: VerifyingKey) throws(SodiumError) -> [UInt8] {
        let fingerprint = try SigningKeyFingerprint(verifyingKey: signing)
        return JSONValue.object([
            ("name", .string(name)), ("encryption_key", .string(Encoding.base64(encryption.bytes))),
            ("signing_key", .string(Encoding.base64(signing.bytes))), ("signing_key_fingerprint", .string(fingerprint.description)),
        ]).serialized() + [0x0A]
    }

    /// The public keys of a `region-public.json`, nil when it is damaged.
    static func parsePublicKeys(_ bytes: [UInt8]) -> (name: String, encryption: SealPublicKey, signing: VerifyingKey)? {
        guard let keys = try? JSONValue.parse(bytes), case .string(let name)? = keys["name"],
              case .string(let e)? = keys["encryption_key"], case .string(let s)? = keys["signing_key"],
              let eb = Encoding.bytes(fromBase64: e), let sb = Encoding.bytes(fromBase64: s),
              let encryption = try? SealPublicKey(bytes: eb), let signing = try? VerifyingKey(bytes: sb) else { return nil }
        return (name, encryption, signing)
    }

    /// The entries of the office's recovery file: its two keys and the regional pseudonym key
    /// (with its check value, which a person compares after a recovery).
    static func custodySecrets(_ keys: OfficeKeys) throws -> [CustodyFolder.Secret] {
        let encryption = try keys.encryption.withUnsafeSecretBytes { (b) throws(SodiumError) in try SecureBytes(copying: b) }
        let seed = try keys.signing.withUnsafeSeedBytes { (b) throws(SodiumError) in try SecureBytes(copying: b) }
        let pseudonym = keys.pseudonym.guardedBytes
        return [("encryption.key", .encryption, keys.encryption.publicKey.bytes, encryption),
                ("signing.key", .regionSigning, keys.signing.verifyingKey.bytes, seed),
                ("pseudonym", .pseudonym, try RecoveryFile.pseudonymCheck(pseudonym), pseudonym)]
    }

    public init(path: String) throws(RegionError) {
        guard let data = try? DurableFile.read(path + "/region.json", maxBytes: 64 * 1024),
              let json = try? JSONValue.parse(Array(data)), json["version"]?.intValue == 1, case .string(let name)? = json["name"] else {
            throw .missing(path)
        }
        guard let pub = try? DurableFile.read(path + "/" + Self.publicKeysName, maxBytes: 64 * 1024), let (_, encryption, signing) = Self.parsePublicKeys(Array(pub)) else {
            throw .corrupt(L("{path}/region-public.json is missing or damaged", ["path": "\(path)"]))
        }
        do { registry = try RegistryDatabase(path: path + "/registry.sqlite") } catch { throw .io("\(error)") }
        self.path = path
        self.name = name
        encryptionKey = encryption
        signingKey = signing
    }

    func keyFile(_ name: String) throws(RegionError) -> KeyFile {
        guard let data = try? DurableFile.read(path + "/" + name, maxBytes: 4096) else { throw .corrupt(L("{path}/{name} is missing", ["path": "\(path)", "name": "\(name)"])) }
        do { return try KeyFile(bytes: Array(data)) } catch { throw .corrupt("\(path)/\(name): \(error)") }
    }

    func unlock<T>(_ body: () throws -> T) throws(RegionError) -> T {
        do { return try body() } catch let e as KeyFileError where e == .wrongPassphrase { throw .wrongPassphrase } catch let e as RegionError { throw e } catch {
            throw .corrupt("\(error)")
        }
    }

    /// The regional pseudonym key sealed to one network's current encryption key (from its
    /// manifest, checked against the fingerprint the office pinned for it), signed by the office.
    public func keyFile(for network: NetworkId, manifest: KeyManifest, passphrase: SecureBytes) throws(RegionError) -> RegionalKeyFile {
        guard let recipient = manifest.currentEncryptionKey(on: .today()) else { throw .corrupt(L("network {network}'s manifest has no key valid today", ["network": "\(network)"])) }
        return try unlock {
            let encryption = try keyFile("encryption.key").unlockSealKey(passphrase: passphrase)
            let signing = try keyFile("signing.key").unlockSigningKey(passphrase: passphrase, kind: .regionSigning)
            guard let sealedKey = try? DurableFile.read(path + "/pseudonym.sealed", maxBytes: 4096) else { throw RegionError.corrupt(L("{path}/pseudonym.sealed is missing", ["path": "\(path)"])) }
            let pseudonym = try SealedBox.open(Array(sealedKey), with: encryption)
            return try RegionalKeyFile.make(network: network, pseudonymKey: pseudonym, to: recipient.publicKey, regionEncryptionKey: encryptionKey, signedBy: signing)
        }
    }

    /// Checks the office's passphrase by opening its encryption key (dropped at once): la mesa
    /// asks it once, then holds the passphrase in guarded memory until it locks.
    public func checkPassphrase(_ passphrase: SecureBytes) throws(RegionError) {
        try unlock { _ = try keyFile("encryption.key").unlockSealKey(passphrase: passphrase) }
    }

    /// Verifies, opens and applies one registry bundle; a bundle from an unpinned key, altered,
    /// sealed to another office, replayed or rolled back is refused and changes nothing.
    public func importBundle(_ bytes: [UInt8], passphrase: SecureBytes) throws(RegionError) -> (bundle: RegistryBundle, outcome: RegistryDatabase.ImportOutcome) {
        let bundle: RegistryBundle
        do { bundle = try RegistryBundle(bytes: bytes) } catch { throw .bundle(error.description) }
        let pinned: [RegistryDatabase.PinnedNetwork]
        do { pinned = try registry.pinnedNetworks() } catch { throw .io("\(error)") }
        guard let pin = pinned.first(where: { $0.id == bundle.network }) else { throw .bundle(RegionalImportError.notPinned(bundle.network).description) }
        let signer: SigningKeyFingerprint
        do { signer = try bundle.signerFingerprint } catch { throw .bundle("\(error)") }
        guard signer.matches(pin.fingerprint) else {
            throw .bundle(L("the bundle claims network {network} but is signed by {signer}, not by its pinned fingerprint {pinned}; nothing changed",
                            ["network": "\(bundle.network)", "signer": "\(signer)", "pinned": "\(pin.fingerprint)"]))
        }
        guard bundle.sequence > pin.lastSequence else {
            throw .bundle((bundle.sequence == pin.lastSequence ? RegionalImportError.replay(bundle.network, bundle.sequence)
                           : RegionalImportError.rollback(bundle.network, bundle.sequence, last: pin.lastSequence)).description)
        }
        // Only a full bundle (which replaces everything) may skip numbers (review N6).
        guard bundle.isFull || bundle.sequence == pin.lastSequence + 1 else {
            throw .bundle(RegionalImportError.gap(bundle.network, bundle.sequence, expected: pin.lastSequence + 1).description)
        }
        let ourKeyId: KeyId
        do { ourKeyId = try KeyId(publicKey: encryptionKey) } catch { throw .io("\(error)") }
        guard bundle.regionKeyId == ourKeyId else {
            throw .bundle(L("the bundle is sealed to key {key}, not to this office's key {ours}", ["key": "\(bundle.regionKeyId)", "ours": "\(ourKeyId)"]))
        }
        let payload: RegistryBundlePayload = try unlock {
            let key = try keyFile("encryption.key").unlockSealKey(passphrase: passphrase)
            let opened = try bundle.openPayload(with: key)
            return try opened.withUnsafeBytes { (b) throws(RegistryPayloadError) in try RegistryBundlePayload(bytes: Array(b)) }
        }
        // The sealed records must say what the signed header says.
        guard payload.network == bundle.network, payload.sequence == bundle.sequence, payload.isFull == bundle.isFull else {
            throw .bundle(L("the sealed records name network {network} bundle {sequence}, the signed header {header_network} bundle {header_sequence}; nothing changed",
                            ["network": "\(payload.network)", "sequence": "\(payload.sequence)", "header_network": "\(bundle.network)", "header_sequence": "\(bundle.sequence)"]))
        }
        do { return (bundle, try registry.apply(payload)) } catch { throw .bundle(error.description) }
    }
}

public enum RegionError: Error, Equatable, CustomStringConvertible {
    case alreadyExists(String)
    case missing(String)
    case corrupt(String)
    case wrongPassphrase
    case bundle(String)
    case io(String)

    public var description: String {
        switch self {
        case .alreadyExists(let p): return L("{p} already holds a regional office", ["p": "\(p)"])
        case .missing(let p): return L("{p} is not a regional office folder (no region.json; make one with resguardo region init)", ["p": "\(p)"])
        case .corrupt(let why): return why
        case .wrongPassphrase: return L("wrong passphrase for the regional office's keys")
        case .bundle(let why): return why
        case .io(let why): return why
        }
    }
}
