import Foundation
import Testing
import Sodium
import Formats
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
        let opened = try t.workspace.openQuarantined(String(Encoding.hex(unknownCode.id).prefix(12)), secretKeys: t.secrets)
        #expect(opened.reason.contains("`perpetrators[0]` has unknown code `sicarios`"), "\(opened.reason)")
        #expect(String(decoding: opened.content, as: UTF8.self).contains("sicarios"))
        let garbage = try #require(try t.workspace.listQuarantine().first { $0.reasonClass == "envelope_bad_magic" })
        #expect(try t.workspace.openQuarantined(String(Encoding.hex(garbage.id).prefix(12)), secretKeys: t.secrets).content == Array("no soy un sobre".utf8))
    }
}
