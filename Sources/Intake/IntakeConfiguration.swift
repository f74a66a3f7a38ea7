public import Formats
import Vault
import Foundation

/// Everything `resguardo-intake serve` can be told, read once into typed values. Precedence:
/// command-line flags, then the environment (`RESGUARDO_INTAKE_…`), then the JSON config file,
/// then these defaults. Every key, with its range, default and meaning, is a row of
/// `IntakeSetting.all` (also printed by `serve --help`).
public struct IntakeConfiguration: Sendable, Equatable {
    public var host = "127.0.0.1"
    public var port = 8443
    public var certificatePath = ""
    public var privateKeyPath = ""
    public var vaultPath = "vault.sqlite"
    /// The shared PostgreSQL vault (`postgres://…`); empty: the SQLite one at `vaultPath`.
    public var vaultURL = ""
    /// The database password: from `vault.password_file`, or the environment
    /// (`RESGUARDO_INTAKE_VAULT_PASSWORD`); never from the JSON file, never printed.
    public var vaultPasswordFile = ""
    /// PostgreSQL only: how long a commit gathers submissions (the WAL dates each commit).
    public var vaultCommitWindowMilliseconds = 500
    public var vaultPassword: String?
    /// The proof-of-work MAC key (64 hex digits), the same file on every intake of a shared
    /// vault, so a token issued by one is good (once) on any. Empty: a random key per start.
    public var powKeyFile = ""
    public var manifestPath = ""
    /// Pinned out of band, as every client pins it: the intake trusts no manifest it is merely given.
    public var signingKeyFingerprint: SigningKeyFingerprint?
    public var maxBodyBytes = Envelope.maxByteCount
    public var maxConnections = 1024
    /// Event-loop threads; 0: one per core (`useEventLoopThreads`).
    public var threads = 0
    public var headerTimeoutSeconds = 10
    public var bodyTimeoutSeconds = 300
    public var idleTimeoutSeconds = 30
    public var powDifficulty = 8
    public var powMaxDifficulty = 16
    public var powCalmPerMinute = 120
    public var powTokenLifetimeSeconds = 600
    public var tweetNaClPath = WebAssets.defaultTweetNaClPath
    /// A folder of more translation catalogs (`LANG.po`) beside the shipped ones.
    public var catalogsFolder = ""
    public var formSubmissionsPerMinute = 60
    /// The onion side's own no-JavaScript pool (review N13: a flood on one side does not lock
    /// out the other).
    public var onionFormSubmissionsPerMinute = 60
    /// `haproxy`: tor sends each connection's circuit first (`HiddenServiceExportCircuitID
    /// haproxy`), and each circuit gets `onionFormPerCircuit` no-JavaScript submissions per
    /// 10 minutes; `none`: tor sends nothing (the onion side then has its pool only).
    public var onionCircuitIds = "none"
    public var onionFormPerCircuit = 3
    public var urgentCommand: [String] = []
    public var urgentMinIntervalSeconds = 60
    public var countersIntervalSeconds = 86_400
    /// The onion side: `127.0.0.1:PORT`, `[::1]:PORT` or `unix:/path`; empty: none.
    public var onionListen = ""
    /// The service's `.onion` name, for `Onion-Location` (or read from `onion.hostname_file`).
    public var onionAddress = ""
    /// tor's `HiddenServiceDir/hostname`, read at start-up when `onion.address` is not given.
    public var onionHostnameFile = ""
    /// tor's control port (`127.0.0.1:9051` or `unix:/path`) and its cookie file, to know whether
    /// the onion's descriptor is being published.
    public var onionControl = ""
    public var onionControlCookie = ""
    /// `unix:/path`: where the onion side's detail (descriptor, last upload) is answered; the
    /// public `/healthz` says only `ok` (review N16). Empty: no detail anywhere.
    public var onionStatusSocket = ""
    /// Several networks in one intake (DESIGN.md §9): set only in the config file's `networks`
    /// array, and then instead of `keys.*`, `vault.path` and `notify.urgent_command`. Empty: the
    /// intake serves the one network those keys describe.
    public var networks: [NetworkSetting] = []

