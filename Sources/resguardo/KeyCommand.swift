import ArgumentParser
import CLISupport
import Casework
import Formats
import Sodium

extension Resguardo {
    struct KeyCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "key",
            abstract: L("Create, inspect and rotate the organisation's keys."),
            discussion: L("""
            Example:
              $ resguardo key init --dir keys --organisation "Red de Defensoras"
              $ resguardo key show --dir keys
              $ resguardo key rotate --dir keys
              $ resguardo key renew --dir keys
            """),
            subcommands: [KeyInit.self, KeyShow.self, KeyRotate.self, KeyRenew.self, Passphrase.self, CustodyCommand.self, ReleaseInit.self, SignFile.self, VerifyFile.self]
        )
    }
}

/// Options every key command shares.
struct KeyDirectoryOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(L("The key directory."), valueName: "dir"))
    var dir: String

    func open() throws -> KeyDirectory {
        let directory: KeyDirectory
        do { directory = try KeyDirectory(path: dir) } catch { throw error.commandFailure(directory: dir) }
        for warning in directory.permissionWarnings() { Console.warning(warning) }
        return directory
    }
}

/// How long a new encryption key is valid, and how hard its key file is to brute-force.
struct NewKeyOptions: ParsableArguments {
    /// Shorter than a year: a key that leaks is good to an attacker only until it expires, and a
    /// manifest carrying it can be replayed only as long as that manifest is current.
    @Option(name: .long, help: .L("Days the new encryption key is valid (1 to 3650; default 180)."))
    var validDays: Int = 180
    @Option(name: .long, help: .L("Argon2id cost of the key files: interactive, moderate or sensitive."))
    var kdf: KDFPreset = .moderate

    func validate() throws {
        guard (1...3650).contains(validDays) else { throw ValidationError(L("--valid-days must be between 1 and 3650, not {validdays}", ["validdays": "\(validDays)"])) }
    }
}

/// Argon2id cost presets a person can name.
enum KDFPreset: String, ExpressibleByArgument, CaseIterable {
    case interactive, moderate, sensitive

    var limits: KeyDerivationLimits {
        switch self {
        case .interactive: return .interactive
        case .moderate: return .moderate
        case .sensitive: return .sensitive
        }
    }
}

