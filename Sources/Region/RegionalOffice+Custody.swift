import DurableFiles
import Deidentify
public import Formats
import Foundation
public import Keys
public import Sodium

/// Split custody of the regional office's keys (issue 30; DESIGN.md §10): the same recovery
/// file, shares and drill as a network's (`CustodyFolder`), with the office's own entries — its
/// encryption key, its signing key and the regional pseudonym key — and its own checks on the
/// way back. A lost office laptop then costs no network anything: the fingerprint networks
/// pinned, the key their bundles are sealed to and the regional pseudonyms all come back.
extension RegionalOffice {
    public var custody: CustodyFolder { CustodyFolder(path: path) }

    /// Makes the recovery key and file for an office made before custody existed, or (with
    /// `replace`) a new recovery key whose file the old shares no longer open.
    public func initCustody(passphrase: SecureBytes, limits: KeyDerivationLimits, replace: Bool = false) throws(RegionError) -> RecoveryFile {
        if !replace, FileManager.default.fileExists(atPath: custody.recoveryFilePath) { throw .alreadyExists(custody.recoveryFilePath) }
        let keys = try unlockAll(passphrase: passphrase)
        let document: [UInt8]
        do { document = try DurableFile.read(path + "/" + Self.publicKeysName, maxBytes: 64 * 1024) } catch { throw .io(error.description) }
        do {
            return try custody.create(organisation: name, scope: .region, document: document, signing: keys.signing, secrets: try Self.custodySecrets(keys),
                                      passphrase: passphrase, limits: limits)
        } catch let e as RegionError { throw e } catch { throw .io("\(error)") }
    }

    /// The office's three secrets, each checked against its public half here.
    func unlockAll(passphrase: SecureBytes) throws(RegionError) -> OfficeKeys {
        try unlock {
            let encryption = try keyFile("encryption.key").unlockSealKey(passphrase: passphrase)
            let signing = try keyFile("signing.key").unlockSigningKey(passphrase: passphrase, kind: .regionSigning)
            guard ConstantTime.equals(encryption.publicKey.bytes, encryptionKey.bytes), ConstantTime.equals(signing.verifyingKey.bytes, signingKey.bytes) else {
                throw RegionError.corrupt(L("{path}: the key files are not the keys of region-public.json", ["path": path]))
            }
            guard let sealed = try? DurableFile.read(path + "/pseudonym.sealed", maxBytes: 4096) else {
                throw RegionError.corrupt(L("{path}/pseudonym.sealed is missing", ["path": "\(path)"]))
            }
            return OfficeKeys(encryption: encryption, signing: signing, pseudonym: try PseudonymKey(opening: Array(sealed), with: encryption))
        }
    }

    /// What can be checked before any share is typed: the file is the regional office's, its
    /// `region-public.json` names the pinned signing key, and that key signed the entry list.
    @discardableResult
    public static func checkRecoveryFile(_ file: RecoveryFile, pinned: SigningKeyFingerprint) throws -> (name: String, encryption: SealPublicKey, signing: VerifyingKey) {
        guard file.scope == .region else {
            throw CustodyError.mismatch(L("this is a network's recovery file, not the regional office's: recover it with resguardo key custody recover"))
        }
        guard let (name, encryptionPublic, signingPublic) = parsePublicKeys(file.manifest) else {
            throw CustodyError.mismatch(L("the recovery file's region-public.json is damaged"))
        }
        guard try SigningKeyFingerprint(verifyingKey: signingPublic).matches(pinned) else {
            throw CustodyError.mismatch(L("the recovery file names signing key {found}, not the pinned fingerprint {pinned}: it is another office's, or was altered", ["found": "\(try SigningKeyFingerprint(verifyingKey: signingPublic))", "pinned": "\(pinned)"]))
        }
        do { try file.verifyEntries(signedBy: signingPublic) } catch RecoveryFileError.badSignature {
            throw CustodyError.mismatch(L("the recovery file's entry list is not signed by the regional office's signing key: an entry was added or changed; nothing was opened"))
        }
        return (name, encryptionPublic, signingPublic)
    }

