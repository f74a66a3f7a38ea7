public import Sodium

/// Registry bundle v1 (docs/formats.md §15; DESIGN.md §9): how a national network hands its
/// de-identified records to the regional office. The header (network, sequence, whether it is a
/// full snapshot, the regional key it is sealed to, the network's verifying key) is signed with
/// the records' sealed box, so the office checks who sent it, and that it is new, before opening
/// anything; the records themselves are sealed to the regional office's key, so a lost stick
/// or a copy on a courier's laptop reveals only which network sent a bundle and its number.
///
///     {"format": "resguardo-registry-bundle", "version": 1, "network": "mx", "sequence": 3,
///      "full": false, "region_key_id": "<16 hex>", "signing_key": "<base64 Ed25519>",
///      "sealed": "<base64 sealed box of the payload>", "signature": "<base64 Ed25519>"}
///
/// The signature covers `signedBytes`: the domain line, then each header field and the sealed
/// box, NUL-separated, in that order.
public struct RegistryBundle: Sendable, Equatable {
    public static let format = "resguardo-registry-bundle"
    public static let maxByteCount = 64 * 1024 * 1024

    public let network: NetworkId
    /// Strictly increasing per network: the regional office refuses a replay or a rollback.
    public let sequence: Int
    /// A full bundle may jump ahead; the bound keeps one from ending a network's numbering.
    public static let maxSequence = 1_000_000_000
    /// A snapshot of every record the network holds: the office replaces that network's records.
    public let isFull: Bool
    public let regionKeyId: KeyId
    public let signingKey: VerifyingKey
    public let sealed: [UInt8]
    public let signature: [UInt8]

    static func signedBytes(network: NetworkId, sequence: Int, isFull: Bool, regionKeyId: KeyId, signingKey: VerifyingKey, sealed: [UInt8]) -> [UInt8] {
        // The context "resguardo registry bundle v1\n" goes in front as the signature's domain
        // (SignatureDomain.registryBundle): the signed bytes are those of the first bundles.
        var bytes: [UInt8] = []
        for field in [network.text, String(sequence), isFull ? "full" : "changes", regionKeyId.hex, Encoding.hex(signingKey.bytes)] {
            bytes += Array(field.utf8) + [0]
        }
        return bytes + sealed
    }

    /// Seals `payload` (the records, `RegistryBundlePayload` in Deidentify) to the regional key and signs the whole.
    public static func make(network: NetworkId, sequence: Int, isFull: Bool, payload: [UInt8], to region: SealPublicKey,
                            signedBy key: SigningKey) throws(SodiumError) -> RegistryBundle {
        let regionKeyId = try KeyId(publicKey: region)
        let sealed = try SealedBox.seal(payload, to: region)
        let signature = try key.sign(signedBytes(network: network, sequence: sequence, isFull: isFull, regionKeyId: regionKeyId,
                                                 signingKey: key.verifyingKey, sealed: sealed), in: .registryBundle)
        return RegistryBundle(network: network, sequence: sequence, isFull: isFull, regionKeyId: regionKeyId, signingKey: key.verifyingKey,
                              sealed: sealed, signature: signature)
    }

    public var bytes: [UInt8] {
        JSONValue.object([
            ("format", .string(Self.format)), ("version", .int(1)), ("network", .string(network.text)), ("sequence", .int(sequence)),
            ("full", .bool(isFull)), ("region_key_id", .string(regionKeyId.hex)), ("signing_key", .string(Encoding.base64(signingKey.bytes))),
            ("sealed", .string(Encoding.base64(sealed))), ("signature", .string(Encoding.base64(signature))),
        ]).serialized() + [0x0A]
    }

