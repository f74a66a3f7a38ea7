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
///                   "public_key": "<base64>", "sealed": "<base64 crypto_box_seal of the secret>"}],
///      "signature": "<base64 Ed25519, manifest-signing key, domain `recovery file`, over the entry list>"}
///
/// Sealing needs only the public recovery key, which anyone holding the file has: without the
/// signature, anyone could add an entry (review N3: a pseudonym key of his choosing, installed by
/// `recover`). The manifest-signing key signs the entry list, and `recover` checks it against the
/// pinned fingerprint before it opens anything.
public struct RecoveryFile: Sendable {
    public static let format = "resguardo-recovery"
    public static let maxByteCount = 1 << 20

    public enum Kind: String, Sendable, CaseIterable {
        case encryption
        case manifestSigning = "manifest_signing"
        case replySigning = "reply_signing"
        /// A workspace's pseudonym key (or the regional office's): registry pseudonyms stay the
        /// same after a recovery.
        case pseudonym
        /// The regional office's signing key (`scope: "region"` only).
        case regionSigning = "region_signing"
    }

    /// Whose keys the file holds: a network's key directory, or the regional office's folder
    /// (whose file has no manifest: `manifest` holds its `region-public.json`, and its entry list
    /// is signed by the regional signing key). Each scope has its own kinds, so a file cannot be
    /// recovered as the other.
    public enum Scope: String, Sendable {
        case network
        case region

        /// The kinds a file of this scope may hold.
        public var kinds: Set<Kind> {
            switch self {
            case .network: return [.encryption, .manifestSigning, .replySigning, .pseudonym]
            case .region: return [.encryption, .regionSigning, .pseudonym]
            }
        }
    }

    public struct Entry: Sendable {
        public let name: String
        public let kind: Kind
        /// The key's public half; for a pseudonym key (which has none) its check value.
        public let publicKey: [UInt8]
        let sealed: [UInt8]
    }

    /// Kinds a directory holds one of: a second one is an addition nobody made on purpose.
    static let singleKinds: Set<Kind> = [.manifestSigning, .replySigning, .pseudonym, .regionSigning]

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
    public let scope: Scope
    public let recoveryKey: SealPublicKey
    public var manifest: [UInt8]
    public var custody: Custody?
    public private(set) var entries: [Entry]
    /// Nil in a file written before entry lists were signed, and after `add` until `sign`.
    public private(set) var signature: [UInt8]?

    public init(organisation: String, scope: Scope = .network, recoveryKey: SealPublicKey, manifest: [UInt8]) {
        self.organisation = organisation
        self.scope = scope
        self.recoveryKey = recoveryKey
        self.manifest = manifest
        custody = nil
        entries = []
        signature = nil
    }

    /// Seals one more secret (or replaces the entry of the same name) with the public key alone.
    /// The entry list changed, so the signature goes until `sign` makes a new one.
    public mutating func add(name: String, kind: Kind, publicKey: [UInt8], secret: SecureBytes) throws(RecoveryFileError) {
        guard !name.isEmpty, !name.utf8.contains(0) else { throw .malformed(L("an entry name must be non-empty and contain no NUL")) }
        guard scope.kinds.contains(kind) else { throw .malformed(L("a {scope} recovery file holds no {kind} key", ["scope": scope.rawValue, "kind": kind.rawValue])) }
        if Self.singleKinds.contains(kind), entries.contains(where: { $0.kind == kind && $0.name != name }) {
            throw .duplicateKind(kind.rawValue)
        }
        let sealed: [UInt8]
        do { sealed = try SealedBox.seal(secret, to: recoveryKey) } catch { throw .malformed("\(error)") }
        entries.removeAll { $0.name == name }
        entries.append(Entry(name: name, kind: kind, publicKey: publicKey, sealed: sealed))
        signature = nil
    }

