public import Sodium
import Foundation

/// Codename v1 (docs/formats.md §12): seven words from the 7,776-word Spanish list (about 90
/// bits), made on the defender's device. It is the only secret she needs to read replies:
///
///     normalised = NFKD, combining marks removed, lower case, every run of other characters → " "
///     h          = BLAKE2b-512("resguardo codename v1" ‖ 0x00 ‖ normalised)
///     reply key  = crypto_box_seed_keypair(h[0..<32])
///     mailbox id = BLAKE2b-128("resguardo mailbox v1" ‖ 0x00 ‖ reply public key)
///
/// The mailbox id comes from the public key (which the report carries) so that staff can address a
/// reply from the report alone.
public struct Codename: Sendable, Equatable, CustomStringConvertible {
    public static let wordCount = 7
    static let domain: [UInt8] = Array("resguardo codename v1".utf8) + [0]

    /// The 7,776 words, sorted and normalised.
    public static let wordList: [String] = wordListText.split(separator: "\n").map(String.init)
    private static let wordSet = Set(wordList)

    public let words: [String]

    /// The words joined by single spaces: what is hashed, and what the defender writes down.
    public var text: String { words.joined(separator: " ") }

    /// Never printed by accident (logs, error messages): the codename is a secret.
    public var description: String { "<codename>" }

    /// Reads a codename as typed: any case, accents or not, any separators.
    public init(_ typed: String) throws(CodenameError) {
        let parts = Self.normalise(typed).split(separator: " ").map(String.init)
        guard parts.count == Self.wordCount else { throw .wrongWordCount(parts.count) }
        for (i, word) in parts.enumerated() where !Self.wordSet.contains(word) {
            throw .unknownWord(position: i + 1)
        }
        words = parts
    }

    private init(checked words: [String]) { self.words = words }

    /// A fresh codename from libsodium's CSPRNG (uniform over the list).
    public static func generate() throws(SodiumError) -> Codename {
        var words: [String] = []
        for _ in 0..<wordCount {
            words.append(wordList[Int(try Random.uniform(below: UInt32(wordList.count)))])
        }
        return Codename(checked: words)
    }

    static func normalise(_ typed: String) -> String {
        var out = ""
        var gap = false
        for scalar in typed.decomposedStringWithCompatibilityMapping.unicodeScalars {
            if scalar.properties.canonicalCombiningClass != .notReordered { continue }
            let value = scalar.value | (scalar.value >= 0x41 && scalar.value <= 0x5A ? 0x20 : 0)
            if value >= 0x61 && value <= 0x7A {
                if gap && !out.isEmpty { out.append(" ") }
                gap = false
                out.unicodeScalars.append(Unicode.Scalar(UInt8(value)))
            } else {
                gap = true
            }
        }
        return out
    }

    /// The reply key pair and the mailbox it belongs to.
    public func replyKeys() throws(SodiumError) -> (secretKey: SealSecretKey, mailbox: MailboxId) {
        var hasher = try GenericHash.Hasher(outputByteCount: 64)
        hasher.update(Self.domain)
        hasher.update(Array(text.utf8))
        let digest = try hasher.finalizeSecret()
        let seed = try digest.withUnsafeBytes { (b) throws(SodiumError) in try SecureBytes(copying: b.prefix(32)) }
        let key = try SealSecretKey(seed: seed)
        return (key, try MailboxId(replyPublicKey: key.publicKey))
    }
}

public enum CodenameError: Error, Equatable, CustomStringConvertible {
    case wrongWordCount(Int)
    case unknownWord(position: Int)

    public var description: String {
        switch self {
        case .wrongWordCount(let n): return L("a codename has 7 words; this has {n}", ["n": "\(n)"])
        // The word itself is not repeated: error messages end up in terminals and screenshots.
        case .unknownWord(let position): return L("word {position} of the codename is not in the word list (check its spelling)", ["position": "\(position)"])
        }
    }
}

/// Where the intake keeps the sealed replies for one reply key: 16 bytes, derived from the public key.
public struct MailboxId: Hashable, Sendable, CustomStringConvertible {
    public static let byteCount = 16
    static let domain: [UInt8] = Array("resguardo mailbox v1".utf8) + [0]
    public let bytes: [UInt8]

    public init(replyPublicKey: SealPublicKey) throws(SodiumError) {
        bytes = try GenericHash.hash(Self.domain + replyPublicKey.bytes, outputByteCount: Self.byteCount)
    }

    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == Self.byteCount else { return nil }
        self.bytes = Array(bytes)
    }

    /// 32 lowercase hex digits, as in `GET /v1/mailbox/{id}`.
    public init?(hex: String) {
        guard hex.count == 2 * Self.byteCount, hex == hex.lowercased(), let b = Encoding.bytes(fromHex: hex) else { return nil }
        self.init(bytes: b)
    }

    public var hex: String { Encoding.hex(bytes) }
    public var description: String { hex }
}
