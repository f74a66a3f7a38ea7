import DurableFiles
import Formats
import GRDB
import PostgresNIO
import Sodium

/// Vault failures, classified so the intake can answer 503 (try later: disk full, locked) rather
/// than 500, and so logs carry a class, never the data.
public enum VaultError: Error, Sendable, CustomStringConvertible {
    /// The disk is full or the file cannot grow: submissions must be refused, not acknowledged.
    case full
    /// Another process holds a lock longer than the busy timeout.
    case busy
    /// The file is read-only or cannot be opened for writing.
    case readOnly
    case corrupt(String)
    case unknownBundle(String)
    case io(String)
    /// The database server cannot be reached, is restarting, or did not answer in time (the
    /// shared PostgreSQL vault): nothing was stored, and the client should try again soon.
    case unavailable(String)
    /// The statement reached the database server but its answer did not come back (the
    /// connection failed or the deadline passed with the insert in flight): the submissions may
    /// or may not be stored. Sending the same envelope again is safe: its id is derived from
    /// its bytes and a second insert of it stores nothing (review 2026-12-06, "also found").
    case outcomeUnknown(String)
    case other(String)

    init(_ error: any Error) {
        switch error {
        case let e as VaultError:
            self = e
        case let e as DatabaseError:
            switch e.resultCode {
            case .SQLITE_FULL: self = .full
            case .SQLITE_BUSY, .SQLITE_LOCKED: self = .busy
            case .SQLITE_READONLY, .SQLITE_CANTOPEN, .SQLITE_PERM: self = .readOnly
            // SQLite's own words stay out: the code names the case, in any language.
            case .SQLITE_CORRUPT, .SQLITE_NOTADB: self = .corrupt("SQLite \(e.resultCode.rawValue)")
            case .SQLITE_IOERR:
                // SQLite reports a full disk during WAL writes as an I/O error on some paths.
                self = e.extendedResultCode == .SQLITE_IOERR_WRITE || e.extendedResultCode == .SQLITE_IOERR_FSYNC ? .full : .io("\(e.extendedResultCode)")
            default: self = .other("\(e.resultCode)")
            }
        case let e as DurableFile.Failure:
            self = .io(e.description)
        case let e as ExportBundleError:
            self = .other(e.description)
        case let e as SodiumError:
            self = .other(e.description)
        case let e as PSQLError:
            self = Self.classify(e)
        default:
            self = .other(String(describing: type(of: error)))
        }
    }

    /// True when a client should retry later (the intake answers 503 with Retry-After).
    public var isTemporary: Bool {
        switch self {
        case .full, .busy, .readOnly, .io, .unavailable, .outcomeUnknown: return true
        default: return false
        }
    }

    /// A short class name for logs and metrics.
    public var errorClass: String {
        switch self {
        case .full: return "vault_full"
        case .busy: return "vault_busy"
        case .readOnly: return "vault_read_only"
        case .corrupt: return "vault_corrupt"
        case .unknownBundle: return "unknown_bundle"
        case .io: return "vault_io"
        case .unavailable: return "vault_unavailable"
        case .outcomeUnknown: return "vault_outcome_unknown"
        case .other: return "vault_error"
        }
    }

    public var description: String {
        switch self {
        case .full: return L("the vault's disk is full")
        case .busy: return L("the vault is locked by another process")
        case .readOnly: return L("the vault cannot be written (read-only file or folder)")
        case .corrupt(let why): return L("the vault file is corrupt ({why})", ["why": "\(why)"])
        case .unknownBundle(let digest): return L("no export bundle with digest {digest} was made by this vault", ["digest": "\(digest)"])
        case .io(let why): return L("vault I/O error: {why}", ["why": "\(why)"])
        case .unavailable(let why): return L("the vault's database is unavailable ({why})", ["why": "\(why)"])
        case .outcomeUnknown(let why): return L("the vault's database did not confirm the write ({why}): it may or may not be stored", ["why": "\(why)"])
        case .other(let why): return L("vault error: {why}", ["why": "\(why)"])
        }
    }

    /// A PostgreSQL error, by its SQLSTATE and kind only: the server's message can quote a
    /// statement's values, so it never reaches a log or a client.
    static func classify(_ error: PSQLError) -> VaultError {
        guard error.code == .server else {
            // The connection failed, was closed, or the pool is shutting down.
            return .unavailable("\(error.code)")
        }
        let state = error.serverInfo?[.sqlState] ?? "?"
        switch state {
        case "53100": return .full
        case let s where s.hasPrefix("53"): return .unavailable("sqlstate \(s)")  // out of memory, connections
        case let s where s.hasPrefix("08") || s.hasPrefix("57P"): return .unavailable("sqlstate \(s)")  // connection, shutdown, recovery
        case "40001", "40P01", "55P03": return .busy  // serialization, deadlock, lock not available
        case "25006": return .readOnly  // a read-only transaction (a standby)
        case let s where s.hasPrefix("XX"): return .corrupt("sqlstate \(s)")
        default: return .other("sqlstate \(state)")
        }
    }
}
