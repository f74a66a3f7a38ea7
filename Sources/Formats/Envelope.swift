public import Sodium

/// Envelope v1, the body of `POST /v1/reports` (docs/formats.md §2):
///
///     "RSG1" (4) ‖ flags (1) ‖ key id (8) ‖ crypto_box_seal(padded report, recipient pk)
///
/// The sealed part is exactly 48 + bucket bytes, so an envelope is 61 + bucket bytes long.
public struct Envelope: Sendable, Equatable {
    public static let magic: [UInt8] = Array("RSG".utf8)
    public static let version: UInt8 = UInt8(ascii: "1")
    public static let headerByteCount = 13
    /// Header plus sealed-box overhead: an envelope is this plus its bucket.
    public static let overheadByteCount = headerByteCount + 48
    public static var maxByteCount: Int { overheadByteCount + Bucket.largest.byteCount }

    public struct Flags: OptionSet, Sendable, Hashable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        /// The defender asked for urgent attention. Travels in the clear, by design (threat model).
        public static let urgent = Flags(rawValue: 1 << 0)
        /// Sealed by the intake for a no-JavaScript submission, not on the defender's device.
        public static let sealedByIntake = Flags(rawValue: 1 << 1)
        public static let known: Flags = [.urgent, .sealedByIntake]
    }

    public let flags: Flags
    public let keyId: KeyId
    public let bucket: Bucket
    /// The whole envelope, as received; kept byte-exact for digests and storage.
    public let bytes: [UInt8]

    /// Parses and checks everything that can be checked without a secret key. Lengths are
    /// checked first, so a 100 MB body costs nothing but the comparison.
    public init(bytes: [UInt8], knownKeyIds: Set<KeyId>? = nil) throws(EnvelopeError) {
        guard !bytes.isEmpty else { throw .empty }
        guard bytes.count <= Envelope.maxByteCount else { throw .tooLarge(byteCount: bytes.count, max: Envelope.maxByteCount) }
        guard bytes.count >= Envelope.headerByteCount else { throw .truncated(byteCount: bytes.count) }
        guard Array(bytes[0..<3]) == Envelope.magic else { throw .badMagic }
        guard bytes[3] == Envelope.version else { throw .unsupportedVersion(bytes[3]) }
        let flags = Flags(rawValue: bytes[4])
        guard flags.isSubset(of: .known) else { throw .unknownFlags(flags.subtracting(.known).rawValue) }
        guard let keyId = KeyId(bytes: bytes[5..<13]) else { throw .truncated(byteCount: bytes.count) }
        guard let bucket = Bucket(paddedByteCount: bytes.count - Envelope.overheadByteCount) else {
            throw .lengthNotABucket(byteCount: bytes.count)
        }
        if let knownKeyIds, !knownKeyIds.contains(keyId) { throw .unknownKeyId(keyId) }
        self.flags = flags
        self.keyId = keyId
        self.bucket = bucket
        self.bytes = bytes
    }

    /// Pads `report` to its bucket and seals it to `recipient`.
    public static func seal(report: some ContiguousBytesLike, to recipient: SealPublicKey, flags: Flags = []) throws(EnvelopeError) -> Envelope {
        let length = report.withRawBytes { $0.count }
        guard let bucket = Bucket.fitting(plaintextByteCount: length) else {
            throw .reportTooLarge(byteCount: length, max: Bucket.maxPlaintextByteCount)
        }
        guard flags.isSubset(of: .known) else { throw .unknownFlags(flags.subtracting(.known).rawValue) }
        do {
            let padded = try Padding.pad(report, blockSize: bucket.byteCount)
            let sealed = try SealedBox.seal(padded, to: recipient)
            let keyId = try KeyId(publicKey: recipient)
            return try Envelope(bytes: magic + [version, flags.rawValue] + keyId.bytes + sealed)
        } catch let error as SodiumError {
            throw .crypto(error)
        } catch let error as EnvelopeError {
            throw error
        } catch {
            throw .crypto(.sealedBoxOpenFailed)
        }
    }

    /// Opens the sealed part and removes the padding. The report comes back in guarded memory.
    public func open(with key: SealSecretKey) throws(EnvelopeError) -> SecureBytes {
        try checkKey(key)
        do {
            return try SecureBytes(capacity: bucket.byteCount) { (out: UnsafeMutableRawBufferPointer) throws(EnvelopeError) -> Int in
                try openPadded(with: key, into: out)
            }
        } catch {
            switch error {
            case .sodium(let e): throw .crypto(e)
            case .fill(let e): throw e
            }
        }
    }

    /// Opens into a reused scratch region and hands the report to `body`; the region is wiped
    /// when `body` returns. This is the unseal loop's path: no allocation per envelope.
    public func open<R>(with key: SealSecretKey, using scratch: SecureScratch,
                        _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        try checkKey(key)
        do {
            return try scratch.withUnsafeMutableBytes(count: bucket.byteCount) { (out: UnsafeMutableRawBufferPointer) throws -> R in
                let length = try openPadded(with: key, into: out)
                return try body(UnsafeRawBufferPointer(rebasing: out[0..<length]))
            }
        } catch ScratchError<any Error>.sodium(let error) {
            throw EnvelopeError.crypto(error)
        } catch ScratchError<any Error>.body(let error) {
            throw error
        }
    }

    private func checkKey(_ key: SealSecretKey) throws(EnvelopeError) {
        let expected: KeyId
        do { expected = try KeyId(publicKey: key.publicKey) } catch { throw .crypto(error) }
        guard expected == keyId else { throw .wrongKey(envelope: keyId, key: expected) }
    }

    /// Opens into `out` (at least one bucket long) and returns the unpadded length.
    private func openPadded(with key: SealSecretKey, into out: UnsafeMutableRawBufferPointer) throws(EnvelopeError) -> Int {
        let opened: Int
        do {
            opened = try bytes.withUnsafeBytes { (all) throws(SodiumError) -> Int in
                try SealedBox.open(UnsafeRawBufferPointer(rebasing: all[Envelope.headerByteCount...]), with: key, into: out)
            }
        } catch {
            throw .openFailed
        }
        do {
            return try Padding.unpaddedLength(of: UnsafeRawBufferPointer(rebasing: out[0..<opened]), blockSize: bucket.byteCount)
        } catch {
            throw .badPadding
        }
    }

    public var isUrgent: Bool { flags.contains(.urgent) }
}

