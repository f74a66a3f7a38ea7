import ArgumentParser
import CLISupport
import Foundation
import Hummingbird
import Intake
import Logging
import Vault
import Formats

extension IntakeCommand {
    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: L("Serve the intake over HTTPS (TLS 1.3 only)."),
            discussion: L("""
            In production, one file holds it all: the pinned manifest, the vault and TLS; the proof \
            of work is on by default (pow.difficulty 8, rising to pow.max_difficulty 16 under load):
              $ resguardo-intake vault init --fingerprint "a036 5677 …" \\
                  --vault /var/lib/resguardo-intake/vault.sqlite
              $ resguardo-intake serve --config /etc/resguardo/intake.json
              intake.json:
              {"http": {"host": "0.0.0.0", "port": 443},
               "tls": {"certificate": "/etc/resguardo/fullchain.pem",
                       "key": "/etc/resguardo/privkey.pem"},
               "keys": {"manifest": "/etc/resguardo/manifest.json",
                        "fingerprint": "a036 5677 …"},
               "vault": {"path": "/var/lib/resguardo-intake/vault.sqlite"},
               "pow": {"difficulty": 8, "max_difficulty": 16}}

            Settings come from flags, then the environment (RESGUARDO_INTAKE_ and the key in capitals, \
            dots as underscores), then the JSON config file (--config, sections and keys: \
            {"http": {"port": 443}}), then defaults. An unknown key or variable is an error. Keys:

            {keys}

            Several networks in one intake: instead of keys.*, vault.path and \
            notify.urgent_command, the file lists them (only the file can): \
            {"networks": [{"id": "mx", "name": "Red MX", "countries": ["MX"], "manifest": "mx/manifest.json", \
            "fingerprint": "…", "vault": "mx.sqlite", "notify_command": ["/usr/local/bin/avisar-mx"]}, …]}. \
            Each network's manifest is checked against its own fingerprint and served at \
            /v1/networks/ID/keys; GET /v1/networks lists id, name and countries; an envelope goes \
            to the vault of the network whose manifest holds its key id; the form asks the country \
            first and seals to that country's network.

            Several intakes, one vault: vault.url names a PostgreSQL database instead of \
            vault.path (postgres:///DB?host=/run/postgresql&user=USER, or \
            postgres://USER@HOST/DB?sslrootcert=CA.pem with TLS verified); the password comes from \
            vault.password_file or RESGUARDO_INTAKE_VAULT_PASSWORD, never the URL or the file. Every \
            intake of that vault needs the same pow.key_file. A network's "vault" may be such a URL. \
            Example: resguardo-intake serve --config intake.json --vault-url \
            'postgres:///resguardo?host=/run/postgresql&user=resguardo' --pow-key-file /etc/resguardo/pow.key

            The log has no line per request or per event: a log collector timestamps every line, and \
            in order such lines would date every report in the vault. Requests are counted by route \
            and status, failures by class, and the totals are written every \
            log.counters_interval_seconds and at shutdown; the first failure of each class on the \
            server's side is written at once.

            When an urgent report has been stored, notify.urgent_command runs with an empty environment, \
            no input and no arguments of ours: it learns only that an urgent report arrived. At most one \
            run per interval; urgent reports in between are announced by the next run. A failing \
            command is counted and never affects a submission.

            --dev is for a laptop demo: a fresh self-signed certificate (made with openssl) in \
            .resguardo-dev/, the PUBLIC demo keys of keys-example/ pinned to their fingerprint, a \
            vault in .resguardo-dev/, and no proof of work unless --pow-difficulty asks for one. With a \
            --config that lists networks, --dev keeps their keys and vaults (scripts/run --networks).

            Stops gracefully on SIGTERM or SIGINT: requests in flight finish; a submission is \
            acknowledged only once it is durable, so none is half-written.

            Example:
              $ resguardo-intake serve --dev
              $ resguardo-intake serve --config intake.json --port 443
              $ resguardo-intake serve --config intake.json --fingerprint "a036 5677 a5c6 16c5 72f4 dcd2 9f13 fed2"
              $ resguardo-intake serve --config networks.json      (several networks)
            """, ["keys": IntakeSetting.helpText { L($0) }])
        )

        @Option(name: .long, help: .L("JSON config file.")) var config: String?
        @Option(name: .long, help: .L("Address to listen on (default 127.0.0.1).")) var host: String?
        @Option(name: .long, help: .L("TCP port (default 8443; 0 picks a free one).")) var port: Int?
        @Option(name: .long, help: .L("PEM certificate chain.")) var certificate: String?
        @Option(name: .long, help: .L("PEM private key.")) var privateKey: String?
        @Option(name: .long, help: .L("SQLite vault file (default vault.sqlite).")) var vault: String?
        @Option(name: .long, help: .L("Shared PostgreSQL vault instead: postgres://USER@HOST/DB or postgres:///DB?host=/run/postgresql&user=USER (password from vault.password_file or RESGUARDO_INTAKE_VAULT_PASSWORD)."))
        var vaultUrl: String?
        @Option(name: .long, help: .L("Proof-of-work MAC key file (64 hex digits), the same on every intake of a shared vault.")) var powKeyFile: String?
        @Option(name: .long, help: .L("Signed key manifest to serve at GET /v1/keys.")) var manifest: String?
        @Option(name: .long, help: .L("The organisation's signing-key fingerprint; a manifest signed by another key is refused.")) var fingerprint: String?
        @Option(name: .long, help: .L("Proof-of-work difficulty in bits while calm (default 8; 0 = none while calm).")) var powDifficulty: Int?
        @Option(name: .long, help: .L("The most the proof of work rises to under load (default 16).")) var powMaxDifficulty: Int?
        @Option(name: .long, help: .L("Close connections beyond this many.")) var maxConnections: Int?
        @Option(name: .long, help: .L("Event-loop threads (default 0: one per core; several intakes on one host: cores ÷ intakes each).")) var threads: Int?
        @Option(name: .long, help: .L("Seconds to send the TLS handshake and request head.")) var headerTimeout: Int?
        @Option(name: .long, help: .L("Seconds to send the body once the head is in.")) var bodyTimeout: Int?
        @Option(name: .long, help: .L("tweetnacl file for the web form (default from Debian's node-tweetnacl).")) var tweetnacl: String?
        @Option(name: .long, help: .L("No-JavaScript submissions per minute, all clients together (default 60).")) var formPerMinute: Int?
        @Option(name: .long, help: .L("Program to run when an urgent report arrives (absolute path; no arguments).")) var notifyCommand: String?
        @Option(name: .long, help: .L("At most one urgent notification per this many seconds (default 60).")) var notifyInterval: Int?
        @Option(name: .long, help: .L("The onion side: plain HTTP on 127.0.0.1:PORT or unix:/path, for the local tor.")) var onionListen: String?
        @Option(name: .long, help: .L("The service's .onion name (pages on the HTTPS side send Onion-Location).")) var onionAddress: String?
        @Flag(name: .long, help: .L("Demo mode: self-signed certificate and the public demo keys.")) var dev = false
        @Option(name: .long, help: .L("Log level: error, warning, notice, info or debug.")) var logLevel: String = "info"

        func run() async throws {
            // Before anything else: it may re-execute the process (see protectPlaintextMemory).
            let memory = ProcessHardening.protectPlaintextMemory()
            var settings = IntakeConfiguration()
            if let config {
                do { settings = try IntakeConfiguration(jsonFile: config) } catch {
                    throw CommandFailure(error.description, status: error == .unreadable(config) ? .noInput : .dataError)
                }
            }
            if dev { try applyDevDefaults(&settings) }
            // Flags go through the same table as the file and the environment: the same ranges hold.
            let flags: [(key: String, flag: String, value: String?)] = [
                ("http.host", "--host", host), ("http.port", "--port", port.map(String.init)),
                ("tls.certificate", "--certificate", certificate), ("tls.key", "--private-key", privateKey),
                ("vault.path", "--vault", vault), ("vault.url", "--vault-url", vaultUrl), ("pow.key_file", "--pow-key-file", powKeyFile),
                ("keys.manifest", "--manifest", manifest), ("keys.fingerprint", "--fingerprint", fingerprint),
                ("pow.difficulty", "--pow-difficulty", powDifficulty.map(String.init)), ("pow.max_difficulty", "--pow-max-difficulty", powMaxDifficulty.map(String.init)),
                ("limits.max_connections", "--max-connections", maxConnections.map(String.init)), ("http.threads", "--threads", threads.map(String.init)),
                ("limits.header_timeout_seconds", "--header-timeout", headerTimeout.map(String.init)),
                ("limits.body_timeout_seconds", "--body-timeout", bodyTimeout.map(String.init)),
                ("web.tweetnacl", "--tweetnacl", tweetnacl), ("web.form_per_minute", "--form-per-minute", formPerMinute.map(String.init)),
                ("notify.urgent_command", "--notify-command", notifyCommand), ("notify.urgent_min_interval_seconds", "--notify-interval", notifyInterval.map(String.init)),
                ("onion.listen", "--onion-listen", onionListen), ("onion.address", "--onion-address", onionAddress),
            ]
            do {
                try settings.applyEnvironment(ProcessInfo.processInfo.environment)
                for (key, flag, value) in flags { if let value { try settings.set(key, text: value, flag: flag) } }
            } catch {
                throw CommandFailure(error.description, status: .usage)
            }
            // Demo mode with a shared vault: the demo's SQLite file is not used.
            if dev, !settings.vaultURL.isEmpty, vault == nil { settings.vaultPath = IntakeConfiguration().vaultPath }
            // A floor above the ceiling lifts the ceiling with it, unless the ceiling was given too.
            if let powDifficulty, powMaxDifficulty == nil { settings.powMaxDifficulty = max(settings.powMaxDifficulty, powDifficulty) }
            do { settings = try settings.validated() } catch {
                throw CommandFailure(error.description, hints: ["or use --dev for a demo with the public demo keys"], status: .usage)
            }
            // Before the first use of the event loops, which fixes their number.
            useEventLoopThreads(settings.threads)
            guard let level = Logger.Level(rawValue: logLevel) else {
                throw CommandFailure(L("unknown log level `{log_level}`", ["log_level": "\(logLevel)"]), status: .usage)
            }
            LoggingSystem.bootstrap { label in AnonymousLogHandler(label: label, level: level) }
            let logger = Logger(label: "resguardo-intake")
            let deps: IntakeDependencies
            do { deps = try IntakeDependencies(configuration: settings, logger: logger) } catch let error as NetworkLoadError where error.isUntrustedKey {
                throw CommandFailure(L("cannot start: {error}", ["error": "\(error)"]), hints: ["the manifest was not signed by the pinned signing key: it may have been swapped; get it again from the offline laptop (resguardo key show)",
                                                                   "nothing was served"], status: .dataError)
            } catch let error as ManifestFileError where error.isUntrustedKey {
                throw CommandFailure(L("cannot start: {error}", ["error": "\(error)"]), hints: ["the manifest was not signed by the pinned signing key: it may have been swapped; get it again from the offline laptop (resguardo key show)",
                                                                   "nothing was served"], status: .dataError)
            } catch {
                throw CommandFailure(L("cannot start: {error}", ["error": "\(error)"]), status: .dataError)
            }
            // A network whose manifest did not load is not served; the others are (review N9).
            for refusal in deps.networks.refused {
                Console.warning(L("network {id} is not served: {error}", ["id": refusal.network.text, "error": "\(refusal)"]))
            }
            for network in deps.networks.all {
                if case .postgres(let url) = network.vaultLocation, let warning = url.warning { Console.warning(warning) }
            }
            // A shared vault: connect and migrate before listening, so no receipt is promised by
            // an intake that cannot reach its database.
            do throws(VaultError) { try await deps.networks.prepare() } catch {
                await (try? deps.networks.close())
                throw CommandFailure(L("cannot start: the vault's database: {error}", ["error": "\(error)"]), hints: ["is PostgreSQL running, and does vault.url name it?", "nothing was served"], status: .dataError)
            }
            // From here on the server's API and log speak English (StaffMessages.speakEnglishOnly);
            // what stops the start-up above is for the person starting it, in the staff's language.
            StaffMessages.speakEnglishOnly()
            let host = settings.host, demo = dev, demoKeys = settings.networks.isEmpty
            let vaults = deps.networks.isSingle ? "vault \(deps.networks.all.first?.vaultLocation.description ?? settings.vaultPath)"
                : "\(deps.networks.all.count) networks: " + deps.networks.all.map { "\($0.id) (\($0.countries.joined(separator: " "))) vault \($0.vaultLocation)" }.joined(separator: "; ")
            let onionName = deps.onionName
            let languages = deps.catalogs
            let onion: @Sendable (String) async -> Void = { address in
                // Tests and scripts read this line too.
                FileHandle.standardOutput.write(Data("resguardo-intake: onion side on \(address) (plain HTTP for the local tor)\(onionName.map { ", \($0)" } ?? "")\n".utf8))
            }
            let app: any ApplicationProtocol
            do { app = try buildApplication(deps, logger: logger, onOnionListening: onion) { port in
                var text = !demo ? "" : demoKeys ? "resguardo-intake: DEMO MODE with PUBLIC demo keys (keys-example/): never use for real reports\n"
                    : "resguardo-intake: DEMO MODE (self-signed certificate, no proof of work): never use for real reports\n"
                // Tests and scripts read the port from this line; written unbuffered so a pipe sees it now.
                text += "resguardo-intake: \(memory.summary)\n"
                let withheld = languages.withheld.map { "\($0.language) (\($0.missing) security texts untranslated)" }
                text += "resguardo-intake: languages served: \(languages.served.joined(separator: ", "))\(withheld.isEmpty ? "" : "; not served: " + withheld.joined(separator: ", "))\n"
                text += "resguardo-intake: serving https://\(host):\(port) (TLS 1.3 only), \(vaults)\n"
                FileHandle.standardOutput.write(Data(text.utf8))
            } } catch let error as ConfigurationError {
                throw CommandFailure(L("cannot start: {error}", ["error": "\(error)"]), status: .usage)
            }
            try await app.runService()
            for network in deps.networks.all {
                var extra: Logger.Metadata
                switch network.backend {
                case .sqlite(_, let writer):
                    let totals = writer.totals
                    extra = [
                        "stored": "\(totals.submissions)", "commits": "\(totals.commits)", "failed_commits": "\(totals.failedCommits)",
                        "slowest_commit_ms": "\(totals.slowestCommit.milliseconds)", "checkpoint_finishes": "\(totals.checkpointFinishes)",
                        "slowest_checkpoint_finish_ms": "\(totals.slowestCheckpointFinish.milliseconds)",
                    ]
                case .postgres(_, let groupCommit):
                    let totals = groupCommit.totals
                    extra = ["stored": "\(totals.submissions)", "commits": "\(totals.commits)", "failed_commits": "\(totals.failedCommits)"]
                }
                if !deps.networks.isSingle { extra["network"] = .string(network.id.text) }
                deps.counters.report("stopped", extra: extra)
            }
            // Every request has been answered and the checkpoints have stopped: nothing writes now.
            do throws(VaultError) { try await deps.networks.close() } catch {
                logger.warning("vault not closed cleanly; SQLite recovers the log when it next opens", metadata: ["class": .string(error.errorClass)])
            }
        }

        /// The public demo keys' fingerprint (keys-example/README.md; scripts/test checks they agree).
        /// Demo mode pins it like any deployment pins its own: no mode trusts a manifest it is given.
        static let demoFingerprint = "a036 5677 a5c6 16c5 72f4 dcd2 9f13 fed2"

        /// Demo mode: a self-signed certificate for 127.0.0.1/localhost and the demo manifest.
        func applyDevDefaults(_ settings: inout IntakeConfiguration) throws {
            let dir = ".resguardo-dev"
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            let cert = "\(dir)/cert.pem", key = "\(dir)/key.pem"
            if !FileManager.default.fileExists(atPath: cert) {
                try DevCertificate.make(certificate: cert, key: key)
            }
            settings.certificatePath = cert
            settings.privateKeyPath = key
            // The demo (and the tests built on it) asks no proof unless --pow-difficulty says so.
            settings.powDifficulty = 0
            settings.powMaxDifficulty = 0
            // Several networks (scripts/run --networks): each names its own keys and vault.
            guard settings.networks.isEmpty else { return }
            settings.manifestPath = "keys-example/manifest.json"
            settings.signingKeyFingerprint = SigningKeyFingerprint(text: Self.demoFingerprint)
            settings.vaultPath = "\(dir)/vault.sqlite"
            guard FileManager.default.fileExists(atPath: settings.manifestPath) else {
                throw CommandFailure("keys-example/manifest.json not found", hints: ["run --dev from the repository's top folder"], status: .noInput)
            }
        }
    }
}

/// A throwaway self-signed certificate for the demo, made by the openssl command (Debian's
/// `openssl` package), so no certificate code ships in the intake itself.
enum DevCertificate {
    static func make(certificate: String, key: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                             "-keyout", key, "-out", certificate, "-days", "30", "-subj", "/CN=localhost",
                             "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch {
            throw CommandFailure("cannot run openssl to make a demo certificate", hints: ["apt-get install openssl"])
        }
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw CommandFailure(L("openssl could not make a demo certificate (exit {termination_status})", ["termination_status": "\(process.terminationStatus)"]))
        }
        chmod(key, 0o600)
    }
}

extension Duration {
    /// Whole milliseconds, for the shutdown line.
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000 + attoseconds / 1_000_000_000_000_000
    }
}