extension Resguardo.KeyCommand {
    struct KeyInit: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "init",
            abstract: L("Create the encryption, signing and reply-signing keys and a signed manifest."),
            discussion: L("""
            Makes a new key directory (it must not exist, or be empty). Secret key files are encrypted \
            with your passphrase (Argon2id) and written with mode 0600; manifest.json is public and is \
            what the intake serves at GET /v1/keys. Publish the signing-key fingerprint this prints \
            (website, printed leaflets, trusted contacts): clients compare it with the manifest.

            Do this on the offline laptop. Keep a backup of the directory on an encrypted USB stick.

            Example:
              $ resguardo key init --dir /media/keys/red --organisation "Red de Defensoras"
              New passphrase (at least 12 characters):
              Repeat the passphrase:
              created keys for Red de Defensoras in /media/keys/red
              signing-key fingerprint: 3f2a 9c1b …

            --role coordinator makes a relocation coordinator's key instead (on the coordinator's own \
            machine): coordinator.key (under their passphrase) and coordinator.pub, whose fingerprint \
            they read out to the network by another channel.
              $ resguardo key init --role coordinator --dir ~/claves-coordinacion
            """)
        )

        enum Role: String, ExpressibleByArgument, CaseIterable { case staff, coordinator }

        @OptionGroup var keys: KeyDirectoryOptions
        @Option(name: .long, help: .L("staff (the network's keys, the default) or coordinator (a relocation coordinator's key)."))
        var role: Role = .staff
        @Option(name: .long, help: .L("The organisation's name, as shown to defenders (staff keys only)."))
        var organisation: String?
        @OptionGroup var newKey: NewKeyOptions
        @OptionGroup var passphrase: PassphraseOptions

        func validate() throws {
            if role == .coordinator {
                if organisation != nil { throw ValidationError(L("--organisation is for staff keys; a coordinator's key has none")) }
                return
            }
            guard let organisation, !organisation.isEmpty, organisation.count <= KeyManifest.maxOrganisationLength else {
                throw ValidationError(L("--organisation must be 1 to {maxorganisationlength} characters", ["maxorganisationlength": "\(KeyManifest.maxOrganisationLength)"]))
            }
        }

        func run() throws {
            let secret = try passphrase.readNew()
            if role == .coordinator {
                let publicKey: SealPublicKey
                do { publicKey = try CoordinatorKeys.create(at: keys.dir, passphrase: secret, limits: newKey.kdf.limits) } catch {
                    throw error.commandFailure(directory: keys.dir)
                }
                print(L("created a coordinator key in {dir}", ["dir": "\(keys.dir)"]))
                print(L("public key: {dir}/{public_name}", ["dir": "\(keys.dir)", "public_name": "\(CoordinatorKeys.publicName)"]))
                print(L("coordinator-key fingerprint: {public_key}", ["public_key": "\(try SigningKeyFingerprint(coordinatorKey: publicKey))"]))
                return
            }
            let organisation = self.organisation ?? ""
            let directory: KeyDirectory
            do {
                directory = try KeyDirectory.create(at: keys.dir, organisation: organisation, passphrase: secret,
                                                    limits: newKey.kdf.limits, today: .today(), validDays: newKey.validDays)
            } catch {
                throw error.commandFailure(directory: keys.dir)
            }
            print(L("created keys for {organisation} in {dir}", ["organisation": "\(organisation)", "dir": "\(keys.dir)"]))
            try KeyShow.printSummary(directory)
            print(L("staff-key fingerprint (coordinators pin it to open referrals): {reply_signing_key}", ["reply_signing_key": "\(try SigningKeyFingerprint(verifyingKey: directory.manifest.manifest.replySigningKey))"]))
        }
    }
}

extension Resguardo.KeyCommand {
    struct KeyShow: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show",
            abstract: L("Print key ids, validity and the signing-key fingerprint (no passphrase needed)."),
            discussion: L("""
            Verifies manifest.json against signing.key and prints what clients will see.

            Example:
              $ resguardo key show --dir keys
              organisation: Red de Defensoras
              signing-key fingerprint: 3f2a 9c1b 0d4e 77aa 5b10 c2d3 e4f5 0617
              encryption keys:
                9c1b0d4e77aa5b10  2026-11-25 … 2027-11-25  current
            """)
        )

        @OptionGroup var keys: KeyDirectoryOptions
        @Option(name: .long, help: .L("Output format: text or json."))
        var format: OutputFormat = .text

        enum OutputFormat: String, ExpressibleByArgument, CaseIterable { case text, json }

        func run() throws {
            let directory = try keys.open()
            switch format {
            case .text: try Self.printSummary(directory)
            case .json: try Self.printJSON(directory)
            }
        }

        static func printSummary(_ directory: KeyDirectory) throws {
            let manifest = directory.manifest.manifest
            let today = CalendarDay.today()
            let current = manifest.currentEncryptionKey(on: today)
            print("organisation: \(manifest.organisation)")
            print(L("manifest issued: {issued}, expires: {expires}{renew}", ["issued": "\(manifest.issued)", "expires": "\(manifest.expires)", "renew": "\(manifest.expires < .today() ? " (EXPIRED: resguardo key renew)" : "")"]))
            print(L("signing-key fingerprint: {directory}", ["directory": "\(try directory.manifest.fingerprint())"]))
            print(L("reply-signing key: {bytes}", ["bytes": "\(Encoding.base64(manifest.replySigningKey.bytes))"]))
            print(L("encryption keys:"))
            for key in manifest.encryptionKeys {
                var notes: [String] = []
                if key.id == current?.id { notes.append("current") } else if key.notAfter < today { notes.append("expired") } else if key.notBefore > today { notes.append("not yet valid") } else { notes.append("valid") }
                if !directory.hasSecretKeyFile(for: key.id) { notes.append("secret key file missing") }
                print("  \(key.id)  \(key.notBefore) … \(key.notAfter)  \(notes.joined(separator: ", "))")
            }
            if current == nil {
                Console.warning(L("no encryption key is valid today; run `resguardo key rotate --dir {directory}`", ["directory": "\(directory.path)"]))
            }
        }

        static func printJSON(_ directory: KeyDirectory) throws {
            let manifest = directory.manifest.manifest
            let current = manifest.currentEncryptionKey(on: .today())
            let json = JSONValue.object([
                ("organisation", .string(manifest.organisation)),
                ("issued", .string(manifest.issued.description)),
                ("expires", .string(manifest.expires.description)),
                ("signing_key_fingerprint", .string(try directory.manifest.fingerprint().description)),
                ("current_key_id", current.map { .string($0.id.hex) } ?? .null),
                ("encryption_keys", .array(manifest.encryptionKeys.map { key in
                    .object([("id", .string(key.id.hex)), ("not_before", .string(key.notBefore.description)),
                             ("not_after", .string(key.notAfter.description)),
                             ("secret_key_file", .bool(directory.hasSecretKeyFile(for: key.id)))])
                })),
            ])
            print(String(decoding: json.serialized(), as: UTF8.self))
        }
    }
}

