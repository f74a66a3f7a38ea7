public import Formats
public import Keys
import Foundation
import Sodium

/// Imports one export bundle: verifies it, detects replays, opens every envelope, and files each
/// as a case or in quarantine with its reason. Nothing is dropped: every envelope ends up counted
/// in exactly one of new cases, duplicates or quarantined.
public struct Unsealer {
    public struct Summary: Sendable {
        public let bundleDigest: [UInt8]
        public let envelopes: Int
        public let newCases: Int
        public let duplicates: Int
        /// Reason class → count.
        public let quarantined: [String: Int]
        public let casesWithUnknownFields: Int
        /// New cases sent with a codename already seen: linked to the first case of that codename.
        public let followUps: Int
        public var quarantinedTotal: Int { quarantined.values.reduce(0, +) }
    }

    let workspace: Workspace
    let keys: UnlockedKeys
    let current: KeyManifest.EncryptionKey

    public init(workspace: Workspace, keys: UnlockedKeys) throws(UnsealError) {
        guard let current = workspace.keys.manifest.manifest.encryptionKeys.last else { throw .noKeys }
        self.workspace = workspace
        self.keys = keys
        self.current = current
    }

    /// The pipeline: frame (verify the bundle, refuse a replay) → open (every core) → validate
    /// (case or quarantine, encrypted at rest) → store (one transaction). `progress(done, total)`
    /// is called before the first envelope and after every block of `blockSize` is stored.
    public func unseal(bundle bytes: [UInt8], today: CalendarDay, progress: (Int, Int) -> Void = { _, _ in }) throws(UnsealError) -> Summary {
        let bundle = try frame(bytes)
        let atRest: AtRest
        do { atRest = try AtRest(keyId: current.id, publicKey: current.publicKey) } catch { throw .io("\(error)") }
        let opener = BlockOpener(entries: bundle.entries, blockSize: Self.blockSize) { [keys] entry, scratch in
            try Self.open(entry, keys: keys, scratch: scratch) { opened in
                try Self.validate(entry, opened, atRest: atRest, scratch: scratch, today: today)
            }
        }
        defer { opener.finish() }
        let total = bundle.entries.count
        let tally: CaseDatabase.ImportTally
        progress(0, total)
        do {
            tally = try workspace.database.importBundle(digest: bundle.digest, envelopes: total, atRest: atRest, day: today, actor: workspace.actor) {
                // Called once the previous block is stored.
                if opener.handedOver > 0 { progress(opener.handedOver, total) }
                return try opener.next()
            }
        } catch { throw .io(error.description) }
        return Summary(bundleDigest: bundle.digest, envelopes: total, newCases: tally.newCases, duplicates: tally.duplicates,
                       quarantined: tally.quarantined, casesWithUnknownFields: tally.withUnknownFields, followUps: tally.followUps)
    }

    /// Envelopes opened per block: enough to keep every core busy, small enough for progress.
    static let blockSize = 1024

    // MARK: - frame

    /// Verifies the bundle against each trusted vault key and refuses one already imported.
    func frame(_ bytes: [UInt8]) throws(UnsealError) -> ExportBundle {
        let trusted: [VerifyingKey]
        do { trusted = try workspace.trustedVaultKeys() } catch { throw .io("\(error)") }
        guard !trusted.isEmpty else { throw .noTrustedVault }
        var parsed: ExportBundle?
        var lastError: ExportBundleError = .untrustedSigner
        for key in trusted {
            do { parsed = try ExportBundle(bytes: bytes, trustedKey: key); break } catch { lastError = error }
        }
        guard let bundle = parsed else { throw .bundle(lastError) }
        let seen: Bool
        do { seen = try workspace.database.isImported(bundleDigest: bundle.digest) } catch { throw .io(error.description) }
        if seen { throw .replayedBundle(Encoding.hex(bundle.digest)) }
        return bundle
    }

    // MARK: - open

