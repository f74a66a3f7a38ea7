public import Sodium

/// Recovery file v1 (docs/formats.md §18): every secret key of a key directory, each sealed on
/// its own to the directory's recovery public key, with the signed manifest and what the shares
/// of the recovery secret look like. It opens only with the recovery secret (rebuilt from
/// SLIP-0039 shares), so it may be kept anywhere, even online; adding a key seals one more entry
/// with the public key alone, so `key rotate` needs no share.
///
///     {"format": "resguardo-recovery", "version": 1, "organisation": "…",
///      "recovery_key": "<base64 X25519>", "manifest": "<base64 of manifest.json>",
///      "custody": null | {"set": 1234, "group_threshold": 1, "split_day": "2026-12-02",
///                         "groups": [{"name": "staff", "threshold": 2, "count": 3}]},
///      "entries": [{"name": "signing.key", "kind": "manifest_signing",
///                   "public_key": "<base64>", "sealed": "<base64 crypto_box_seal of the secret>"}]}
public struct RecoveryFile: Sendable {
    public static let format = "resguardo-recovery"
    public static let maxByteCount = 1 << 20

    public enum Kind: String, Sendable, CaseIterable {
        case encryption
        case manifestSigning = "manifest_signing"
        case replySigning = "reply_signing"
        /// A workspace's pseudonym key: registry pseudonyms stay the same after a recovery.
        case pseudonym
    }

    public struct Entry: Sendable {
        public let name: String
        public let kind: Kind
        public let publicKey: [UInt8]
        let sealed: [UInt8]
    }

    /// What a split made: public facts about the shares (the set's identifier, the groups).
    public struct Custody: Sendable, Equatable {
        public struct Group: Sendable, Equatable {
            public let name: String
            public let threshold: Int
            public let count: Int
            public init(name: String, threshold: Int, count: Int) {
                self.name = name
                self.threshold = threshold
                self.count = count
            }
        }
        public let set: Int
        public let groupThreshold: Int
        public let groups: [Group]
        public let splitDay: CalendarDay
        public init(set: Int, groupThreshold: Int, groups: [Group], splitDay: CalendarDay) {
            self.set = set
            self.groupThreshold = groupThreshold
            self.groups = groups
            self.splitDay = splitDay
        }
    }

    public var organisation: String
    public let recoveryKey: SealPublicKey
    public var manifest: [UInt8]
    public var custody: Custody?
    public private(set) var entries: [Entry]

    public init(organisation: String, recoveryKey: SealPublicKey, manifest: [UInt8]) {
        self.organisation = organisation
        self.recoveryKey = recoveryKey
        self.manifest = manifest
        custody = nil
        entries = []
    }

    /// Seals one more secret (or replaces the entry of the same name) with the public key alone.
    public mutating func add(name: String, kind: Kind, publicKey: [UInt8], secret: SecureBytes) throws(SodiumError) {
        let sealed = try SealedBox.seal(secret, to: recoveryKey)
        entries.removeAll { $0.name == name }
        entries.append(Entry(name: name, kind: kind, publicKey: publicKey, sealed: sealed))
    }

    /// Every entry opened with the recovery secret; a file sealed to another key opens nothing.
    public func open(with key: SealSecretKey) throws(RecoveryFileError) -> [(entry: Entry, secret: SecureBytes)] {
        guard ConstantTime.equals(key.publicKey.bytes, recoveryKey.bytes) else { throw .wrongRecoveryKey }
        return try entries.map { (e) throws(RecoveryFileError) in
            do { return (e, try SealedBox.open(e.sealed, with: key)) } catch { throw .entryDoesNotOpen(e.name) }
        }
    }