extension Resguardo.KeyCommand {
    struct KeyRotate: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotate",
            abstract: L("Add a new encryption key to the manifest and re-sign it; old keys are kept."),
            discussion: L("""
            The new key is valid from today. Older keys stay listed until --overlap-days from now, so \
            clients holding yesterday's manifest still reach you, and their secret files stay in the \
            directory so old reports still open. Copy the new manifest.json to the intake afterwards.

            Example:
              $ resguardo key rotate --dir keys
              Passphrase:
              added encryption key 51c0e2a94b7d13f8, valid 2026-11-25 … 2027-11-25
            """)
        )

        @OptionGroup var keys: KeyDirectoryOptions
        @OptionGroup var newKey: NewKeyOptions
        @Option(name: .long, help: .L("Days older keys stay valid for clients with a cached manifest."))
        var overlapDays: Int = 30
        @OptionGroup var passphrase: PassphraseOptions

        func validate() throws {
            guard (0...365).contains(overlapDays) else { throw ValidationError(L("--overlap-days must be between 0 and 365, not {overlapdays}", ["overlapdays": "\(overlapDays)"])) }
        }

        func run() throws {
            let directory = try keys.open()
            let secret = try passphrase.read(prompt: "Passphrase: ")
            let entry: KeyManifest.EncryptionKey
            do {
                entry = try directory.rotate(passphrase: secret, limits: newKey.kdf.limits, today: .today(),
                                             validDays: newKey.validDays, overlapDays: overlapDays)
            } catch {
                throw error.commandFailure(directory: keys.dir)
            }
            print(L("added encryption key {id}, valid {not_before} … {not_after}", ["id": "\(entry.id)", "not_before": "\(entry.notBefore)", "not_after": "\(entry.notAfter)"]))
            print("copy \(keys.dir)/\(KeyDirectory.manifestName) to the intake")
        }
    }
}

