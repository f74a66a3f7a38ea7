public import Sodium

/// Export bundle v1 (docs/formats.md §7): the envelopes the online vault hands to the offline side,
/// carried by USB and signed by the vault's own Ed25519 key.
///
///     header (48): "RSGB" ‖ 01 ‖ 00 00 00 ‖ bundle id (16) ‖ created day (10, ASCII) ‖ 00 00
///                  ‖ count (u32 LE) ‖ entries length (u64 LE)
///     entries:     count × ( submission id (16) ‖ received day (10) ‖ envelope length (u32 LE) ‖ envelope )
///     trailer(128): digest (32) ‖ signer public key (32) ‖ signature (64)
///
///     digest    = BLAKE2b-256("resguardo export bundle v1" ‖ header ‖ entries)
///     signature = Ed25519(vault signing key, digest)
///
/// The digest names the bundle: the offline side acknowledges it, and the vault purges by it.
public struct ExportBundle: Sendable {
    public struct Entry: Sendable, Equatable {
        public let submissionId: [UInt8]
        public let receivedDay: CalendarDay
        public let envelope: [UInt8]

        public init(submissionId: [UInt8], receivedDay: CalendarDay, envelope: [UInt8]) {
            self.submissionId = submissionId
            self.receivedDay = receivedDay
            self.envelope = envelope
        }
    }

    public static let magic: [UInt8] = Array("RSGB".utf8)
    public static let version: UInt8 = 1
    public static let headerByteCount = 48
    public static let trailerByteCount = 128
    public static let entryHeaderByteCount = 30
    public static let maxCount = 100_000
    /// What the vault puts in one bundle: envelopes up to 256 MiB in all (the first envelope is
    /// always taken, so one more largest envelope may follow the limit).
    public static let maxEnvelopeBytes = 256 << 20
    /// The largest file a reader needs to accept; anything longer is refused before it is read.
    public static let maxByteCount = headerByteCount + maxEnvelopeBytes + Envelope.maxByteCount + maxCount * entryHeaderByteCount + trailerByteCount
    static let domain: [UInt8] = Array("resguardo export bundle v1".utf8)

    public let bundleId: [UInt8]
    public let createdDay: CalendarDay
    public let entries: [Entry]
    public let digest: [UInt8]
    public let signer: VerifyingKey

    /// Serialises and signs a bundle.
    public static func seal(bundleId: [UInt8], createdDay: CalendarDay, entries: [Entry], signer: SigningKey) throws(ExportBundleError) -> (bytes: [UInt8], digest: [UInt8]) {
        guard bundleId.count == 16 else { throw .invalid(L("bundle id must be 16 bytes")) }
        guard entries.count <= maxCount else { throw .invalid(L("a bundle holds at most {max_count} envelopes", ["max_count": "\(maxCount)"])) }
        var body: [UInt8] = []
        for entry in entries {
            guard entry.submissionId.count == 16, entry.envelope.count <= Envelope.maxByteCount else {
                throw .invalid(L("entry has a malformed id or an oversized envelope"))
            }
            body += entry.submissionId + Array(entry.receivedDay.description.utf8) + uint32(entry.envelope.count) + entry.envelope
        }
        var header = magic + [version, 0, 0, 0] + bundleId + Array(createdDay.description.utf8) + [0, 0]
        header += uint32(entries.count) + uint64(body.count)
        do {
            var hasher = try GenericHash.Hasher(outputByteCount: 32)
            hasher.update(domain)
            hasher.update(header)
            hasher.update(body)
            let digest = hasher.finalize()
            let signature = try signer.sign(digest, in: .exportBundle)
            return (header + body + digest + signer.verifyingKey.bytes + signature, digest)
        } catch {
            throw .crypto(error)
        }
    }

