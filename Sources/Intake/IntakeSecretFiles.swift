import Foundation
import Formats
import Vault

extension IntakeConfiguration {
    /// The database password: `vault.password_file` (which must not be readable by group or
    /// others, as a key file must not), else `RESGUARDO_INTAKE_VAULT_PASSWORD`, else none (a Unix
    /// socket with peer authentication needs none).
    public func databasePassword() throws(ConfigurationError) -> String? {
        guard !vaultPasswordFile.isEmpty else { return vaultPassword }
        let path = vaultPasswordFile
        let data = try Self.readPrivate(path, what: L("the database password file"), hint: "vault.password_file")
        guard data.count <= 1024, let text = String(data: data, encoding: .utf8) else { throw .invalid(path, L("not a one-line UTF-8 password")) }
        let password = text.trimmingCharacters(in: .newlines)
        guard !password.isEmpty, !password.contains("\n") else { throw .invalid(path, L("the password file must hold one non-empty line")) }
        return password
    }

    /// The proof-of-work MAC key from `pow.key_file` (64 hex digits), or nil for a random one.
    public func proofOfWorkKey() throws(ConfigurationError) -> [UInt8]? {
        guard !powKeyFile.isEmpty else { return nil }
        let path = powKeyFile
        let data = try Self.readPrivate(path, what: L("the proof-of-work key file"),
                                        hint: L("pow.key_file; make one with: openssl rand -hex 32 > {path}; chmod 600 {path}", ["path": path]))
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard text.utf8.count == 64, let bytes = Encoding.bytes(fromHex: text.lowercased()) else { throw .invalid(path, L("the proof-of-work key must be 64 hex digits (openssl rand -hex 32)")) }
        return bytes
    }

    /// A secret file's bytes, refused when its group or others may read it (as a key file is).
    static func readPrivate(_ path: String, what: String, hint: String) throws(ConfigurationError) -> Data {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
              let data = FileManager.default.contents(atPath: path) else {
            throw .missingFile("\(what) \(path)", hint: hint)
        }
        if let mode = attributes[.posixPermissions] as? Int, mode & 0o077 != 0 {
            throw .invalid(path, L("{what} is readable by others (mode {value}): chmod 600 {path}", ["what": "\(what)", "value": "\(String(mode, radix: 8))", "path": "\(path)"]))
        }
        return data
    }
}
