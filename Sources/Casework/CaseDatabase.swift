import Formats
import Foundation
import GRDB
import Sodium

/// The offline case store (one SQLite file in the workspace), shaped like GRDB's `AppDatabase`:
/// the connection is private and every statement on it is one of the named methods below, each
/// one transaction that keeps the store's invariants (a case's state moves only along
/// `CaseState.canMove`; every envelope digest is stored once; every change appends to the audit
/// log, which triggers keep append-only). Case contents are encrypted at rest (`AtRest`): each
/// import has its own data key, sealed to the organisation's encryption key, so the file yields
/// nothing to a thief without the passphrase. Only non-identifying columns are plain: case id,
/// received day, state, country, urgent.
public struct CaseDatabase: Sendable {
    private let writer: DatabaseQueue

    public init(path: String) throws(CaseError) {
        var configuration = Configuration()
        configuration.publicStatementArguments = false
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA secure_delete = ON")
        }
        do {
            writer = try DatabaseQueue(path: path, configuration: configuration)
            try Self.migrator.migrate(writer)
        } catch {
            throw .io(L("case store {path}: {error}", ["path": "\(path)", "error": "\(error)"]))
        }
    }

    /// Read-only access for the tests' integrity checks (PRAGMA integrity_check and the like).
    var reader: any DatabaseReader { writer }

    func read<T>(_ body: (Database) throws -> T) throws(CaseError) -> T {
        do { return try writer.read(body) } catch let error as CaseError { throw error } catch { throw .io(L("case store: {error}", ["error": "\(error)"])) }
    }

    func write<T>(_ body: (Database) throws -> T) throws(CaseError) -> T {
        do { return try writer.write(body) } catch let error as CaseError { throw error } catch { throw .io(L("case store: {error}", ["error": "\(error)"])) }
    }

    // MARK: - The audit log

    /// One entry of the audit log as stored (sealed notes still sealed).
    struct AuditEntry {
        let at: String, actor: String, action: String, detail: String
    }

    /// Now, as ISO 8601. Computed once per transaction by callers that append many entries:
    /// a formatter per entry measured as a real cost in the unseal loop.
    private static func timestamp() -> String { ISO8601DateFormatter().string(from: Date()) }

    static func appendAudit(_ db: Database, at: String = timestamp(), actor: String, caseId: [UInt8]?, action: String, detail: String) throws {
        try db.cachedStatement(sql: "INSERT INTO audit (at, actor, case_id, action, detail) VALUES (?, ?, ?, ?, ?)")
            .execute(arguments: [at, actor, caseId.map { Data($0) }, action, detail])
    }

    /// An entry for something done outside the store (a referral written to a file).
    func audit(actor: String, caseId: [UInt8]?, action: String, detail: String) throws(CaseError) {
        try write { db in try Self.appendAudit(db, actor: actor, caseId: caseId, action: action, detail: detail) }
    }

    /// The entries of one case (or all when nil), oldest first.
    func auditEntries(caseId: [UInt8]?) throws(CaseError) -> [AuditEntry] {
        try read { db in
            let rows = if let caseId {
                try Row.fetchAll(db, sql: "SELECT at, actor, action, detail FROM audit WHERE case_id = ? ORDER BY seq", arguments: [Data(caseId)])
            } else {
                try Row.fetchAll(db, sql: "SELECT at, actor, action, detail FROM audit ORDER BY seq")
            }
            return rows.map { AuditEntry(at: $0["at"], actor: $0["actor"], action: $0["action"], detail: $0["detail"]) }
        }
    }

    // MARK: - Network secrets

    /// Stores the network's pseudonym key, sealed to the key `keyId` names (once, at creation).
    func storeSealedPseudonymKey(_ sealed: [UInt8], keyId: KeyId) throws(CaseError) {
        try write { db in
            try db.execute(sql: "INSERT INTO network_secret (name, sealed_key_id, sealed) VALUES ('pseudonym', ?, ?)",
                           arguments: [Data(keyId.bytes), Data(sealed)])
        }
    }

    func sealedPseudonymKey() throws(CaseError) -> (keyId: KeyId, sealed: [UInt8]) {
        guard let row = try read({ db in try Row.fetchOne(db, sql: "SELECT sealed_key_id, sealed FROM network_secret WHERE name = 'pseudonym'") }) else {
            throw .io(L("the workspace has no pseudonym key"))
        }
        let keyId: Data = row["sealed_key_id"], sealed: Data = row["sealed"]
        guard let id = KeyId(bytes: keyId) else { throw .noKey(Encoding.hex(keyId)) }
        return (id, Array(sealed))
    }

    /// The regional office's key file, as imported: replaces an earlier one (a new regional key
    /// means every later bundle carries the new pseudonyms; `registry publish --full` resends all).
    func storeRegion(network: NetworkId, sealedKey: [UInt8], keyId: KeyId, encryptionKey: SealPublicKey, fingerprint: SigningKeyFingerprint,
                     actor: String) throws(CaseError) {
        try write { db in
            try db.execute(sql: "INSERT OR REPLACE INTO network_secret (name, sealed_key_id, sealed) VALUES ('regional-pseudonym', ?, ?)",
                           arguments: [Data(keyId.bytes), Data(sealedKey)])
            try db.execute(sql: "INSERT OR REPLACE INTO region (only, network, region_encryption_key, region_fingerprint) VALUES (1, ?, ?, ?)",
                           arguments: [network.text, Data(encryptionKey.bytes), fingerprint.description])
            try Self.appendAudit(db, actor: actor, caseId: nil, action: "regional-key", detail: "network \(network), regional office \(fingerprint)")
        }
    }

    /// The regional office, or nil before `registry regional-key import`.
    func region() throws(CaseError) -> (network: NetworkId, encryptionKey: SealPublicKey, fingerprint: String, keyId: KeyId, sealedKey: [UInt8])? {
        try read { db in
            guard let row = try Row.fetchOne(db, sql: """
                SELECT r.network, r.region_encryption_key, r.region_fingerprint, s.sealed_key_id, s.sealed
                FROM region r JOIN network_secret s ON s.name = 'regional-pseudonym'
                """) else { return nil }
            let keyBytes: Data = row["region_encryption_key"], keyId: Data = row["sealed_key_id"], sealed: Data = row["sealed"]
            guard let network = NetworkId(row["network"]), let id = KeyId(bytes: keyId), let key = try? SealPublicKey(bytes: keyBytes) else {
                throw CaseError.io(L("the workspace's regional settings are damaged"))
            }
            return (network, key, row["region_fingerprint"], id, Array(sealed))
        }
    }

    /// The registry records a case became (the same map, read the other way).
    func recordIds(forCase caseId: [UInt8]) throws(CaseError) -> [String] {
        try read { db in try String.fetchAll(db, sql: "SELECT record_id FROM case_record WHERE case_id = ? ORDER BY record_id", arguments: [Data(caseId)]) }
    }

    /// The cases that became these registry records (the case → record map of `markRegistered`).
    func caseIds(forRecords recordIds: [String]) throws(CaseError) -> [String: [UInt8]] {
        try read { db in
            var map: [String: [UInt8]] = [:]
            for id in recordIds {
                if let caseId = try Data.fetchOne(db, sql: "SELECT case_id FROM case_record WHERE record_id = ?", arguments: [id]) { map[id] = Array(caseId) }
            }
            return map
        }
    }

    // MARK: - Trusted vaults

    func trustVault(_ key: VerifyingKey, fingerprint: SigningKeyFingerprint, day: CalendarDay, actor: String) throws(CaseError) {
        try write { db in
            try db.execute(sql: "INSERT OR IGNORE INTO trusted_vault (public_key, fingerprint, added_day) VALUES (?, ?, ?)",
                           arguments: [Data(key.bytes), fingerprint.description, day.description])
            try Self.appendAudit(db, actor: actor, caseId: nil, action: "vault_trusted", detail: fingerprint.description)
        }
    }

    func trustedVaultKeys() throws(CaseError) -> [VerifyingKey] {
        try read { db in
            try Data.fetchAll(db, sql: "SELECT public_key FROM trusted_vault").compactMap { try? VerifyingKey(bytes: Array($0)) }
        }
    }

    // MARK: - Bundle import

    /// Where one envelope of a bundle goes, decided (and encrypted at rest) by the unsealer.
    struct FiledEnvelope: Sendable {
        enum Outcome: Sendable {
            case `case`(country: String, urgent: Bool, sealedByIntake: Bool, unknownFields: Int, replyTag: [UInt8]?)
            case quarantine(reasonClass: String)
        }
        let id: [UInt8]
        let digest: [UInt8]
        let receivedDay: String
        let outcome: Outcome
        let sealed: AtRest.Sealed
    }

    /// What one import did; every envelope is counted once, in new cases, duplicates or quarantine.
    struct ImportTally {
        var newCases = 0, duplicates = 0, withUnknownFields = 0, followUps = 0
        var quarantined: [String: Int] = [:]
    }

    func isImported(bundleDigest: [UInt8]) throws(CaseError) -> Bool {
        try read { db in
            try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM imported_bundle WHERE digest = ?)", arguments: [Data(bundleDigest)]) ?? false
        }
    }

    /// Imports one bundle in one transaction (entirely or not at all): the import's sealed data
    /// key, then every block `nextBlock` hands over until it returns nil, then the bundle's own
    /// row, which is what refuses a replay. `nextBlock` runs inside the transaction, so the
    /// unsealer can open the next block on the other cores while this thread stores the last.
    /// An envelope already stored, or twice in the bundle, is counted as a duplicate and stored once.
    func importBundle(digest: [UInt8], envelopes: Int, atRest: AtRest, day: CalendarDay, actor: String,
                      nextBlock: () throws -> [FiledEnvelope]?) throws(CaseError) -> ImportTally {
        do { return try importBundleUntyped(digest: digest, envelopes: envelopes, atRest: atRest, day: day, actor: actor, nextBlock: nextBlock) }
        catch let error as CaseError { throw error } catch { throw .io(L("case store: {error}", ["error": "\(error)"])) }
    }

    private func importBundleUntyped(digest: [UInt8], envelopes: Int, atRest: AtRest, day: CalendarDay, actor: String,
                      nextBlock: () throws -> [FiledEnvelope]?) throws -> ImportTally {
        try writer.write { db in
            var tally = ImportTally()
            var seen = Set<[UInt8]>()
            let at = Self.timestamp()
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

            // Digests already in the store, asked for a block at a time (one query per envelope
            // was a measurable share of storing a bundle).
            func alreadyStored(_ rows: [FiledEnvelope]) throws -> Set<Data> {
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

            func store(_ row: FiledEnvelope) throws {
                switch row.outcome {
                case .case(let country, let urgent, let sealedByIntake, let unknownFields, let replyTag):
                    let follows = try replyTag.flatMap { try Data.fetchOne(firstOfCodename, arguments: [Data($0)]) }
                    try insertContent.execute(arguments: [Data(row.sealed.nonce), Data(row.sealed.ciphertext)])
                    try insertCase.execute(arguments: [Data(row.id), row.receivedDay, country, urgent ? 1 : 0, Data(row.digest), Data(atRest.id),
                                                       replyTag.map { Data($0) }, follows, db.lastInsertedRowID, sealedByIntake ? 1 : 0])
                    tally.newCases += 1
                    if unknownFields > 0 { tally.withUnknownFields += 1 }
                    var detail = unknownFields > 0 ? "\(unknownFields) unknown fields kept" : ""
                    if let follows {
                        tally.followUps += 1
                        detail += (detail.isEmpty ? "" : "; ") + "follow-up of case \(Encoding.hex(follows).prefix(12)) (same codename)"
                    }
                    try Self.appendAudit(db, at: at, actor: actor, caseId: row.id, action: "case_created", detail: detail)
                case .quarantine(let reasonClass):
                    try insertQuarantine.execute(arguments: [Data(row.id), row.receivedDay, Data(row.digest), reasonClass, Data(atRest.id),
                                                             Data(row.sealed.nonce), Data(row.sealed.ciphertext)])
                    tally.quarantined[reasonClass, default: 0] += 1
                    try Self.appendAudit(db, at: at, actor: actor, caseId: row.id, action: "quarantined", detail: reasonClass)
                }
            }

            while let block = try nextBlock() {
                // The same envelope twice in one bundle: stored once, counted as a duplicate.
                let fresh = block.filter { seen.insert($0.digest).inserted }
                tally.duplicates += block.count - fresh.count
                let stored = try alreadyStored(fresh)
                for row in fresh {
                    if stored.contains(Data(row.digest)) { tally.duplicates += 1 } else { try store(row) }
                }
            }
            try db.execute(sql: "INSERT INTO imported_bundle (digest, imported_day, envelopes, new_cases, duplicates, quarantined) VALUES (?, ?, ?, ?, ?, ?)",
                           arguments: [Data(digest), day.description, envelopes, tally.newCases, tally.duplicates, tally.quarantined.values.reduce(0, +)])
            try Self.appendAudit(db, actor: actor, caseId: nil, action: "bundle_imported", detail: Encoding.hex(digest))
            return tally
        }
    }

    // MARK: - Cases

    func cases(_ filter: CaseFilter) throws(CaseError) -> [CaseSummary] {
        try read { db in
            var sql = #"SELECT id, received_day, state, country, urgent, sealed_by_intake, risk_level, risk_day FROM "case" WHERE 1"#
            var arguments: StatementArguments = []
            if let state = filter.state { sql += " AND state = ?"; arguments += [state.rawValue] }
            if filter.urgentOnly { sql += " AND urgent = 1" }
            if let minimum = filter.minimumRisk {
                let levels = RiskLevel.allCases.filter { $0 >= minimum }.map(\.rawValue)
                sql += " AND risk_level IN (\(levels.map { _ in "?" }.joined(separator: ", ")))"
                arguments += StatementArguments(levels)
            }
            if let before = filter.assessedBefore { sql += " AND (risk_day IS NULL OR risk_day < ?)"; arguments += [before.description] }
            // The risk order is the level's rank, written out so the column stays plain text.
            let rank = "CASE risk_level WHEN 'extreme' THEN 4 WHEN 'high' THEN 3 WHEN 'medium' THEN 2 WHEN 'low' THEN 1 ELSE 0 END"
            switch filter.order {
            case .urgency: sql += " ORDER BY urgent DESC, received_day, id"
            case .risk: sql += " ORDER BY \(rank) DESC, urgent DESC, received_day, id"
            case .assessed: sql += " ORDER BY risk_day IS NOT NULL, risk_day, urgent DESC, received_day, id"
            }
            return try Row.fetchAll(db, sql: sql, arguments: arguments).compactMap { row in
                let id: Data = row["id"]
                guard let state = CaseState(rawValue: row["state"]) else { return nil }
                var summary = CaseSummary(id: Array(id), receivedDay: row["received_day"], state: state, country: row["country"], urgent: row["urgent"],
                                          sealedByIntake: row["sealed_by_intake"])
                summary.risk = (row["risk_level"] as String?).flatMap(RiskLevel.init(rawValue:))
                summary.riskDay = (row["risk_day"] as String?).flatMap(CalendarDay.init)
                return summary
            }
        }
    }

    /// Case ids whose hex form starts with `hexPrefix` (lowercase hex digits only, checked by
    /// the caller, so it is never a LIKE pattern).
    func caseIds(withPrefix hexPrefix: String) throws(CaseError) -> [[UInt8]] {
        try read { db in
            try Data.fetchAll(db, sql: #"SELECT id FROM "case" WHERE lower(hex(id)) LIKE ? || '%'"#, arguments: [hexPrefix]).map { Array($0) }
        }
    }

    /// A case as stored: its plain columns and its sealed report.
    struct SealedCase {
        let summary: CaseSummary
        let sealedKey: [UInt8], keyId: KeyId, nonce: [UInt8], ciphertext: [UInt8]
    }

    /// Reads these cases in one transaction, in the order given.
    func sealedCases(_ ids: [[UInt8]]) throws(CaseError) -> [SealedCase] {
        try read { db in
            let statement = try db.cachedStatement(sql: #"""
                SELECT c.id, c.received_day, c.state, c.country, c.urgent, c.sealed_by_intake, t.nonce, t.ciphertext, k.sealed_key_id, k.sealed_key
                FROM "case" c JOIN case_content t ON t.id = c.content_id JOIN data_key k ON k.id = c.data_key_id WHERE c.id = ?
                """#)
            return try ids.map { id in
                guard let row = try Row.fetchOne(statement, arguments: [Data(id)]) else { throw CaseError.notFound(Encoding.hex(id)) }
                let keyIdBytes: Data = row["sealed_key_id"]
                guard let keyId = KeyId(bytes: keyIdBytes) else { throw CaseError.noKey(Encoding.hex(keyIdBytes)) }
                guard let state = CaseState(rawValue: row["state"]) else { throw CaseError.io(L("case {value} has an unknown state", ["value": "\(Encoding.hex(id))"])) }
                let sealedKey: Data = row["sealed_key"], nonce: Data = row["nonce"], ciphertext: Data = row["ciphertext"]
                return SealedCase(summary: CaseSummary(id: id, receivedDay: row["received_day"], state: state, country: row["country"], urgent: row["urgent"],
                                                       sealedByIntake: row["sealed_by_intake"]),
                                  sealedKey: Array(sealedKey), keyId: keyId, nonce: Array(nonce), ciphertext: Array(ciphertext))
            }
        }
    }

    /// Moves a case to `next` along `CaseState.canMove`, with its audit entry (`detail` is the
    /// sealed note), in one transaction.
    func transition(_ id: [UInt8], to next: CaseState, actor: String, detail: String) throws(CaseError) {
        try write { db in
            guard let current = try String.fetchOne(db, sql: #"SELECT state FROM "case" WHERE id = ?"#, arguments: [Data(id)]).flatMap(CaseState.init(rawValue:)) else {
                throw CaseError.notFound(Encoding.hex(id))
            }
            guard current.canMove(to: next) else { throw CaseError.badTransition(from: current, to: next) }
            try db.execute(sql: #"UPDATE "case" SET state = ? WHERE id = ?"#, arguments: [next.rawValue, Data(id)])
            try Self.appendAudit(db, actor: actor, caseId: id, action: "\(current.rawValue)→\(next.rawValue)", detail: detail)
        }
    }

    /// Folds a follow-up into the case it follows (`undo`: takes it back out, as a new case),
    /// with an audit entry on both, in one transaction. Only a follow-up linked by its codename
    /// can be merged, and only into a case that is not rejected or merged itself.
    func merge(_ id: [UInt8], undo: Bool, actor: String, detail: String) throws(CaseError) -> [UInt8] {
        try write { db in
            guard let row = try Row.fetchOne(db, sql: #"SELECT state, follows FROM "case" WHERE id = ?"#, arguments: [Data(id)]),
                  let current = CaseState(rawValue: row["state"]) else { throw CaseError.notFound(Encoding.hex(id)) }
            guard let follows = (row["follows"] as Data?).map({ Array($0) }) else { throw CaseError.notFollowUp(Encoding.hex(id)) }
            let next: CaseState = undo ? .new : .merged
            guard undo ? current == .merged : current.canMerge else { throw CaseError.badTransition(from: current, to: next) }
            if !undo {
                guard let target = try String.fetchOne(db, sql: #"SELECT state FROM "case" WHERE id = ?"#, arguments: [Data(follows)]).flatMap(CaseState.init(rawValue:)) else {
                    throw CaseError.notFound(Encoding.hex(follows))
                }
                guard target != .rejected && target != .merged else { throw CaseError.badMergeTarget(Encoding.hex(follows), target) }
            }
            try db.execute(sql: #"UPDATE "case" SET state = ? WHERE id = ?"#, arguments: [next.rawValue, Data(id)])
            try Self.appendAudit(db, actor: actor, caseId: id, action: "\(current.rawValue)→\(next.rawValue)", detail: detail)
            try Self.appendAudit(db, actor: actor, caseId: follows, action: undo ? "follow-up unmerged" : "follow-up merged",
                                 detail: "case \(Encoding.hex(id).prefix(12))")
            return follows
        }
    }

    /// The case this one follows up (same codename), and the follow-ups of this one.
    func followUps(of caseId: [UInt8]) throws(CaseError) -> (follows: [UInt8]?, followedBy: [[UInt8]]) {
        try read { db in
            let follows = try Data.fetchOne(db, sql: #"SELECT follows FROM "case" WHERE id = ?"#, arguments: [Data(caseId)])
            let followedBy = try Data.fetchAll(db, sql: #"SELECT id FROM "case" WHERE follows = ? ORDER BY received_day, id"#, arguments: [Data(caseId)])
            return (follows.map { Array($0) }, followedBy.map { Array($0) })
        }
    }

    // MARK: - Registration (the case side of it)

    /// Vetted cases become registered, each mapped to its record id (the only place a case id
    /// meets a record id, DESIGN.md §7 rule 5), in one transaction: a case can never be loaded
    /// twice, and a case that is no longer vetted undoes them all.
    func markRegistered(_ entries: [(caseId: [UInt8], recordId: String, detail: String)], actor: String) throws(CaseError) {
        try write { db in
            let at = Self.timestamp()
            let update = try db.cachedStatement(sql: #"UPDATE "case" SET state = 'registered' WHERE id = ? AND state = 'vetted'"#)
            let map = try db.cachedStatement(sql: "INSERT INTO case_record (case_id, record_id) VALUES (?, ?)")
            for entry in entries {
                try update.execute(arguments: [Data(entry.caseId)])
                guard db.changesCount == 1 else { throw CaseError.badTransition(from: .registered, to: .registered) }
                try map.execute(arguments: [Data(entry.caseId), entry.recordId])
                try Self.appendAudit(db, at: at, actor: actor, caseId: entry.caseId, action: "vetted→registered", detail: entry.detail)
            }
        }
    }

    /// Undoes `markRegistered` when the registry write that followed it failed.
    func unmarkRegistered(_ caseIds: [[UInt8]], actor: String, reason: String) throws(CaseError) {
        try write { db in
            for id in caseIds {
                try db.execute(sql: "DELETE FROM case_record WHERE case_id = ?", arguments: [Data(id)])
                try db.execute(sql: #"UPDATE "case" SET state = 'vetted' WHERE id = ? AND state = 'registered'"#, arguments: [Data(id)])
                try Self.appendAudit(db, actor: actor, caseId: id, action: "registered→vetted", detail: reason)
            }
        }
    }

    // MARK: - Quarantine

    func quarantineSummaries() throws(CaseError) -> [QuarantineSummary] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT id, received_day, reason_class FROM quarantine ORDER BY received_day, id").map { row in
                let id: Data = row["id"]
                return QuarantineSummary(id: Array(id), receivedDay: row["received_day"], reasonClass: row["reason_class"])
            }
        }
    }

    struct SealedQuarantine {
        let summary: QuarantineSummary
        let sealedKey: [UInt8], keyIdBytes: [UInt8], nonce: [UInt8], ciphertext: [UInt8]
    }

    /// Quarantined items whose hex id starts with `hexPrefix` (lowercase hex, checked by the caller).
    func sealedQuarantine(withPrefix hexPrefix: String) throws(CaseError) -> [SealedQuarantine] {
        try read { db in
            try Row.fetchAll(db, sql: """
                SELECT q.id, q.received_day, q.reason_class, q.nonce, q.ciphertext, k.sealed_key_id, k.sealed_key
                FROM quarantine q JOIN data_key k ON k.id = q.data_key_id WHERE lower(hex(q.id)) LIKE ? || '%'
                """, arguments: [hexPrefix]).map { row in
                let id: Data = row["id"], keyId: Data = row["sealed_key_id"], sealedKey: Data = row["sealed_key"]
                let nonce: Data = row["nonce"], ciphertext: Data = row["ciphertext"]
                return SealedQuarantine(summary: QuarantineSummary(id: Array(id), receivedDay: row["received_day"], reasonClass: row["reason_class"]),
                                        sealedKey: Array(sealedKey), keyIdBytes: Array(keyId), nonce: Array(nonce), ciphertext: Array(ciphertext))
            }
        }
    }

    // MARK: - Replies

    func queueReply(id: [UInt8], caseId: [UInt8], mailbox: MailboxId, sealed: [UInt8], day: CalendarDay, actor: String, detail: String) throws(CaseError) {
        try write { db in
            try db.execute(sql: "INSERT INTO reply_queue (id, case_id, mailbox_id, sealed, queued_day) VALUES (?, ?, ?, ?, ?)",
                           arguments: [Data(id), Data(caseId), Data(mailbox.bytes), Data(sealed), day.description])
            try Self.appendAudit(db, actor: actor, caseId: caseId, action: "reply_queued", detail: detail)
        }
    }

    func pendingReplyCount() throws(CaseError) -> Int {
        try read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM reply_queue WHERE exported_day IS NULL") ?? 0 }
    }

    /// Queued replies not yet exported, oldest first.
    func pendingReplies() throws(CaseError) -> [(id: [UInt8], entry: ReplyBundle.Entry)] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT id, mailbox_id, sealed FROM reply_queue WHERE exported_day IS NULL ORDER BY queued_day, id").compactMap { row in
                let id: Data = row["id"], mailbox: Data = row["mailbox_id"], sealed: Data = row["sealed"]
                return MailboxId(bytes: mailbox).map { (Array(id), ReplyBundle.Entry(mailbox: $0, sealed: Array(sealed))) }
            }
        }
    }

    /// Marks replies exported, after their bundle was written and synced.
    func markRepliesExported(_ ids: [[UInt8]], day: CalendarDay, actor: String) throws(CaseError) {
        try write { db in
            let update = try db.cachedStatement(sql: "UPDATE reply_queue SET exported_day = ? WHERE id = ?")
            for id in ids { try update.execute(arguments: [day.description, Data(id)]) }
            try Self.appendAudit(db, actor: actor, caseId: nil, action: "replies_exported", detail: "\(ids.count) replies")
        }
    }

    // MARK: - Coordinators

    func addCoordinator(name: String, publicKey: SealPublicKey, fingerprint: SigningKeyFingerprint, signingKey: VerifyingKey?, day: CalendarDay, actor: String) throws(CaseError) {
        do {
            try writer.write { db in
                try db.execute(sql: "INSERT INTO coordinator (name, public_key, added_day, signing_key) VALUES (?, ?, ?, ?)",
                               arguments: [name, Data(publicKey.bytes), day.description, signingKey.map { Data($0.bytes) }])
                try Self.appendAudit(db, actor: actor, caseId: nil, action: "coordinator_added", detail: "\(name) \(fingerprint)\(signingKey == nil ? "" : ", signs updates")")
            }
        } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
            // A removed coordinator's name stays taken: her referrals and the audit trail name her.
            throw .io(L("a coordinator named `{name}` is already registered (a removed one keeps her name: choose another)", ["name": "\(name)"]))
        } catch {
            throw .io(L("case store: {error}", ["error": "\(error)"]))
        }
    }

    func coordinators() throws(CaseError) -> [(name: String, publicKey: SealPublicKey?, added: String, removed: CoordinatorRemoval?)] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT name, public_key, added_day, removed_day, removed_reason FROM coordinator ORDER BY name").map { row in
                let key: Data = row["public_key"]
                return (row["name"], try? SealPublicKey(bytes: key), row["added_day"], Self.removal(row))
            }
        }
    }

    static func removal(_ row: Row) -> CoordinatorRemoval? {
        guard let day = (row["removed_day"] as String?).flatMap(CalendarDay.init), let reason = (row["removed_reason"] as String?).flatMap(CoordinatorRemoval.Reason.init(rawValue:)) else { return nil }
        return CoordinatorRemoval(day: day, reason: reason)
    }

    /// A coordinator's sealing key, and whether she was removed; nil when no such name.
    func coordinatorKey(named name: String) throws(CaseError) -> (key: SealPublicKey, removed: CoordinatorRemoval?)? {
        let row = try read { db in try Row.fetchOne(db, sql: "SELECT public_key, removed_day, removed_reason FROM coordinator WHERE name = ?", arguments: [name]) }
        guard let row else { return nil }
        let bytes: Data = row["public_key"]
        do { return (try SealPublicKey(bytes: bytes), Self.removal(row)) } catch { throw .io(L("coordinator `{name}`: the stored key is not an X25519 key", ["name": "\(name)"])) }
    }

    /// Marks a registered coordinator removed, once; refuses an unknown name or a second removal.
    func removeCoordinator(name: String, reason: CoordinatorRemoval.Reason, day: CalendarDay, actor: String) throws(CaseError) {
        do {
            try writer.write { db in
                guard let row = try Row.fetchOne(db, sql: "SELECT removed_day FROM coordinator WHERE name = ?", arguments: [name]) else {
                    throw CaseError.io(L("no coordinator named `{name}`; `resguardo coordinators list` shows them", ["name": "\(name)"]))
                }
                if let removed: String = row["removed_day"] {
                    throw CaseError.io(L("coordinator `{name}` was already removed on {day}; nothing changed", ["name": "\(name)", "day": removed]))
                }
                try db.execute(sql: "UPDATE coordinator SET removed_day = ?, removed_reason = ? WHERE name = ?", arguments: [day.description, reason.rawValue, name])
                try Self.appendAudit(db, actor: actor, caseId: nil, action: "coordinator_removed", detail: "\(name) (\(reason.rawValue))")
            }
        } catch let error as CaseError {
            throw error
        } catch {
            throw .io(L("case store: {error}", ["error": "\(error)"]))
        }
    }
}

/// Case states and the only transitions allowed between them.
public enum CaseState: String, Sendable, CaseIterable {
    /// `merged`: a follow-up folded into the case it follows (same codename); it is read there,
    /// never vetted or registered on its own, so one attack is one record. A merge can be undone
    /// (back to new).
    case new, vetted, registered, rejected, merged

    /// The vetting transitions (`transition`); a merge is not one of them, it has its own rule.
    public func canMove(to next: CaseState) -> Bool {
        switch (self, next) {
        case (.new, .vetted), (.new, .rejected), (.vetted, .registered), (.vetted, .rejected): return true
        default: return false
        }
    }

    /// Whether a follow-up in this state may be merged into the case it follows (`merge`).
    public var canMerge: Bool { self == .new || self == .vetted }
}
