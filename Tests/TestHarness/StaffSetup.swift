import Foundation
import Formats
import Sodium
import Testing
import TestSupport

/// Fresh staff keys, a vault with its own signing key, and both passphrase files, in one folder:
/// where every test that goes from the online side to the offline one starts.
public struct StaffSetup {
    public let dir: URL
    public let pass: String
    public let vpass: String
    public let keys: String
    public let vault: String
    public let workspace: String
    public let vaultFingerprint: String
    /// The organisation's signing-key fingerprint, as `resguardo key show` prints it: what the
    /// intake and the online tools pin.
    public let fingerprint: String
    /// The arguments an intake needs to serve this organisation's manifest.
    public var intakeArguments: [String] { ["--manifest", keys + "/manifest.json", "--fingerprint", fingerprint, "--vault", vault] }
    /// The arguments purge --acknowledgement and import-replies need to trust its manifest.
    public var manifestArguments: [String] { ["--manifest", keys + "/manifest.json", "--fingerprint", fingerprint] }

    public init(in dir: URL, organisation: String) throws {
        self.dir = dir
        pass = dir.appendingPathComponent("pass").path
        vpass = dir.appendingPathComponent("vpass").path
        try "frase de paso del equipo offline de \(organisation)\n".write(toFile: pass, atomically: true, encoding: .utf8)
        try "frase de paso del servidor en línea de \(organisation)\n".write(toFile: vpass, atomically: true, encoding: .utf8)
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

    /// The organisation's current encryption key, from its manifest checked against its pin.
    public func currentKey() throws -> SealPublicKey {
        guard let pin = SigningKeyFingerprint(text: fingerprint),
              let key = try ManifestFile.load(path: keys + "/manifest.json", pinned: pin).manifest.currentEncryptionKey(on: .today()) else {
            throw TestFailure("no current key in \(keys)")
        }
        return key.publicKey
    }

    /// Exports the vault into `bundle`, makes the workspace, trusts the vault key and unseals.
    public func exportAndUnseal(into bundle: String) throws -> SubprocessOutcome {
        let exported = try Self.run("resguardo-intake", ["export", "--vault", vault, "--out", bundle, "--passphrase-file", vpass])
        guard exported.status == 0 else { throw TestFailure("export failed: \(exported.output)") }
        if !FileManager.default.fileExists(atPath: workspace) {
            guard try Self.run("resguardo", ["init", "--workspace", workspace, "--keys", keys, "--passphrase-file", pass]).status == 0,
                  try Self.run("resguardo", ["vault", "trust", "--workspace", workspace, "--fingerprint", vaultFingerprint, "--public-key", vault + ".signing.pub"]).status == 0 else {
                throw TestFailure("workspace setup failed")
            }
        }
        return try Self.run("resguardo", ["unseal", "--workspace", workspace, bundle, "--passphrase-file", pass])
    }

    public static func run(_ name: String, _ arguments: [String]) throws -> SubprocessOutcome {
        try runSubprocess(IntakeProcess.binaries.appendingPathComponent(name).path, arguments)
    }

    /// Networks with their own keys and vaults, and an intake config that serves them all
    /// (`{"networks":[…]}`), written in `dir`: one folder per network id.
    public static func severalNetworks(in dir: URL, _ networks: [(id: String, country: String)]) throws -> (config: String, staff: [String: StaffSetup]) {
        var staff: [String: StaffSetup] = [:]
        var entries: [String] = []
        for n in networks {
            let folder = dir.appendingPathComponent(n.id)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let s = try StaffSetup(in: folder, organisation: "Red Nacional \(n.country)")
            staff[n.id] = s
            entries.append(#"{"id":"\#(n.id)","name":"Red Nacional \#(n.country)","countries":["\#(n.country)"],"manifest":"\#(s.keys)/manifest.json","fingerprint":"\#(s.fingerprint)","vault":"\#(s.vault)"}"#)
        }
        let config = dir.appendingPathComponent("intake.json").path
        try #"{"networks":[\#(entries.joined(separator: ","))]}"#.write(toFile: config, atomically: true, encoding: .utf8)
        return (config, staff)
    }
}
