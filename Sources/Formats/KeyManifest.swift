public import Sodium

/// Key manifest v1 (docs/formats.md §4): the organisation's current encryption keys and its
/// reply-signing key, signed by the offline signing key. Clients verify it against a fingerprint
/// they pinned out of band, so a seized intake cannot swap in its own keys.
public struct KeyManifest: Sendable, Equatable {
    public struct EncryptionKey: Sendable, Equatable {
        public let id: KeyId
        public let publicKey: SealPublicKey
        public let notBefore: CalendarDay
        public let notAfter: CalendarDay

        public init(publicKey: SealPublicKey, notBefore: CalendarDay, notAfter: CalendarDay) throws(SodiumError) {
            id = try KeyId(publicKey: publicKey)
            self.publicKey = publicKey
            self.notBefore = notBefore
            self.notAfter = notAfter
        }

        public func isValid(on day: CalendarDay) -> Bool { notBefore <= day && day <= notAfter }
    }

    public static let version = 1
    public static let maxEncryptionKeys = 64
    public static let maxOrganisationLength = 200

    /// How long a manifest made by `key init` / `key rotate` stays good: past it clients refuse
    /// it, so an old manifest replayed by a compromised intake (with a retired, maybe
    /// compromised, key inside) is accepted for at most this long.
    public static let defaultValidityDays = 120

    public let organisation: String
    public let issued: CalendarDay
    /// The last day clients accept this manifest (optional in v1: a manifest without it expires
    /// with its last key, `not_after` of the latest-ending key).
    public let expires: CalendarDay
    /// Whether `expires` was written in the payload (manifests before it was added do not have it).
    let writesExpiry: Bool
    public let encryptionKeys: [EncryptionKey]
    public let replySigningKey: VerifyingKey

    public init(organisation: String, issued: CalendarDay, expires: CalendarDay? = nil, encryptionKeys: [EncryptionKey],
                replySigningKey: VerifyingKey) throws(KeyManifestError) {
        self.organisation = organisation
        self.issued = issued
        self.encryptionKeys = encryptionKeys
        self.replySigningKey = replySigningKey
        let lastKeyDay = encryptionKeys.map(\.notAfter).max() ?? issued
        self.expires = expires ?? lastKeyDay
        writesExpiry = expires != nil
        try validate()
        if self.expires < issued { throw .invalidField("expires", L("{expires} is before issued {issued}", ["expires": "\(self.expires)", "issued": "\(issued)"])) }
    }

    /// Whether clients accept it on `day`.
    public func isCurrent(on day: CalendarDay) -> Bool { issued <= day.adding(days: 1) && day <= expires }

    private func validate() throws(KeyManifestError) {
        guard !organisation.isEmpty, organisation.count <= Self.maxOrganisationLength else {
            throw .invalidField("organisation", L("must be 1 to {max_organisation_length} characters", ["max_organisation_length": "\(Self.maxOrganisationLength)"]))
        }
        guard !encryptionKeys.isEmpty else { throw .invalidField("encryption_keys", L("must list at least one key")) }
        guard encryptionKeys.count <= Self.maxEncryptionKeys else {
            throw .invalidField("encryption_keys", L("lists {count} keys; at most {max_encryption_keys} are allowed", ["count": "\(encryptionKeys.count)", "max_encryption_keys": "\(Self.maxEncryptionKeys)"]))
        }
        var seen = Set<KeyId>()
        for (i, key) in encryptionKeys.enumerated() {
            guard key.notBefore <= key.notAfter else {
                throw .invalidField("encryption_keys[\(i)].not_after", L("{not_after} is before not_before {not_before}", ["not_after": "\(key.notAfter)", "not_before": "\(key.notBefore)"]))
            }
            guard seen.insert(key.id).inserted else {
                throw .invalidField("encryption_keys[\(i)].id", L("key id {id} appears twice", ["id": "\(key.id)"]))
            }
        }
    }

