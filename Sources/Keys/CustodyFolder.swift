import DurableFiles
public import Formats
public import Sodium
import Foundation

/// The custody files of one folder of keys (DESIGN.md §10), the same for a network's key
/// directory and for the regional office's folder: the recovery file, and the recovery secret
/// waiting under the passphrase until the split. What each folder seals into the file, and what
/// a recovery checks, is its own (`KeyDirectory`, `RegionalOffice`); making the file, splitting
/// the secret and deleting it are written here once.
///
///     DIR/recovery.rsgr         recovery file v1 (docs/formats.md §18)
///     DIR/recovery-secret.key   the recovery secret under the passphrase, only until the split
public struct CustodyFolder: Sendable {
    public static let recoveryFileName = "recovery.rsgr"
    public static let recoverySecretName = "recovery-secret.key"

    /// One secret key for the recovery file.
    public typealias Secret = (name: String, kind: RecoveryFile.Kind, publicKey: [UInt8], secret: SecureBytes)

    public let path: String

    public init(path: String) { self.path = path }

    public var recoveryFilePath: String { path + "/" + Self.recoveryFileName }
    public var hasUnsplitRecoverySecret: Bool { FileManager.default.fileExists(atPath: path + "/" + Self.recoverySecretName) }

    /// The folder's recovery file, or nil when custody was never set up.
    public func recoveryFile() throws(KeyDirectoryError) -> RecoveryFile? {
        guard FileManager.default.fileExists(atPath: recoveryFilePath) else { return nil }
        do { return try RecoveryFile(bytes: try DurableFile.read(recoveryFilePath, maxBytes: RecoveryFile.maxByteCount)) } catch let e as RecoveryFileError {
            throw .io("\(recoveryFilePath): \(e)")
        } catch { throw .io("\(error)") }
    }

    public func write(_ file: RecoveryFile) throws(KeyDirectoryError) {
        do { try DurableFile.replaceAtomically(recoveryFilePath, bytes: file.bytes, mode: 0o600) } catch { throw .io(error.description) }
    }

    /// A new recovery key pair: every secret sealed to its public half, the entry list signed by
    /// `signing`, the recovery secret under the passphrase until `split`. Replaces what was
    /// there: shares of an old recovery key stop opening the new file.
    public func create(organisation: String, scope: RecoveryFile.Scope, document: [UInt8], signing: SigningKey, secrets: [Secret],
                       passphrase: SecureBytes, limits: KeyDerivationLimits) throws(KeyDirectoryError) -> RecoveryFile {
        do {
            let recovery = try SealSecretKey.generate()
            var file = RecoveryFile(organisation: organisation, scope: scope, recoveryKey: recovery.publicKey, manifest: document)
            for s in secrets { try file.add(name: s.name, kind: s.kind, publicKey: s.publicKey, secret: s.secret) }
            try file.sign(with: signing)
            let secret = try recovery.withUnsafeSecretBytes { (b) throws(SodiumError) in try SecureBytes(copying: b) }
            let sealed = try KeyFile.seal(secret: secret, publicKey: recovery.publicKey.bytes, kind: .recovery, passphrase: passphrase, limits: limits)
            try DurableFile.replaceAtomically(path + "/" + Self.recoverySecretName, bytes: sealed.bytes, mode: 0o600)
            try DurableFile.replaceAtomically(recoveryFilePath, bytes: file.bytes, mode: 0o600)
            return file
        } catch let e as KeyDirectoryError { throw e } catch { throw .wrap(error) }
    }

    /// Splits the waiting recovery secret with SLIP-0039 and records the split (public facts
    /// only) in the recovery file. The secret file stays until `finishSplit`, called once every
    /// share has been shown: a split interrupted halfway can be made again.
    public func split(passphrase: SecureBytes, groupThreshold: Int, groups: [RecoveryFile.Custody.Group], today: CalendarDay) throws -> [[SLIP39.Share]] {
        guard hasUnsplitRecoverySecret else {
            let file = try recoveryFile()
            throw CustodyError.alreadySplit(file?.custody?.splitDay, file?.scope ?? .network)
        }
        guard var file = try recoveryFile() else { throw CustodyError.noCustody }
        let keyFile = try KeyDirectory.readKeyFile(path, Self.recoverySecretName)
        guard keyFile.kind == .recovery else { throw KeyDirectoryError.keyFile(Self.recoverySecretName, .wrongKind(expected: .recovery, actual: keyFile.kind)) }
        let secret: SecureBytes
        do { secret = try keyFile.unlock(passphrase: passphrase) } catch { throw KeyDirectoryError.keyFile(Self.recoverySecretName, error) }
        guard ConstantTime.equals(try SealSecretKey(secretBytes: secret).publicKey.bytes, file.recoveryKey.bytes) else {
            throw CustodyError.mismatch(L("the waiting recovery secret is not the recovery file's"))
        }
        let shares = try SLIP39.split(secret: secret, groupThreshold: groupThreshold, groups: groups.map { ($0.threshold, $0.count) })
        guard let set = shares.first?.first?.identifier else { throw CustodyError.mismatch(L("no share was made")) }
        file.custody = RecoveryFile.Custody(set: set, groupThreshold: groupThreshold, groups: groups, splitDay: today)
        try write(file)
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
        guard unlink(file) == 0 || errno == ENOENT else { throw .io(L("cannot remove {file}: {value}", ["file": "\(file)", "value": "\(String(cString: strerror(errno)))"])) }
        DurableFile.syncDirectory(of: file)
    }

    /// Combines the shares and opens every entry, after the caller checked the entry list's
    /// signature: the recovery secret lives only inside this call.
    public static func openEntries(_ file: RecoveryFile, shares: [SLIP39.Share]) throws -> [(entry: RecoveryFile.Entry, secret: SecureBytes)] {
        let secret = try SLIP39.combine(shares)
        return try file.open(with: try SealSecretKey(secretBytes: secret))
    }

    /// The check value of a recovered pseudonym key, refused when it is not its entry's own.
    public static func pseudonymCheck(of entry: (entry: RecoveryFile.Entry, secret: SecureBytes)) throws -> String {
        let check = try RecoveryFile.pseudonymCheck(entry.secret)
        // Files from before check values kept an empty public key here.
        if !entry.entry.publicKey.isEmpty, !ConstantTime.equals(check, entry.entry.publicKey) {
            throw CustodyError.mismatch(L("the recovery file's pseudonym key does not give its own check value: the entry was altered"))
        }
        return RecoveryFile.checkText(check)
    }
}
