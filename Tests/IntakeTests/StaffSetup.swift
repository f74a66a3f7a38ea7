import Foundation
import Formats
import Testing
import TestSupport

/// Fresh staff keys, a vault with its own signing key, and both passphrase files, in one folder:
/// where every test that goes from the online side to the offline one starts.
struct StaffSetup {
    let dir: URL
    let pass: String
    let vpass: String
    let keys: String
    let vault: String
    let workspace: String
    let vaultFingerprint: String
    /// The organisation's signing-key fingerprint, as `resguardo key show` prints it: what the
    /// intake and the online tools pin.
    let fingerprint: String
    /// The arguments an intake needs to serve this organisation's manifest.
    var intakeArguments: [String] { ["--manifest", keys + "/manifest.json", "--fingerprint", fingerprint, "--vault", vault] }
    /// The arguments purge --acknowledgement and import-replies need to trust its manifest.
    var manifestArguments: [String] { ["--manifest", keys + "/manifest.json", "--fingerprint", fingerprint] }

    init(in dir: URL, organisation: String) throws {
        self.dir = dir
        pass = dir.appendingPathComponent("pass").path
        vpass = dir.appendingPathComponent("vpass").path
        try "frase de paso del equipo offline\n".write(toFile: pass, atomically: true, encoding: .utf8)
        try "frase de paso del servidor en línea\n".write(toFile: vpass, atomically: true, encoding: .utf8)
        keys = dir.appendingPathComponent("keys").path
        vault = dir.appendingPathComponent("vault.sqlite").path
        workspace = dir.appendingPathComponent("casos").path
        let made = try Self.run("resguardo", ["key", "init", "--dir", keys, "--organisation", organisation, "--kdf", "interactive", "--passphrase-file", pass])
        guard made.status == 0 else { throw TestFailure("key init failed: \(made.output)") }
        let vaultInit = try Self.run("resguardo-intake", ["vault", "init", "--vault", vault, "--passphrase-file", vpass])
        guard let line = vaultInit.output.split(separator: "\n").first(where: { $0.hasPrefix("vault signing-key fingerprint: ") }) else {
            throw TestFailure("vault init failed: \(vaultInit.output)")
        }
        vaultFingerprint = String(line.dropFirst("vault signing-key fingerprint: ".count))
        let shown = try Self.run("resguardo", ["key", "show", "--dir", keys, "--format", "json"])
        guard case .string(let f)? = try? JSONValue.parse(Array(shown.output.utf8))["signing_key_fingerprint"] else {
            throw TestFailure("key show failed: \(shown.output)")
        }
        fingerprint = f
    }

    static func run(_ name: String, _ arguments: [String]) throws -> SubprocessOutcome {
        try runSubprocess(IntakeProcess.binaries.appendingPathComponent(name).path, arguments)
    }
}
