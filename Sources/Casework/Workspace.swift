import DurableFiles
public import Formats
import Foundation
import GRDB
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

    public static func create(at path: String, keyDirectory: String) throws(WorkspaceError) {
        let keys: KeyDirectory
        do { keys = try KeyDirectory(path: keyDirectory) } catch { throw .keys(error) }
        let fm = FileManager.default
        if fm.fileExists(atPath: path + "/workspace.json") { throw .alreadyExists(path) }
        do {
            try fm.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            let absolute = URL(fileURLWithPath: keys.path).standardizedFileURL.path
            let json = JSONValue.object([("version", .int(1)), ("key_directory", .string(absolute))]).serialized() + [0x0A]
            do { try DurableFile.createExclusive(path + "/workspace.json", bytes: json) } catch {
                throw WorkspaceError.io(error.description)
            }
            let database = try CaseDatabase(path: path + "/cases.sqlite")
            // The per-network pseudonym key: made once, sealed to the organisation's key.
            guard let current = keys.manifest.manifest.encryptionKeys.last else { throw WorkspaceError.corrupt("the key directory lists no encryption key") }
            let pseudonymKey = try SecureBytes.random(count: 32)
            let sealed = try SealedBox.seal(pseudonymKey, to: current.publicKey)
            try database.writer.write { db in
                try db.execute(sql: "INSERT INTO network_secret (name, sealed_key_id, sealed) VALUES ('pseudonym', ?, ?)",
                               arguments: [Data(current.id.bytes), Data(sealed)])
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
            throw .corrupt("\(path)/workspace.json is not a version 1 workspace file")
        }
        do { keys = try KeyDirectory(path: keyPath) } catch { throw .keys(error) }
        do { database = try CaseDatabase(path: path + "/cases.sqlite") } catch { throw .io("\(error)") }
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
        do {
            try database.writer.write { db in
                try db.execute(sql: "INSERT OR IGNORE INTO trusted_vault (public_key, fingerprint, added_day) VALUES (?, ?, ?)",
                               arguments: [Data(publicKey.bytes), actual.description, today.description])
                try Audit.append(db, actor: actor, caseId: nil, action: "vault_trusted", detail: actual.description)
            }
        } catch {
            throw .io("\(error)")
        }
    }

    public func trustedVaultKeys() throws(WorkspaceError) -> [VerifyingKey] {
        do {
            return try database.writer.read { db in
                try Data.fetchAll(db, sql: "SELECT public_key FROM trusted_vault").compactMap { try? VerifyingKey(bytes: Array($0)) }
            }
        } catch {
            throw .io("\(error)")
        }
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
        case .alreadyExists(let p): return "\(p) already holds a workspace"
        case .missing(let p): return "\(p) is not a workspace (no workspace.json)"
        case .corrupt(let why): return why
        case .keys(let e): return "key directory: \(e)"
        case .fingerprintMismatch(let actual, let expected):
            return "the public key's fingerprint is \(actual), not \(expected)"
        case .io(let why): return why
        }
    }
}

/// The append-only audit log (UPDATE and DELETE are refused by triggers).
enum Audit {
    /// Now, as ISO 8601. Computed once per transaction by callers that append many entries:
    /// a formatter per entry measured as a real cost in the unseal loop.
    static func timestamp() -> String { ISO8601DateFormatter().string(from: Date()) }

    static func append(_ db: Database, at: String = timestamp(), actor: String, caseId: [UInt8]?, action: String, detail: String) throws {
        try db.cachedStatement(sql: "INSERT INTO audit (at, actor, case_id, action, detail) VALUES (?, ?, ?, ?, ?)")
            .execute(arguments: [at, actor, caseId.map { Data($0) }, action, detail])
    }
}
