public import Sodium

/// Reply v1 (docs/formats.md §13): a message from staff to a defender, sealed offline to the reply
/// key her codename gives, and padded like a report so its length says little.
///
///     plaintext = {"version":1,"day":"YYYY-MM-DD","message":str}   (UTF-8 JSON)
///     sealed    = crypto_box_seal(sodium_pad(plaintext, bucket), reply public key)
public struct Reply: Sendable, Equatable {
    public static let maxMessageLength = 20_000
    /// 48 bytes of sealed-box overhead on top of the largest bucket a reply can use.
    public static let maxSealedByteCount = 48 + 128 * 1024

    public let day: CalendarDay
    public let message: String

    public init(day: CalendarDay, message: String) throws(ReplyError) {
        guard !message.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { throw .emptyMessage }
        guard message.count <= Self.maxMessageLength else { throw .messageTooLong(message.count) }
        self.day = day
        self.message = message
    }

    public func seal(to replyKey: SealPublicKey) throws(ReplyError) -> [UInt8] {
        let json = JSONValue.object([("version", .int(1)), ("day", .string(day.description)), ("message", .string(message))]).serialized()
        guard let bucket = Bucket.fitting(plaintextByteCount: json.count), bucket.byteCount + 48 <= Self.maxSealedByteCount else {
            throw .messageTooLong(message.count)
        }
        do {
            return try SealedBox.seal(try Padding.pad(json, blockSize: bucket.byteCount), to: replyKey)
        } catch {
            throw .crypto(error)
        }
    }

    public static func open(_ sealed: [UInt8], with key: SealSecretKey) throws(ReplyError) -> Reply {
        guard sealed.count <= maxSealedByteCount, let bucket = Bucket(paddedByteCount: sealed.count - 48) else { throw .notAReply }
        let json: [UInt8]
        do {
            let padded = try SealedBox.open(sealed, with: key)
            json = try padded.withUnsafeBytes { (raw) throws(SodiumError) in
                Array(raw.prefix(try Padding.unpaddedLength(of: raw, blockSize: bucket.byteCount)))
            }
        } catch {
            throw .notForThisKey
        }
        guard let value = try? JSONValue.parse(json), case .int(1)? = value["version"],
              case .string(let dayText)? = value["day"], let day = CalendarDay(dayText),
              case .string(let message)? = value["message"] else { throw .malformed }
        return try Reply(day: day, message: message)
    }
}

public enum ReplyError: Error, Equatable, Sendable, CustomStringConvertible {
    case emptyMessage
    case messageTooLong(Int)
    case notAReply
    case notForThisKey
    case malformed
    case crypto(SodiumError)

    public var description: String {
        switch self {
        case .emptyMessage: return L("the reply is empty")
        case .messageTooLong(let n): return L("the reply has {n} characters; at most {max_message_length} are allowed", ["n": "\(n)", "max_message_length": "\(Reply.maxMessageLength)"])
        case .notAReply: return L("not a sealed reply (wrong length)")
        case .notForThisKey: return L("this reply was not sealed to this codename")
        case .malformed: return L("the reply opened but its content is malformed")
        case .crypto(let e): return L("cryptography failed: {e}", ["e": "\(e)"])
        }
    }
}

/// Reply bundle v1 (docs/formats.md §13): sealed replies carried from the offline laptop to the
/// intake, signed with the staff reply-signing key named in the key manifest.
///
///     "RSGR" ‖ 01 ‖ 00 00 00 ‖ created day (10, ASCII) ‖ count (u32 LE)
///     count × ( mailbox id (16) ‖ sealed length (u32 LE) ‖ sealed reply )
///     signer public key (32) ‖ Ed25519 signature (64) over every byte before the signer key
public struct ReplyBundle: Sendable {
    public struct Entry: Sendable, Equatable {
        public let mailbox: MailboxId
        public let sealed: [UInt8]

        public init(mailbox: MailboxId, sealed: [UInt8]) {
            self.mailbox = mailbox
            self.sealed = sealed
        }
    }

    public static let magic: [UInt8] = Array("RSGR".utf8)
    public static let version: UInt8 = 1
    static let headerByteCount = 22
    static let trailerByteCount = 96
    public static let maxCount = 100_000

    public let createdDay: CalendarDay
    public let entries: [Entry]