    public init() {}

    /// Reads a JSON config file strictly: an unknown key is an error naming it, so a typo never
    /// silently leaves a default in place. Every key is a row of `IntakeSetting.all`.
    public init(jsonFile path: String) throws(ConfigurationError) {
        guard let data = FileManager.default.contents(atPath: path) else { throw .unreadable(path) }
        guard data.count <= 64 * 1024 else { throw .invalid(path, L("file is larger than 64 KiB")) }
        let json: JSONValue
        do { json = try JSONValue.parse(Array(data)) } catch { throw .invalid(path, error.description) }
        guard case .object(let sections) = json else { throw .invalid(path, L("top level must be an object")) }
        self.init()
        for (section, value) in sections {
            if section == "networks" {
                networks = try NetworkSetting.parse(value, source: path)
                continue
            }
            guard case .object(let members) = value else { throw .invalid(path, L("`{section}` must be an object", ["section": "\(section)"])) }
            for (name, v) in members {
                let key = "\(section).\(name)"
                guard let setting = IntakeSetting.named(key) else { throw .invalid(path, L("unknown key `{key}`", ["key": "\(key)"])) }
                // A config file is copied, shown and committed: the database password lives elsewhere.
                if key == "vault.password" {
                    throw .invalid(path, L("`vault.password` is not read from the config file: use vault.password_file (mode 0600) or RESGUARDO_INTAKE_VAULT_PASSWORD"))
                }
                try setting.apply(.json(v), to: &self, source: path)
            }
        }
    }

    /// The environment layer: `RESGUARDO_INTAKE_HTTP_PORT=443` sets `http.port`, and so on for
    /// every key (dots become underscores, letters upper case). An unknown `RESGUARDO_INTAKE_…`
    /// name is an error, as an unknown key in the file is.
    public mutating func applyEnvironment(_ environment: [String: String]) throws(ConfigurationError) {
        for (name, value) in environment where name.hasPrefix(IntakeSetting.environmentPrefix) {
            guard let setting = IntakeSetting.all.first(where: { $0.environmentName == name }) else {
                throw .invalid(L("the environment"), L("unknown variable `{name}` (see resguardo-intake serve --help)", ["name": "\(name)"]))
            }
            try setting.apply(.text(value), to: &self, source: "the environment")
        }
    }

    /// A value given on the command line for `key`, checked by the same rule as the file's.
    public mutating func set(_ key: String, text: String, flag: String) throws(ConfigurationError) {
        guard let setting = IntakeSetting.named(key) else { throw .invalid(flag, L("no configuration key `{key}`", ["key": "\(key)"])) }
        try setting.apply(.text(text), to: &self, source: flag)
    }

    /// Checks what must be present before serving.
    public func validated() throws(ConfigurationError) -> IntakeConfiguration {
        if certificatePath.isEmpty { throw .missing("tls.certificate", flag: "--certificate") }
        if privateKeyPath.isEmpty { throw .missing("tls.key", flag: "--private-key") }
        if !onionListen.isEmpty { _ = try OnionListen(onionListen) }
        guard ["none", "haproxy"].contains(onionCircuitIds) else {
            throw .invalid("onion.circuit_ids", L("is `haproxy` (the torrc says HiddenServiceExportCircuitID haproxy) or `none`, not `{onion_circuit_ids}`", ["onion_circuit_ids": "\(onionCircuitIds)"]))
        }
        if !onionStatusSocket.isEmpty, !(onionStatusSocket.hasPrefix("unix:/")) {
            throw .invalid("onion.status_socket", L("the onion status is answered on a Unix socket only: unix:/run/resguardo/onion-status.sock"))
        }
        if !vaultURL.isEmpty {
            if vaultPath != IntakeConfiguration().vaultPath { throw .invalid("vault", L("give vault.url or vault.path, not both")) }
            do { _ = try PostgresVaultURL(vaultURL) } catch { throw .invalid("vault", error.description) }
        }
        // Intakes sharing a PostgreSQL vault (behind one name, one balancer) must accept each
        // other's tokens: the MAC key is shared by configuration.
        let sharedVault = !vaultURL.isEmpty || networks.contains { $0.vaultPath.hasPrefix("postgres") }
        if sharedVault && powMaxDifficulty > 0 && powKeyFile.isEmpty {
            throw .invalid("pow", L("a PostgreSQL vault is shared by several intakes: set pow.key_file (64 hex digits, the same file on every intake) so a challenge from one is good on the others"))
        }
        if !networks.isEmpty {
            try NetworkSetting.check(networks, alongside: self)
            return self
        }
        if manifestPath.isEmpty { throw .missing("keys.manifest", flag: "--manifest") }
        if signingKeyFingerprint == nil { throw .missing("keys.fingerprint", flag: "--fingerprint") }
        return self
    }
}