    /// The key a client should seal to on `day`: among the keys valid that day, the one that
    /// became valid last (so a rotation takes effect as soon as its not_before arrives).
    public func currentEncryptionKey(on day: CalendarDay) -> EncryptionKey? {
        encryptionKeys.enumerated()
            .filter { $0.element.isValid(on: day) }
            .max { ($0.element.notBefore, $0.offset) < ($1.element.notBefore, $1.offset) }?
            .element
    }

    public func encryptionKey(id: KeyId) -> EncryptionKey? { encryptionKeys.first { $0.id == id } }

    /// The exact payload bytes that get signed: compact JSON, members in the order of the spec.
    public func payloadBytes() -> [UInt8] {
        JSONValue.object([
            ("version", .int(Self.version)),
            ("organisation", .string(organisation)),
            ("issued", .string(issued.description)),
            ("encryption_keys", .array(encryptionKeys.map { key in
                .object([
                    ("id", .string(key.id.hex)),
                    ("public_key", .string(Encoding.base64(key.publicKey.bytes))),
                    ("not_before", .string(key.notBefore.description)),
                    ("not_after", .string(key.notAfter.description)),
                ])
            })),
            ("reply_signing_key", .string(Encoding.base64(replySigningKey.bytes))),
        ] + (writesExpiry ? [("expires", .string(expires.description))] : [])).serialized()
    }

    /// Parses payload bytes strictly: exactly the v1 members, each of the right type.
    public init(payload: [UInt8]) throws(KeyManifestError) {
        let json: JSONValue
        do { json = try JSONValue.parse(payload) } catch { throw .malformedJSON(error.description) }
        var reader = try ObjectReader(json, path: "payload")
        let version = try reader.int("version")
        guard version == Self.version else { throw .unsupportedVersion(version) }
        let organisation = try reader.string("organisation")
        let issued = try reader.day("issued")
        let keysJSON = try reader.array("encryption_keys")
        guard keysJSON.count <= Self.maxEncryptionKeys else {
            throw .invalidField("encryption_keys", L("lists {count} keys; at most {max_encryption_keys} are allowed", ["count": "\(keysJSON.count)", "max_encryption_keys": "\(Self.maxEncryptionKeys)"]))
        }
        var keys: [EncryptionKey] = []
        for (i, item) in keysJSON.enumerated() {
            var k = try ObjectReader(item, path: "encryption_keys[\(i)]")
            let idText = try k.string("id")
            let pkBytes = try k.base64("public_key", byteCount: SealPublicKey.byteCount)
            let notBefore = try k.day("not_before")
            let notAfter = try k.day("not_after")
            try k.finish()
            do {
                let key = try EncryptionKey(publicKey: SealPublicKey(bytes: pkBytes), notBefore: notBefore, notAfter: notAfter)
                guard idText == key.id.hex else {
                    throw KeyManifestError.invalidField("encryption_keys[\(i)].id", L("{id_text} is not the id of its public key (expected {hex})", ["id_text": "\(idText)", "hex": "\(key.id.hex)"]))
                }
                keys.append(key)
            } catch let error as KeyManifestError {
                throw error
            } catch {
                throw .invalidField("encryption_keys[\(i)].public_key", L("not a valid X25519 public key"))
            }
        }
        let replyKeyBytes = try reader.base64("reply_signing_key", byteCount: VerifyingKey.byteCount)
        let expires = try reader.has("expires") ? reader.day("expires") : nil
        try reader.finish()
        do {
            try self.init(organisation: organisation, issued: issued, expires: expires, encryptionKeys: keys,
                          replySigningKey: VerifyingKey(bytes: replyKeyBytes))
        } catch let error as KeyManifestError {
            throw error
        } catch {
            throw .invalidField("reply_signing_key", L("not a valid Ed25519 public key"))
        }
    }
}

/// The signed wrapper served at `GET /v1/keys`:
/// `{"payload": b64, "signature": b64, "signing_key": b64}`.
public struct SignedKeyManifest: Sendable, Equatable {
    public static let maxByteCount = 64 * 1024

    public let manifest: KeyManifest
    public let payload: [UInt8]
    public let signature: [UInt8]
    public let signingKey: VerifyingKey

    /// Whom to trust: a fingerprint pinned by a person, or a key already held (e.g. the public half
    /// of our own signing key file).
    public enum Trust: Sendable {
        case fingerprint(SigningKeyFingerprint)
        case key(VerifyingKey)
    }

