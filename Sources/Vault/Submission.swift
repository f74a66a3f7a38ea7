public import Formats
public import Sodium

/// A random 16-byte submission id. Not derived from anything: it links to nothing.
public struct SubmissionId: Hashable, Sendable, CustomStringConvertible {
    public let bytes: [UInt8]

    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 16 else { return nil }
        self.bytes = Array(bytes)
    }

    public static func random() throws(SodiumError) -> SubmissionId {
        SubmissionId(unchecked: try Random.bytes(count: 16))
    }

    /// The id of an envelope: BLAKE2b-128 of a domain and the envelope's bytes (formats.md §8).
    /// The same envelope sent again (a defender told "not received", or whose answer was lost)
    /// gets the same id, so it is stored once and answered with the same receipt. It says
    /// nothing of the report: every sealing draws a fresh ephemeral key, so two sealings of the
    /// same text are unrelated bytes, and whoever holds the envelope holds its row already.
    public init(envelope bytes: [UInt8]) throws(SodiumError) {
        var hasher = try GenericHash.Hasher(outputByteCount: 16)
        hasher.update(Self.domain)
        hasher.update(bytes)
        self.init(unchecked: hasher.finalize())
    }

    static let domain = Array("resguardo submission id v1\n".utf8)

    private init(unchecked: [UInt8]) { bytes = unchecked }

    /// The receipt a defender is shown: the id in hex, grouped for reading aloud or writing down.
    public var receipt: String { Encoding.hex(bytes, groupedBy: 4) }

    public init?(receipt: String) {
        guard let b = Encoding.bytes(fromHex: receipt.lowercased().filter { $0 != "-" && $0 != " " }) else { return nil }
        self.init(bytes: b)
    }

    public var description: String { receipt }
}

/// Who sealed the envelope: the defender's device, or the intake for a no-JavaScript form post.
public enum SealedBy: String, Sendable {
    case device
    case server
}

/// One row of the vault: exactly the columns of DESIGN.md §5.
public struct Submission: Sendable {
    public let id: SubmissionId
    public let receivedDay: CalendarDay
    public let keyId: KeyId
    public let bucket: Bucket
    public let urgent: Bool
    public let sealedBy: SealedBy
    public let envelope: [UInt8]

    public init(id: SubmissionId, receivedDay: CalendarDay, envelope: Envelope) {
        self.id = id
        self.receivedDay = receivedDay
        keyId = envelope.keyId
        bucket = envelope.bucket
        urgent = envelope.isUrgent
        sealedBy = envelope.flags.contains(.sealedByIntake) ? .server : .device
        self.envelope = envelope.bytes
    }
}
