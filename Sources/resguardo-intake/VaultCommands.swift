import DurableFiles
import ArgumentParser
import CLISupport
import Foundation
import Formats
import Sodium
import Vault
import Intake

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

    /// A vault opened for one command; `close()` when done (it ends a PostgreSQL pool).
    struct Opened {
        let administration: any VaultAdministration
        let postgres: PostgresVault?

        func close() async { await postgres?.stop() }
    }

    /// Opens the vault; a PostgreSQL one is connected and its schema brought up to date (the
    /// intakes do the same at start-up, under the same lock).
    func open(creating: Bool = false) async throws -> Opened {
        guard let url = try postgresURL() else {
            guard creating || FileManager.default.fileExists(atPath: vault) else {
                throw CommandFailure(L("no vault at {vault}", ["vault": "\(vault)"]), hints: [L("create one with: resguardo-intake vault init --vault {vault}", ["vault": "\(vault)"])], status: .noInput)
            }
            do { return Opened(administration: try VaultDatabase(path: vault), postgres: nil) } catch {
                throw CommandFailure((creating ? L("cannot create vault {vault}: {error}", ["vault": vault, "error": "\(error)"]) : L("cannot open vault {vault}: {error}", ["vault": vault, "error": "\(error)"])),
                                     status: .dataError)
            }
        }
        if let warning = url.warning { Console.warning(warning) }
        var settings = IntakeConfiguration()
        settings.vaultPasswordFile = vaultPasswordFile ?? ""
        settings.vaultPassword = ProcessInfo.processInfo.environment["RESGUARDO_INTAKE_VAULT_PASSWORD"]
        let password: String?
        do { password = try settings.databasePassword() } catch { throw CommandFailure(error.description, status: .noInput) }
        let database: PostgresVault
        do { database = try PostgresVault(url: url, password: password, operationTimeout: .seconds(30)) } catch {
            throw CommandFailure(error.description, status: .usage)
        }
        database.start()
        do { try await database.migrate() } catch {
            await database.stop()
            throw CommandFailure(L("cannot open the vault {url}: {error}", ["url": "\(url)", "error": "\(error)"]), hints: ["is PostgreSQL running, and may this user connect to it?"], status: .unavailable)
        }
        return Opened(administration: database, postgres: database)
    }
}

extension IntakeCommand {
    struct VaultCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "vault",
            abstract: L("Create the vault and its bundle-signing key."),
            discussion: L("""
            Example:
              $ resguardo-intake vault init --vault /srv/resguardo/vault.sqlite
            """),
            subcommands: [VaultInit.self]
        )
    }
}