    public static func sign(_ manifest: KeyManifest, with key: SigningKey) throws(SodiumError) -> SignedKeyManifest {
        let payload = manifest.payloadBytes()
        let signature = try key.sign(payload, in: .manifest)
        return SignedKeyManifest(manifest: manifest, payload: payload, signature: signature, signingKey: key.verifyingKey)
    }

    private init(manifest: KeyManifest, payload: [UInt8], signature: [UInt8], signingKey: VerifyingKey) {
        self.manifest = manifest
        self.payload = payload
        self.signature = signature
        self.signingKey = signingKey
    }

    /// Verifies in the order that spends the least on a forgery: size, shape, trust of the
    /// signing key, signature over the manifest domain and the exact payload bytes, and only then
    /// the payload's content.
    public init(json: [UInt8], trust: Trust) throws(KeyManifestError) {
        try self.init(json: json, trust: trust, acceptingUndomained: false)
    }

    /// The content of a manifest from before signature domains whose bare signature verifies
    /// under `trust`. Only for `resguardo key renew`'s migration, which checks every key it lists
    /// against the directory's own key files before re-signing: a bare signature may have come
    /// from the old `sign-file` oracle (review N1), so it is never trusted on its own.
    public static func undomainedForMigration(json: [UInt8], trust: Trust) throws(KeyManifestError) -> KeyManifest {
        try SignedKeyManifest(json: json, trust: trust, acceptingUndomained: true).manifest
    }

    private init(json: [UInt8], trust: Trust, acceptingUndomained: Bool) throws(KeyManifestError) {
        guard json.count <= Self.maxByteCount else { throw .tooLarge(byteCount: json.count, max: Self.maxByteCount) }
        let outer: JSONValue
        do { outer = try JSONValue.parse(json) } catch { throw .malformedJSON(error.description) }
        var reader = try ObjectReader(outer, path: "manifest")
        let payloadText = try reader.string("payload")
        let signature = try reader.base64("signature", byteCount: Signing.signatureByteCount)
        let signingKeyBytes = try reader.base64("signing_key", byteCount: VerifyingKey.byteCount)
        try reader.finish()
        guard let payload = Encoding.bytes(fromBase64: payloadText) else {
            throw .invalidField("payload", L("is not canonical base64"))
        }
        let signingKey: VerifyingKey
        do { signingKey = try VerifyingKey(bytes: signingKeyBytes) } catch { throw .invalidField("signing_key", L("not an Ed25519 public key")) }
        switch trust {
        case .fingerprint(let pinned):
            let actual: SigningKeyFingerprint
            do { actual = try SigningKeyFingerprint(verifyingKey: signingKey) } catch { throw .invalidField("signing_key", "\(error)") }
            guard actual.matches(pinned) else { throw .untrustedSigningKey(actual: actual, expected: pinned) }
        case .key(let trusted):
            guard ConstantTime.equals(trusted.bytes, signingKey.bytes) else {
                throw .untrustedSigningKey(actual: try? SigningKeyFingerprint(verifyingKey: signingKey),
                                           expected: try? SigningKeyFingerprint(verifyingKey: trusted))
            }
        }
        do { try signingKey.verify(signature, for: payload, in: .manifest) } catch .signatureWithoutDomain {
            guard acceptingUndomained else { throw .signedWithoutDomain }
        } catch {
            throw .badSignature
        }
        manifest = try KeyManifest(payload: payload)
        self.payload = payload
        self.signature = signature
        self.signingKey = signingKey
    }

    public func serialized() -> [UInt8] {
        JSONValue.object([
            ("payload", .string(Encoding.base64(payload))),
            ("signature", .string(Encoding.base64(signature))),
            ("signing_key", .string(Encoding.base64(signingKey.bytes))),
        ]).serialized() + [0x0A]
    }

    public func fingerprint() throws(SodiumError) -> SigningKeyFingerprint {
        try SigningKeyFingerprint(verifyingKey: signingKey)
    }
}

