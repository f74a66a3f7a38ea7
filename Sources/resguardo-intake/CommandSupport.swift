import ArgumentParser
import CLISupport
import DurableFiles
import Formats
import Foundation
import Intake
import Sodium
import Vault

/// Which vault a command works on, and where its bundle-signing key is: the SQLite file
/// (`--vault`, key beside it) or a shared PostgreSQL database (`--vault-url`, key named by
/// `--signing-key`). Every command below works the same on either.
struct VaultOptions: ParsableArguments {
    @Option(name: .long, help: .L("SQLite vault file."))
    var vault: String = "vault.sqlite"
    @Option(name: .long, help: .L("A shared PostgreSQL vault instead: postgres://USER@HOST/DB?sslmode=verify-full or postgres:///DB?host=/run/postgresql&user=USER (password from --vault-password-file or RESGUARDO_INTAKE_VAULT_PASSWORD)."))
    var vaultUrl: String?
    @Option(name: .long, help: .L("File holding the database password (mode 0600)."))
    var vaultPasswordFile: String?
    @Option(name: .long, help: .L("The bundle-signing key file (default: VAULT.signing.key beside the SQLite file; required with --vault-url)."))
    var signingKey: String?

    var signingKeyPath: String { signingKey ?? vault + ".signing.key" }
    var publicKeyPath: String { signingKeyPath.hasSuffix(".key") ? String(signingKeyPath.dropLast(4)) + ".pub" : signingKeyPath + ".pub" }
    /// What messages call the vault (never with a password).
    var name: String { (try? postgresURL())??.description ?? vault }

    func validate() throws {
        _ = try postgresURL()
    }

    /// Commands that sign or make the key: a PostgreSQL vault has no file to put it beside.
    func requireSigningKey() throws {
        if vaultUrl != nil, signingKey == nil {
            throw CommandFailure("--vault-url needs --signing-key PATH (the bundle-signing key `vault init --vault-url` wrote)", status: .usage)
        }
    }

    func postgresURL() throws -> PostgresVaultURL? {
        guard let vaultUrl else { return nil }
        do { return try PostgresVaultURL(vaultUrl) } catch { throw CommandFailure(error.description, status: .usage) }
    }

    /// The vault these options name (the choice of backend is `VaultLocation`'s, in Vault).
    var location: VaultLocation {
        get throws {
            if let url = try postgresURL() { return .postgres(url) }
            return .sqlite(path: vault)
        }
    }

    /// Opens the vault; a PostgreSQL one is connected and its schema brought up to date (the
    /// intakes do the same at start-up, under the same lock).
    func open(creating: Bool = false) async throws -> OpenedVault {
        let location = try location
        var password: String?
        switch location {
        case .sqlite:
            guard creating || FileManager.default.fileExists(atPath: vault) else {
                throw CommandFailure(L("no vault at {vault}", ["vault": "\(vault)"]), hints: [L("create one with: resguardo-intake vault init --vault {vault}", ["vault": "\(vault)"])], status: .noInput)
            }
        case .postgres(let url):
            if let warning = url.warning { Console.warning(warning) }
            var settings = IntakeConfiguration()
            settings.vaultPasswordFile = vaultPasswordFile ?? ""
            settings.vaultPassword = ProcessInfo.processInfo.environment["RESGUARDO_INTAKE_VAULT_PASSWORD"]
            do { password = try settings.databasePassword() } catch { throw CommandFailure(error.description, status: .noInput) }
        }
        do { return try await location.open(password: password) } catch {
            switch error {
            case .sqlite:
                throw CommandFailure((creating ? L("cannot create vault {vault}: {error}", ["vault": vault, "error": "\(error)"]) : L("cannot open vault {vault}: {error}", ["vault": vault, "error": "\(error)"])),
                                     status: .dataError)
            case .url:
                throw CommandFailure(error.description, status: .usage)
            case .unreachable:
                throw CommandFailure(L("cannot open the vault {url}: {error}", ["url": "\(location)", "error": "\(error)"]), hints: ["is PostgreSQL running, and may this user connect to it?"], status: .unavailable)
            }
        }
    }
}