/// One network of a several-network intake: what the `networks` array of the config file says
/// of it. Each has its own manifest, pinned fingerprint, vault and notification command, so
/// nothing of one network is stored in, exported from or purged with another's files.
public struct NetworkSetting: Sendable, Equatable {
    public var id: NetworkId
    public var name: String
    /// ISO 3166-1 alpha-2 codes of the countries whose reports it receives.
    public var countries: [String]
    public var manifestPath: String
    public var fingerprint: SigningKeyFingerprint
    public var vaultPath: String
    public var urgentCommand: [String]

    public init(id: NetworkId, name: String, countries: [String], manifestPath: String, fingerprint: SigningKeyFingerprint,
                vaultPath: String, urgentCommand: [String] = []) {
        self.id = id
        self.name = name
        self.countries = countries
        self.manifestPath = manifestPath
        self.fingerprint = fingerprint
        self.vaultPath = vaultPath
        self.urgentCommand = urgentCommand
    }

    static let members = ["id", "name", "countries", "manifest", "fingerprint", "vault", "notify_command"]

    /// `"networks": [{"id": "mx", "name": "…", "countries": ["MX"], "manifest": "…",
    /// "fingerprint": "…", "vault": "…", "notify_command": ["/usr/local/bin/avisar"]}]`; every
    /// member but `notify_command` is required and an unknown one is an error.
    static func parse(_ value: JSONValue, source: String) throws(ConfigurationError) -> [NetworkSetting] {
        guard case .array(let items) = value, !items.isEmpty else {
            throw .invalid(source, L("`networks` must be a non-empty array of objects (id, name, countries, manifest, fingerprint, vault)"))
        }
        var result: [NetworkSetting] = []
        for (index, item) in items.enumerated() {
            let at = "networks[\(index)]"
            guard case .object(let members) = item else { throw .invalid(source, L("`{at}` must be an object", ["at": "\(at)"])) }
            for (name, _) in members where !Self.members.contains(name) {
                throw .invalid(source, L("unknown key `{at}.{name}` (known: {value})", ["at": "\(at)", "name": "\(name)", "value": "\(Self.members.joined(separator: ", "))"]))
            }
            func string(_ name: String) throws(ConfigurationError) -> String {
                guard case .string(let s)? = item[name], !s.isEmpty else { throw .invalid(source, L("`{at}.{name}` must be a non-empty string", ["at": "\(at)", "name": "\(name)"])) }
                return s
            }
            guard let id = NetworkId(try string("id")) else { throw .invalid(source, L("`{at}.id` must be {rule}", ["at": "\(at)", "rule": "\(NetworkId.rule)"])) }
            guard let fingerprint = SigningKeyFingerprint(text: try string("fingerprint")) else {
                throw .invalid(source, L("`{at}.fingerprint` is not a signing-key fingerprint (32 hex digits, e.g. \"a036 5677 …\")", ["at": "\(at)"]))
            }
            guard case .array(let list)? = item["countries"], !list.isEmpty else {
                throw .invalid(source, L("`{at}.countries` must be a non-empty array of country codes (e.g. [\"MX\"])", ["at": "\(at)"]))
            }
            var countries: [String] = []
            for c in list {
                guard case .string(let code) = c, Vocabulary.countries.contains(code) else {
                    throw .invalid(source, L("`{at}.countries` holds `{value}`; known countries: {value2}", ["at": "\(at)", "value": "\(String(decoding: c.serialized(), as: UTF8.self))", "value2": "\(Vocabulary.countries.codes.joined(separator: ", "))"]))
                }
                countries.append(code)
            }
            var command: [String] = []
            if let notify = item["notify_command"] {
                guard case .array(let parts) = notify, !parts.isEmpty else { throw .invalid(source, L("`{at}.notify_command` must be a non-empty array of strings", ["at": "\(at)"])) }
                for p in parts {
                    guard case .string(let s) = p, !s.isEmpty else { throw .invalid(source, L("`{at}.notify_command` must hold only non-empty strings", ["at": "\(at)"])) }
                    command.append(s)
                }
                guard command[0].hasPrefix("/") else { throw .invalid(source, L("`{at}.notify_command` must start with an absolute program path", ["at": "\(at)"])) }
            }
            result.append(NetworkSetting(id: id, name: try string("name"), countries: countries, manifestPath: try string("manifest"),
                                         fingerprint: fingerprint, vaultPath: try string("vault"), urgentCommand: command))
        }
        return result
    }

