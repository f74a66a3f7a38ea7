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
    /// A bare signature of the message, made before signatures carried a domain (the purpose
    /// named): refused; the caller says how to re-sign it.
    case signatureWithoutDomain(String)
    /// A BLAKE2b output or key length outside 16...64 (output) or 16...64 (key) bytes.
    case invalidHashParameter(String)
    /// `sodium_unpad` found no 0x80 marker: the buffer was not ISO/IEC 7816-4 padded.
    case invalidPadding
    /// The padding block size was zero, or the padded length would overflow.
    case invalidPaddingBlockSize(Int)

    public var description: String {
        switch self {
        case .initialisationFailed:
            return L("libsodium could not be initialised")
        case .allocationFailed(let n):
            return L("could not allocate {n} bytes of guarded memory", ["n": "\(n)"])
        case .invalidLength(let what, let expected, let actual):
            return L("{what} must be {expected} bytes, got {actual}", ["what": "\(what)", "expected": "\(expected)", "actual": "\(actual)"])
        case .sealedBoxOpenFailed:
            return L("sealed box did not open (wrong key or altered ciphertext)")
        case .secretBoxAuthenticationFailed:
            return L("secretbox did not authenticate (wrong key or altered ciphertext)")
        case .keyDerivationFailed(let ops, let mem):
            return L("Argon2id failed with opslimit {ops} and memlimit {mem} bytes (out of memory?)", ["ops": "\(ops)", "mem": "\(mem)"])
        case .invalidKeyDerivationLimits(let ops, let mem):
            return L("Argon2id limits out of range: opslimit {ops}, memlimit {mem} bytes", ["ops": "\(ops)", "mem": "\(mem)"])
        case .invalidSignature:
            return L("signature does not verify")
        case .signatureWithoutDomain(let purpose):
            return L("signed in the format before signature domains, without the context \"resguardo {purpose} v1\"", ["purpose": purpose])
        case .invalidHashParameter(let what):
            return L("invalid BLAKE2b parameter: {what}", ["what": "\(what)"])
        case .invalidPadding:
            return L("invalid padding (no 0x80 marker before the trailing zeros)")
        case .invalidPaddingBlockSize(let n):
            return L("invalid padding block size {n}", ["n": "\(n)"])
        }
    }
}

/// The staff tools' catalog for this module's messages: Sodium sits below the catalogs (Formats),
/// so the tools hand it their lookup once at start (`Console.useTranslation` in CLISupport).
public enum SodiumText {
    nonisolated(unsafe) public static var translate: @Sendable (String) -> String = { $0 }
}

/// A message template from the staff catalog, `{name}` filled from `values`.
func L(_ english: String, _ values: [String: String] = [:]) -> String {
    var out = SodiumText.translate(english)
    for (name, value) in values { out = out.replacing("{\(name)}", with: value) }
    return out
}
