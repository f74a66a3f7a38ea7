public import Deidentify
public import Formats
import Foundation
import GRDB
public import Registry
public import Sodium

extension Workspace {
    public var registry: RegistryDatabase {
        get throws { try RegistryDatabase(path: path + "/registry.sqlite") }
    }

    /// The network's pseudonym key, opened with the organisation's secret keys.
    func pseudonymKey(_ secretKeys: [KeyId: SealSecretKey]) throws -> SecureBytes {
        guard let row = try database.writer.read({ db in try Row.fetchOne(db, sql: "SELECT sealed_key_id, sealed FROM network_secret WHERE name = 'pseudonym'") }) else {
            throw CaseError.io("the workspace has no pseudonym key")
        }
        let keyId: Data = row["sealed_key_id"], sealed: Data = row["sealed"]
        guard let id = KeyId(bytes: keyId), let key = secretKeys[id] else { throw CaseError.noKey(Encoding.hex(keyId)) }
        return try SealedBox.open(Array(sealed), with: key)
    }

    func deidentifier(_ secretKeys: [KeyId: SealSecretKey]) throws -> Deidentifier {
        Deidentifier(pseudonymKey: try pseudonymKey(secretKeys), network: keys.manifest.manifest.organisation)
    }

    /// What `registry add` would write for these cases, with the redaction log, without writing.
    public func previewRecords(_ caseIds: [[UInt8]], secretKeys: [KeyId: SealSecretKey]) throws -> [(record: RegistryRecord, redactions: [Redaction], belowK: Bool)] {
        return try preview(openCases(caseIds, secretKeys: secretKeys).map(\.report), secretKeys: secretKeys)
    }

    func preview(_ reports: [Report], secretKeys: [KeyId: SealSecretKey]) throws -> [(record: RegistryRecord, redactions: [Redaction], belowK: Bool)] {
        let deidentifier = try deidentifier(secretKeys)
        var records: [RegistryRecord] = []
        var logs: [String: [Redaction]] = [:]
        for report in reports {
            let (record, log) = try deidentifier.record(from: report, recordId: Encoding.hex(try Random.bytes(count: 16)))
            records.append(record)
            logs[record.recordId] = log
        }
        let outcome = KAnonymity.enforce(records, existing: try registry.all())
        return outcome.records.map { r in
            (r, (logs[r.recordId] ?? []) + (outcome.redactions[r.recordId] ?? []), outcome.belowK.contains(r.recordId))
        }
    }

    /// Loads vetted cases whose consent allows it into the registry, once each. Returns the
    /// number of records written.
    public func register(_ caseIds: [[UInt8]], secretKeys: [KeyId: SealSecretKey]) throws -> Int {
        var reports: [Report] = []
        for (summary, report) in try openCases(caseIds, secretKeys: secretKeys) {
            reports.append(report)
            guard summary.state == .vetted else {
                throw CaseError.io("case \(summary.shortId) is \(summary.state.rawValue); only vetted cases enter the registry")
            }
            guard report.consent.registry else {
                throw CaseError.io("case \(summary.shortId): the defender did not consent to the registry")
            }
        }
        let previews = try preview(reports, secretKeys: secretKeys)
        // The case store changes first (map + state + audit), so a case can never be loaded twice;
        // if the registry write then fails, that transaction is undone.
        let at = Audit.timestamp()
        try database.writer.write { db in
            let update = try db.cachedStatement(sql: #"UPDATE "case" SET state = 'registered' WHERE id = ? AND state = 'vetted'"#)
            let map = try db.cachedStatement(sql: "INSERT INTO case_record (case_id, record_id) VALUES (?, ?)")
            for (id, preview) in zip(caseIds, previews) {
                try update.execute(arguments: [Data(id)])
                guard db.changesCount == 1 else { throw CaseError.badTransition(from: .registered, to: .registered) }
                try map.execute(arguments: [Data(id), preview.record.recordId])
                try Audit.append(db, at: at, actor: actor, caseId: id, action: "vetted→registered",
                                 detail: "\(preview.redactions.count) redactions\(preview.belowK ? ", still below k after generalisation" : "")")
            }
        }
        do {
            try registry.insert(previews.map(\.record))
        } catch {
            try? database.writer.write { db in
                for id in caseIds {
                    try db.execute(sql: "DELETE FROM case_record WHERE case_id = ?", arguments: [Data(id)])
                    try db.execute(sql: #"UPDATE "case" SET state = 'vetted' WHERE id = ?"#, arguments: [Data(id)])
                    try Audit.append(db, actor: actor, caseId: id, action: "registered→vetted", detail: "registry write failed; undone")
                }
            }
            throw error
        }
        return previews.count
    }
}
