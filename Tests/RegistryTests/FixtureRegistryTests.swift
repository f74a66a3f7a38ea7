import Foundation
import Testing
import TestSupport
import TestHarness
import Sodium
import Formats
import Registration
import Registry
@testable import Casework

/// 32 realistic Spanish reports (scripts/gen-fixtures) through the real libraries: sealed → bundle
/// → unseal → vet → registry → export. Not one of the 279 identifying strings they carry may
/// appear in the registry file or its exports.
@Suite("Fixture reports through the registry")
struct FixtureRegistryTests {
    @Test("no name, phone, email, ID number, coordinate or community name reaches the registry")
    func noPersonalDataInRegistry() throws {
        let fixtures = repositoryRoot.appendingPathComponent("Tests/Fixtures")
        let names = try FileManager.default.contentsOfDirectory(atPath: fixtures.appendingPathComponent("reports").path).sorted()
        #expect(names.count >= 30)
        let pii = try String(contentsOf: fixtures.appendingPathComponent("pii.txt"), encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(pii.count > 200)

        let t = try TestWorkspace()
        let workspace = t.workspace, secrets = t.secrets
        let summary = try t.unseal(envelopes: try names.map { name in
            try t.seal(Array(Data(contentsOf: fixtures.appendingPathComponent("reports/\(name)"))))
        })
        #expect(summary.newCases == names.count, "\(summary)")

        let ids = try workspace.listCases().map(\.id)
        for id in ids { try workspace.transition(id, to: .vetted, note: "verificada") }
        #expect(try Registration(workspace: workspace, keys: secrets).register(ids) == names.count)
        #expect(try workspace.listCases(state: .registered).count == names.count)

        let records = try Registration.openRegistry(of: workspace).all()
        let exports = RegistryExport.csv(records) + String(decoding: RegistryExport.json(records), as: UTF8.self)
        let file = String(decoding: try Data(contentsOf: URL(fileURLWithPath: t.scratch.path("ws/registry.sqlite"))), as: UTF8.self)
        for secret in pii {
            #expect(!exports.contains(secret), "\(secret) is in an export")
            #expect(!file.contains(secret), "\(secret) is in registry.sqlite")
        }
        // And the registry still says something useful: every record has its country, types and a pseudonym.
        #expect(records.allSatisfy { !$0.aggressionTypes.isEmpty && $0.defenderPid.count == 32 && ["MX", "GT", "HN", "SV"].contains($0.country) })
        #expect(records.allSatisfy { ($0.peopleAffected ?? 0) <= 50 })
    }
}
