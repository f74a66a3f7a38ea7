internal import CSodium

/// Argon2id cost parameters. Stored in key files, so they are checked against hard bounds before
/// use: a hostile file must not be able to make us allocate terabytes or spin for hours.
public struct KeyDerivationLimits: Equatable, Sendable, CustomStringConvertible {
    public let opsLimit: UInt64
    public let memLimit: UInt64

    /// libsodium's named presets for Argon2id v1.3.
    public static let interactive = KeyDerivationLimits(
        uncheckedOps: UInt64(crypto_pwhash_argon2id_OPSLIMIT_INTERACTIVE),
        mem: UInt64(crypto_pwhash_argon2id_MEMLIMIT_INTERACTIVE))
    public static let moderate = KeyDerivationLimits(
        uncheckedOps: UInt64(crypto_pwhash_argon2id_OPSLIMIT_MODERATE),
        mem: UInt64(crypto_pwhash_argon2id_MEMLIMIT_MODERATE))
    public static let sensitive = KeyDerivationLimits(
        uncheckedOps: UInt64(crypto_pwhash_argon2id_OPSLIMIT_SENSITIVE),
        mem: UInt64(crypto_pwhash_argon2id_MEMLIMIT_SENSITIVE))

    /// Bounds we accept from a file: libsodium's minimums, and at most 16 passes over 4 GiB.
    public static let minOps = UInt64(crypto_pwhash_argon2id_OPSLIMIT_MIN)
    public static let maxOps: UInt64 = 16
    public static let minMem = UInt64(crypto_pwhash_argon2id_MEMLIMIT_MIN)
    public static let maxMem: UInt64 = 4 << 30

    private init(uncheckedOps: UInt64, mem: UInt64) {
        opsLimit = uncheckedOps
        memLimit = mem
    }

    public init(opsLimit: UInt64, memLimit: UInt64) throws(SodiumError) {
        guard (Self.minOps...Self.maxOps).contains(opsLimit), (Self.minMem...Self.maxMem).contains(memLimit) else {
            throw .invalidKeyDerivationLimits(opsLimit: opsLimit, memLimit: memLimit)
        }
        self.opsLimit = opsLimit
        self.memLimit = memLimit
    }

    public var description: String { "Argon2id(ops=\(opsLimit), mem=\(memLimit / 1024) KiB)" }
}

/// Passphrase-based key derivation (`crypto_pwhash`, Argon2id v1.3).
public enum PasswordHash {
    public static let saltByteCount = Int(crypto_pwhash_argon2id_SALTBYTES)

    /// Derives `outputByteCount` bytes into guarded memory from a passphrase held in guarded memory.
    public static func derive(
        outputByteCount: Int,
        passphrase: SecureBytes,
        salt: [UInt8],
        limits: KeyDerivationLimits
    ) throws(SodiumError) -> SecureBytes {
        try SodiumRuntime.ensureInitialised()
        guard salt.count == saltByteCount else {
            throw .invalidLength(what: "Argon2id salt", expected: saltByteCount, actual: salt.count)
        }
        guard outputByteCount >= Int(crypto_pwhash_argon2id_BYTES_MIN) else {
            throw .invalidLength(what: "Argon2id output", expected: Int(crypto_pwhash_argon2id_BYTES_MIN), actual: outputByteCount)
        }
        guard limits.memLimit <= UInt64(Int.max) else {
            throw .invalidKeyDerivationLimits(opsLimit: limits.opsLimit, memLimit: limits.memLimit)
        }
        var status: Int32 = -1
        let output: SecureBytes
        do {
            output = try SecureBytes(count: outputByteCount) { (out: UnsafeMutableRawBufferPointer) throws(Never) in
                passphrase.withUnsafeBytes { pw in
                    guard let ob = out.baseAddress else { return }
                    let pwPointer = pw.baseAddress?.assumingMemoryBound(to: CChar.self)
                        ?? UnsafeRawPointer(emptyInput).assumingMemoryBound(to: CChar.self)
                    status = crypto_pwhash(
                        ob.assumingMemoryBound(to: UInt8.self), UInt64(out.count),
                        pwPointer, UInt64(pw.count), salt,
                        limits.opsLimit, Int(limits.memLimit), crypto_pwhash_ALG_ARGON2ID13)
                }
            }
        } catch {
            throw error.sodiumError
        }
        guard status == 0 else { throw .keyDerivationFailed(opsLimit: limits.opsLimit, memLimit: limits.memLimit) }
        return output
    }
}
