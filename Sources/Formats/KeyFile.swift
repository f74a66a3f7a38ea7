public import Sodium

/// Secret key file v1 (docs/formats.md §5): a secret key encrypted under a passphrase with
/// Argon2id + XSalsa20-Poly1305. 176 bytes:
///
///     0  "RSGK"   4  version=1   5  kind   6  kdf=2 (Argon2id v1.3)   7  reserved=0
///     8  opslimit u64 LE   16 memlimit u64 LE   24 salt (16)   40 public key (32)
///     72 nonce (24)   96 secretbox(secret, 32 bytes) (48)   144 BLAKE2b-256(bytes 0..<144) (32)
///
/// The unkeyed checksum tells a damaged file from a wrong passphrase; the secretbox key is
/// bound to the header (bytes 0..<72), so no header field can be changed without the MAC failing.
public struct KeyFile: Sendable, Equatable {
    public enum Kind: UInt8, Sendable, CaseIterable, CustomStringConvertible {
        /// X25519 secret key that opens sealed reports.
        case encryption = 0x01
        /// Ed25519 seed that signs the key manifest.
        case manifestSigning = 0x02
        /// Ed25519 seed that signs reply bundles.
        case replySigning = 0x03
        /// Ed25519 seed with which the online vault signs export bundles.
        case bundleSigning = 0x04
        /// Ed25519 seed with which the regional office signs its regional key files.
        case regionSigning = 0x05
        /// X25519 recovery secret of a key directory, kept only until it is split (SLIP-0039).
        case recovery = 0x06
        /// Ed25519 seed that signs releases (SHA256SUMS) and nothing else: `key sign-file`
        /// refuses every other kind, so it cannot be made to sign a manifest (review N1).
        case releaseSigning = 0x07
        /// Ed25519 seed with which a relocation coordinator signs status updates back to the
        /// network (§14.1); it signs nothing else.
        case coordinatorSigning = 0x08

        public var description: String {
            switch self {
            case .encryption: return L("encryption (X25519)")
            case .manifestSigning: return L("manifest signing (Ed25519)")
            case .replySigning: return L("reply signing (Ed25519)")
            case .bundleSigning: return L("vault bundle signing (Ed25519)")
            case .regionSigning: return L("regional office signing (Ed25519)")
            case .recovery: return L("recovery (X25519), until it is split")
            case .releaseSigning: return L("release signing (Ed25519)")
            case .coordinatorSigning: return L("coordinator status-update signing (Ed25519)")
            }
        }
    }

    public static let magic: [UInt8] = Array("RSGK".utf8)
    public static let version: UInt8 = 1
    public static let kdfArgon2id13: UInt8 = 2
    public static let byteCount = 176
    static let headerEnd = 72
    static let checksummedEnd = 144
    static let domain: [UInt8] = Array("resguardo key file v1".utf8)

    public let kind: Kind
    public let limits: KeyDerivationLimits
    public let salt: [UInt8]
    public let publicKey: [UInt8]
    let nonce: [UInt8]
    let box: [UInt8]
    public let bytes: [UInt8]

    /// Parses and checks the file without the passphrase.
    public init(bytes: [UInt8]) throws(KeyFileError) {
        guard bytes.count >= 5 else { throw .truncated(byteCount: bytes.count) }
        guard Array(bytes[0..<4]) == Self.magic else { throw .notAKeyFile }
        guard bytes[4] == Self.version else { throw .unsupportedVersion(bytes[4]) }
        guard bytes.count == Self.byteCount else {
            throw bytes.count < Self.byteCount ? .truncated(byteCount: bytes.count) : .corrupt(L("file is {count} bytes, expected {byte_count}", ["count": "\(bytes.count)", "byte_count": "\(Self.byteCount)"]))
        }
        let checksum: [UInt8]
        do { checksum = try GenericHash.hash(bytes[0..<Self.checksummedEnd], outputByteCount: 32) } catch { throw .crypto(error) }
        guard ConstantTime.equals(checksum, bytes[Self.checksummedEnd...]) else {
            throw .corrupt(L("checksum does not match: the file was damaged or edited"))
        }
        guard let kind = Kind(rawValue: bytes[5]) else { throw .corrupt(L("unknown key kind 0x{value}", ["value": "\(String(bytes[5], radix: 16))"])) }
        guard bytes[6] == Self.kdfArgon2id13 else { throw .corrupt(L("unknown key derivation function {value}", ["value": "\(bytes[6])"])) }
        guard bytes[7] == 0 else { throw .corrupt(L("reserved byte 7 is not zero")) }
        let ops = Self.readUInt64(bytes, at: 8)
        let mem = Self.readUInt64(bytes, at: 16)
        do { limits = try KeyDerivationLimits(opsLimit: ops, memLimit: mem) } catch {
            throw .corrupt(L("Argon2id limits out of bounds (opslimit {ops}, memlimit {mem})", ["ops": "\(ops)", "mem": "\(mem)"]))
        }
        self.kind = kind
        salt = Array(bytes[24..<40])
        publicKey = Array(bytes[40..<72])
        nonce = Array(bytes[72..<96])
        box = Array(bytes[96..<144])
        self.bytes = bytes
    }

