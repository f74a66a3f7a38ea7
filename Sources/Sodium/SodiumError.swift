/// Every way a libsodium call can fail, as a value. No call in this module traps on bad input.
public enum SodiumError: Error, Equatable, Sendable, CustomStringConvertible {
    /// `sodium_init` returned -1: the library cannot be used on this machine.
    case initialisationFailed
    /// `sodium_malloc` could not allocate (or lock) guarded memory of this size.
    case allocationFailed(byteCount: Int)
    /// A key, nonce, salt or seed had the wrong number of bytes.
    case invalidLength(what: String, expected: Int, actual: Int)
    /// A sealed box did not open: wrong recipient key, or the ciphertext was altered.
    case sealedBoxOpenFailed
    /// A secretbox did not authenticate: wrong key, or the ciphertext was altered.
    case secretBoxAuthenticationFailed
    /// Argon2id could not run with these limits (usually: not enough memory).
    case keyDerivationFailed(opsLimit: UInt64, memLimit: UInt64)
    /// Argon2id limits outside what libsodium accepts.
    case invalidKeyDerivationLimits(opsLimit: UInt64, memLimit: UInt64)
    /// An Ed25519 signature did not verify.
    case invalidSignature
    /// A BLAKE2b output or key length outside 16...64 (output) or 16...64 (key) bytes.
    case invalidHashParameter(String)
    /// `sodium_unpad` found no 0x80 marker: the buffer was not ISO/IEC 7816-4 padded.
    case invalidPadding
    /// The padding block size was zero, or the padded length would overflow.
    case invalidPaddingBlockSize(Int)

    public var description: String {
        switch self {
        case .initialisationFailed:
            return "libsodium could not be initialised"
        case .allocationFailed(let n):
            return "could not allocate \(n) bytes of guarded memory"
        case .invalidLength(let what, let expected, let actual):
            return "\(what) must be \(expected) bytes, got \(actual)"
        case .sealedBoxOpenFailed:
            return "sealed box did not open (wrong key or altered ciphertext)"
        case .secretBoxAuthenticationFailed:
            return "secretbox did not authenticate (wrong key or altered ciphertext)"
        case .keyDerivationFailed(let ops, let mem):
            return "Argon2id failed with opslimit \(ops) and memlimit \(mem) bytes (out of memory?)"
        case .invalidKeyDerivationLimits(let ops, let mem):
            return "Argon2id limits out of range: opslimit \(ops), memlimit \(mem) bytes"
        case .invalidSignature:
            return "signature does not verify"
        case .invalidHashParameter(let what):
            return "invalid BLAKE2b parameter: \(what)"
        case .invalidPadding:
            return "invalid padding (no 0x80 marker before the trailing zeros)"
        case .invalidPaddingBlockSize(let n):
            return "invalid padding block size \(n)"
        }
    }
}