public enum EnvelopeError: Error, Equatable, Sendable, CustomStringConvertible {
    case empty
    case tooLarge(byteCount: Int, max: Int)
    case truncated(byteCount: Int)
    case badMagic
    case unsupportedVersion(UInt8)
    case unknownFlags(UInt8)
    case lengthNotABucket(byteCount: Int)
    case unknownKeyId(KeyId)
    case wrongKey(envelope: KeyId, key: KeyId)
    case openFailed
    case badPadding
    case reportTooLarge(byteCount: Int, max: Int)
    case crypto(SodiumError)

    /// A stable machine-readable code (used by the intake's JSON errors and by quarantine).
    public var code: String {
        switch self {
        case .empty: return "envelope_empty"
        case .tooLarge: return "envelope_too_large"
        case .truncated: return "envelope_truncated"
        case .badMagic: return "envelope_bad_magic"
        case .unsupportedVersion: return "envelope_unsupported_version"
        case .unknownFlags: return "envelope_unknown_flags"
        case .lengthNotABucket: return "envelope_length_not_a_bucket"
        case .unknownKeyId: return "envelope_unknown_key"
        case .wrongKey: return "envelope_wrong_key"
        case .openFailed: return "envelope_open_failed"
        case .badPadding: return "envelope_bad_padding"
        case .reportTooLarge: return "report_too_large"
        case .crypto: return "crypto_failure"
        }
    }

    public var description: String {
        switch self {
        case .empty:
            return L("envelope is empty (0 bytes)")
        case .tooLarge(let n, let max):
            return L("envelope is {n} bytes, larger than the largest allowed ({max} bytes)", ["n": "\(n)", "max": "\(max)"])
        case .truncated(let n):
            return L("envelope is truncated: {n} bytes, shorter than the {header_byte_count}-byte header", ["n": "\(n)", "header_byte_count": "\(Envelope.headerByteCount)"])
        case .badMagic:
            return L("envelope does not start with \"RSG\" (not a Resguardo envelope)")
        case .unsupportedVersion(let v):
            let shown = (0x21...0x7E).contains(v) ? "\"\(Character(Unicode.Scalar(v)))\"" : "0x\(String(v, radix: 16))"
            return L("envelope version {shown} is not supported (expected \"1\")", ["shown": "\(shown)"])
        case .unknownFlags(let bits):
            return L("envelope has unknown flag bits 0x{value} (only bit 0 urgent and bit 1 sealed-by-intake are defined)", ["value": "\(String(bits, radix: 16))"])
        case .lengthNotABucket(let n):
            return L("envelope length {n} is not 61 + a bucket size (4 KiB … 16 MiB, powers of two)", ["n": "\(n)"])
        case .unknownKeyId(let id):
            return L("envelope is sealed to key id {id}, which is not in the key manifest", ["id": "\(id)"])
        case .wrongKey(let envelope, let key):
            return L("envelope is sealed to key id {envelope}, not to the given key {key}", ["envelope": "\(envelope)", "key": "\(key)"])
        case .openFailed:
            return L("sealed box did not open with the key its id names (altered or forged envelope)")
        case .badPadding:
            return L("report padding is invalid (no 0x80 marker before the trailing zeros)")
        case .reportTooLarge(let n, let max):
            return L("report is {n} bytes; the largest that fits an envelope is {max} bytes", ["n": "\(n)", "max": "\(max)"])
        case .crypto(let error):
            return L("cryptographic failure: {error}", ["error": "\(error)"])
        }
    }
}
