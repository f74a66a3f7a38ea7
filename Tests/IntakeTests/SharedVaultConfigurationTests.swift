import Foundation
import Testing
import TestHarness
import Formats
import Vault
@testable import Intake

/// The shared vault's settings (issue 19): what a `vault.url` may say, where the password may
/// come from, and the proof-of-work key the intakes of one vault share.
@Suite("Shared vault configuration")
struct SharedVaultConfigurationTests {
    @Test("vault.url: a socket or TCP with TLS verified by default; a password, a missing user or database, an unknown parameter are refused")
    func urls() throws {
        let socket = try PostgresVaultURL("postgres:///resguardo?host=/run/postgresql&user=intake")
        #expect(socket.endpoint == .socket(directory: "/run/postgresql", port: 5432) && socket.user == "intake" && socket.database == "resguardo" && socket.tls == .disable)
        #expect(socket.socketPath == "/run/postgresql/.s.PGSQL.5432")
        let tcp = try PostgresVaultURL("postgresql://intake@db.red.example:6432/resguardo?sslrootcert=/etc/resguardo/ca.pem")
        #expect(tcp.endpoint == .tcp(host: "db.red.example", port: 6432) && tcp.tls == .verifyFull && tcp.rootCertificatePath == "/etc/resguardo/ca.pem")
        #expect(try PostgresVaultURL("postgres://intake@10.0.0.5/resguardo?sslmode=require").tls == .require)
        for (bad, why) in [("postgres://intake:secret@db/resguardo", "password"), ("postgres://db/resguardo", "user"),
                           ("postgres://intake@db/", "database"), ("postgres://intake@db/r?sslmode=allow", "sslmode"),
                           ("postgres://intake@db/r?application_name=x", "unknown"), ("mysql://intake@db/r", "postgres://"),
                           ("postgres:///r?host=/run/postgresql&user=u&sslmode=require", "socket")] {
            #expect { try PostgresVaultURL(bad) } throws: { "\($0)".contains(why) }
        }
    }

    @Test("the password is never read from the config file; a password or key file readable by others is refused; pow.key_file is required with a shared vault")
    func secrets() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("shared-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("intake.json").path
        try #"{"vault": {"url": "postgres:///r?host=/run/postgresql&user=u", "password": "secreto"}}"#.write(toFile: file, atomically: true, encoding: .utf8)
        #expect { try IntakeConfiguration(jsonFile: file) } throws: { "\($0)".contains("vault.password_file") }
        var settings = IntakeConfiguration()
        try settings.applyEnvironment(["RESGUARDO_INTAKE_VAULT_PASSWORD": "desde-el-entorno"])
        #expect(try settings.databasePassword() == "desde-el-entorno")
        let passwordFile = folder.appendingPathComponent("pg.pass").path
        try "de-archivo\n".write(toFile: passwordFile, atomically: true, encoding: .utf8)
        settings.vaultPasswordFile = passwordFile
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: passwordFile)
        #expect { try settings.databasePassword() } throws: { "\($0)".contains("chmod 600") }
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: passwordFile)
        #expect(try settings.databasePassword() == "de-archivo")

        let keyFile = folder.appendingPathComponent("pow.key").path
        try (String(repeating: "ab", count: 32) + "\n").write(toFile: keyFile, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: keyFile)
        settings.powKeyFile = keyFile
        #expect(try settings.proofOfWorkKey() == [UInt8](repeating: 0xab, count: 32))
        try "corto\n".write(toFile: keyFile, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: keyFile)
        #expect { try settings.proofOfWorkKey() } throws: { "\($0)".contains("64 hex digits") }

        // Two intakes with the same key accept each other's tokens, once each.
        let key = [UInt8](repeating: 7, count: 32)
        let one = try ProofOfWork(difficulty: 1, lifetimeSeconds: 60, macKey: key), other = try ProofOfWork(difficulty: 1, lifetimeSeconds: 60, macKey: key)
        let challenge = try one.challenge()
        let proof = try ProofOfWorkPuzzle.solve(token: challenge.token)
        let spent = try other.verify(token: challenge.token, proof: proof)
        #expect(spent?.id.count == 15)
        #expect(throws: ProofOfWork.Failure.forged) { try ProofOfWork(difficulty: 1, lifetimeSeconds: 60).verify(token: challenge.token, proof: proof) }

        var shared = IntakeConfiguration()
        shared.certificatePath = "c.pem"; shared.privateKeyPath = "k.pem"; shared.manifestPath = "m.json"
        shared.signingKeyFingerprint = SigningKeyFingerprint(text: "a036 5677 a5c6 16c5 72f4 dcd2 9f13 fed2")
        shared.vaultURL = "postgres:///r?host=/run/postgresql&user=u"
        #expect { try shared.validated() } throws: { "\($0)".contains("pow.key_file") }
        shared.powKeyFile = keyFile
        _ = try shared.validated()
        shared.vaultPath = "otra.sqlite"
        #expect { try shared.validated() } throws: { "\($0)".contains("not both") }
    }
}
