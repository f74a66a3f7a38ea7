import Foundation
import Testing
import FuzzTargets
@testable import Formats
import Sodium

/// Every committed fuzzing input (seeds and any past finding) goes through its parser once: a
/// crash found by `scripts/stress fuzz` stays fixed.
@Suite("Fuzzing corpora replayed")
struct FuzzCorpusTests {
    static let corpus = Vector.root.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fuzz/Corpus")

    static func inputs(_ name: String) -> [[UInt8]] {
        let folder = corpus.appendingPathComponent(name)
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).sorted()
        return files.compactMap { try? Array(Data(contentsOf: folder.appendingPathComponent($0))) }
    }

    @Test("each parser survives its whole corpus", arguments: FuzzTargets.all.map(\.name))
    func replay(_ name: String) throws {
        let target = try #require(FuzzTargets.all.first { $0.name == name })
        let inputs = Self.inputs(name)
        #expect(!inputs.isEmpty, "no corpus for \(name)")
        for input in inputs { target.run(input) }
    }

    @Test("the seeds built from the specs reach past the signature checks (the fuzzers start deep)")
    func seedsAreWellFormed() throws {
        let signer = try SigningKey(seed: SecureBytes(copying: [UInt8](repeating: 7, count: 32)))
        let recipient = try SealSecretKey(secretBytes: SecureBytes(copying: [UInt8](repeating: 9, count: 32)))
        func file(_ path: String) throws -> [UInt8] { try Array(Data(contentsOf: Self.corpus.appendingPathComponent(path))) }
        #expect(try ExportBundle(bytes: file("export_bundle/three_envelopes"), trustedKey: signer.verifyingKey).entries.count == 3)
        #expect(try ReplyBundle(bytes: file("reply_bundle/two_replies"), trustedKey: signer.verifyingKey).entries.count == 2)
        #expect(try Reply.open(file("reply_bundle/sealed_reply"), with: recipient).message == "Recibimos su denuncia.")
        let fingerprint = try SigningKeyFingerprint(verifyingKey: signer.verifyingKey)
        #expect(try ReferralFile.open(file("referral/file"), with: recipient, trustedSigner: fingerprint, today: .today()).originCountry == "HN")
        _ = try Envelope(bytes: file("envelope/to_fuzz_key")).open(with: recipient)
    }
}