extension IntakeCommand.VaultCommand {
    struct VaultInit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "init",
            abstract: L("Create the vault file and the Ed25519 key that signs its export bundles."),
            discussion: L("""
            Writes VAULT, VAULT.signing.key (key file v1, passphrase-protected, mode 0600) and \
            VAULT.signing.pub (base64 public key). Register the public key on the offline laptop with \
            the fingerprint this prints: resguardo vault trust --fingerprint F --public-key VAULT.signing.pub

            With --fingerprint (the network's signing-key fingerprint, as the intake pins it) and, \
            on an intake of several networks, --network, the vault belongs to that network from the \
            start and an intake refuses to use it for another. Without them the first intake that \
            opens it binds it to its network.

            Example:
              $ resguardo-intake vault init --vault mx.sqlite --network mx --fingerprint "a036 5677 a5c6 16c5 72f4 dcd2 9f13 fed2"
              vault signing-key fingerprint: 1c0e 53aa …
            """)
        )

        @OptionGroup var vault: VaultOptions
        @OptionGroup var passphrase: PassphraseOptions
        @Option(name: .long, help: .L("The network's id in the intake's config (leave out for an intake of one network)."))
        var network: String?
        @Option(name: .long, help: .L("The network's signing-key fingerprint (8 groups of 4 hex digits): the vault belongs to that network."))
        var fingerprint: String?

        /// The network this vault is for, when named.
        func binding() throws -> VaultBinding? {
            guard let fingerprint else {
                if network != nil { throw CommandFailure("--network needs --fingerprint (the network's signing-key fingerprint)", status: .usage) }
                return nil
            }
            guard let pin = SigningKeyFingerprint(text: fingerprint) else {
                throw CommandFailure(L("`{fingerprint}` is not a fingerprint (expected 32 hex digits, e.g. a036 5677 …)", ["fingerprint": "\(fingerprint)"]), status: .usage)
            }
            guard let id = network.map({ NetworkId($0) }) ?? .single else {
                throw CommandFailure(L("--network `{network}` is not a network id ({rule})", ["network": "\(network ?? "")", "rule": "\(NetworkId.rule)"]), status: .usage)
            }
            return VaultBinding(network: id, fingerprint: pin)
        }

        func run() async throws {
            try vault.requireSigningKey()
            let binding = try binding()
            let files = vault.vaultUrl == nil ? [vault.vault, vault.signingKeyPath, vault.publicKeyPath] : [vault.signingKeyPath, vault.publicKeyPath]
            for path in files where FileManager.default.fileExists(atPath: path) {
                throw CommandFailure(L("{path} already exists; refusing to overwrite a vault or its key", ["path": "\(path)"]), status: .cannotCreate)
            }
            let secret = try passphrase.readNew()
            let key = try SigningKey.generate()
            let seed = try key.withUnsafeSeedBytes { (b) throws(SodiumError) in try SecureBytes(copying: b) }
            let file = try KeyFile.seal(secret: seed, publicKey: key.verifyingKey.bytes, kind: .bundleSigning, passphrase: secret, limits: .moderate)
            try writeNew(vault.signingKeyPath, file.bytes, mode: 0o600)
            try writeNew(vault.publicKeyPath, Array((Encoding.base64(key.verifyingKey.bytes) + "\n").utf8), mode: 0o644)
            let opened = try await vault.open(creating: true)
            if let binding {
                do { try await opened.administration.bind(binding) } catch {
                    await opened.close()
                    throw CommandFailure(L("{error}", ["error": "\(error)"]), hints: ["the signing key files were written; the vault was not bound"], status: .dataError)
                }
            }
            await opened.close()
            print(L("created vault {vault}", ["vault": "\(vault.name)"]))
            print(binding.map { L("it belongs to {binding}", ["binding": "\($0)"]) } ?? L("not bound to a network yet: the first intake that opens it binds it to its own"))
            print(L("vault signing-key fingerprint: {fingerprint}", ["fingerprint": "\(try SigningKeyFingerprint(verifyingKey: key.verifyingKey))"]))
            print(L("public key for the offline laptop: {path}", ["path": "\(vault.publicKeyPath)"]))
        }

        /// Exclusive create, fsync, directory fsync: the key file is never overwritten or half-written.
        func writeNew(_ path: String, _ bytes: [UInt8], mode: mode_t) throws {
            do { try DurableFile.createExclusive(path, bytes: bytes, mode: mode) } catch {
                throw CommandFailure(error.description, status: .cannotCreate)
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

extension IntakeCommand {
    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: L("Write every not-yet-exported envelope into a signed bundle for the offline laptop."),
            discussion: L("""
            The bundle is written and synced before the envelopes are marked as exported, and nothing \
            is deleted: purge only after the offline side acknowledges the bundle's digest.

            Example:
              $ resguardo-intake export --vault vault.sqlite --out /media/usb/2026-11-25.rsgb
              exported 42 envelopes (1.2 MB) to /media/usb/2026-11-25.rsgb
              $ resguardo-intake export --vault vault.sqlite --urgent-only --out /media/usb/urgentes.rsgb
              bundle digest: 9f3c…
            """)
        )

        @OptionGroup var vault: VaultOptions
        @Option(name: .long, help: .L("The bundle file to write (must not exist).")) var out: String
        @Option(name: .long, help: .L("At most this many envelopes.")) var limit: Int = ExportBundle.maxCount
        @Flag(name: .long, help: .L("Only envelopes marked urgent (the rest wait for the next export).")) var urgentOnly = false
        @OptionGroup var passphrase: PassphraseOptions

        func run() async throws {
            guard !FileManager.default.fileExists(atPath: out) else {
                throw CommandFailure(L("{out} already exists; refusing to overwrite a bundle", ["out": "\(out)"]), status: .cannotCreate)
            }
            let key = try vault.unlockSigningKey(passphrase)
            let database = try await vault.open()
            let summary: ExportSummary
            do {
                summary = try await database.administration.export(to: out, signer: key, today: .today(), limit: limit,
                                                                   maxBytes: VaultDatabase.maxBundleEnvelopeBytes, urgentOnly: urgentOnly)
            } catch {
                await database.close()
                throw CommandFailure(L("export failed: {error}", ["error": "\(error)"]), hints: ["nothing was marked exported; run export again"])
            }
            await database.close()
            print(L("exported {count}{urgent} envelopes ({bytes} bytes) to {out}", ["count": "\(summary.count)", "urgent": urgentOnly ? L(" urgent") : "", "bytes": "\(summary.byteCount)", "out": "\(out)"]))
            print(L("bundle digest: {digest}", ["digest": "\(Encoding.hex(summary.digest))"]))
            if summary.remaining > 0 {
                print(L("{remaining} envelopes did not fit this bundle (at most {mebibytes} MiB); run export again for them", ["remaining": "\(summary.remaining)", "mebibytes": "\(VaultDatabase.maxBundleEnvelopeBytes >> 20)"]))
            }
        }
    }
}