extension Resguardo.KeyCommand {
    struct KeyRenew: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "renew",
            abstract: L("Sign the same keys again with today's date, so the manifest stays current."),
            discussion: L("""
            A manifest expires {days} days after it is signed (never after its \
            last key): clients refuse an expired one, and one older than a manifest they have already \
            seen, so an intake replaying an old manifest is refused. Renew (or rotate) before it \
            expires and copy the new manifest.json to the intake.

            Manifests signed before signature domains (December 2026) are refused everywhere; \
            renew is their migration: it checks that every key such a manifest lists is one of this \
            directory's own (each key file must open with the passphrase) and signs it again. It \
            signs the entry list of a recovery file from before that date too, after checking that \
            every key entry is this directory's.

            Example:
              $ resguardo key renew --dir keys
              Passphrase:
              manifest signed 2026-12-01, valid until 2027-03-31
            """, ["days": String(KeyManifest.defaultValidityDays)])
        )

        @OptionGroup var keys: KeyDirectoryOptions
        @OptionGroup var passphrase: PassphraseOptions

        func run() throws {
            let renewed: (manifest: KeyManifest, signedRecoveryFile: Bool)
            do {
                let directory = try KeyDirectory(path: keys.dir)
                for warning in directory.permissionWarnings() { Console.warning(warning) }
                let secret = try passphrase.read(prompt: "Passphrase: ")
                do { renewed = try directory.renew(passphrase: secret, today: .today()) } catch { throw error.commandFailure(directory: keys.dir) }
            } catch KeyDirectoryError.manifest(.signedWithoutDomain) {
                // The one way a manifest signed before signature domains is read again (review N1).
                let secret = try passphrase.read(prompt: "Passphrase: ")
                do { renewed = try KeyDirectory.migrateUndomainedManifest(at: keys.dir, passphrase: secret, today: .today()) } catch {
                    throw error.commandFailure(directory: keys.dir)
                }
                print(L("the manifest was in the format before signature domains; every key it lists is one of this directory's, and it is signed again in the current format"))
            } catch let error as KeyDirectoryError {
                throw error.commandFailure(directory: keys.dir)
            }
            print(L("manifest signed {issued}, valid until {expires}", ["issued": "\(renewed.manifest.issued)", "expires": "\(renewed.manifest.expires)"]))
            if renewed.signedRecoveryFile {
                print(L("the recovery file's entry list was not signed (written before December 2026); every key entry is this directory's, and the list is signed now"))
                Console.warning(L("the pseudonym key's entry cannot be checked without the shares: at the next recovery drill, compare the check value `key custody recover` prints with the one `resguardo init` printed"))
            }
            if let lastKey = renewed.manifest.encryptionKeys.map(\.notAfter).max(), renewed.manifest.expires == lastKey {
                Console.warning(L("the manifest ends with its last key on {last_key}: rotate (resguardo key rotate) to go on receiving reports after that", ["last_key": "\(lastKey)"]))
            }
            print("copy \(keys.dir)/\(KeyDirectory.manifestName) to the intake")
        }
    }
}

extension KeyDirectoryError {
    /// The message, hints and exit status a person sees for this error.
    func commandFailure(directory: String) -> CommandFailure {
        switch self {
        case .alreadyExists(let path):
            return CommandFailure(L("{path} already exists and is not empty; refusing to overwrite keys", ["path": "\(path)"]),
                                  hints: ["choose a new directory, or move the old one away first"], status: .cannotCreate)
        case .missingFile(let path):
            return CommandFailure(L("{path} is missing", ["path": "\(path)"]), hints: [L("is {directory} a key directory made by `resguardo key init`?", ["directory": "\(directory)"])], status: .noInput)
        case .keyFile(_, .wrongPassphrase):
            return CommandFailure(L("wrong passphrase for the keys in {directory}", ["directory": "\(directory)"]),
                                  hints: ["check --passphrase-file or RESGUARDO_PASSPHRASE; the passphrase is case-sensitive"], status: .wrongPassphrase)
        case .manifest(.signedWithoutDomain):
            return CommandFailure(description, hints: [L("on this computer, run: resguardo key renew --dir {directory}", ["directory": directory])], status: .dataError)
        case .keyFile, .manifest:
            return CommandFailure(description, hints: ["restore the key directory from its backup"], status: .dataError)
        case .pseudonymWouldBeLost:
            return CommandFailure(description, hints: ["resguardo key custody init --dir \(directory) --replace --workspace DIR"], status: .usage)
        case .notAReleaseKey:
            return CommandFailure(description, hints: ["make a release key once with: resguardo key release-init --out release-signing.key --pem-out release.pem"], status: .usage)
        case .notADirectory, .io, .crypto:
            return CommandFailure(description)
        }
    }
}