    /// Parses and verifies a bundle. Framing is checked before the digest, the digest before the
    /// signature, and the signer against `trustedKey` last but always: an untrusted bundle is refused.
    public init(bytes: [UInt8], trustedKey: VerifyingKey) throws(ExportBundleError) {
        let h = Self.headerByteCount
        guard bytes.count >= h + Self.trailerByteCount else { throw .truncated(byteCount: bytes.count) }
        guard bytes.count <= Self.maxByteCount else { throw .invalid(L("the bundle is {count} bytes; at most {max_byte_count} are allowed", ["count": "\(bytes.count)", "max_byte_count": "\(Self.maxByteCount)"])) }
        guard Array(bytes[0..<4]) == Self.magic else { throw .notABundle }
        guard bytes[4] == Self.version else { throw .unsupportedVersion(bytes[4]) }
        guard bytes[5] == 0, bytes[6] == 0, bytes[7] == 0, bytes[34] == 0, bytes[35] == 0 else {
            throw .invalid(L("reserved header bytes are not zero"))
        }
        guard let created = CalendarDay(String(decoding: bytes[24..<34], as: UTF8.self)) else {
            throw .invalid(L("created day is not a YYYY-MM-DD date"))
        }
        let count = Int(Self.readUInt32(bytes, at: 36))
        let entriesLength = Self.readUInt64(bytes, at: 40)
        guard count <= Self.maxCount else { throw .invalid(L("count {count} exceeds the maximum of {max_count}", ["count": "\(count)", "max_count": "\(Self.maxCount)"])) }
        guard entriesLength == UInt64(bytes.count - h - Self.trailerByteCount) else {
            throw .invalid(L("header says {entries_length} bytes of entries, the file holds {value}", ["entries_length": "\(entriesLength)", "value": "\(bytes.count - h - Self.trailerByteCount)"]))
        }
        let trailer = bytes.count - Self.trailerByteCount
        let digest = Array(bytes[trailer..<trailer + 32])
        let computed: [UInt8]
        do {
            var hasher = try GenericHash.Hasher(outputByteCount: 32)
            hasher.update(Self.domain)
            bytes.withUnsafeBytes { hasher.update(UnsafeRawBufferPointer(rebasing: $0[0..<trailer])) }
            computed = hasher.finalize()
        } catch {
            throw .crypto(error)
        }
        guard ConstantTime.equals(digest, computed) else { throw .digestMismatch }
        let signer: VerifyingKey
        do { signer = try VerifyingKey(bytes: bytes[trailer + 32..<trailer + 64]) } catch { throw .crypto(error) }
        do { try signer.verify(bytes[trailer + 64..<bytes.count], for: digest, in: .exportBundle) } catch { throw .badSignature }
        guard ConstantTime.equals(signer.bytes, trustedKey.bytes) else { throw .untrustedSigner }

        var entries: [Entry] = []
        entries.reserveCapacity(count)
        var offset = h
        for index in 0..<count {
            guard trailer - offset >= Self.entryHeaderByteCount else { throw .invalid(L("entry {index} is truncated", ["index": "\(index)"])) }
            let id = Array(bytes[offset..<offset + 16])
            guard let day = CalendarDay(String(decoding: bytes[offset + 16..<offset + 26], as: UTF8.self)) else {
                throw .invalid(L("entry {index} has an invalid received day", ["index": "\(index)"]))
            }
            let length = Int(Self.readUInt32(bytes, at: offset + 26))
            offset += Self.entryHeaderByteCount
            guard length <= trailer - offset else { throw .invalid(L("entry {index} claims {length} bytes past the end", ["index": "\(index)", "length": "\(length)"])) }
            entries.append(Entry(submissionId: id, receivedDay: day, envelope: Array(bytes[offset..<offset + length])))
            offset += length
        }
        guard offset == trailer else { throw .invalid(L("{value} bytes after the last entry", ["value": "\(trailer - offset)"])) }
        bundleId = Array(bytes[8..<24])
        createdDay = created
        self.entries = entries
        self.digest = digest
        self.signer = signer
    }

    static func uint32(_ v: Int) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
    static func uint64(_ v: Int) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
    static func readUInt32(_ b: [UInt8], at o: Int) -> UInt32 { (0..<4).reduce(UInt32(0)) { $0 | UInt32(b[o + $1]) << (8 * UInt32($1)) } }
    static func readUInt64(_ b: [UInt8], at o: Int) -> UInt64 { (0..<8).reduce(UInt64(0)) { $0 | UInt64(b[o + $1]) << (8 * UInt64($1)) } }
}

public enum ExportBundleError: Error, Equatable, Sendable, CustomStringConvertible {
    case truncated(byteCount: Int)
    case notABundle
    case unsupportedVersion(UInt8)
    case invalid(String)
    case digestMismatch
    case badSignature
    case untrustedSigner
    case crypto(SodiumError)

    public var description: String {
        switch self {
        case .truncated(let n): return L("bundle is truncated ({n} bytes, shorter than header and trailer)", ["n": "\(n)"])
        case .notABundle: return L("not a Resguardo export bundle (it does not start with \"RSGB\")")
        case .unsupportedVersion(let v): return L("export bundle version {v} is not supported (expected 1)", ["v": "\(v)"])
        case .invalid(let why): return L("export bundle is malformed: {why}", ["why": "\(why)"])
        case .digestMismatch: return L("export bundle digest does not match its contents: the file was altered or damaged")
        case .badSignature: return L("export bundle signature does not verify: the bundle was altered or forged")
        case .untrustedSigner: return L("export bundle is signed by a vault key that is not the trusted one")
        case .crypto(let e): return L("cryptographic failure: {e}", ["e": "\(e)"])
        }
    }
}