    public static func seal(createdDay: CalendarDay, entries: [Entry], signer: SigningKey) throws(ReplyBundleError) -> [UInt8] {
        guard entries.count <= maxCount else { throw .invalid(L("a bundle holds at most {max_count} replies", ["max_count": "\(maxCount)"])) }
        var bytes = magic + [version, 0, 0, 0] + Array(createdDay.description.utf8) + ExportBundle.uint32(entries.count)
        for entry in entries {
            guard entry.sealed.count <= Reply.maxSealedByteCount else { throw .invalid(L("a sealed reply is too large")) }
            bytes += entry.mailbox.bytes + ExportBundle.uint32(entry.sealed.count) + entry.sealed
        }
        do {
            let signature = try signer.sign(bytes, in: .replyBundle)
            return bytes + signer.verifyingKey.bytes + signature
        } catch {
            throw .crypto(error)
        }
    }

    /// Parses and verifies against the reply-signing key of the manifest the intake serves.
    public init(bytes: [UInt8], trustedKey: VerifyingKey) throws(ReplyBundleError) {
        guard bytes.count >= Self.headerByteCount + Self.trailerByteCount else { throw .truncated(byteCount: bytes.count) }
        guard Array(bytes[0..<4]) == Self.magic else { throw .notABundle }
        guard bytes[4] == Self.version else { throw .unsupportedVersion(bytes[4]) }
        guard bytes[5] == 0, bytes[6] == 0, bytes[7] == 0 else { throw .invalid(L("reserved header bytes are not zero")) }
        guard let created = CalendarDay(String(decoding: bytes[8..<18], as: UTF8.self)) else {
            throw .invalid(L("created day is not a YYYY-MM-DD date"))
        }
        let count = Int(ExportBundle.readUInt32(bytes, at: 18))
        guard count <= Self.maxCount else { throw .invalid(L("count {count} exceeds the maximum of {max_count}", ["count": "\(count)", "max_count": "\(Self.maxCount)"])) }
        let trailer = bytes.count - Self.trailerByteCount
        let signer: VerifyingKey
        do { signer = try VerifyingKey(bytes: bytes[trailer..<trailer + 32]) } catch { throw .crypto(error) }
        guard ConstantTime.equals(signer.bytes, trustedKey.bytes) else { throw .untrustedSigner }
        do { try signer.verify(bytes[(trailer + 32)...], for: bytes[0..<trailer], in: .replyBundle) } catch { throw .badSignature }
        var entries: [Entry] = []
        var offset = Self.headerByteCount
        for index in 0..<count {
            guard trailer - offset >= 20, let mailbox = MailboxId(bytes: bytes[offset..<offset + 16]) else {
                throw .invalid(L("reply {index} is truncated", ["index": "\(index)"]))
            }
            let length = Int(ExportBundle.readUInt32(bytes, at: offset + 16))
            offset += 20
            guard length <= Reply.maxSealedByteCount, length <= trailer - offset else {
                throw .invalid(L("reply {index} claims {length} bytes", ["index": "\(index)", "length": "\(length)"]))
            }
            entries.append(Entry(mailbox: mailbox, sealed: Array(bytes[offset..<offset + length])))
            offset += length
        }
        guard offset == trailer else { throw .invalid(L("{value} bytes after the last reply", ["value": "\(trailer - offset)"])) }
        createdDay = created
        self.entries = entries
    }
}

public enum ReplyBundleError: Error, Equatable, Sendable, CustomStringConvertible {
    case truncated(byteCount: Int)
    case notABundle
    case unsupportedVersion(UInt8)
    case invalid(String)
    case untrustedSigner
    case badSignature
    case crypto(SodiumError)

    public var description: String {
        switch self {
        case .truncated(let n): return L("reply bundle is truncated ({n} bytes)", ["n": "\(n)"])
        case .notABundle: return L("not a reply bundle (bad magic)")
        case .unsupportedVersion(let v): return L("reply bundle version {v} is not supported", ["v": "\(v)"])
        case .invalid(let why): return L("reply bundle is malformed: {why}", ["why": "\(why)"])
        case .untrustedSigner: return L("reply bundle is signed by a key that is not the manifest's reply-signing key")
        case .badSignature: return L("reply bundle signature does not verify (tampered or damaged)")
        case .crypto(let e): return L("cryptography failed: {e}", ["e": "\(e)"])
        }
    }
}
