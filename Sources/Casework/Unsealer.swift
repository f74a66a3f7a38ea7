public import Formats
import Foundation
import GRDB
public import Sodium

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
    let secretKeys: [KeyId: SealSecretKey]
    let current: KeyManifest.EncryptionKey

    public init(workspace: Workspace, secretKeys: [KeyId: SealSecretKey]) throws(UnsealError) {
        guard let current = workspace.keys.manifest.manifest.encryptionKeys.last else { throw .noKeys }
        self.workspace = workspace
        self.secretKeys = secretKeys
        self.current = current
    }

    /// `progress(done, total)` is called before the first envelope and after every block of 1,024.
    public func unseal(bundle bytes: [UInt8], today: CalendarDay, progress: (Int, Int) -> Void = { _, _ in }) throws(UnsealError) -> Summary {
        let trusted: [VerifyingKey]
        do { trusted = try workspace.trustedVaultKeys() } catch { throw .io("\(error)") }
        guard !trusted.isEmpty else { throw .noTrustedVault }
        var parsed: ExportBundle?
        var lastError: ExportBundleError = .untrustedSigner
        for key in trusted {
            do { parsed = try ExportBundle(bytes: bytes, trustedKey: key); break } catch { lastError = error }
        }
        guard let bundle = parsed else { throw .bundle(lastError) }
        do {
            let seen = try workspace.database.writer.read { db in
                try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM imported_bundle WHERE digest = ?)", arguments: [Data(bundle.digest)]) ?? false
            }
            if seen { throw UnsealError.replayedBundle(Encoding.hex(bundle.digest)) }
        } catch let error as UnsealError {
            throw error
        } catch {
            throw .io("\(error)")
        }

        let atRest: AtRest
        do { atRest = try AtRest(keyId: current.id, publicKey: current.publicKey) } catch { throw .io("\(error)") }
        let known = Set(secretKeys.keys)
        let entries = bundle.entries
        // Opening, validating and re-encrypting are independent per envelope: done on every core,
        // each worker with guarded scratch memory of its own, one block ahead of the thread that
        // stores the previous block, so the cores never wait for SQLite (measured with
        // scripts/bench unseal: 8.5k → 16k+ reports/s on 2 cores).
        let blockSize = 1024
        func openBlock(_ start: Int) -> [Result<(digest: [UInt8], row: Row), any Error>] {
            let end = min(start + blockSize, entries.count)
            do {
                return try Parallel.map(count: end - start, makeState: { try Worker() }) { worker, offset in
                    Result {
                        let entry = entries[start + offset]
                        let digest = try GenericHash.hash(entry.envelope, outputByteCount: 32)
                        return (digest, try file(entry, digest: digest, known: known, worker: worker, atRest: atRest, today: today))
                    }
                }
            } catch {
                return [.failure(error)]
            }
        }

        // One transaction: the bundle is imported entirely or not at all.
        var newCases = 0, withUnknown = 0, followUps = 0, duplicates = 0
        var quarantined: [String: Int] = [:]
        var digests = Set<[UInt8]>()
        progress(0, entries.count)
        do {
            try workspace.database.writer.write { db in
                let actor = workspace.actor
                let at = Audit.timestamp()
                let insertContent = try db.cachedStatement(sql: "INSERT INTO case_content (nonce, ciphertext) VALUES (?, ?)")
                let insertCase = try db.cachedStatement(sql: """
                    INSERT INTO "case" (id, received_day, state, country, urgent, envelope_digest, data_key_id, reply_tag, follows, content_id, sealed_by_intake)
                    VALUES (?, ?, 'new', ?, ?, ?, ?, ?, ?, ?, ?)
                    """)
                let firstOfCodename = try db.cachedStatement(sql: """
                    SELECT id FROM "case" WHERE reply_tag = ? AND follows IS NULL ORDER BY received_day, id LIMIT 1
                    """)
                let insertQuarantine = try db.cachedStatement(sql: """
                    INSERT INTO quarantine (id, received_day, envelope_digest, reason_class, data_key_id, nonce, ciphertext)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """)
                try db.execute(sql: "INSERT INTO data_key (id, sealed_key_id, sealed_key) VALUES (?, ?, ?)",
                               arguments: [Data(atRest.id), Data(atRest.keyId.bytes), Data(atRest.sealedKey)])

                // Digests already in the store, asked for a block at a time (one query per
                // envelope was a measurable share of storing a bundle).
                func alreadyStored(_ rows: [Row]) throws -> Set<Data> {
                    var found = Set<Data>()
                    for chunk in stride(from: 0, to: rows.count, by: 400).map({ rows[$0..<min($0 + 400, rows.count)] }) {
                        let marks = Array(repeating: "?", count: chunk.count).joined(separator: ", ")
                        let arguments = StatementArguments(chunk.map { Data($0.digest) })
                        for table in [#""case""#, "quarantine"] {
                            found.formUnion(try Data.fetchAll(db, sql: "SELECT envelope_digest FROM \(table) WHERE envelope_digest IN (\(marks))", arguments: arguments))
                        }
                    }
                    return found
                }

                func store(_ row: Row, stored: Set<Data>) throws {
                    if stored.contains(Data(row.digest)) { duplicates += 1; return }
                    let id = row.id
                    switch row.outcome {
                    case .case(let country, let urgent, let sealedByIntake, let unknownFields, let replyTag):
                        let follows = try replyTag.flatMap { try Data.fetchOne(firstOfCodename, arguments: [Data($0)]) }
                        try insertContent.execute(arguments: [Data(row.sealed.nonce), Data(row.sealed.ciphertext)])
                        try insertCase.execute(arguments: [Data(id), row.receivedDay, country, urgent ? 1 : 0, Data(row.digest), Data(atRest.id),
                                                           replyTag.map { Data($0) }, follows, db.lastInsertedRowID, sealedByIntake ? 1 : 0])
                        newCases += 1
                        if unknownFields > 0 { withUnknown += 1 }
                        var detail = unknownFields > 0 ? "\(unknownFields) unknown fields kept" : ""
                        if let follows {
                            followUps += 1
                            detail += (detail.isEmpty ? "" : "; ") + "follow-up of case \(Encoding.hex(follows).prefix(12)) (same codename)"
                        }
                        try Audit.append(db, at: at, actor: actor, caseId: id, action: "case_created", detail: detail)
                    case .quarantine(let reasonClass):
                        try insertQuarantine.execute(arguments: [Data(id), row.receivedDay, Data(row.digest), reasonClass, Data(atRest.id),
                                                                 Data(row.sealed.nonce), Data(row.sealed.ciphertext)])
                        quarantined[reasonClass, default: 0] += 1
                        try Audit.append(db, at: at, actor: actor, caseId: id, action: "quarantined", detail: reasonClass)
                    }
                }

                var block = openBlock(0)
                var start = 0
                while start < entries.count {
                    let next = start + blockSize
                    // Open the next block on the other threads while this one stores.
                    let ahead = Ahead<[Result<(digest: [UInt8], row: Row), any Error>]>()
                    let group = DispatchGroup()
                    if next < entries.count {
                        // Unchecked: openBlock reads only the immutable bundle, keys and settings
                        // it captured, and this thread waits for it before leaving the loop body.
                        let work = UncheckedSendable(openBlock)
                        DispatchQueue.global().async(group: group) { ahead.value = work.value(next) }
                    }
                    defer { group.wait() }  // never leave the transaction with a block still being opened
                    var rows: [Row] = []
                    rows.reserveCapacity(block.count)
                    for outcome in block {
                        let (digest, row) = try outcome.get()
                        // The same envelope twice in one bundle: stored once, counted as a duplicate.
                        guard digests.insert(digest).inserted else { duplicates += 1; continue }
                        rows.append(row)
                    }
                    let stored = try alreadyStored(rows)
                    for row in rows { try store(row, stored: stored) }
                    group.wait()
                    start = next
                    progress(min(start, entries.count), entries.count)
                    guard start < entries.count else { break }
                    // Set before the group was left; never nil unless the work was not scheduled.
                    guard let opened = ahead.value else { throw UnsealError.io("envelopes \(start)… were not opened") }
                    block = opened
                }
                try db.execute(sql: "INSERT INTO imported_bundle (digest, imported_day, envelopes, new_cases, duplicates, quarantined) VALUES (?, ?, ?, ?, ?, ?)",
                               arguments: [Data(bundle.digest), today.description, entries.count, newCases, duplicates, quarantined.values.reduce(0, +)])
                try Audit.append(db, actor: actor, caseId: nil, action: "bundle_imported", detail: Encoding.hex(bundle.digest))
            }
        } catch {
            throw .io("\(error)")
        }
        return Summary(bundleDigest: bundle.digest, envelopes: bundle.entries.count, newCases: newCases, duplicates: duplicates,
                       quarantined: quarantined, casesWithUnknownFields: withUnknown, followUps: followUps)
    }

    struct Row {
        enum Outcome {
            case `case`(country: String, urgent: Bool, sealedByIntake: Bool, unknownFields: Int, replyTag: [UInt8]?)
            case quarantine(reasonClass: String)
        }
        let id: [UInt8]
        let digest: [UInt8]
        let receivedDay: String
        let outcome: Outcome
        let sealed: AtRest.Sealed
    }

    /// Decides where one envelope goes. What is kept is always encrypted at rest: the report for a
    /// case; for quarantine, the reason in full plus the report (or the raw envelope if it did not open).
    /// Guarded scratch memory for one worker thread: the opened report, and the item key.
    final class Worker {
        let report: SecureScratch
        let itemKey: SecureScratch
        init() throws {
            report = try SecureScratch()
            itemKey = try SecureScratch(capacity: 32)
        }
    }

    private func file(_ entry: ExportBundle.Entry, digest: [UInt8], known: Set<KeyId>, worker: Worker,
                      atRest: AtRest, today: CalendarDay) throws -> Row {
        let day = entry.receivedDay.description
        let id = try Random.bytes(count: 16)
        func quarantine(_ reasonClass: String, _ reason: String, _ content: [UInt8]) throws -> Row {
            let record = JSONValue.object([("reason", .string(reason)), ("content", .string(Encoding.base64(content)))]).serialized()
            return Row(id: id, digest: digest, receivedDay: day, outcome: .quarantine(reasonClass: reasonClass), sealed: try atRest.seal(record, itemId: id, scratch: worker.itemKey))
        }
        let envelope: Envelope
        do { envelope = try Envelope(bytes: entry.envelope, knownKeyIds: known) } catch {
            return try quarantine(error.code, error.description, entry.envelope)
        }
        guard let key = secretKeys[envelope.keyId] else {
            return try quarantine("envelope_unknown_key", "no secret key for key id \(envelope.keyId)", entry.envelope)
        }
        do {
            return try envelope.open(with: key, using: worker.report) { plaintext throws -> Row in
                let bytes = Array(plaintext)
                switch Result(catching: { () throws(ReportError) in try Report.parse(bytes, today: today) }) {
                case .success(let report):
                    return Row(id: id, digest: digest, receivedDay: day,
                               outcome: .case(country: report.country, urgent: report.urgent || envelope.isUrgent,
                                              sealedByIntake: envelope.flags.contains(.sealedByIntake), unknownFields: report.unknownFields.count,
                                              replyTag: try report.replyPublicKey.map(ReplyTag.of)),
                               sealed: try atRest.seal(bytes, itemId: id, scratch: worker.itemKey))
                case .failure(let error):
                    let reasonClass: String
                    switch error {
                    case .malformedJSON: reasonClass = "report_malformed_json"
                    case .notAnObject: reasonClass = "report_not_an_object"
                    case .unsupportedVersion: reasonClass = "report_unsupported_version"
                    case .invalid(let issues): reasonClass = issues.contains { if case .unknownCode = $0.problem { return true }; return false } ? "report_unknown_code" : "report_invalid"
                    }
                    return try quarantine(reasonClass, error.description, bytes)
                }
            }
        } catch let error as EnvelopeError {
            return try quarantine(error.code, error.description, entry.envelope)
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
        case .noKeys: return "the key directory lists no encryption key"
        case .noTrustedVault: return "no vault key is trusted yet; run `resguardo vault trust --fingerprint F --public-key FILE` first"
        case .bundle(let e): return e.description
        case .replayedBundle(let digest): return "this bundle (digest \(digest)) was already imported; nothing was changed"
        case .io(let why): return why
        }
    }
}

/// A value handed from the thread that opens the next block to the one that stores: written
/// before the DispatchGroup is left, read after it is waited for (the group orders the two).
final class Ahead<Value>: @unchecked Sendable {
    var value: Value?
}