    /// The regional pseudonym key's check value as the recovery file records it (no secret
    /// needed): what `region init` and `region show` print for the custody record.
    public func pseudonymCheckText() -> String? {
        guard let file = try? custody.recoveryFile(), let entry = file.entries.last(where: { $0.kind == .pseudonym }), !entry.publicKey.isEmpty else { return nil }
        return RecoveryFile.checkText(entry.publicKey)
    }

    /// What `recover` rebuilt, and what a person should compare.
    public struct Recovered: Sendable {
        public let office: RegionalOffice
        /// The regional pseudonym key's check value (`RecoveryFile.checkText`).
        public let pseudonymCheck: String
    }

    /// Rebuilds the office's folder at `out` from its recovery file and enough shares, under a
    /// new passphrase. Before anything is opened: the file must be a regional one, its
    /// `region-public.json` must carry the signing key of `pinned` (the fingerprint networks
    /// pinned), and the entry list must be signed by that key. After opening: the signing seed
    /// must give that key, the encryption secret the entry's and `region-public.json`'s key, the
    /// pseudonym key its check value. Nothing is written until all of that holds. The regional
    /// registry is not in the file (it is the networks' data, not a key): the folder comes back
    /// with an empty one, which the networks' full bundles fill again (README, "Regional office").
    public static func recover(shares: [SLIP39.Share], recoveryFile file: RecoveryFile, pinned: SigningKeyFingerprint, to out: String,
                               passphrase: SecureBytes, limits: KeyDerivationLimits) throws -> Recovered {
        let (name, encryptionPublic, signingPublic) = try checkRecoveryFile(file, pinned: pinned)
        let opened = try CustodyFolder.openEntries(file, shares: shares)
        func entry(_ kind: RecoveryFile.Kind) throws -> (entry: RecoveryFile.Entry, secret: SecureBytes) {
            guard let found = opened.last(where: { $0.entry.kind == kind }) else {
                throw CustodyError.mismatch(L("the recovery file lacks the office's {kind} key", ["kind": kind.rawValue]))
            }
            return found
        }
        let signing = try SigningKey(seed: try entry(.regionSigning).secret)
        guard ConstantTime.equals(signing.verifyingKey.bytes, signingPublic.bytes) else {
            throw CustodyError.mismatch(L("the recovered signing key is not the one the networks pinned"))
        }
        let encryptionEntry = try entry(.encryption)
        let encryption = try SealSecretKey(secretBytes: encryptionEntry.secret)
        guard ConstantTime.equals(encryption.publicKey.bytes, encryptionPublic.bytes), ConstantTime.equals(encryptionEntry.entry.publicKey, encryptionPublic.bytes) else {
            throw CustodyError.mismatch(L("the recovered encryption key is not the office's (region-public.json)"))
        }
        let pseudonymEntry = try entry(.pseudonym)
        let check = try CustodyFolder.pseudonymCheck(of: pseudonymEntry)
        let keys = OfficeKeys(encryption: encryption, signing: signing, pseudonym: try PseudonymKey(pseudonymEntry.secret))
        let fm = FileManager.default
        if let items = try? fm.contentsOfDirectory(atPath: out), !items.isEmpty { throw RegionError.alreadyExists(out) }
        do {
            let office = try write(keys, at: out, name: name, passphrase: passphrase, limits: limits, recoveryFile: file)
            return Recovered(office: office, pseudonymCheck: check)
        } catch {
            // Leave nothing half-made: a second attempt needs an empty folder.
            for item in (try? fm.contentsOfDirectory(atPath: out)) ?? [] { try? fm.removeItem(atPath: out + "/" + item) }
            throw error
        }
    }
}