    /// What opening one envelope gave: the report's bytes (in the worker's scratch, valid only
    /// inside `validate`), or why it did not open.
    enum Opened {
        case report(Envelope, UnsafeRawBufferPointer)
        case refused(reasonClass: String, reason: String)
    }

    /// Parses the envelope and opens it with the key its id names into the worker's scratch,
    /// handing the outcome to `body` while the plaintext is still there.
    static func open<R>(_ entry: ExportBundle.Entry, keys: UnlockedKeys, scratch: AtRest.Scratch, _ body: (Opened) throws -> R) throws -> R {
        let envelope: Envelope
        do { envelope = try Envelope(bytes: entry.envelope, knownKeyIds: keys.ids) } catch {
            return try body(.refused(reasonClass: error.code, reason: error.description))
        }
        guard let key = keys[envelope.keyId] else {
            return try body(.refused(reasonClass: "envelope_unknown_key", reason: "no secret key for key id \(envelope.keyId)"))
        }
        do {
            return try envelope.open(with: key, using: scratch.report) { plaintext in try body(.report(envelope, plaintext)) }
        } catch let error as EnvelopeError {
            return try body(.refused(reasonClass: error.code, reason: error.description))
        }
    }

    // MARK: - validate

    /// Decides where one envelope goes and encrypts what is kept at rest: the report for a case;
    /// for quarantine, the reason in full plus the report (or the raw envelope if it did not open).
    static func validate(_ entry: ExportBundle.Entry, _ opened: Opened, atRest: AtRest, scratch: AtRest.Scratch,
                         today: CalendarDay) throws -> CaseDatabase.FiledEnvelope {
        let digest = try GenericHash.hash(entry.envelope, outputByteCount: 32)
        let day = entry.receivedDay.description
        let id = try Random.bytes(count: 16)
        func quarantine(_ reasonClass: String, _ reason: String, _ content: [UInt8]) throws -> CaseDatabase.FiledEnvelope {
            let record = JSONValue.object([("reason", .string(reason)), ("content", .string(Encoding.base64(content)))]).serialized()
            return CaseDatabase.FiledEnvelope(id: id, digest: digest, receivedDay: day, outcome: .quarantine(reasonClass: reasonClass),
                                              sealed: try atRest.seal(record, itemId: id, scratch: scratch))
        }
        switch opened {
        case .refused(let reasonClass, let reason):
            return try quarantine(reasonClass, reason, entry.envelope)
        case .report(let envelope, let plaintext):
            let bytes = Array(plaintext)
            switch Result(catching: { () throws(ReportError) in try Report.parse(bytes, today: today) }) {
            case .success(let report):
                return CaseDatabase.FiledEnvelope(
                    id: id, digest: digest, receivedDay: day,
                    outcome: .case(country: report.country, urgent: report.urgent || envelope.isUrgent,
                                   sealedByIntake: envelope.flags.contains(.sealedByIntake), unknownFields: report.unknownFields.count,
                                   replyTag: try report.replyPublicKey.map(ReplyTag.of)),
                    sealed: try atRest.seal(bytes, itemId: id, scratch: scratch))
            case .failure(let error):
                return try quarantine(error.quarantineClass, error.description, bytes)
            }
        }
    }
}

/// What links reports sent with the same codename in the case store: a digest of the reply key,
/// never the key itself (the key would let anyone holding the store seal fake replies).
enum ReplyTag {
    static let domain: [UInt8] = Array("resguardo reply tag v1".utf8) + [0]

    static func of(_ key: SealPublicKey) throws -> [UInt8] {
        try GenericHash.hash(domain + key.bytes, outputByteCount: 16)
    }
}

extension ReportError {
    /// The quarantine reason class of a report that opened but does not validate.
    var quarantineClass: String {
        switch self {
        case .malformedJSON: return "report_malformed_json"
        case .notAnObject: return "report_not_an_object"
        case .unsupportedVersion: return "report_unsupported_version"
        case .invalid(let issues):
            return issues.contains { if case .unknownCode = $0.problem { return true }; return false } ? "report_unknown_code" : "report_invalid"
        }
    }
}