public enum KeyManifestError: Error, Equatable, Sendable, CustomStringConvertible {
    case tooLarge(byteCount: Int, max: Int)
    case malformedJSON(String)
    case missingField(String)
    case unexpectedField(String)
    case invalidField(String, String)
    case unsupportedVersion(Int)
    case untrustedSigningKey(actual: SigningKeyFingerprint?, expected: SigningKeyFingerprint?)
    case badSignature
    /// A signature of the bare payload, from before signature domains (review N1): refused
    /// everywhere; `resguardo key renew` re-signs it once its keys are checked against the key files.
    case signedWithoutDomain

    public var description: String {
        switch self {
        case .signedWithoutDomain:
            return L("key manifest is signed in the format before signature domains and is no longer accepted; on the offline computer run `resguardo key renew` and copy the new manifest.json to the intake")
        case .tooLarge(let n, let max): return L("key manifest is {n} bytes, more than the {max} allowed", ["n": "\(n)", "max": "\(max)"])
        case .malformedJSON(let why): return L("key manifest is not valid JSON: {why}", ["why": "\(why)"])
        case .missingField(let f): return L("key manifest is missing `{f}`", ["f": "\(f)"])
        case .unexpectedField(let f): return L("key manifest has an unexpected field `{f}`", ["f": "\(f)"])
        case .invalidField(let f, let why): return L("key manifest field `{f}` {why}", ["f": "\(f)", "why": "\(why)"])
        case .unsupportedVersion(let v): return L("key manifest version {v} is not supported (expected 1)", ["v": "\(v)"])
        case .untrustedSigningKey(let actual, let expected):
            return L("key manifest is signed by {actual}, not by the trusted key {expected}", ["actual": "\(actual.map(String.init(describing:)) ?? "an unknown key")", "expected": "\(expected.map(String.init(describing:)) ?? "")"])
        case .badSignature: return L("key manifest signature does not verify: the payload was altered or forged")
        }
    }
}

/// Reads the members of one JSON object, each exactly once, and complains about leftovers.
struct ObjectReader {
    private var members: [(String, JSONValue)]
    let path: String

    init(_ value: JSONValue, path: String) throws(KeyManifestError) {
        guard case .object(let m) = value else { throw .invalidField(path, "must be an object, not \(value.typeName)") }
        members = m
        self.path = path
    }

    private func qualified(_ name: String) -> String { path == "manifest" || path == "payload" ? name : "\(path).\(name)" }

    func has(_ name: String) -> Bool { members.contains { $0.0 == name } }

    mutating func take(_ name: String) throws(KeyManifestError) -> JSONValue {
        guard let i = members.firstIndex(where: { $0.0 == name }) else { throw .missingField(qualified(name)) }
        return members.remove(at: i).1
    }

    mutating func string(_ name: String) throws(KeyManifestError) -> String {
        guard case .string(let s) = try take(name) else { throw .invalidField(qualified(name), "must be a string") }
        return s
    }

    mutating func int(_ name: String) throws(KeyManifestError) -> Int {
        guard let v = try take(name).intValue else { throw .invalidField(qualified(name), "must be an integer") }
        return v
    }

    mutating func array(_ name: String) throws(KeyManifestError) -> [JSONValue] {
        guard case .array(let a) = try take(name) else { throw .invalidField(qualified(name), "must be an array") }
        return a
    }

    mutating func day(_ name: String) throws(KeyManifestError) -> CalendarDay {
        let text = try string(name)
        guard let d = CalendarDay(text) else { throw .invalidField(qualified(name), "`\(text)` is not a YYYY-MM-DD date") }
        return d
    }

    mutating func base64(_ name: String, byteCount: Int) throws(KeyManifestError) -> [UInt8] {
        let text = try string(name)
        guard let b = Encoding.bytes(fromBase64: text) else { throw .invalidField(qualified(name), "is not canonical base64") }
        guard b.count == byteCount else { throw .invalidField(qualified(name), "must decode to \(byteCount) bytes, not \(b.count)") }
        return b
    }

    func finish() throws(KeyManifestError) {
        if let extra = members.first { throw .unexpectedField(qualified(extra.0)) }
    }
}