    /// Encrypts a 32-byte secret (an X25519 scalar or an Ed25519 seed) under `passphrase`.
    public static func seal(
        secret: SecureBytes, publicKey: [UInt8], kind: Kind,
        passphrase: SecureBytes, limits: KeyDerivationLimits
    ) throws(KeyFileError) -> KeyFile {
        guard secret.count == 32, publicKey.count == 32 else { throw .corrupt(L("secret and public key must be 32 bytes")) }
        do {
            let salt = try Random.bytes(count: PasswordHash.saltByteCount)
            let nonce = try SecretBox.randomNonce()
            var header = magic + [version, kind.rawValue, kdfArgon2id13, 0]
            header += uint64Bytes(limits.opsLimit) + uint64Bytes(limits.memLimit) + salt + publicKey
            let key = try boxKey(passphrase: passphrase, salt: salt, limits: limits, header: header)
            let box = try SecretBox.seal(secret, nonce: nonce, key: key)
            var body = header + nonce + box
            body += try GenericHash.hash(body, outputByteCount: 32)
            return try KeyFile(bytes: body)
        } catch let error as KeyFileError {
            throw error
        } catch let error as SodiumError {
            throw .crypto(error)
        } catch {
            throw .corrupt("\(error)")
        }
    }

    /// Decrypts the secret. `.wrongPassphrase` is only thrown for an intact file (the checksum
    /// passed), so it really means the passphrase.
    public func unlock(passphrase: SecureBytes) throws(KeyFileError) -> SecureBytes {
        let secret: SecureBytes
        do {
            let key = try Self.boxKey(passphrase: passphrase, salt: salt, limits: limits, header: Array(bytes[0..<Self.headerEnd]))
            secret = try SecretBox.open(box, nonce: nonce, key: key)
        } catch .secretBoxAuthenticationFailed {
            throw .wrongPassphrase
        } catch {
            throw .crypto(error)
        }
        return secret
    }

    public func unlockSealKey(passphrase: SecureBytes) throws(KeyFileError) -> SealSecretKey {
        guard kind == .encryption else { throw .wrongKind(expected: .encryption, actual: kind) }
        let key: SealSecretKey
        do { key = try SealSecretKey(secretBytes: unlock(passphrase: passphrase)) } catch let error as KeyFileError { throw error } catch { throw .corrupt("\(error)") }
        guard ConstantTime.equals(key.publicKey.bytes, publicKey) else { throw .corrupt(L("secret key does not match the stored public key")) }
        return key
    }

    public func unlockSigningKey(passphrase: SecureBytes, kind expected: Kind) throws(KeyFileError) -> SigningKey {
        guard kind == expected else { throw .wrongKind(expected: expected, actual: kind) }
        let key: SigningKey
        do { key = try SigningKey(seed: unlock(passphrase: passphrase)) } catch let error as KeyFileError { throw error } catch { throw .corrupt("\(error)") }
        guard ConstantTime.equals(key.verifyingKey.bytes, publicKey) else { throw .corrupt(L("secret key does not match the stored public key")) }
        return key
    }

    static func boxKey(passphrase: SecureBytes, salt: [UInt8], limits: KeyDerivationLimits, header: [UInt8]) throws(SodiumError) -> SecretBoxKey {
        let stretched = try PasswordHash.derive(outputByteCount: 32, passphrase: passphrase, salt: salt, limits: limits)
        return try SecretBoxKey(bytes: GenericHash.deriveSecret(domain + header, outputByteCount: 32, key: stretched))
    }

    static func readUInt64(_ b: [UInt8], at offset: Int) -> UInt64 {
        (0..<8).reduce(UInt64(0)) { $0 | UInt64(b[offset + $1]) << (8 * UInt64($1)) }
    }

    static func uint64Bytes(_ v: UInt64) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: v >> (8 * UInt64($0))) } }
}

public enum KeyFileError: Error, Equatable, Sendable, CustomStringConvertible {
    case truncated(byteCount: Int)
    case notAKeyFile
    case unsupportedVersion(UInt8)
    case corrupt(String)
    case wrongPassphrase
    case wrongKind(expected: KeyFile.Kind, actual: KeyFile.Kind)
    case crypto(SodiumError)

    public var description: String {
        switch self {
        case .truncated(let n): return L("key file is truncated ({n} of {byte_count} bytes)", ["n": "\(n)", "byte_count": "\(KeyFile.byteCount)"])
        case .notAKeyFile: return L("not a Resguardo key file (it does not start with \"RSGK\")")
        case .unsupportedVersion(let v): return L("key file version {v} is not supported by this version of resguardo (expected 1)", ["v": "\(v)"])
        case .corrupt(let why): return L("key file is corrupt: {why}", ["why": "\(why)"])
        case .wrongPassphrase: return L("wrong passphrase for this key file")
        case .wrongKind(let e, let a): return L("key file holds a {a} key, not a {e} key", ["a": "\(a)", "e": "\(e)"])
        case .crypto(let e): return L("cryptographic failure: {e}", ["e": "\(e)"])
        }
    }
}