public enum UnsealError: Error, CustomStringConvertible {
    case noKeys
    case noTrustedVault
    case bundle(ExportBundleError)
    case replayedBundle(String)
    case io(String)

    public var description: String {
        switch self {
        case .noKeys: return L("the key directory lists no encryption key")
        case .noTrustedVault: return L("no vault key is trusted yet; run `resguardo vault trust --fingerprint F --public-key FILE` first")
        case .bundle(let e): return e.description
        case .replayedBundle(let digest): return L("this bundle (digest {digest}) was already imported; nothing was changed", ["digest": "\(digest)"])
        case .io(let why): return why
        }
    }
}

/// Opens a bundle's envelopes a block at a time on every core, one block ahead of the thread
/// that stores: `next()` hands over the block opened meanwhile and starts the one after it, so
/// the cores never wait for SQLite (measured with scripts/bench unseal: 8.5k → 16k+ reports/s on
/// 2 cores). Each worker has guarded scratch memory of its own (`AtRest.Scratch`).
/// Unchecked Sendable, and why that holds: the work sent to another thread reads only the `let`
/// constants; the mutable state (`start`, `ahead`, `handedOver`) is touched by the storing
/// thread alone.
final class BlockOpener: @unchecked Sendable {
    typealias Filed = CaseDatabase.FiledEnvelope
    typealias Block = [Result<Filed, any Error>]
    private let entries: [ExportBundle.Entry]
    private let blockSize: Int
    private let file: @Sendable (ExportBundle.Entry, AtRest.Scratch) throws -> Filed
    private var start = 0
    /// The block being opened on the other threads, if any.
    private var ahead: Ahead<Block>?
    /// Envelopes handed over so far (for progress).
    private(set) var handedOver = 0

    init(entries: [ExportBundle.Entry], blockSize: Int, file: @escaping @Sendable (ExportBundle.Entry, AtRest.Scratch) throws -> Filed) {
        self.entries = entries
        self.blockSize = blockSize
        self.file = file
    }

    /// The next block, opened; nil after the last. Throws the first error of a block.
    func next() throws -> [Filed]? {
        guard start < entries.count else { return nil }
        let block: Block
        if let ahead {
            self.ahead = nil
            // Set before the group was left; never nil unless the work was not scheduled.
            guard let opened = ahead.wait() else { throw UnsealError.io(L("envelopes {start}… were not opened", ["start": "\(start)"])) }
            block = opened
        } else {
            block = Self.open(entries, start, blockSize, file)
        }
        let following = start + blockSize
        if following < entries.count {
            // The work reads only the opener's constants (entries, block size, the filing
            // function), and `finish()` (or the next `next()`) waits for it.
            ahead = Ahead { [self] in Self.open(entries, following, blockSize, file) }
        }
        start = following
        let filed = try block.map { try $0.get() }
        handedOver += filed.count
        return filed
    }

    /// Waits for a block still being opened: nothing runs on after the import returns or throws.
    func finish() {
        _ = ahead?.wait()
        ahead = nil
    }

    private static func open(_ entries: [ExportBundle.Entry], _ start: Int, _ blockSize: Int,
                             _ file: (ExportBundle.Entry, AtRest.Scratch) throws -> Filed) -> Block {
        let end = min(start + blockSize, entries.count)
        do {
            return try Parallel.map(count: end - start, makeState: { try AtRest.Scratch() }) { scratch, offset in
                Result { try file(entries[start + offset], scratch) }
            }
        } catch {
            return [.failure(error)]
        }
    }
}

/// Work started on another thread whose result one thread collects: the value is written
/// before the DispatchGroup is left and read after it is waited for (the group orders the two).
final class Ahead<Value>: @unchecked Sendable {
    private let group = DispatchGroup()
    private var value: Value?

    init(_ work: @escaping @Sendable () -> Value) {
        DispatchQueue.global().async(group: group) { [self] in value = work() }
    }

    func wait() -> Value? {
        group.wait()
        return value
    }
}