    /// What must hold among the networks: distinct ids, countries, vaults and manifests, and no
    /// single-network key beside them (which network would it be?).
    public static func check(_ networks: [NetworkSetting], alongside configuration: IntakeConfiguration) throws(ConfigurationError) {
        let source = "networks"
        if !configuration.manifestPath.isEmpty || configuration.signingKeyFingerprint != nil || !configuration.urgentCommand.isEmpty
            || configuration.vaultPath != IntakeConfiguration().vaultPath {
            throw .invalid(source, L("with `networks`, each network names its own manifest, fingerprint, vault and notify_command: remove keys.manifest, keys.fingerprint, vault.path and notify.urgent_command"))
        }
        func distinct(_ what: String, _ values: [String]) throws(ConfigurationError) {
            var seen = Set<String>()
            for v in values where !seen.insert(v).inserted { throw .invalid(source, L("two networks share the {what} `{v}`", ["what": "\(what)", "v": "\(v)"])) }
        }
        try distinct("id", networks.map(\.id.text))
        try distinct("country", networks.flatMap(\.countries))
        // Compared where they really are, not as spelled (review N8).
        try distinct("vault", networks.map { (try? VaultLocation($0.vaultPath))?.identity ?? $0.vaultPath })
        try distinct("manifest", networks.map(\.manifestPath))
        try distinct("fingerprint", networks.map(\.fingerprint.description))
    }
}

/// One configuration key: its name in the file, its environment variable, what it takes, its
/// default and what it means. The JSON parser, the environment layer, the flags' checks and the
/// list in `serve --help` all come from `IntakeSetting.all`: a key is added in one place.
public struct IntakeSetting: Sendable {
    enum Value { case json(JSONValue), text(String) }
    enum Kind: Sendable {
        case string(@Sendable (inout IntakeConfiguration, String) -> Void)
        case int(ClosedRange<Int>, @Sendable (inout IntakeConfiguration, Int) -> Void)
        case fingerprint(@Sendable (inout IntakeConfiguration, SigningKeyFingerprint) -> Void)
        /// A program and its arguments (JSON: an array; a flag or variable: the program alone).
        case command(@Sendable (inout IntakeConfiguration, [String]) -> Void)
    }

    public let key: String
    public let defaultText: String
    public let help: String
    let kind: Kind

    static let environmentPrefix = "RESGUARDO_INTAKE_"
    public var environmentName: String { Self.environmentPrefix + key.uppercased().replacingOccurrences(of: ".", with: "_") }

    static func named(_ key: String) -> IntakeSetting? { all.first { $0.key == key } }