    /// Parses and checks the signature against the key the bundle names; whether that key is
    /// the one pinned for `network` is the caller's question (`signerFingerprint`).
    public init(bytes: [UInt8]) throws(RegistryBundleError) {
        guard bytes.count <= Self.maxByteCount else { throw .malformed(L("the file is larger than {value} MiB", ["value": "\(Self.maxByteCount / 1_048_576)"])) }
        let json: JSONValue
        do { json = try JSONValue.parse(bytes) } catch { throw .malformed(L("not JSON: {error}", ["error": "\(error)"])) }
        guard case .object(let members) = json else { throw .malformed(L("the top level is not an object")) }
        let known = ["format", "version", "network", "sequence", "full", "region_key_id", "signing_key", "sealed", "signature"]
        for (name, _) in members where !known.contains(name) { throw .malformed(L("unknown member `{name}`", ["name": "\(name)"])) }
        guard case .string(Self.format)? = json["format"] else { throw .malformed(L("`format` is not \"{format}\": not a registry bundle", ["format": "\(Self.format)"])) }
        guard json["version"]?.intValue == 1 else { throw .malformed(L("`version` is not 1 (this resguardo reads registry bundle v1)")) }
        guard case .string(let n)? = json["network"], let network = NetworkId(n) else { throw .malformed(L("`network` must be {rule}", ["rule": "\(NetworkId.rule)"])) }
        guard let sequence = json["sequence"]?.intValue, sequence >= 1, sequence <= Self.maxSequence else {
            throw .malformed(L("`sequence` must be an integer from 1 to {max_sequence}", ["max_sequence": "\(Self.maxSequence)"]))
        }
        guard case .bool(let full)? = json["full"] else { throw .malformed(L("`full` must be true or false")) }
        guard case .string(let k)? = json["region_key_id"], let regionKeyId = KeyId(hex: k) else { throw .malformed(L("`region_key_id` must be 16 hex digits")) }
        func base64(_ name: String) throws(RegistryBundleError) -> [UInt8] {
            guard case .string(let s)? = json[name], let b = Encoding.bytes(fromBase64: s) else { throw .malformed(L("`{name}` must be base64", ["name": "\(name)"])) }
            return b
        }
        let signingKey: VerifyingKey
        do { signingKey = try VerifyingKey(bytes: try base64("signing_key")) } catch let e as RegistryBundleError { throw e } catch {
            throw .malformed(L("`signing_key` is not an Ed25519 public key"))
        }
        let sealed = try base64("sealed"), signature = try base64("signature")
        do {
            try signingKey.verify(signature, for: Self.signedBytes(network: network, sequence: sequence, isFull: full, regionKeyId: regionKeyId,
                                                                   signingKey: signingKey, sealed: sealed), in: .registryBundle)
        } catch {
            throw .badSignature
        }
        self.init(network: network, sequence: sequence, isFull: full, regionKeyId: regionKeyId, signingKey: signingKey, sealed: sealed, signature: signature)
    }

    init(network: NetworkId, sequence: Int, isFull: Bool, regionKeyId: KeyId, signingKey: VerifyingKey, sealed: [UInt8], signature: [UInt8]) {
        self.network = network
        self.sequence = sequence
        self.isFull = isFull
        self.regionKeyId = regionKeyId
        self.signingKey = signingKey
        self.sealed = sealed
        self.signature = signature
    }

    public var signerFingerprint: SigningKeyFingerprint {
        get throws(SodiumError) { try SigningKeyFingerprint(verifyingKey: signingKey) }
    }

    /// Opens the records with the regional office's key (after the signer was checked).
    public func openPayload(with key: SealSecretKey) throws(RegistryBundleError) -> SecureBytes {
        do { return try SealedBox.open(sealed, with: key) } catch { throw .doesNotOpen }
    }

    public static func == (a: RegistryBundle, b: RegistryBundle) -> Bool { a.bytes == b.bytes }
}

public enum RegistryBundleError: Error, Equatable, CustomStringConvertible {
    case malformed(String)
    case badSignature
    case doesNotOpen

    public var description: String {
        switch self {
        case .malformed(let why): return L("not a valid registry bundle: {why}", ["why": "\(why)"])
        case .badSignature: return L("the registry bundle's signature does not verify: it was altered after the network signed it")
        case .doesNotOpen: return L("the registry bundle does not open with the regional office's key (sealed to another key, or altered)")
        }
    }
}
