import DurableFiles
public import Formats
public import Sodium
import Foundation

/// `resguardo key passphrase`: every key file sealed again under a new passphrase, so the
/// ordinary case (a passphrase to change, a staff member who leaves) needs no shares.
///
/// All or nothing: each new file is written beside the old one (`NAME.new`, synced); then a marker
/// (`passphrase-change.pending`) is written and synced, and only then are the new files renamed
/// over the old ones. A crash before the marker leaves the old passphrase in force (the `.new`
/// files are removed next time); after it, opening the directory finishes the renames.
extension KeyDirectory {
    static let pendingMarker = "passphrase-change.pending"

    var keyFileNames: [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        return names.filter { $0.hasSuffix(".key") }.sorted()
    }

    /// Returns the number of key files now under the new passphrase.
    public func changePassphrase(from old: SecureBytes, to new: SecureBytes, limits: KeyDerivationLimits) throws(KeyDirectoryError) -> Int {
        let names = keyFileNames
        var sealed: [(String, [UInt8])] = []
        // Every file opens with the old passphrase before anything is written.
        for name in names {
            let file = try Self.readKeyFile(path, name)
            do {
                let secret = try file.unlock(passphrase: old)
                sealed.append((name, try KeyFile.seal(secret: secret, publicKey: file.publicKey, kind: file.kind, passphrase: new, limits: limits).bytes))
            } catch let e as KeyFileError { throw .keyFile(name, e) } catch { throw .wrap(error) }
        }
        do {
            for (name, bytes) in sealed {
                unlink(path + "/" + name + ".new")
                try DurableFile.createExclusive(path + "/" + name + ".new", bytes: bytes)
            }
            try DurableFile.createExclusive(path + "/" + Self.pendingMarker, bytes: Array("\(names.count)\n".utf8))
        } catch {
            for (name, _) in sealed { unlink(path + "/" + name + ".new") }
            throw .io("\(error)")
        }
        try Self.finishPassphraseChange(in: path)
        return names.count
    }

    /// Completes a change the marker says was decided, or drops one that was not.
    static func finishPassphraseChange(in path: String) throws(KeyDirectoryError) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        let pending = names.filter { $0.hasSuffix(".key.new") }
        guard FileManager.default.fileExists(atPath: path + "/" + pendingMarker) else {
            for name in pending { unlink(path + "/" + name) }
            return
        }
        for name in pending {
            guard rename(path + "/" + name, path + "/" + String(name.dropLast(4))) == 0 else {
                throw .io(L("cannot finish the passphrase change ({name}): {value}", ["name": "\(name)", "value": "\(String(cString: strerror(errno)))"]))
            }
        }
        DurableFile.syncDirectory(of: path + "/" + pendingMarker)
        unlink(path + "/" + pendingMarker)
        DurableFile.syncDirectory(of: path + "/" + signingKeyName)
    }
}
