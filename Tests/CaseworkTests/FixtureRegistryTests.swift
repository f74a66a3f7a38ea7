import Foundation
import Testing
import TestSupport
import Sodium
import Formats
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

        let scratch = try Scratch()
        let passphrase = try SecureBytes(copying: Array("frase de paso de prueba".utf8))
        let keys = try KeyDirectory.create(at: scratch.path("keys"), organisation: "Red", passphrase: passphrase,
                                           limits: KeyDerivationLimits(opsLimit: 1, memLimit: 1 << 20), today: .today(), validDays: 30)
        try Workspace.create(at: scratch.path("ws"), keyDirectory: keys.path)
        let workspace = try Workspace(path: scratch.path("ws"))
        let vaultKey = try SigningKey.generate()
        try workspace.trustVault(publicKey: vaultKey.verifyingKey, fingerprint: SigningKeyFingerprint(verifyingKey: vaultKey.verifyingKey), today: .today())
        let pk = try #require(keys.manifest.manifest.currentEncryptionKey(on: .today())).publicKey
        let entries = try names.map { name in
            let report = try Array(Data(contentsOf: fixtures.appendingPathComponent("reports/\(name)")))
            return ExportBundle.Entry(submissionId: try Random.bytes(count: 16), receivedDay: .today(), envelope: try Envelope.seal(report: report, to: pk).bytes)
        }
        let bundle = try ExportBundle.seal(bundleId: try Random.bytes(count: 16), createdDay: .today(), entries: entries, signer: vaultKey)
        let secrets = try keys.unlockEncryptionKeys(passphrase: passphrase)
        let summary = try Unsealer(workspace: workspace, secretKeys: secrets).unseal(bundle: bundle.bytes, today: .today())
        #expect(summary.newCases == names.count, "\(summary)")

        let ids = try workspace.listCases().map(\.id)
        for id in ids { try workspace.transition(id, to: .vetted, note: "verificada") }
        #expect(try workspace.register(ids, secretKeys: secrets) == names.count)
        #expect(try workspace.listCases(state: .registered).count == names.count)

        let records = try workspace.registry.all()
        let exports = RegistryExport.csv(records) + String(decoding: RegistryExport.json(records), as: UTF8.self)
        let file = String(decoding: try Data(contentsOf: URL(fileURLWithPath: scratch.path("ws/registry.sqlite"))), as: UTF8.self)
        for secret in pii {
            #expect(!exports.contains(secret), "\(secret) is in an export")
            #expect(!file.contains(secret), "\(secret) is in registry.sqlite")
        }
        // And the registry still says something useful: every record has its country, types and a pseudonym.
        #expect(records.allSatisfy { !$0.aggressionTypes.isEmpty && $0.defenderPid.count == 32 && ["MX", "GT", "HN", "SV"].contains($0.country) })
        #expect(records.allSatisfy { ($0.peopleAffected ?? 0) <= 50 })
    }
}
