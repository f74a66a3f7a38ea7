import Foundation

/// Which vault: the one place the choice between the backends is made (issue 30). Which vault a network's reports go to, or a command works on: the embedded SQLite file (the default) or a shared
/// PostgreSQL database (`vault.url`, or a network's `vault` written as a `postgres://` URL).
public enum VaultLocation: Sendable, Equatable, CustomStringConvertible {
    case sqlite(path: String)
    case postgres(PostgresVaultURL)

    /// A `postgres://` or `postgresql://` URL names a database; anything else is a file path.
    public init(_ text: String) throws(PostgresURLError) {
        guard text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") else {
            self = .sqlite(path: text)
            return
        }
        self = .postgres(try PostgresVaultURL(text))
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


/// A vault opened for one administrative command (export, purge, stats, import-replies, vault
/// init): the SQLite file, or the PostgreSQL database connected and its schema brought up to
/// date. `close()` when done (it ends a PostgreSQL pool).
public struct OpenedVault: Sendable {
    public let administration: any VaultAdministration
    public let postgres: PostgresVault?

    public func close() async { await postgres?.stop() }
}

extension VaultLocation {
    /// Opens the vault this location names, whichever backend it is.
    public func open(password: String?, operationTimeout: Duration = .seconds(30)) async throws(VaultOpenError) -> OpenedVault {
        switch self {
        case .sqlite(let path):
            do { return OpenedVault(administration: try VaultDatabase(path: path), postgres: nil) } catch { throw .sqlite(error) }
        case .postgres(let url):
            let database: PostgresVault
            do { database = try PostgresVault(url: url, password: password, operationTimeout: operationTimeout) } catch { throw .url(error) }
            database.start()
            do { try await database.migrate() } catch {
                await database.stop()
                throw .unreachable(error)
            }
            return OpenedVault(administration: database, postgres: database)
        }
    }
}

/// Why a vault did not open, by what a person does about it.
public enum VaultOpenError: Error, CustomStringConvertible {
    /// The SQLite file cannot be opened or created.
    case sqlite(VaultError)
    /// The PostgreSQL URL cannot be used (a password in it, an unknown parameter).
    case url(PostgresURLError)
    /// The database did not answer, or refused the connection or the migration.
    case unreachable(VaultError)

    public var description: String {
        switch self {
        case .sqlite(let e): return e.description
        case .url(let e): return e.description
        case .unreachable(let e): return e.description
        }
    }
}

/// The vault an intake serves from, whichever backend `VaultLocation` named: what the routes
/// store into, what intakes sharing it must see, and how it starts and ends.
public struct ServingVault: Sendable {
    public enum Backend: Sendable {
        /// The embedded file and its group-commit writer.
        case sqlite(VaultDatabase, SubmissionWriter)
        /// The shared database and its group commit.
        case postgres(PostgresVault, PostgresSubmissionStore)
    }
    public let backend: Backend
    /// What the routes use of the vault, whichever it is.
    public let store: any SubmissionStore
    /// What other intakes on the same vault must see (spent tokens, urgent turns); nil for the
    /// embedded vault, whose one intake keeps both in memory.
    public let shared: (any SharedIntakeState)?

    /// Connects a shared vault's pool, brings its schema up to date and binds it (the embedded
    /// vault did all three when it opened). An intake that cannot reach its database does not
    /// start serving.
    public func prepare(binding: VaultBinding) async throws(VaultError) {
        guard case .postgres(let vault, _) = backend else { return }
        vault.start()
        try await vault.migrate()
        try await vault.bind(binding)
    }

    /// After the last request: closes the embedded vault (its log is folded in) or ends the pool.
    public func close() async throws(VaultError) {
        switch backend {
        case .sqlite(let vault, _): try vault.close()
        case .postgres(let vault, _): await vault.stop()
        }
    }
}

extension VaultLocation {
    /// Opens the vault for an intake: the SQLite file checkpointed in the background and bound to
    /// `binding` at once (review N8: a vault of another network is refused); a PostgreSQL pool,
    /// connected and bound later by `ServingVault.prepare`, with its commit window.
    public func openForServing(binding: VaultBinding, password: String?, commitWindow: Duration) throws(VaultServingError) -> ServingVault {
        switch self {
        case .sqlite(let path):
            let vault: VaultDatabase
            do { vault = try VaultDatabase(path: path, checkpointing: .background) } catch { throw .open(error) }
            do { _ = try vault.bindNow(binding) } catch {
                try? vault.close()
                throw .binding(error)
            }
            let writer = SubmissionWriter(vault: vault)
            return ServingVault(backend: .sqlite(vault, writer), store: SQLiteSubmissionStore(vault: vault, writer: writer), shared: nil)
        case .postgres(let url):
            let vault: PostgresVault
            do { vault = try PostgresVault(url: url, password: password) } catch { throw .url(error) }
            let groupCommit = PostgresSubmissionStore(vault: vault, commitWindow: commitWindow)
            return ServingVault(backend: .postgres(vault, groupCommit), store: groupCommit,
                                shared: PostgresTokenSpender(vault: vault, window: commitWindow))
        }
    }
}

public enum VaultServingError: Error, CustomStringConvertible {
    case open(VaultError)
    /// The vault belongs to another network.
    case binding(VaultError)
    case url(PostgresURLError)

    public var description: String {
        switch self {
        case .open(let e), .binding(let e): return e.description
        case .url(let e): return e.description
        }
    }
}