    /// What the manifest-signing key signs: the recovery key, then per entry its name, kind, hex
    /// public key and hex BLAKE2b-256 of the sealed part, each ended by a zero byte (names and
    /// kinds hold none, hex holds none, so the list reads back one way only).
    public func signedContent() throws(SodiumError) -> [UInt8] {
        var out = recoveryKey.bytes
        for e in entries {
            let digest = try GenericHash.hash(e.sealed, outputByteCount: 32)
            for field in [Array(e.name.utf8), Array(e.kind.rawValue.utf8), Array(Encoding.hex(e.publicKey).utf8), Array(Encoding.hex(digest).utf8)] {
                out += field + [0]
            }
        }
        return out
    }

    public mutating func sign(with key: SigningKey) throws(SodiumError) {
        signature = try key.sign(try signedContent(), in: .recoveryFile)
    }

    /// Checks the entry list against the network's manifest-signing key (the pinned one).
    public func verifyEntries(signedBy key: VerifyingKey) throws(RecoveryFileError) {
        guard let signature else { throw .unsigned }
        do { try key.verify(signature, for: try signedContent(), in: .recoveryFile) } catch { throw .badSignature }
    }

    /// The pseudonym key's check value, kept as its entry's public key and printed by `resguardo
    /// init` and `key custody recover`: a person compares the two, and the rebuilt directory
    /// refuses an entry whose key does not give it.
    public static func pseudonymCheck(_ secret: SecureBytes) throws(SodiumError) -> [UInt8] {
        try GenericHash.hash(Array("resguardo pseudonym check v1".utf8), outputByteCount: 32, key: secret)
    }

