import Foundation
import Formats
import NIOSSL
public import PostgresNIO

/// Where a shared PostgreSQL vault is (`vault.url`): `postgres://USER@HOST[:PORT]/DATABASE` over
/// TCP, or `postgres:///DATABASE?host=/run/postgresql&user=USER` over a Unix socket. The URL never
/// holds the password: it is printed at start-up and may be pasted into tickets, so the password
/// comes from `vault.password_file` or the environment, and a URL carrying one is refused.
///
/// TLS (`sslmode`): `verify-full` (the default over TCP: the certificate must chain to
/// `sslrootcert`, or the system roots, and name the host), `require` (encrypted, unverified: only
/// on a network the operator trusts), `disable` (the default, and the only choice, on a socket).
public struct PostgresVaultURL: Sendable, Equatable, CustomStringConvertible {
    public enum Endpoint: Sendable, Equatable {
        case tcp(host: String, port: Int)
        /// The socket's directory, as libpq's `host=/dir` means it, and the port that names the
        /// socket file in it (`.s.PGSQL.PORT`), as libpq uses `port` for sockets too.
        case socket(directory: String, port: Int)
    }

    public enum TLSMode: String, Sendable, Equatable { case disable, require, verifyFull = "verify-full" }

    public let endpoint: Endpoint
    public let user: String
    public let database: String
    public let tls: TLSMode
    /// PEM file of the CA(s) the server's certificate must chain to (`sslrootcert`).
    public let rootCertificatePath: String?

    public var socketPath: String? {
        guard case .socket(let directory, let port) = endpoint else { return nil }
        return directory + "/.s.PGSQL.\(port)"
    }

    /// What start-up messages show: no password, by construction.
    public var description: String {
        switch endpoint {
        case .tcp(let host, let port): return L("postgres://{user}@{host}:{port}/{database} (sslmode={raw_value})", ["user": "\(user)", "host": "\(host)", "port": "\(port)", "database": "\(database)", "raw_value": "\(tls.rawValue)"])
        case .socket(let directory, _): return L("postgres:///{database} on the socket in {directory}, user {user}", ["database": "\(database)", "directory": "\(directory)", "user": "\(user)"])
        }
    }

    public init(_ text: String) throws(PostgresURLError) {
        guard text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") else {
            throw .init("`\(text.prefix(40))` is not a postgres:// URL")
        }
        guard let parts = URLComponents(string: text) else { throw .init("the URL cannot be parsed") }
        if parts.password != nil {
            throw .init("the URL holds a password: put it in vault.password_file or RESGUARDO_INTAKE_VAULT_PASSWORD instead (the URL is shown in messages)")
        }
        var query: [String: String] = [:]
        for item in parts.queryItems ?? [] {
            guard ["host", "port", "user", "sslmode", "sslrootcert"].contains(item.name), let value = item.value, !value.isEmpty else {
                throw .init("unknown or empty URL parameter `\(item.name)` (known: host, port, user, sslmode, sslrootcert)")
            }
            query[item.name] = value
        }
        let database = String(parts.path.drop { $0 == "/" })
        guard !database.isEmpty, !database.contains("/") else { throw .init("the URL must name a database: postgres://user@host/DATABASE") }
        guard let user = parts.user ?? query["user"], !user.isEmpty else { throw .init("the URL must name a user: postgres://USER@host/db or ?user=USER") }
        let host = query["host"] ?? parts.host ?? ""
        let portText = query["port"] ?? parts.port.map(String.init) ?? "5432"
        guard let port = Int(portText), (1...65535).contains(port) else { throw .init("port `\(portText)` is not a TCP port") }
        let mode: TLSMode
        if host.hasPrefix("/") {
            endpoint = .socket(directory: host, port: port)
            mode = TLSMode(rawValue: query["sslmode"] ?? "disable") ?? .require
            guard mode == .disable else { throw .init("a Unix socket needs no TLS: leave sslmode out or set it to disable") }
        } else {
            guard !host.isEmpty else { throw .init("the URL must name a host, or a socket directory with ?host=/run/postgresql") }
            endpoint = .tcp(host: host, port: port)
            guard let m = TLSMode(rawValue: query["sslmode"] ?? TLSMode.verifyFull.rawValue) else {
                throw .init("sslmode must be verify-full, require or disable")
            }
            mode = m
        }
        self.user = user
        self.database = database
        tls = mode
        rootCertificatePath = query["sslrootcert"]
    }
}

extension PostgresVaultURL {
    /// What an operator should hear at start (review N17): `sslmode=disable` over TCP sends every
    /// envelope, token spend and the database password across the network in clear.
    public var warning: String? {
        guard case .tcp(let host, _) = endpoint, tls == .disable else { return nil }
        let local = host == "localhost" || host == "127.0.0.1" || host == "::1"
        return local
            ? L("vault.url has sslmode=disable over TCP to {host}: the database traffic (envelopes, spent tokens, the password) is not encrypted; use a Unix socket (?host=/run/postgresql) or sslmode=verify-full", ["host": host])
            : L("vault.url has sslmode=disable over TCP to {host}: the database traffic (envelopes, spent tokens, the password) is not encrypted on the network; use a Unix socket (?host=/run/postgresql) or sslmode=verify-full", ["host": host])
    }
}

public struct PostgresURLError: Error, Equatable, CustomStringConvertible {
    public let description: String
    init(_ why: String) { description = "vault.url: \(why)" }
}


extension PostgresVault {
    /// Opens (without connecting yet: `start()` does) the vault a `vault.url` names, with the
    /// password read from its file or the environment by the caller.
    public convenience init(url: PostgresVaultURL, password: String?, operationTimeout: Duration = .seconds(5)) throws(PostgresURLError) {
        var configuration: PostgresClient.Configuration
        switch url.endpoint {
        case .socket:
            configuration = .init(unixSocketPath: url.socketPath ?? "", username: url.user, password: password, database: url.database)
        case .tcp(let host, let port):
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.minimumTLSVersion = .tlsv12
            if let ca = url.rootCertificatePath {
                guard FileManager.default.isReadableFile(atPath: ca) else { throw .init("cannot read sslrootcert \(ca)") }
                tls.trustRoots = .file(ca)
            }
            switch url.tls {
            case .verifyFull: tls.certificateVerification = .fullVerification
            case .require: tls.certificateVerification = .none
            case .disable: break
            }
            configuration = .init(host: host, port: port, username: url.user, password: password, database: url.database,
                                  tls: url.tls == .disable ? .disable : .require(tls))
        }
        self.init(configuration: configuration, operationTimeout: operationTimeout)
    }
}