    func apply(_ value: Value, to configuration: inout IntakeConfiguration, source: String) throws(ConfigurationError) {
        func fail(_ why: String) -> ConfigurationError { .invalid(source, "`\(key)` \(why)") }
        // A string from the file, or the text of a flag or variable.
        var text: String? {
            switch value {
            case .json(.string(let s)), .text(let s): return s
            default: return nil
            }
        }
        switch kind {
        case .string(let assign):
            guard let text, !text.isEmpty else { throw fail(L("must be a non-empty string")) }
            assign(&configuration, text)
        case .int(let range, let assign):
            let number: Int?
            switch value {
            case .json(let v): number = v.intValue
            case .text(let s): number = Int(s)
            }
            guard let n = number else { throw fail(L("must be an integer")) }
            guard range.contains(n) else { throw fail(L("is {n}; it must be between {lower_bound} and {upper_bound}", ["n": "\(n)", "lower_bound": "\(range.lowerBound)", "upper_bound": "\(range.upperBound)"])) }
            assign(&configuration, n)
        case .fingerprint(let assign):
            guard let text, let f = SigningKeyFingerprint(text: text) else {
                throw fail(L("is not a signing-key fingerprint (32 hex digits, e.g. \"a036 5677 …\")"))
            }
            assign(&configuration, f)
        case .command(let assign):
            var parts: [String] = []
            switch value {
            case .json(.array(let items)):
                for item in items {
                    guard case .string(let s) = item, !s.isEmpty else { throw fail(L("must hold only non-empty strings")) }
                    parts.append(s)
                }
            case .text(let s) where !s.isEmpty: parts = [s]
            default: throw fail(L("must be a non-empty array of strings (the program, then its arguments)"))
            }
            guard let program = parts.first, program.hasPrefix("/") else {
                throw fail(L("must start with an absolute program path, not `{value}`", ["value": "\(parts.first ?? "")"]))
            }
            assign(&configuration, parts)
        }
    }

    /// `key default — meaning` lines for `serve --help`.
    public static var helpText: String { helpText { $0 } }

    /// The keys' list for `serve --help`, with each text passed through `translate` (the staff
    /// catalog: scripts/gen-catalog extracts these `help:` literals, and the `defaultText:` ones
    /// that are words rather than a value).
    public static func helpText(_ translate: (String) -> String) -> String {
        let line = translate("{key} ({variable}): {help}; default {default}")
        return all.map { setting in
            line.replacingOccurrences(of: "{key}", with: setting.key).replacingOccurrences(of: "{variable}", with: setting.environmentName)
                .replacingOccurrences(of: "{help}", with: translate(setting.help))
                .replacingOccurrences(of: "{default}", with: setting.defaultText.contains(" ") || setting.defaultText.hasPrefix("none") ? translate(setting.defaultText) : setting.defaultText)
        }.joined(separator: "\n")
    }

