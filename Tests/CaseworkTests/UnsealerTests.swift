import Foundation
import TestSupport
import TestHarness
import Testing
import Sodium
import Formats
import GRDB
import Registration
@testable import Casework

/// Hostile and broken input through the real Unsealer: every envelope is accounted for, none
/// crashes the import, and what cannot become a case is quarantined with its reason class.
@Suite("Unseal: hostile input")
struct UnsealerTests {
    @Test("garbage, wrong keys, tampering, bad JSON, NUL bytes, deep nesting and a 15 MB description are all quarantined, never dropped")
    func hostileBundle() throws {
        let t = try TestWorkspace()
        func sealed(_ text: [UInt8]) throws -> [UInt8] { try t.seal(text) }
        var tampered = try sealed(Array(#"{"version":1,"language":"es","country":"MX","description":"x"}"#.utf8))
        tampered[80] ^= 1
        let deep = Array(("{\"version\":1,\"a\":" + String(repeating: "[", count: 200) + String(repeating: "]", count: 200) + "}").utf8)
        let huge = Array(("{\"version\":1,\"language\":\"es\",\"country\":\"MX\",\"description\":\"" + String(repeating: "a", count: 15_000_000) + "\"}").utf8)
        let inputs: [[UInt8]] = [
            try sealed(Array(#"{"version":1,"language":"es","country":"GT","description":"Amenaza a la defensora"}"#.utf8)),
            Array("no soy un sobre".utf8),
            try Envelope.seal(report: [1, 2, 3], to: SealSecretKey.generate().publicKey).bytes,
            tampered,
            try sealed(Array("{\"version\":1".utf8)),
            try sealed(Array("{\"version\":1,\"language\":\"es\",\"country\":\"MX\",\"description\":\"a\u{0}b\"}".utf8) + [0]),
            try sealed(deep),
            try sealed(huge),
            try sealed(Array(#"{"version":1,"language":"es","country":"MX","description":"x","perpetrators":["sicarios"]}"#.utf8)),
        ]
        let summary = try t.unseal(envelopes: inputs)

        #expect(summary.envelopes == 9)
        #expect(summary.newCases == 1)
        #expect(summary.newCases + summary.duplicates + summary.quarantinedTotal == 9, "\(summary)")
        #expect(summary.quarantined["envelope_bad_magic"] == 1)
        #expect(summary.quarantined["envelope_unknown_key"] == 1)
        #expect(summary.quarantined["envelope_open_failed"] == 1)
        #expect(summary.quarantined["report_malformed_json"] == 3, "\(summary.quarantined)")   // truncated, NUL, too deep
        #expect(summary.quarantined["report_invalid"] == 1)         // 15 MB description
        #expect(summary.quarantined["report_unknown_code"] == 1)
        #expect(try t.workspace.listQuarantine().count == 8)
        // Each quarantined item opens with its precise reason and what was kept.
        let unknownCode = try #require(try t.workspace.listQuarantine().first { $0.reasonClass == "report_unknown_code" })
        let opened = try t.workspace.openQuarantined(String(Encoding.hex(unknownCode.id).prefix(12)), keys: t.secrets)
        #expect(opened.reason.contains("`perpetrators[0]` has unknown code `sicarios`"), "\(opened.reason)")
        #expect(String(decoding: opened.content, as: UTF8.self).contains("sicarios"))
        let garbage = try #require(try t.workspace.listQuarantine().first { $0.reasonClass == "envelope_bad_magic" })
        #expect(try t.workspace.openQuarantined(String(Encoding.hex(garbage.id).prefix(12)), keys: t.secrets).content == Array("no soy un sobre".utf8))
    }
}

/// The unseal loop works in blocks on every core, one block ahead of the thread that stores;
/// these check that nothing is lost, doubled or reordered at the seams.
@Suite("Unseal: large bundles")
struct LargeBundleTests {
    @Test("3,000 envelopes over three blocks: duplicates across blocks, quarantine and codename follow-ups all counted once; then all of them go to the registry")
    func manyBlocks() throws {
        let t = try TestWorkspace()
        let codename = try Codename.generate()
        let replyKey = try codename.replyKeys().secretKey.publicKey
        var reports: [[UInt8]] = []
        for i in 0..<2_990 {
            var report = Report(language: .es, country: ["MX", "GT", "HN", "SV"][i % 4], description: "Amenazas a la defensora número \(i)")
            report.consent = Report.Consent(registry: true, contact: false)
            if i % 1_000 == 7 { report.replyPublicKey = replyKey }   // three reports, one codename
            reports.append(try t.seal(report.jsonBytes()))
        }
        var envelopes = reports
        envelopes.insert(reports[5], at: 1_500)          // the same envelope again, in another block
        envelopes.insert(reports[2_000], at: 2_900)
        for i in 0..<8 { envelopes.insert(Array("basura \(i)".utf8), at: 1_020 + i) }   // across the first seam
        #expect(envelopes.count == 3_000)

        var seen: [Int] = []
        let entries = try envelopes.map { ExportBundle.Entry(submissionId: try Random.bytes(count: 16), receivedDay: .today(), envelope: $0) }
        let bundle = try ExportBundle.seal(bundleId: try Random.bytes(count: 16), createdDay: .today(), entries: entries, signer: t.vaultKey)
        let summary = try Unsealer(workspace: t.workspace, keys: t.secrets).unseal(bundle: bundle.bytes, today: .today()) { done, total in
            #expect(total == 3_000)
            seen.append(done)
        }
        #expect(summary.envelopes == 3_000)
        #expect(summary.newCases == 2_990)
        #expect(summary.duplicates == 2)
        #expect(summary.quarantined == ["envelope_truncated": 8])   // "basura N" is shorter than any envelope
        #expect(summary.followUps == 2)
        #expect(seen == [0, 1_024, 2_048, 3_000])
        let cases = try t.workspace.listCases()
        #expect(cases.count == 2_990 && Set(cases.map(\.id)).count == 2_990)
        // Every case opens to its own report (the description says which).
        let opened = try t.workspace.openCases(cases.map(\.id), keys: t.secrets)
        #expect(Set(opened.map(\.report.description)).count == 2_990)
        for (summary, report) in opened { #expect(summary.country == report.country) }

        // Importing the same bundle again is refused as a replay; a new bundle with old
        // envelopes stores none of them twice.
        #expect(throws: UnsealError.self) { try Unsealer(workspace: t.workspace, keys: t.secrets).unseal(bundle: bundle.bytes, today: .today()) }
        let again = try t.unseal(envelopes: Array(reports[0..<1_100]))
        #expect(again.newCases == 0 && again.duplicates == 1_100)

        for c in cases { try t.workspace.transition(c.id, to: .vetted, note: "prueba") }
        #expect(try Registration(workspace: t.workspace, keys: t.secrets).register(cases.map(\.id)) == 2_990)
        #expect(try Registration.openRegistry(of: t.workspace).all().count == 2_990)
        #expect(try t.workspace.listCases(state: .registered).count == 2_990)
    }

    @Test("a v4 case store (cases keyed by id, report inline) migrates to v5 and every case still opens")
    func migrationFromV4() throws {
        let t = try TestWorkspace()
        let dir = t.scratch.path("ws-v4")
        try Workspace.create(at: dir, keyDirectory: t.keys.path, passphrase: SecureBytes(copying: Array(TestWorkspace.passphraseText.utf8)))
        let path = dir + "/cases.sqlite"
        let reports = try (0..<12).map { i -> Report in
            var r = Report(language: .es, country: "HN", description: "Caso antiguo \(i)")
            r.consent = Report.Consent(registry: true, contact: false)
            return r
        }
        guard let current = t.keys.manifest.manifest.encryptionKeys.last else { throw CaseError.io("no key") }
        let atRest = try AtRest(keyId: current.id, publicKey: current.publicKey)
        var ids: [[UInt8]] = []
        // Rows written as v4 wrote them, into a store brought up to v4 by the real migrations.
        do {
            let queue = try DatabaseQueue(path: path)
            try queue.write { db in
                try db.execute(sql: "DROP TABLE protection_item; DROP TABLE referral; ALTER TABLE coordinator DROP COLUMN signing_key; DROP TABLE \"case\"; DROP TABLE quarantine; DROP TABLE case_content; DROP TABLE region; DELETE FROM grdb_migrations WHERE identifier >= 'v5'")
                try db.execute(sql: """
                    CREATE TABLE "case" (id BLOB PRIMARY KEY NOT NULL CHECK (length(id) = 16), received_day TEXT NOT NULL,
                        state TEXT NOT NULL CHECK (state IN ('new', 'vetted', 'registered', 'rejected')), country TEXT NOT NULL,
                        urgent INTEGER NOT NULL CHECK (urgent IN (0, 1)), envelope_digest BLOB NOT NULL UNIQUE CHECK (length(envelope_digest) = 32),
                        data_key_id BLOB NOT NULL REFERENCES data_key(id), nonce BLOB NOT NULL, ciphertext BLOB NOT NULL,
                        reply_tag BLOB, follows BLOB) STRICT, WITHOUT ROWID;
                    CREATE INDEX case_by_reply_tag ON "case"(reply_tag);
                    CREATE TABLE quarantine (id BLOB PRIMARY KEY NOT NULL CHECK (length(id) = 16), received_day TEXT NOT NULL,
                        envelope_digest BLOB NOT NULL UNIQUE CHECK (length(envelope_digest) = 32), reason_class TEXT NOT NULL,
                        data_key_id BLOB NOT NULL REFERENCES data_key(id), nonce BLOB NOT NULL, ciphertext BLOB NOT NULL) STRICT, WITHOUT ROWID;
                    """)
                try db.execute(sql: "INSERT INTO data_key (id, sealed_key_id, sealed_key) VALUES (?, ?, ?)",
                               arguments: [Data(atRest.id), Data(atRest.keyId.bytes), Data(atRest.sealedKey)])
                for (i, report) in reports.enumerated() {
                    let id = try Random.bytes(count: 16)
                    ids.append(id)
                    let sealed = try atRest.seal(report.jsonBytes(), itemId: id, scratch: AtRest.Scratch())
                    try db.execute(sql: """
                        INSERT INTO "case" (id, received_day, state, country, urgent, envelope_digest, data_key_id, nonce, ciphertext)
                        VALUES (?, '2026-11-20', ?, 'HN', 0, ?, ?, ?, ?)
                        """, arguments: [Data(id), i % 2 == 0 ? "new" : "vetted", Data(try Random.bytes(count: 32)), Data(atRest.id),
                                         Data(sealed.nonce), Data(sealed.ciphertext)])
                }
                try db.execute(sql: "INSERT INTO case_record (case_id, record_id) VALUES (?, 'r1')", arguments: [Data(ids[1])])
                try db.execute(sql: "INSERT INTO quarantine VALUES (?, '2026-11-20', ?, 'envelope_bad_magic', ?, ?, ?)",
                               arguments: [Data(try Random.bytes(count: 16)), Data(try Random.bytes(count: 32)), Data(atRest.id), Data([1]), Data([2])])
            }
        }
        let store = try Workspace(path: dir)
        let columns = try store.database.reader.read { db in try db.columns(in: "case").map(\.name) }
        #expect(!columns.contains("ciphertext") && columns.contains("content_id"))
        let integrity = try store.database.reader.read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check") }
        #expect(integrity == ["ok"])
        let orphans = try store.database.reader.read { db in try Row.fetchAll(db, sql: "PRAGMA foreign_key_check") }
        #expect(orphans.isEmpty)
        #expect(try store.listQuarantine().count == 1)
        // The migrated rows open through the real code, each to its own report.
        let opened = try store.openCases(ids, keys: t.secrets)
        #expect(opened.map(\.report.description) == reports.map(\.description))
        #expect(opened.map(\.summary.state) == (0..<12).map { $0 % 2 == 0 ? .new : .vetted })
        #expect(try store.openCase(ids[3], keys: t.secrets).report.description == "Caso antiguo 3")
        // v6: who sealed a case imported before it was kept is unknown, never "the device".
        #expect(try store.listCases().allSatisfy { $0.sealedByIntake == nil })
    }
}
