import Foundation
import GRDB
import Testing
import TestHarness
import Formats
import Sodium
@testable import Casework

/// Merging a follow-up (issue 32's "merge of follow-ups"): a later report sent with the same
/// codename folded into the case it follows, so one attack stays one case; undone on request.
@Suite("Merged follow-ups")
struct MergeTests {
    let t: TestWorkspace
    let first: [UInt8], followUp: [UInt8], alone: [UInt8]

    init() throws {
        let w = try TestWorkspace()
        let codename = Encoding.base64(try Random.bytes(count: 32))
        func report(_ text: String, codename: String?) -> [UInt8] {
            Array(#"{"version":1,"language":"es","country":"HN","aggression_types":["threat"],"description":"\#(text)"\#(codename.map { #","reply_public_key":"\#($0)""# } ?? "")}"#.utf8)
        }
        // Two imports, so the first report with the codename is the one the second follows.
        _ = try w.unseal(envelopes: [try w.seal(report("Amenazas de muerte tras la marcha por el río.", codename: codename))])
        let second = try w.unseal(envelopes: [try w.seal(report("Seguimiento: volvieron anoche, eran dos hombres en moto.", codename: codename)),
                                              try w.seal(report("Hostigamiento en la radio comunitaria.", codename: nil))])
        #expect(second.followUps == 1)
        let all = try w.workspace.listCases()
        let linked = try #require(try all.first { try w.workspace.followUps(of: $0.id).follows != nil })
        let followed = try #require(try w.workspace.followUps(of: linked.id).follows)
        let other = try #require(all.first { $0.id != linked.id && $0.id != followed })
        t = w
        followUp = linked.id
        first = followed
        alone = other.id
    }

    @Test("a follow-up merged: state merged, out of the new cases, an audit entry on both (the why sealed), still listed as a follow-up of the case it joined; undone, it is new again")
    func mergeAndUndo() throws {
        let ws = t.workspace
        let into = try ws.mergeFollowUp(followUp, note: "Misma agresión: añade la placa de la moto.")
        #expect(into == first)
        #expect(try ws.openCase(followUp, keys: t.secrets).summary.state == .merged)
        #expect(try ws.listCases(state: .new).map(\.id).contains(followUp) == false)
        #expect(try ws.listCases(state: .merged).map(\.id) == [followUp])
        #expect(try ws.followUps(of: first).followedBy == [followUp])
        let own = try ws.auditTrail(caseId: followUp, keys: t.secrets)
        #expect(own.contains { $0.action == "new→merged" && $0.detail == "Misma agresión: añade la placa de la moto." }, "\(own)")
        #expect(try ws.auditTrail(caseId: followUp).contains { $0.action == "new→merged" && $0.detail == "(sealed note)" })
        #expect(try ws.auditTrail(caseId: first).contains { $0.action == "follow-up merged" && $0.detail == "case \(Encoding.hex(followUp).prefix(12))" })
        // A merged case is never vetted (and so never registered) on its own.
        #expect(throws: CaseError.self) { try ws.transition(followUp, to: .vetted, note: "no") }
        #expect(throws: CaseError.self) { try ws.mergeFollowUp(followUp, note: "otra vez") }

        try ws.mergeFollowUp(followUp, undo: true, note: "Era otra agresión.")
        #expect(try ws.openCase(followUp, keys: t.secrets).summary.state == .new)
        #expect(try ws.auditTrail(caseId: first).contains { $0.action == "follow-up unmerged" })
        try ws.transition(followUp, to: .vetted, note: "Otra agresión, se valida aparte.")
        #expect(try ws.openCase(followUp, keys: t.secrets).summary.state == .vetted)
    }

    @Test("refused, changing nothing: a case with no earlier codename, a merge into a rejected case, undoing what was not merged, an empty note")
    func refusals() throws {
        let ws = t.workspace
        #expect { try ws.mergeFollowUp(alone, note: "x") } throws: { "\($0)".contains("not a follow-up") }
        #expect { try ws.mergeFollowUp(first, note: "x") } throws: { "\($0)".contains("not a follow-up") }
        #expect { try ws.mergeFollowUp(followUp, undo: true, note: "x") } throws: { "\($0)".contains("cannot become") }
        #expect { try ws.mergeFollowUp(followUp, note: "  ") } throws: { "\($0)".contains("empty") }
        try ws.transition(first, to: .rejected, note: "No es una defensora.")
        #expect { try ws.mergeFollowUp(followUp, note: "x") } throws: { "\($0)".contains("rejected") }
        #expect(try ws.openCase(followUp, keys: t.secrets).summary.state == .new)
        #expect(try ws.auditTrail(caseId: followUp).allSatisfy { !$0.action.contains("merged") })
    }

    @Test("migration v9 keeps every case and its columns: a v8 store (state CHECK without merged) opens with the same cases, risk and links, and then takes a merge")
    func migrationFromV8() throws {
        let ws = t.workspace
        try ws.assessRisk(first, try RiskAssessment(factors: [RiskFactor(kind: .threat, text: "Llamadas", level: .high)], overall: .high, assessor: "Ana", day: .today()))
        let before = try ws.listCases()
        let path = t.scratch.path("ws") + "/cases.sqlite"
        let queue = try DatabaseQueue(path: path)
        try queue.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA foreign_keys = OFF")
            try db.inTransaction {
                try db.execute(sql: """
                    CREATE TABLE case_v8 (
                        id BLOB NOT NULL UNIQUE CHECK (length(id) = 16), received_day TEXT NOT NULL,
                        state TEXT NOT NULL CHECK (state IN ('new', 'vetted', 'registered', 'rejected')),
                        country TEXT NOT NULL, urgent INTEGER NOT NULL CHECK (urgent IN (0, 1)),
                        envelope_digest BLOB NOT NULL UNIQUE CHECK (length(envelope_digest) = 32), data_key_id BLOB NOT NULL REFERENCES data_key(id),
                        reply_tag BLOB, follows BLOB, content_id INTEGER NOT NULL UNIQUE REFERENCES case_content(id),
                        sealed_by_intake INTEGER CHECK (sealed_by_intake IN (0, 1)),
                        risk_level TEXT CHECK (risk_level IN ('low', 'medium', 'high', 'extreme')), risk_day TEXT, closed_day TEXT) STRICT;
                    INSERT INTO case_v8 SELECT id, received_day, state, country, urgent, envelope_digest, data_key_id, reply_tag, follows, content_id,
                                               sealed_by_intake, risk_level, risk_day, closed_day FROM "case";
                    DROP TABLE "case";
                    ALTER TABLE case_v8 RENAME TO "case";
                    CREATE INDEX case_by_reply_tag ON "case"(reply_tag);
                    DELETE FROM grdb_migrations WHERE identifier = 'v9: merged follow-ups';
                    """)
                #expect(throws: DatabaseError.self) { try db.execute(sql: #"UPDATE "case" SET state = 'merged'"#) }
                return .commit
            }
        }
        try queue.close()
        let reopened = try Workspace(path: t.scratch.path("ws"))
        let after = try reopened.listCases()
        #expect(after.map(\.id) == before.map(\.id) && after.map(\.risk) == before.map(\.risk) && after.map(\.state) == before.map(\.state))
        #expect(try reopened.followUps(of: first).followedBy == [followUp])
        try reopened.mergeFollowUp(followUp, note: "Misma agresión.")
        #expect(try reopened.openCase(followUp, keys: t.secrets).summary.state == .merged)
        #expect(try reopened.riskAssessments(first, keys: t.secrets).first?.overall == .high)
    }
}
