public import Formats
import Foundation

/// Everything `resguardo-intake serve` can be told, read once into typed values. Precedence:
/// command-line flags, then the JSON config file, then these defaults.
///
/// JSON keys (all optional):
///
/// | key | default | meaning |
/// |---|---|---|
/// | `http.host` | `127.0.0.1` | address to listen on |
/// | `http.port` | `8443` | TCP port |
/// | `tls.certificate` | — (required) | PEM certificate chain |
/// | `tls.key` | — (required) | PEM private key |
/// | `vault.path` | `vault.sqlite` | SQLite vault file |
/// | `keys.manifest` | — (required) | signed key manifest served at `GET /v1/keys` |
/// | `keys.fingerprint` | — (required) | the organisation's signing-key fingerprint (`a036 5677 …`): a manifest signed by any other key is refused |
/// | `limits.max_body_bytes` | 16,777,277 | larger bodies get 413 (61 + 16 MiB: the largest envelope) |
/// | `limits.max_connections` | 1024 | connections beyond this are closed at once |
/// | `limits.header_timeout_seconds` | 10 | time to send the request head (and to complete the TLS handshake) |
/// | `limits.body_timeout_seconds` | 300 | time to send the whole body once the head has arrived |
/// | `limits.idle_timeout_seconds` | 30 | keep-alive connections idle longer are closed |
/// | `pow.difficulty` | 8 | leading zero bits asked of a proof of work while all is calm (0 = none while calm) |
/// | `pow.max_difficulty` | 16 | the most it rises to under load (one bit per doubling of accepted submissions above `pow.calm_per_minute`) |
/// | `pow.calm_per_minute` | 120 | accepted submissions a minute below which the floor is asked |
/// | `pow.token_lifetime_seconds` | 600 | how long a challenge token can be used |
/// | `web.tweetnacl` | `/usr/share/nodejs/tweetnacl/nacl-fast.min.js` | tweetnacl served to the form (Debian `node-tweetnacl`) |
/// | `web.form_per_minute` | 60 | no-JavaScript submissions sealed by the intake per minute, all clients together |
/// | `notify.urgent_command` | none | program (and its arguments) run when an urgent report arrives; it gets no content, no identifier, an empty environment |
/// | `log.counters_interval_seconds` | 86400 | how often the totals of the request and failure counters are written (the only log lines besides start, stop and the first failure of each class); a log collector timestamps each line, so this is the finest time it learns |
/// | `notify.urgent_min_interval_seconds` | 60 | at most one run per interval; urgent reports in between are announced by the next run |
public struct IntakeConfiguration: Sendable, Equatable {
    public var host = "127.0.0.1"
    public var port = 8443
    public var certificatePath = ""
    public var privateKeyPath = ""
    public var vaultPath = "vault.sqlite"
    public var manifestPath = ""
    /// Pinned out of band, as every client pins it: the intake trusts no manifest it is merely given.
    public var signingKeyFingerprint: SigningKeyFingerprint?
    public var maxBodyBytes = Envelope.maxByteCount
    public var maxConnections = 1024
    public var headerTimeoutSeconds = 10
    public var bodyTimeoutSeconds = 300
    public var idleTimeoutSeconds = 30
    public var powDifficulty = 8
    public var powMaxDifficulty = 16
    public var powCalmPerMinute = 120
    public var powTokenLifetimeSeconds = 600
    public var tweetNaClPath = WebAssets.defaultTweetNaClPath
    public var formSubmissionsPerMinute = 60
    public var urgentCommand: [String] = []
    public var urgentMinIntervalSeconds = 60
    public var countersIntervalSeconds = 86_400

    public init() {}

