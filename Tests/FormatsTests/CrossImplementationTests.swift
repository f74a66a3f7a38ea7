import Foundation
import Testing
import TestSupport
import Sodium
@testable import Formats

/// The reverse of VectorTests: Swift seals, signs, hashes and writes key files; PyNaCl (Debian's
/// python3-nacl, through scripts/lib/vectors.py) must open and verify every one.
@Suite("Cross-implementation (Swift → PyNaCl)")
struct CrossImplementationTests {
    static let script = repositoryRoot.appendingPathComponent("scripts/lib/vectors.py").path

    func write(_ dir: URL, _ name: String, _ fields: [(String, String)]) throws {
        let text = fields.map { "\($0.0): \($0.1)" }.joined(separator: "\n") + "\n"
        try text.write(to: dir.appendingPathComponent(name), atomically: true, encoding: .utf8)
    }

    @Test("PyNaCl opens and verifies everything Swift produced")
    func pynaclAgrees() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("resguardo-xcheck-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }

        // Given material made only by the Swift code
        let key = try SealSecretKey.generate()
        let secretHex = key.withUnsafeSecretBytes { Encoding.hex($0) }
        for (i, size) in [0, 17, 4096, 70_000].enumerated() {
            let message = try Random.bytes(count: size)
            try write(dir, "sealed-\(i)", [("kind", "sealed_box"), ("secret_key", secretHex), ("plaintext", Encoding.hex(message)),
                                           ("ciphertext", Encoding.hex(try SealedBox.seal(message, to: key.publicKey)))])
        }
        let signer = try SigningKey.generate()
        let message = Array("manifiesto de llaves".utf8)
        // PyNaCl checks the signature over the domain line and the message: the framing is the spec's.
        try write(dir, "signature", [("kind", "signature"), ("public_key", Encoding.hex(signer.verifyingKey.bytes)),
                                     ("message", Encoding.hex(Array("resguardo manifest v1\n".utf8) + message)),
                                     ("signature", Encoding.hex(try signer.sign(message, in: .manifest)))])
        let hashKey = try SecureBytes(copying: [UInt8](repeating: 9, count: 32))
        try write(dir, "blake2b-keyed", [("kind", "blake2b"), ("message", Encoding.hex(message)), ("key", Encoding.hex([UInt8](repeating: 9, count: 32))),
                                         ("digest", Encoding.hex(try GenericHash.hash(message, outputByteCount: 64, key: hashKey)))])
        try write(dir, "blake2b", [("kind", "blake2b"), ("message", Encoding.hex(message)), ("key", ""),
                                   ("digest", Encoding.hex(try GenericHash.hash(message, outputByteCount: 16)))])
        var report = Report(language: .es, country: "GT", description: "Allanaron la radio comunitaria en Huehuetenango.")
        report.region = "GT-13"
        report.aggressionTypes = ["raid", "information_obstruction"]
        let reportBytes = report.jsonBytes()
        for (i, flags) in [Envelope.Flags(), .urgent].enumerated() {
            let envelope = try Envelope.seal(report: reportBytes, to: key.publicKey, flags: flags)
            try write(dir, "envelope-\(i)", [("kind", "envelope"), ("secret_key", secretHex),
                                              ("envelope", Encoding.hex(envelope.bytes)), ("report", Encoding.hex(reportBytes))])
        }
        let manifest = try KeyManifest(organisation: "Red de Defensoras — prueba cruzada", issued: CalendarDay.today(),
                                       encryptionKeys: [KeyManifest.EncryptionKey(publicKey: key.publicKey, notBefore: .today(), notAfter: CalendarDay.today().adding(days: 30))],
                                       replySigningKey: SigningKey.generate().verifyingKey)
        let signed = try SignedKeyManifest.sign(manifest, with: signer)
        try write(dir, "manifest", [("kind", "manifest"), ("manifest", Encoding.hex(signed.serialized())),
                                    ("fingerprint", try signed.fingerprint().description)])
        let passphrase = "contraseña con eñe y acentos"
        let fileSecret = try key.withUnsafeSecretBytes { (b) throws(SodiumError) in try SecureBytes(copying: b) }
        let keyFile = try KeyFile.seal(secret: fileSecret, publicKey: key.publicKey.bytes, kind: .encryption,
                                       passphrase: SecureBytes(copying: Array(passphrase.utf8)),
                                       limits: KeyDerivationLimits(opsLimit: 1, memLimit: 1 << 20))
        try write(dir, "keyfile", [("kind", "keyfile"), ("file", Encoding.hex(keyFile.bytes)), ("passphrase", passphrase)])

        // When PyNaCl checks them
        let outcome = try runSubprocess(debianPython, [Self.script, "verify", dir.path])

        // Then every one passes
        #expect(outcome.status == 0, "PyNaCl disagreed:\n\(outcome.output)")
        #expect(outcome.output.contains("11 passed, 0 failed"), "\(outcome.output)")
    }
}
