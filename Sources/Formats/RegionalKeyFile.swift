public import Sodium

/// Regional key file v1 (docs/formats.md §16): the regional office's pseudonym key, sealed to one
/// network's encryption key, with the regional office's public keys (the one registry bundles
/// are sealed to, and the one that signed this file), signed by the office. A network imports
/// it once (`resguardo registry regional-key import`), after comparing the office's signing-key
/// fingerprint; the pseudonyms in its registry bundles are keyed with it, never with its own key.
///
///     {"format": "resguardo-regional-key", "version": 1, "network": "mx", "key_id": "<16 hex>",
///      "sealed_key": "<base64>", "region_encryption_key": "<base64 X25519>",
///      "region_signing_key": "<base64 Ed25519>", "signature": "<base64>"}
public struct RegionalKeyFile: Sendable {
    public static let format = "resguardo-regional-key"
    public let network: NetworkId
    /// The network's encryption key the pseudonym key is sealed to.
    public let keyId: KeyId
    public let sealedKey: [UInt8]
    public let regionEncryptionKey: SealPublicKey
    public let regionSigningKey: VerifyingKey
    public let signature: [UInt8]

    static func signedBytes(network: NetworkId, keyId: KeyId, sealedKey: [UInt8], encryption: SealPublicKey, signing: VerifyingKey) -> [UInt8] {
        // "resguardo regional key v1\n" goes in front as the signature's domain (SignatureDomain.regionalKey).
        var bytes: [UInt8] = []
        for field in [network.text, keyId.hex, Encoding.hex(encryption.bytes), Encoding.hex(signing.bytes)] { bytes += Array(field.utf8) + [0] }
        return bytes + sealedKey
    }

    /// Seals `pseudonymKey` (32 bytes) to the network's key and signs the file.
    public static func make(network: NetworkId, pseudonymKey: SecureBytes, to recipient: SealPublicKey, regionEncryptionKey: SealPublicKey,
                            signedBy key: SigningKey) throws(SodiumError) -> RegionalKeyFile {
        let keyId = try KeyId(publicKey: recipient)
        let sealed = try SealedBox.seal(pseudonymKey, to: recipient)
        let signature = try key.sign(signedBytes(network: network, keyId: keyId, sealedKey: sealed, encryption: regionEncryptionKey, signing: key.verifyingKey), in: .regionalKey)
        return RegionalKeyFile(network: network, keyId: keyId, sealedKey: sealed, regionEncryptionKey: regionEncryptionKey,
                               regionSigningKey: key.verifyingKey, signature: signature)
    }

    init(network: NetworkId, keyId: KeyId, sealedKey: [UInt8], regionEncryptionKey: SealPublicKey, regionSigningKey: VerifyingKey, signature: [UInt8]) {
        self.network = network
        self.keyId = keyId
        self.sealedKey = sealedKey
        self.regionEncryptionKey = regionEncryptionKey
        self.regionSigningKey = regionSigningKey
        self.signature = signature
    }

    public var bytes: [UInt8] {
        JSONValue.object([
            ("format", .string(Self.format)), ("version", .int(1)), ("network", .string(network.text)), ("key_id", .string(keyId.hex)),
            ("sealed_key", .string(Encoding.base64(sealedKey))), ("region_encryption_key", .string(Encoding.base64(regionEncryptionKey.bytes))),
            ("region_signing_key", .string(Encoding.base64(regionSigningKey.bytes))), ("signature", .string(Encoding.base64(signature))),
        ]).serialized() + [0x0A]
    }

    /// Parses, checks the signature, and checks the signer against the fingerprint a person
    /// compared with the regional office's.
    public init(bytes: [UInt8], pinned: SigningKeyFingerprint) throws(RegistryBundleError) {
        let json: JSONValue
        do { json = try JSONValue.parse(bytes) } catch { throw .malformed(L("not JSON: {error}", ["error": "\(error)"])) }
        guard case .string(Self.format)? = json["format"], json["version"]?.intValue == 1 else {
            throw .malformed(L("not a regional key file v1 (`format` must be \"{format}\", `version` 1)", ["format": "\(Self.format)"]))
        }
        guard case .string(let n)? = json["network"], let network = NetworkId(n) else { throw .malformed(L("`network` must be {rule}", ["rule": "\(NetworkId.rule)"])) }
        guard case .string(let k)? = json["key_id"], let keyId = KeyId(hex: k) else { throw .malformed(L("`key_id` must be 16 hex digits")) }
        func base64(_ name: String) throws(RegistryBundleError) -> [UInt8] {
            guard case .string(let s)? = json[name], let b = Encoding.bytes(fromBase64: s) else { throw .malformed(L("`{name}` must be base64", ["name": "\(name)"])) }
            return b
        }
        let sealed = try base64("sealed_key"), signature = try base64("signature")
        let encryption: SealPublicKey, signing: VerifyingKey
        do {
            encryption = try SealPublicKey(bytes: try base64("region_encryption_key"))
            signing = try VerifyingKey(bytes: try base64("region_signing_key"))
        } catch let e as RegistryBundleError { throw e } catch { throw .malformed(L("a public key has the wrong length")) }
        do {
            try signing.verify(signature, for: Self.signedBytes(network: network, keyId: keyId, sealedKey: sealed, encryption: encryption, signing: signing), in: .regionalKey)
        } catch { throw .badSignature }
        guard let actual = try? SigningKeyFingerprint(verifyingKey: signing), actual.matches(pinned) else {
            throw .malformed(L("signed by {value}, not by the regional office's fingerprint {pinned}", ["value": "\((try? SigningKeyFingerprint(verifyingKey: signing)).map(String.init(describing:)) ?? "an unreadable key")", "pinned": "\(pinned)"]))
        }
        self.init(network: network, keyId: keyId, sealedKey: sealed, regionEncryptionKey: encryption, regionSigningKey: signing, signature: signature)
    }
}