extension IntakeCommand {
    struct Purge: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: L("Delete envelopes the offline side has acknowledged, or old ones by age."),
            discussion: L("""
            --acknowledgement checks the file `resguardo unseal` wrote (signed by the staff \
            reply-signing key of --manifest, which must be signed by the pinned --fingerprint) and \
            deletes what that bundle carried. --bundle-digest does the same from a digest typed by \
            hand. --older-than N looks at envelopes received more than N days ago: without an \
            acknowledgement they may be the only copy of a report, so it deletes only what it is told \
            to by name: --force-unacknowledged (exported in a bundle the offline side never \
            acknowledged; each bundle is listed) and --force-unexported (never exported at all).

            Example:
              $ resguardo-intake purge --vault vault.sqlite --acknowledgement /media/usb/2026-11-25.rsgb.ack \\
                  --manifest manifest.json --fingerprint "a036 5677 a5c6 16c5 72f4 dcd2 9f13 fed2"
              $ resguardo-intake purge --vault vault.sqlite --bundle-digest 9f3c…
              $ resguardo-intake purge --vault vault.sqlite --older-than 90
              $ resguardo-intake purge --vault vault.sqlite --older-than 180 --force-unacknowledged
            """)
        )

        @OptionGroup var vault: VaultOptions
        @Option(name: .long, help: .L("Acknowledgement file written by `resguardo unseal` (BUNDLE.ack).")) var acknowledgement: String?
        @OptionGroup(title: L("With --acknowledgement: the manifest whose reply-signing key signed it")) var manifest: PinnedManifestOptions
        @Option(name: .long, help: .L("Digest (hex) of an acknowledged bundle.")) var bundleDigest: String?
        @Option(name: .long, help: .L("Look at envelopes older than this many days (deletes only what a --force flag names).")) var olderThan: Int?
        @Flag(name: .long, help: .L("With --older-than: delete envelopes of bundles that were exported but never acknowledged.")) var forceUnacknowledged = false
        @Flag(name: .long, help: .L("With --older-than: delete envelopes never exported (the only copy of those reports).")) var forceUnexported = false

        func validate() throws {
            guard [acknowledgement != nil, bundleDigest != nil, olderThan != nil].filter({ $0 }).count == 1 else {
                throw ValidationError(L("give exactly one of --acknowledgement, --bundle-digest or --older-than"))
            }
            if forceUnacknowledged || forceUnexported, olderThan == nil { throw ValidationError(L("--force-unacknowledged and --force-unexported go with --older-than")) }
            if let olderThan, olderThan < 0 { throw ValidationError(L("--older-than must be 0 or more")) }
            if let bundleDigest, Encoding.bytes(fromHex: bundleDigest)?.count != 32 {
                throw ValidationError(L("--bundle-digest must be 64 lowercase hex digits"))
            }
        }

        func run() async throws {
            let ack = try acknowledgement.map { try verifiedAcknowledgement($0) }
            let opened = try await vault.open()
            do { try await purge(opened.administration, acknowledged: ack) } catch {
                await opened.close()
                throw error
            }
            await opened.close()
        }

        func purge(_ database: any VaultAdministration, acknowledged ack: Acknowledgement?) async throws {
            if let ack {
                do {
                    let n = try await database.purge(bundleDigest: ack.bundleDigest, today: .today())
                    print(L("purged {count} envelopes of bundle {digest}, acknowledged offline on {day}", ["count": "\(n)", "digest": "\(Encoding.hex(ack.bundleDigest))", "day": "\(ack.day)"]))
                } catch VaultError.unknownBundle {
                    throw CommandFailure(L("no bundle with digest {bundle_digest} was exported from {name}", ["bundle_digest": "\(Encoding.hex(ack.bundleDigest))", "name": "\(vault.name)"]), status: .dataError)
                }
            } else if let bundleDigest, let digest = Encoding.bytes(fromHex: bundleDigest) {
                do {
                    let n = try await database.purge(bundleDigest: digest, today: .today())
                    print(L("purged {count} envelopes of bundle {digest}", ["count": "\(n)", "digest": "\(bundleDigest)"]))
                } catch VaultError.unknownBundle {
                    throw CommandFailure(L("no bundle with digest {bundle_digest} was exported from {name}", ["bundle_digest": "\(bundleDigest)", "name": "\(vault.name)"]), status: .dataError)
                }
            } else if let olderThan {
                try await purgeByAge(database, olderThan: olderThan)
            }
        }
    }
}

