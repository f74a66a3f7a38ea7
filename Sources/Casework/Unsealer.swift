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

    /// `progress(done, total)` is called every few hundred envelopes.
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

        let scratch: SecureScratch
        let atRest: AtRest
        do {
            scratch = try SecureScratch()
            atRest = try AtRest(keyId: current.id, publicKey: current.publicKey)
        } catch {
            throw .io("\(error)")
        }
        let known = Set(secretKeys.keys)
        var rows: [Row] = []
        rows.reserveCapacity(bundle.entries.count)
        var duplicates = 0
        var digests = Set<[UInt8]>()
        for (index, entry) in bundle.entries.enumerated() {
            if index % 500 == 0 { progress(index, bundle.entries.count) }
            let digest: [UInt8]
            do { digest = try GenericHash.hash(entry.envelope, outputByteCount: 32) } catch { throw .io("\(error)") }
            guard digests.insert(digest).inserted else { duplicates += 1; continue }
            do {
                rows.append(try file(entry, digest: digest, known: known, scratch: scratch, atRest: atRest, today: today))
            } catch {
                throw .io("\(error)")
            }
        }
        progress(bundle.entries.count, bundle.entries.count)

        // One transaction: the bundle is imported entirely or not at all.
        var newCases = 0, withUnknown = 0, followUps = 0
        var quarantined: [String: Int] = [:]
        do {
            try workspace.database.writer.write { db in
                let actor = workspace.actor
                let at = Audit.timestamp()
                let exists = try db.cachedStatement(sql: """
                    SELECT EXISTS (SELECT 1 FROM "case" WHERE envelope_digest = ?1) OR EXISTS (SELECT 1 FROM quarantine WHERE envelope_digest = ?1)
                    """)
                let insertCase = try db.cachedStatement(sql: """
                    INSERT INTO "case" (id, received_day, state, country, urgent, envelope_digest, data_key_id, nonce, ciphertext, reply_tag, follows)
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
                for row in rows {
                    if try Bool.fetchOne(exists, arguments: [Data(row.digest)]) ?? false { duplicates += 1; continue }
                    let id = row.id
                    switch row.outcome {
                    case .case(let country, let urgent, let unknownFields, let replyTag):
                        let follows = try replyTag.flatMap { try Data.fetchOne(firstOfCodename, arguments: [Data($0)]) }
                        try insertCase.execute(arguments: [Data(id), row.receivedDay, country, urgent ? 1 : 0, Data(row.digest), Data(atRest.id),
                                             Data(row.sealed.nonce), Data(row.sealed.ciphertext), replyTag.map { Data($0) }, follows])
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
                try db.execute(sql: "INSERT INTO imported_bundle (digest, imported_day, envelopes, new_cases, duplicates, quarantined) VALUES (?, ?, ?, ?, ?, ?)",
                               arguments: [Data(bundle.digest), today.description, bundle.entries.count, newCases, duplicates, quarantined.values.reduce(0, +)])
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
            case `case`(country: String, urgent: Bool, unknownFields: Int, replyTag: [UInt8]?)
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
    private func file(_ entry: ExportBundle.Entry, digest: [UInt8], known: Set<KeyId>, scratch: SecureScratch,
                      atRest: AtRest, today: CalendarDay) throws -> Row {
        let day = entry.receivedDay.description
        let id = try Random.bytes(count: 16)
        func quarantine(_ reasonClass: String, _ reason: String, _ content: [UInt8]) throws -> Row {
            let record = JSONValue.object([("reason", .string(reason)), ("content", .string(Encoding.base64(content)))]).serialized()
            return Row(id: id, digest: digest, receivedDay: day, outcome: .quarantine(reasonClass: reasonClass), sealed: try atRest.seal(record, itemId: id))
        }
        let envelope: Envelope
        do { envelope = try Envelope(bytes: entry.envelope, knownKeyIds: known) } catch {
            return try quarantine(error.code, error.description, entry.envelope)
        }
        guard let key = secretKeys[envelope.keyId] else {
            return try quarantine("envelope_unknown_key", "no secret key for key id \(envelope.keyId)", entry.envelope)
        }
        do {
            return try envelope.open(with: key, using: scratch) { plaintext throws -> Row in
                let bytes = Array(plaintext)
                switch Result(catching: { () throws(ReportError) in try Report.parse(bytes, today: today) }) {
                case .success(let report):
                    return Row(id: id, digest: digest, receivedDay: day,
                               outcome: .case(country: report.country, urgent: report.urgent || envelope.isUrgent, unknownFields: report.unknownFields.count,
                                              replyTag: try report.replyPublicKey.map(ReplyTag.of)),
                               sealed: try atRest.seal(bytes, itemId: id))
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
