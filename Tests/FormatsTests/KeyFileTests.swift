import Testing
import Sodium
@testable import Formats

@Suite("Secret key file v1")
struct KeyFileTests {
    let fast = try! KeyDerivationLimits(opsLimit: 1, memLimit: 1 << 20)
    let passphrase = try! SecureBytes(copying: Array("una frase de paso larga".utf8))

    func makeFile() throws -> (KeyFile, SealSecretKey) {
        let key = try SealSecretKey.generate()
        let secret = try key.withUnsafeSecretBytes { (b) throws(SodiumError) in try SecureBytes(copying: b) }
        return (try KeyFile.seal(secret: secret, publicKey: key.publicKey.bytes, kind: .encryption, passphrase: passphrase, limits: fast), key)
    }

    @Test("round trip: the right passphrase gives back the same key")
    func roundTrip() throws {
        let (file, key) = try makeFile()
        #expect(file.bytes.count == 176)
        let reread = try KeyFile(bytes: file.bytes)
        #expect(reread.kind == .encryption && reread.limits == fast)
        #expect(try reread.unlockSealKey(passphrase: passphrase).publicKey == key.publicKey)
    }

    @Test("wrong passphrase is told apart from a damaged file")
    func wrongPassphrase() throws {
        let (file, _) = try makeFile()
        #expect(throws: KeyFileError.wrongPassphrase) {
            try file.unlock(passphrase: SecureBytes(copying: Array("otra frase de paso".utf8)))
        }
    }

    @Test("any flipped byte is reported as corruption, never as a wrong passphrase", arguments: [0, 4, 5, 8, 30, 50, 80, 120, 150, 175])
    func flippedByte(at offset: Int) throws {
        let (file, _) = try makeFile()
        var bytes = file.bytes
        bytes[offset] ^= 0x01
        do {
            _ = try KeyFile(bytes: bytes).unlock(passphrase: passphrase)
            Issue.record("a flipped byte at \(offset) went unnoticed")
        } catch {
            switch error {
            case .corrupt, .notAKeyFile, .unsupportedVersion: break
            default: Issue.record("byte \(offset): unexpected \(error)")
            }
        }
    }

    @Test("truncated, empty, foreign and future files")
    func badFiles() throws {
        let (file, _) = try makeFile()
        #expect(throws: KeyFileError.truncated(byteCount: 100)) { try KeyFile(bytes: Array(file.bytes.prefix(100))) }
        #expect(throws: KeyFileError.truncated(byteCount: 0)) { try KeyFile(bytes: []) }
        #expect(throws: KeyFileError.notAKeyFile) { try KeyFile(bytes: Array("-----BEGIN PRIVATE KEY-----".utf8)) }
        var future = file.bytes
        future[4] = 2
        #expect(throws: KeyFileError.unsupportedVersion(2)) { try KeyFile(bytes: future) }
        #expect(throws: KeyFileError.self) { try KeyFile(bytes: file.bytes + [0]) }
    }

    @Test("a key file of one kind cannot be used as another")
    func kinds() throws {
        let (file, _) = try makeFile()
        #expect(throws: KeyFileError.wrongKind(expected: .manifestSigning, actual: .encryption)) {
            try file.unlockSigningKey(passphrase: passphrase, kind: .manifestSigning)
        }
    }
}
