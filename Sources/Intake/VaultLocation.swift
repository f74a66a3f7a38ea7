import Foundation
import Formats
public import Vault

/// Which vault a network's reports go to: the embedded SQLite file (the default) or a shared
/// PostgreSQL database (`vault.url`, or a network's `vault` written as a `postgres://` URL).
public enum VaultLocation: Sendable, Equatable, CustomStringConvertible {
    case sqlite(path: String)
    case postgres(PostgresVaultURL)

    public init(_ text: String) throws(ConfigurationError) {
        guard text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") else {
            self = .sqlite(path: text)
            return
        }
        do { self = .postgres(try PostgresVaultURL(text)) } catch { throw .invalid("vault", error.description) }
    }

    public var description: String {
        switch self {
        case .sqlite(let path): return path
        case .postgres(let url): return url.description
        }
    }

    /// Where the vault really is, for "two networks share a vault" (review N8): a file by its
    /// resolved path (symlinks and `./` gone; its folder's when it does not exist yet), a database
    /// by its server (host or resolved socket folder, port) and name, whatever the URL's
    /// spelling, user or parameter order. Two names of one server (`localhost`, `127.0.0.1`) are
    /// not caught here; the binding each vault keeps refuses the second network when it opens.
    public var identity: String {
        func resolved(_ path: String) -> String {
            let url = URL(fileURLWithPath: path)
            if let real = realpath(url.path, nil) { defer { free(real) }; return String(cString: real) }
            let folder = url.deletingLastPathComponent().path
            if let real = realpath(folder, nil) { defer { free(real) }; return String(cString: real) + "/" + url.lastPathComponent }
            return url.standardizedFileURL.path
        }
        switch self {
        case .sqlite(let path): return "file \(resolved(path))"
        case .postgres(let url):
            switch url.endpoint {
            case .tcp(let host, let port): return "database \(url.database) on \(host.lowercased()):\(port)"
            case .socket(let directory, let port): return "database \(url.database) on the socket \(resolved(directory))/.s.PGSQL.\(port)"
            }
        }
    }

    public var isShared: Bool {
        if case .postgres = self { return true }
        return false
    }
}

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