extension IntakeCommand.Purge {
    func purgeByAge(_ database: any VaultAdministration, olderThan: Int) async throws {
        let summary: PurgeByAgeSummary
        do {
            summary = try await database.purge(olderThan: olderThan, today: .today(), includingUnacknowledged: forceUnacknowledged,
                                               includingUnexported: forceUnexported)
        } catch {
            throw CommandFailure(L("purge failed: {error}", ["error": "\(error)"]), hints: ["nothing was deleted"])
        }
        print(L("purged {count} envelopes older than {days} days", ["count": "\(summary.deleted)", "days": "\(olderThan)"]))
        for bundle in summary.unacknowledged {
            let what = summary.deletedUnacknowledged ? L("deleted") : L("kept")
            print(L("  {what} {count} envelopes of bundle {digest}, exported but never acknowledged", ["what": "\(what)", "count": "\(bundle.count)", "digest": "\(Encoding.hex(bundle.digest))"]))
        }
        if summary.deletedUnacknowledged && summary.unacknowledgedCount > 0 {
            Console.warning(L("deleted {unacknowledged_count} envelopes whose bundle was never acknowledged: if that bundle was lost, those reports are gone", ["unacknowledged_count": "\(summary.unacknowledgedCount)"]))
        } else if summary.keptUnacknowledged > 0 {
            Console.warning(L("kept {kept_unacknowledged} envelopes of unacknowledged bundles (import the bundle offline and bring back its acknowledgement, or --force-unacknowledged)", ["kept_unacknowledged": "\(summary.keptUnacknowledged)"]))
        }
        if summary.deletedUnexported && summary.unexported > 0 {
            Console.warning(L("deleted {unexported} envelopes that were never exported: those reports are gone", ["unexported": "\(summary.unexported)"]))
        } else if summary.keptUnexported > 0 {
            Console.warning(L("kept {kept_unexported} envelopes that were never exported (export them, or --force-unexported)", ["kept_unexported": "\(summary.keptUnexported)"]))
        }
    }

    /// Checks the acknowledgement against the staff reply-signing key named in the manifest.
    func verifiedAcknowledgement(_ path: String) throws -> Acknowledgement {
        guard let data = try? DurableFile.read(path, maxBytes: 4096) else { throw CommandFailure(L("cannot read {path} (an acknowledgement is {byte_count} bytes)", ["path": "\(path)", "byte_count": "\(Acknowledgement.byteCount)"]), status: .noInput) }
        let replyKey = try manifest.load().replySigningKey
        do { return try Acknowledgement(bytes: Array(data), verifyingKey: replyKey) } catch {
            throw CommandFailure(L("{path}: {error}", ["path": "\(path)", "error": "\(error)"]), hints: ["nothing was purged"], status: .dataError)
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

extension IntakeCommand {
    struct Stats: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: L("Counts per day, size bucket and state: all the vault knows."),
            discussion: L("""
            Example:
              $ resguardo-intake stats --vault vault.sqlite
              day         bucket  state     urgent  count
              2026-11-25  4 KiB   pending   no      12
            """)
        )

        @OptionGroup var vault: VaultOptions

        func run() async throws {
            let opened = try await vault.open()
            let rows: [StatsRow], replies: Int, binding: VaultBinding?
            do {
                rows = try await opened.administration.stats()
                replies = try await opened.administration.replyCount()
                binding = try await opened.administration.binding()
            } catch {
                await opened.close()
                throw CommandFailure(L("cannot read the vault's counts: {error}", ["error": "\(error)"]))
            }
            await opened.close()
            print(L("day         bucket   state     urgent  count"))
            for r in rows {
                let bucket = Bucket(paddedByteCount: r.bucket)?.description ?? "\(r.bucket)"
                print("\(r.day)  \(bucket.padding(toLength: 7, withPad: " ", startingAt: 0))  \(r.exported ? "exported" : "pending ")  \(r.urgent ? "yes" : "no ")     \(r.count)")
            }
            print("total: \(rows.reduce(0) { $0 + $1.count })")
            print(L("urgent waiting for export: {count}", ["count": "\(rows.filter { $0.urgent && !$0.exported }.reduce(0) { $0 + $1.count })"]))
            print(L("replies waiting in mailboxes: {count}", ["count": "\(replies)"]))
            print(binding.map { L("it belongs to {binding}", ["binding": "\($0)"]) } ?? L("not bound to a network yet: the first intake that opens it binds it to its own"))
        }
    }
}