    public var bytes: [UInt8] {
        let custodyValue: JSONValue = custody.map { c in
            .object([("set", .int(c.set)), ("group_threshold", .int(c.groupThreshold)), ("split_day", .string(c.splitDay.description)),
                     ("groups", .array(c.groups.map { .object([("name", .string($0.name)), ("threshold", .int($0.threshold)), ("count", .int($0.count))]) }))])
        } ?? .null
        return JSONValue.object([
            ("format", .string(Self.format)), ("version", .int(1)), ("organisation", .string(organisation)),
            ("recovery_key", .string(Encoding.base64(recoveryKey.bytes))), ("manifest", .string(Encoding.base64(manifest))), ("custody", custodyValue),
            ("entries", .array(entries.map { e in
                .object([("name", .string(e.name)), ("kind", .string(e.kind.rawValue)), ("public_key", .string(Encoding.base64(e.publicKey))),
                         ("sealed", .string(Encoding.base64(e.sealed)))])
            })),
        ]).serialized() + [0x0A]
    }

    public init(bytes: [UInt8]) throws(RecoveryFileError) {
        guard bytes.count <= Self.maxByteCount else { throw .malformed("larger than 1 MiB") }
        let json: JSONValue
        do { json = try JSONValue.parse(bytes) } catch { throw .malformed("not JSON: \(error)") }
        guard case .string(Self.format)? = json["format"], json["version"]?.intValue == 1 else {
            throw .malformed("not a recovery file v1 (`format` must be \"\(Self.format)\", `version` 1)")
        }
        func base64(_ v: JSONValue?, _ what: String) throws(RecoveryFileError) -> [UInt8] {
            guard case .string(let s)? = v, let b = Encoding.bytes(fromBase64: s) else { throw .malformed("`\(what)` must be base64") }
            return b
        }
        guard case .string(let organisation)? = json["organisation"] else { throw .malformed("`organisation` must be a string") }
        let key: SealPublicKey
        do { key = try SealPublicKey(bytes: try base64(json["recovery_key"], "recovery_key")) } catch let e as RecoveryFileError { throw e } catch {
            throw .malformed("`recovery_key` is not an X25519 public key")
        }
        self.init(organisation: organisation, recoveryKey: key, manifest: try base64(json["manifest"], "manifest"))
        switch json["custody"] {
        case nil, .null?: custody = nil
        case let c?:
            guard let set = c["set"]?.intValue, let threshold = c["group_threshold"]?.intValue, case .string(let day)? = c["split_day"],
                  let splitDay = CalendarDay(day), case .array(let groups)? = c["groups"] else { throw .malformed("`custody` is incomplete") }
            var list: [Custody.Group] = []
            for g in groups {
                guard case .string(let name)? = g["name"], let t = g["threshold"]?.intValue, let n = g["count"]?.intValue else { throw .malformed("a custody group is incomplete") }
                list.append(.init(name: name, threshold: t, count: n))
            }
            custody = Custody(set: set, groupThreshold: threshold, groups: list, splitDay: splitDay)
        }
        guard case .array(let items)? = json["entries"] else { throw .malformed("`entries` must be an array") }
        for item in items {
            guard case .string(let name)? = item["name"], case .string(let k)? = item["kind"], let kind = Kind(rawValue: k) else {
                throw .malformed("an entry needs a name and a kind (\(Kind.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            entries.append(Entry(name: name, kind: kind, publicKey: try base64(item["public_key"], "public_key"), sealed: try base64(item["sealed"], "sealed")))
        }
    }
}

public enum RecoveryFileError: Error, Equatable, CustomStringConvertible {
    case malformed(String)
    case wrongRecoveryKey
    case entryDoesNotOpen(String)

    public var description: String {
        switch self {
        case .malformed(let why): return L("not a valid recovery file: {why}", ["why": "\(why)"])
        case .wrongRecoveryKey: return L("the shares give a recovery key that is not this recovery file's: they belong to another key directory or another split")
        case .entryDoesNotOpen(let name): return L("the recovery file's entry {name} does not open: the file was altered or damaged", ["name": "\(name)"])
        }
    }
}