    /// Reads a JSON config file strictly: an unknown key is an error naming it, so a typo never
    /// silently leaves a default in place.
    public init(jsonFile path: String) throws(ConfigurationError) {
        guard let data = FileManager.default.contents(atPath: path) else { throw .unreadable(path) }
        guard data.count <= 64 * 1024 else { throw .invalid(path, "file is larger than 64 KiB") }
        let json: JSONValue
        do { json = try JSONValue.parse(Array(data)) } catch { throw .invalid(path, error.description) }
        guard case .object(let sections) = json else { throw .invalid(path, "top level must be an object") }
        self.init()
        for (section, value) in sections {
            guard case .object(let members) = value else { throw .invalid(path, "`\(section)` must be an object") }
            for (name, v) in members {
                let key = "\(section).\(name)"
                switch key {
                case "http.host": host = try Self.string(v, key, path)
                case "http.port": port = try Self.int(v, key, path, 1...65535)
                case "tls.certificate": certificatePath = try Self.string(v, key, path)
                case "tls.key": privateKeyPath = try Self.string(v, key, path)
                case "vault.path": vaultPath = try Self.string(v, key, path)
                case "keys.manifest": manifestPath = try Self.string(v, key, path)
                case "keys.fingerprint": signingKeyFingerprint = try Self.fingerprint(v, key, path)
                case "limits.max_body_bytes": maxBodyBytes = try Self.int(v, key, path, Envelope.overheadByteCount + Bucket.smallest.byteCount...Envelope.maxByteCount)
                case "limits.max_connections": maxConnections = try Self.int(v, key, path, 1...1_000_000)
                case "limits.header_timeout_seconds": headerTimeoutSeconds = try Self.int(v, key, path, 1...3600)
                case "limits.body_timeout_seconds": bodyTimeoutSeconds = try Self.int(v, key, path, 1...86_400)
                case "limits.idle_timeout_seconds": idleTimeoutSeconds = try Self.int(v, key, path, 1...3600)
                case "pow.difficulty": powDifficulty = try Self.int(v, key, path, 0...32)
                case "pow.max_difficulty": powMaxDifficulty = try Self.int(v, key, path, 0...32)
                case "pow.calm_per_minute": powCalmPerMinute = try Self.int(v, key, path, 1...1_000_000)
                case "pow.token_lifetime_seconds": powTokenLifetimeSeconds = try Self.int(v, key, path, 10...86_400)
                case "web.tweetnacl": tweetNaClPath = try Self.string(v, key, path)
                case "web.form_per_minute": formSubmissionsPerMinute = try Self.int(v, key, path, 1...100_000)
                case "notify.urgent_command": urgentCommand = try Self.strings(v, key, path)
                case "notify.urgent_min_interval_seconds": urgentMinIntervalSeconds = try Self.int(v, key, path, 1...86_400)
                case "log.counters_interval_seconds": countersIntervalSeconds = try Self.int(v, key, path, 3600...604_800)
                default: throw .invalid(path, "unknown key `\(key)`")
                }
            }
        }
    }

    /// Checks what must be present before serving.
    public func validated() throws(ConfigurationError) -> IntakeConfiguration {
        if certificatePath.isEmpty { throw .missing("tls.certificate", flag: "--certificate") }
        if privateKeyPath.isEmpty { throw .missing("tls.key", flag: "--private-key") }
        if manifestPath.isEmpty { throw .missing("keys.manifest", flag: "--manifest") }
        if signingKeyFingerprint == nil { throw .missing("keys.fingerprint", flag: "--fingerprint") }
        return self
    }

    static func string(_ v: JSONValue, _ key: String, _ path: String) throws(ConfigurationError) -> String {
        guard case .string(let s) = v, !s.isEmpty else { throw .invalid(path, "`\(key)` must be a non-empty string") }
        return s
    }

    static func fingerprint(_ v: JSONValue, _ key: String, _ path: String) throws(ConfigurationError) -> SigningKeyFingerprint {
        let text = try string(v, key, path)
        guard let f = SigningKeyFingerprint(text: text) else {
            throw .invalid(path, "`\(key)` is not a signing-key fingerprint (32 hex digits, e.g. \"a036 5677 …\")")
        }
        return f
    }

    static func strings(_ v: JSONValue, _ key: String, _ path: String) throws(ConfigurationError) -> [String] {
        guard case .array(let items) = v, !items.isEmpty else { throw .invalid(path, "`\(key)` must be a non-empty array of strings (the program, then its arguments)") }
        var out: [String] = []
        for item in items {
            guard case .string(let s) = item, !s.isEmpty else { throw .invalid(path, "`\(key)` must hold only non-empty strings") }
            out.append(s)
        }
        guard out[0].hasPrefix("/") else { throw .invalid(path, "`\(key)` must start with an absolute program path, not `\(out[0])`") }
        return out
    }

    static func int(_ v: JSONValue, _ key: String, _ path: String, _ range: ClosedRange<Int>) throws(ConfigurationError) -> Int {
        guard let n = v.intValue else { throw .invalid(path, "`\(key)` must be an integer") }
        guard range.contains(n) else { throw .invalid(path, "`\(key)` is \(n); it must be between \(range.lowerBound) and \(range.upperBound)") }
        return n
    }
}

public enum ConfigurationError: Error, Equatable, CustomStringConvertible {
    case unreadable(String)
    case invalid(String, String)
    case missing(String, flag: String)
    /// A file the intake needs at start-up (not the config file itself).
    case missingFile(String, hint: String)

    public var description: String {
        switch self {
        case .unreadable(let path): return "cannot read config file \(path)"
        case .invalid(let path, let why): return "config file \(path): \(why)"
        case .missing(let key, let flag): return "no `\(key)` given (set it in the config file or with \(flag))"
        case .missingFile(let what, let hint): return "cannot read \(what) (\(hint))"
        }
    }
}