    public static let all: [IntakeSetting] = [
        .init(key: "http.host", defaultText: "127.0.0.1", help: "address to listen on", kind: .string { $0.host = $1 }),
        .init(key: "http.port", defaultText: "8443", help: "TCP port (0 picks a free one)", kind: .int(0...65535) { $0.port = $1 }),
        .init(key: "http.threads", defaultText: "0", help: "event-loop threads, 0 for one per core (several intakes on one host: cores ÷ intakes each)",
              kind: .int(0...1024) { $0.threads = $1 }),
        .init(key: "tls.certificate", defaultText: "none (required)", help: "PEM certificate chain", kind: .string { $0.certificatePath = $1 }),
        .init(key: "tls.key", defaultText: "none (required)", help: "PEM private key", kind: .string { $0.privateKeyPath = $1 }),
        .init(key: "vault.path", defaultText: "vault.sqlite", help: "SQLite vault file", kind: .string { $0.vaultPath = $1 }),
        .init(key: "vault.url", defaultText: "none",
              help: "shared PostgreSQL vault instead of vault.path: postgres://USER@HOST:PORT/DB?sslmode=verify-full&sslrootcert=CA.pem or postgres:///DB?host=/run/postgresql&user=USER (no password in the URL)",
              kind: .string { $0.vaultURL = $1 }),
        .init(key: "vault.commit_window_ms", defaultText: "500",
              help: "PostgreSQL vault: a commit gathers the submissions of this many milliseconds, so the database's log dates each only to the window (a submission's answer waits up to twice this: its token spend, then its row; 0: commit at once)",
              kind: .int(0...10_000) { $0.vaultCommitWindowMilliseconds = $1 }),
        .init(key: "vault.password_file", defaultText: "none", help: "file holding the database password (mode 0600; one line)", kind: .string { $0.vaultPasswordFile = $1 }),
        .init(key: "vault.password", defaultText: "none", help: "the database password, from the environment only (never the config file)",
              kind: .string { $0.vaultPassword = $1 }),
        .init(key: "keys.manifest", defaultText: "none (required)", help: "signed key manifest served at GET /v1/keys", kind: .string { $0.manifestPath = $1 }),
        .init(key: "keys.fingerprint", defaultText: "none (required)",
              help: "the organisation's signing-key fingerprint; a manifest signed by any other key is refused", kind: .fingerprint { $0.signingKeyFingerprint = $1 }),
        .init(key: "limits.max_body_bytes", defaultText: "\(Envelope.maxByteCount)", help: "larger bodies get 413 (61 + 16 MiB: the largest envelope)",
              kind: .int(Envelope.overheadByteCount + Bucket.smallest.byteCount...Envelope.maxByteCount) { $0.maxBodyBytes = $1 }),
        .init(key: "limits.max_connections", defaultText: "1024", help: "connections beyond this are closed at once", kind: .int(1...1_000_000) { $0.maxConnections = $1 }),
        .init(key: "limits.header_timeout_seconds", defaultText: "10", help: "time to complete the TLS handshake and send the request head",
              kind: .int(1...3600) { $0.headerTimeoutSeconds = $1 }),
        .init(key: "limits.body_timeout_seconds", defaultText: "300", help: "time to send the whole body once the head has arrived",
              kind: .int(1...86_400) { $0.bodyTimeoutSeconds = $1 }),
        .init(key: "limits.idle_timeout_seconds", defaultText: "30", help: "keep-alive connections idle longer are closed", kind: .int(1...3600) { $0.idleTimeoutSeconds = $1 }),
        .init(key: "pow.difficulty", defaultText: "8", help: "proof-of-work bits asked while calm (0: none while calm)", kind: .int(0...32) { $0.powDifficulty = $1 }),
        .init(key: "pow.max_difficulty", defaultText: "16",
              help: "the most it rises to under load, one bit per doubling of accepted submissions above pow.calm_per_minute", kind: .int(0...32) { $0.powMaxDifficulty = $1 }),
        .init(key: "pow.calm_per_minute", defaultText: "120", help: "accepted submissions a minute below which the floor is asked",
              kind: .int(1...1_000_000) { $0.powCalmPerMinute = $1 }),
        .init(key: "pow.key_file", defaultText: "a random key per start",
              help: "proof-of-work MAC key, 64 hex digits (openssl rand -hex 32), the same file on every intake of a shared vault", kind: .string { $0.powKeyFile = $1 }),
        .init(key: "pow.token_lifetime_seconds", defaultText: "600", help: "how long a challenge token can be used", kind: .int(10...86_400) { $0.powTokenLifetimeSeconds = $1 }),
        .init(key: "web.tweetnacl", defaultText: WebAssets.defaultTweetNaClPath, help: "tweetnacl served to the form (Debian node-tweetnacl)",
              kind: .string { $0.tweetNaClPath = $1 }),
        .init(key: "web.catalogs", defaultText: "none", help: "folder of more translation catalogs (LANG.po, from docs/translating.md); a language is served only when its security texts are all translated",
              kind: .string { $0.catalogsFolder = $1 }),
        .init(key: "web.form_per_minute", defaultText: "60", help: "no-JavaScript submissions accepted per minute on the HTTPS side, all clients together",
              kind: .int(1...100_000) { $0.formSubmissionsPerMinute = $1 }),
        .init(key: "onion.form_per_minute", defaultText: "60", help: "no-JavaScript submissions accepted per minute on the onion side, a pool apart from the HTTPS side's",
              kind: .int(1...100_000) { $0.onionFormSubmissionsPerMinute = $1 }),
        .init(key: "onion.circuit_ids", defaultText: "none",
              help: "haproxy: the torrc has HiddenServiceExportCircuitID haproxy, and each tor circuit gets onion.form_per_circuit no-JavaScript submissions per 10 minutes (a connection without tor's line is closed)",
              kind: .string { $0.onionCircuitIds = $1 }),
        .init(key: "onion.form_per_circuit", defaultText: "3", help: "no-JavaScript submissions one tor circuit may make per 10 minutes (with onion.circuit_ids haproxy)",
              kind: .int(1...1000) { $0.onionFormPerCircuit = $1 }),
        .init(key: "notify.urgent_command", defaultText: "none",
              help: "program (and its arguments) run when an urgent report is stored; it gets no content, no identifier, an empty environment", kind: .command { $0.urgentCommand = $1 }),
        .init(key: "notify.urgent_min_interval_seconds", defaultText: "60", help: "at most one run per interval; urgent reports in between are announced by the next run",
              kind: .int(1...86_400) { $0.urgentMinIntervalSeconds = $1 }),
        .init(key: "onion.listen", defaultText: "none", help: "the onion side: plain HTTP on 127.0.0.1:PORT, [::1]:PORT or unix:/path (loopback only), for the local tor's HiddenServicePort",
              kind: .string { $0.onionListen = $1 }),
        .init(key: "onion.address", defaultText: "none", help: "the service's .onion name: pages on the HTTPS side send Onion-Location", kind: .string { $0.onionAddress = $1 }),
        .init(key: "onion.hostname_file", defaultText: "none", help: "tor's HiddenServiceDir/hostname, read at start-up when onion.address is not set",
              kind: .string { $0.onionHostnameFile = $1 }),
        .init(key: "onion.status_socket", defaultText: "none", help: "unix:/path (in a 0700 folder): GET /healthz there says whether tor holds the onion's descriptor and when it was last uploaded; the public /healthz says only ok",
              kind: .string { $0.onionStatusSocket = $1 }),
        .init(key: "onion.control", defaultText: "none", help: "tor's control port (127.0.0.1:PORT or unix:/path; loopback only), or better the socket of `resguardo-intake tor-control-filter`: the status socket says when the descriptor was last uploaded",
              kind: .string { $0.onionControl = $1 }),
        .init(key: "onion.control_cookie", defaultText: "none", help: "tor's control_auth_cookie file (CookieAuthentication 1); leave out behind tor-control-filter, which holds it", kind: .string { $0.onionControlCookie = $1 }),
        .init(key: "log.counters_interval_seconds", defaultText: "86400",
              help: "how often the request and failure totals are logged (a log collector timestamps each line: this is the finest time it learns)",
              kind: .int(3600...604_800) { $0.countersIntervalSeconds = $1 }),
    ]
}

public enum ConfigurationError: Error, Equatable, CustomStringConvertible {
    case unreadable(String)
    case invalid(String, String)
    case missing(String, flag: String)
    /// A file the intake needs at start-up (not the config file itself).
    case missingFile(String, hint: String)

    public var description: String {
        switch self {
        case .unreadable(let path): return L("cannot read config file {path}", ["path": path])
        case .invalid(let path, let why): return L("config file {path}: {why}", ["path": path, "why": why])
        case .missing(let key, let flag): return L("no `{key}` given (set it in the config file or with {flag})", ["key": key, "flag": flag])
        case .missingFile(let what, let hint): return L("cannot read {what} ({hint})", ["what": what, "hint": hint])
        }
    }
}