    /// The first 8 bytes of a check value in groups of four hex digits: short enough to read aloud.
    public static func checkText(_ check: [UInt8]) -> String {
        let hex = Array(Encoding.hex(Array(check.prefix(8))))
        return stride(from: 0, to: hex.count, by: 4).map { String(hex[$0 ..< min($0 + 4, hex.count)]) }.joined(separator: " ")
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
        ] + (scope == .network ? [] : [("scope", JSONValue.string(scope.rawValue))]) + [
            ("recovery_key", .string(Encoding.base64(recoveryKey.bytes))), ("manifest", .string(Encoding.base64(manifest))), ("custody", custodyValue),
            ("entries", .array(entries.map { e in
                .object([("name", .string(e.name)), ("kind", .string(e.kind.rawValue)), ("public_key", .string(Encoding.base64(e.publicKey))),
                         ("sealed", .string(Encoding.base64(e.sealed)))])
            })),
        ] + (signature.map { [("signature", JSONValue.string(Encoding.base64($0)))] } ?? [])).serialized() + [0x0A]
    }

    public init(bytes: [UInt8]) throws(RecoveryFileError) {
        guard bytes.count <= Self.maxByteCount else { throw .malformed(L("larger than 1 MiB")) }
        let json: JSONValue
        do { json = try JSONValue.parse(bytes) } catch { throw .malformed(L("not JSON: {error}", ["error": "\(error)"])) }
        guard case .string(Self.format)? = json["format"], json["version"]?.intValue == 1 else {
            throw .malformed(L("not a recovery file v1 (`format` must be \"{format}\", `version` 1)", ["format": "\(Self.format)"]))
        }
        func base64(_ v: JSONValue?, _ what: String) throws(RecoveryFileError) -> [UInt8] {
            guard case .string(let s)? = v, let b = Encoding.bytes(fromBase64: s) else { throw .malformed(L("`{what}` must be base64", ["what": "\(what)"])) }
            return b
        }
        guard case .string(let organisation)? = json["organisation"] else { throw .malformed(L("`organisation` must be a string")) }
        let key: SealPublicKey
        do { key = try SealPublicKey(bytes: try base64(json["recovery_key"], "recovery_key")) } catch let e as RecoveryFileError { throw e } catch {
            throw .malformed(L("`recovery_key` is not an X25519 public key"))
        }
        // A network's file has no `scope` member (files from before the regional office had one).
        let scope: Scope
        switch json["scope"] {
        case nil: scope = .network
        case .string(let text)?:
            guard let named = Scope(rawValue: text) else { throw .malformed(L("`scope` must be \"network\" or \"region\"")) }
            scope = named
        default: throw .malformed(L("`scope` must be \"network\" or \"region\""))
        }
        self.init(organisation: organisation, scope: scope, recoveryKey: key, manifest: try base64(json["manifest"], "manifest"))
        switch json["custody"] {
        case nil, .null?: custody = nil
        case let c?:
            guard let set = c["set"]?.intValue, let threshold = c["group_threshold"]?.intValue, case .string(let day)? = c["split_day"],
                  let splitDay = CalendarDay(day), case .array(let groups)? = c["groups"] else { throw .malformed(L("`custody` is incomplete")) }
            var list: [Custody.Group] = []
            for g in groups {
                guard case .string(let name)? = g["name"], let t = g["threshold"]?.intValue, let n = g["count"]?.intValue else { throw .malformed(L("a custody group is incomplete")) }
                list.append(.init(name: name, threshold: t, count: n))
            }
            custody = Custody(set: set, groupThreshold: threshold, groups: list, splitDay: splitDay)
        }
        guard case .array(let items)? = json["entries"] else { throw .malformed(L("`entries` must be an array")) }
        for item in items {
            guard case .string(let name)? = item["name"], case .string(let k)? = item["kind"], let kind = Kind(rawValue: k) else {
                throw .malformed(L("an entry needs a name and a kind ({value})", ["value": "\(Kind.allCases.map(\.rawValue).joined(separator: ", "))"]))
            }
            guard !name.isEmpty, !name.utf8.contains(0) else { throw .malformed(L("an entry name must be non-empty and contain no NUL")) }
            guard scope.kinds.contains(kind) else { throw .malformed(L("a {scope} recovery file holds no {kind} key", ["scope": scope.rawValue, "kind": kind.rawValue])) }
            guard !entries.contains(where: { $0.name == name }) else { throw .malformed(L("two entries are named {value}", ["value": "\(TerminalText.escaped(name))"])) }
            if Self.singleKinds.contains(kind), entries.contains(where: { $0.kind == kind }) { throw .duplicateKind(kind.rawValue) }
            entries.append(Entry(name: name, kind: kind, publicKey: try base64(item["public_key"], "public_key"), sealed: try base64(item["sealed"], "sealed")))
        }
        switch json["signature"] {
        case nil: signature = nil
        case let v?:
            guard case .string(let s) = v, let b = Encoding.bytes(fromBase64: s), b.count == Signing.signatureByteCount else {
                throw .malformed(L("`signature` must be a base64 Ed25519 signature"))
            }
            signature = b
        }
    }
}

public enum RecoveryFileError: Error, Equatable, CustomStringConvertible {
    case malformed(String)
    case wrongRecoveryKey
    case entryDoesNotOpen(String)
    case duplicateKind(String)
    case unsigned
    case badSignature

    public var description: String {
        switch self {
        case .malformed(let why): return L("not a valid recovery file: {why}", ["why": "\(why)"])
        case .wrongRecoveryKey: return L("the shares give a recovery key that is not this recovery file's: they belong to another key directory or another split")
        case .entryDoesNotOpen(let name): return L("the recovery file's entry {name} does not open: the file was altered or damaged", ["name": "\(name)"])
        case .duplicateKind(let kind): return L("the recovery file holds two {kind} keys: a directory has one, so one was added by someone else; nothing was opened", ["kind": kind])
        case .unsigned: return L("the recovery file's entry list is not signed (it was written before recovery files were signed): anyone with the file could have added an entry")
        case .badSignature: return L("the recovery file's entry list is not signed by the network's manifest-signing key: an entry was added or changed; nothing was opened")
        }
    }
}