extension VaultOptions {
    /// Unlocks the bundle-signing key; a wrong passphrase exits 77.
    func unlockSigningKey(_ passphrase: PassphraseOptions) throws -> SigningKey {
        try requireSigningKey()
        guard let data = try? DurableFile.read(signingKeyPath, maxBytes: 4096) else {
            throw CommandFailure(L("no signing key at {signing_key_path}", ["signing_key_path": "\(signingKeyPath)"]), hints: ["was the vault made with `resguardo-intake vault init`?"], status: .noInput)
        }
        let secret = try passphrase.read(prompt: "Vault passphrase: ")
        do {
            return try KeyFile(bytes: Array(data)).unlockSigningKey(passphrase: secret, kind: .bundleSigning)
        } catch .wrongPassphrase {
            throw CommandFailure(L("wrong passphrase for {signing_key_path}", ["signing_key_path": "\(signingKeyPath)"]), status: .wrongPassphrase)
        } catch {
            throw CommandFailure(L("{signing_key_path}: {error}", ["signing_key_path": "\(signingKeyPath)", "error": "\(error)"]), status: .dataError)
        }
    }
}

/// The key manifest whose keys a command trusts, checked against the pinned signing-key
/// fingerprint (the same pin as the intake's `keys.fingerprint`): a manifest swapped on the host
/// could otherwise make a forged acknowledgement purge real envelopes.
struct PinnedManifestOptions: ParsableArguments {
    @Option(name: .long, help: .L("The key manifest the intake serves.")) var manifest: String?
    @Option(name: .long, help: .L("The organisation's signing-key fingerprint (8 groups of 4 hex digits); a manifest signed by another key is refused."))
    var fingerprint: String?
    @Option(name: .long, help: .L("The intake's JSON config file: its keys.manifest and keys.fingerprint are used unless given here."))
    var config: String?
    @Option(name: .long, help: .L("With a --config that lists several networks: the network whose manifest and fingerprint to use."))
    var network: String?

    func load() throws -> KeyManifest { try loadSigned().manifest }

    /// The fingerprint given, or the config file's.
    func pinnedFingerprint() throws -> SigningKeyFingerprint? { try resolve().signingKeyFingerprint }

    /// The network chosen with --network from a --config that lists several; nil otherwise.
    func chosenNetwork() throws -> NetworkSetting? { try resolveWithNetwork().network }

    func loadSigned() throws -> SignedKeyManifest {
        let settings = try resolve()
        guard let pinned = settings.signingKeyFingerprint else {
            throw CommandFailure("no signing-key fingerprint to check the manifest against",
                                 hints: ["give --fingerprint F (the one `resguardo key show` prints) or --config with keys.fingerprint"], status: .usage)
        }
        do { return try ManifestFile.load(path: settings.manifestPath, pinned: pinned) } catch {
            if case .unreadable(let path) = error {
                throw CommandFailure(L("cannot read the key manifest {path}", ["path": "\(path)"]), hints: ["give --manifest PATH (the manifest.json the intake serves)"], status: .noInput)
            }
            var hints = [L("nothing was changed")]
            if error.isUntrustedKey { hints.insert(L("the manifest is not signed by the pinned key: it may have been swapped"), at: 0) }
            throw CommandFailure(L("{error}", ["error": "\(error)"]), hints: hints, status: .dataError)
        }
    }

    private func resolve() throws -> IntakeConfiguration { try resolveWithNetwork().settings }

    private func resolveWithNetwork() throws -> (settings: IntakeConfiguration, network: NetworkSetting?) {
        var settings = IntakeConfiguration()
        var picked: NetworkSetting?
        if let config {
            do { settings = try IntakeConfiguration(jsonFile: config) } catch {
                throw CommandFailure(error.description, status: error == .unreadable(config) ? .noInput : .dataError)
            }
        }
        // Several networks: one network's manifest and pin, never another's.
        if !settings.networks.isEmpty {
            let ids = settings.networks.map(\.id.text).joined(separator: ", ")
            guard let network else {
                throw CommandFailure(L("{config} lists several networks ({ids})", ["config": "\(config ?? "the config")", "ids": "\(ids)"]), hints: ["give --network ID"], status: .usage)
            }
            guard let chosen = settings.networks.first(where: { $0.id.text == network }) else {
                throw CommandFailure(L("no network `{network}` in {config} (it lists {ids})", ["network": "\(network)", "config": "\(config ?? "the config")", "ids": "\(ids)"]), status: .usage)
            }
            settings.manifestPath = chosen.manifestPath
            settings.signingKeyFingerprint = chosen.fingerprint
            picked = chosen
        }
        // The same table, and so the same checks, as the intake's own settings.
        do {
            if let manifest { try settings.set("keys.manifest", text: manifest, flag: "--manifest") }
            if let fingerprint { try settings.set("keys.fingerprint", text: fingerprint, flag: "--fingerprint") }
        } catch {
            throw CommandFailure(error.description, status: .usage)
        }
        if settings.manifestPath.isEmpty { settings.manifestPath = "manifest.json" }
        return (settings, picked)
    }
}
