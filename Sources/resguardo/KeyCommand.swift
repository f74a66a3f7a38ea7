import DurableFiles
import Foundation
import ArgumentParser
import CLISupport
import Casework
import Formats
import Keys
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
            they read out to the network by another channel, and the key that signs their status \
            updates (coordinator-signing.key and .pub), whose fingerprint they read out too.
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
                if let signing = try? CoordinatorKeys.readSigningPublicKey(keys.dir + "/" + CoordinatorKeys.signingPublicName) {
                    print(L("status-update signing key: {dir}/{name}, fingerprint {fingerprint}", ["dir": keys.dir, "name": CoordinatorKeys.signingPublicName,
                                                                                                "fingerprint": "\(try SigningKeyFingerprint(verifyingKey: signing))"]))
                }
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

extension Resguardo.KeyCommand {
    struct Passphrase: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "passphrase",
            abstract: L("Change the passphrase of every key file of the directory (all or nothing)."),
            discussion: L("""
            This does not lock out someone who knew the old passphrase and may have copied the key \
            files (a backup, a USB stick): her copies still open with it. When a key holder leaves, \
            change the passphrase, rotate the encryption key (reports from then on open only with a \
            key she never had), and make a new custody split (her share stops opening the new \
            recovery file): the whole sequence is in the README, "When someone who held the keys \
            leaves". Reports sealed before the rotation, and the signing keys, stay within reach of \
            her copies: if she may have copied the key files, treat it as a compromise.

            Example:
              $ resguardo key passphrase --dir ~/llaves
            """)
        )
        @OptionGroup var keys: KeyDirectoryOptions
        @Option(name: .long, help: .L("Argon2id cost of the new key files.")) var kdf: KDFPreset = .moderate
        @OptionGroup var passphrase: PassphraseOptions
        @OptionGroup var newPassphrase: NewPassphraseOptions

        func run() throws {
            let directory = try keys.open()
            let old = try passphrase.read(prompt: "Current passphrase: ")
            let new = try newPassphrase.read()
            guard !old.constantTimeEquals(new) else { throw CommandFailure("the new passphrase is the current one", status: .usage) }
            let count: Int
            do { count = try directory.changePassphrase(from: old, to: new, limits: kdf.limits) } catch { throw error.commandFailure(directory: directory.path) }
            print(L("{value} key files of {path} are now under the new passphrase", ["value": "\(count)", "path": "\(directory.path)"]))
        }
    }
}

extension Resguardo.KeyCommand {
    /// A release key of its own (review N1): a key file of kind release signing, never a key
    /// directory, whose public half is written as PEM so standard tools check releases with it.
    struct ReleaseInit: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "release-init",
            abstract: L("Make the key that signs releases (SHA256SUMS) and nothing else."),
            discussion: L("""
            Publish both fingerprints it prints through a channel other than the USB stick the \
            packages travel on (the website, in person): before installing, anyone checks \
            release.pem with sha256sum alone.

            Example:
              $ resguardo key release-init --out release-signing.key --pem-out release.pem
              Passphrase:
              release key 3f2a 9c01 …; sha256sum of release.pem: 5be1…
            """)
        )
        @Option(name: .long, help: .L("Where to create the release key file (it must not exist).")) var out: String
        @Option(name: .long, help: .L("Also write the public key as PEM here.")) var pemOut: String
        @Option(name: .long, help: .L("Argon2id cost of the key files: interactive, moderate or sensitive.")) var kdf: KDFPreset = .moderate
        @OptionGroup var passphrase: PassphraseOptions

        func run() throws {
            let secret = try passphrase.readNew()
            let key: VerifyingKey
            do { key = try ReleaseKey.create(at: out, passphrase: secret, limits: kdf.limits) } catch { throw error.commandFailure(directory: out) }
            do { try DurableFile.createExclusive(pemOut, bytes: Array(ReleaseKey.pem(key).utf8), mode: 0o644) } catch {
                throw CommandFailure(L("{error}", ["error": "\(error)"]), status: .cannotCreate)
            }
            print(L("release key {key}; sha256sum of {pem}: {digest}", ["key": "\(try SigningKeyFingerprint(verifyingKey: key))", "pem": pemOut, "digest": try ReleaseKey.pemDigest(key)]))
        }
    }
}

extension Resguardo.KeyCommand {
    /// Release signing (issue 18, review N1): SHA256SUMS signed with the release key under the
    /// release domain, a bare Ed25519 signature of "resguardo release v1\n" ‖ file that OpenSSL
    /// checks too, so staff verify a package before any of ours is installed.
    struct SignFile: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "sign-file",
            abstract: L("Sign a release file (SHA256SUMS) with the release key: FILE.sig."),
            discussion: L("""
            Only a release key (resguardo key release-init) signs: a network's keys are refused, \
            and what is signed is "resguardo release v1" and a newline, then the file, so the \
            signature is never valid as a manifest or a bundle. Verify with resguardo key verify-file, \
            or with OpenSSL:
              printf 'resguardo release v1\\n' | cat - SHA256SUMS >SHA256SUMS.signed
              openssl pkeyutl -verify -pubin -inkey release.pem -rawin -in SHA256SUMS.signed -sigfile SHA256SUMS.sig

            Example:
              $ resguardo key sign-file --key release-signing.key SHA256SUMS
            """)
        )
        @Option(name: .long, help: .L("The release key file (from key release-init).")) var key: String
        @Argument(help: .L("The file to sign.")) var file: String
        @Option(name: .long, help: .L("Also write the public key as PEM here.")) var pemOut: String?
        @OptionGroup var passphrase: PassphraseOptions

        func run() throws {
            // The kind is checked before the passphrase is asked: a network's key is refused outright.
            do { _ = try ReleaseKey.publicKey(of: key) } catch { throw error.commandFailure(directory: key) }
            let bytes = try readInput(file, maxBytes: 64 << 20, what: "file")
            let secret = try passphrase.read(prompt: "Passphrase: ")
            let signing: SigningKey
            do { signing = try ReleaseKey.unlock(key, passphrase: secret) } catch { throw error.commandFailure(directory: key) }
            do { try DurableFile.replaceAtomically(file + ".sig", bytes: try ReleaseKey.sign(bytes, with: signing), mode: 0o644) } catch { throw CommandFailure(L("{error}", ["error": "\(error)"]), status: .cannotCreate) }
            if let pemOut {
                do { try DurableFile.replaceAtomically(pemOut, bytes: Array(ReleaseKey.pem(signing.verifyingKey).utf8), mode: 0o644) } catch { throw CommandFailure(L("{error}", ["error": "\(error)"]), status: .cannotCreate) }
            }
            print(L("signed {file} → {file2}.sig with the key of fingerprint {key}", ["file": "\(file)", "file2": "\(file)", "key": "\(try SigningKeyFingerprint(verifyingKey: signing.verifyingKey))"]))
        }
    }
}

extension Resguardo.KeyCommand {
    struct VerifyFile: ParsableCommand {
        /// Where the resguardo package installs the release key it was verified with: upgrades are
        /// checked against it, not against a release.pem that travels with the new packages (N7).
        static let installedReleaseKey = "/usr/share/resguardo/release.pem"

        static let configuration = CommandConfiguration(
            commandName: "verify-file",
            abstract: L("Check a release file's signature against the installed or a published release key."),
            discussion: L("""
            For an upgrade, leave out --public-key: the release key the installed package carries \
            ({installed}) is used, never a release.pem from the same stick as the new packages.

            Example:
              $ resguardo key verify-file SHA256SUMS SHA256SUMS.sig
              $ resguardo key verify-file SHA256SUMS SHA256SUMS.sig --public-key release.pem --fingerprint "…"
            """, ["installed": Self.installedReleaseKey])
        )
        @Argument(help: .L("The signed file.")) var file: String
        @Argument(help: .L("Its signature (FILE.sig).")) var signature: String
        @Option(name: .long, help: .L("The public key (PEM); without it, the installed release key.")) var publicKey: String?
        @Option(name: .long, help: .L("The fingerprint published for it (needed with --public-key).")) var fingerprint: String?

        func validate() throws {
            if publicKey != nil, fingerprint == nil { throw ValidationError(L("--public-key needs --fingerprint: a key from the same stick as the packages proves nothing")) }
        }

        func run() throws {
            let path = publicKey ?? Self.installedReleaseKey
            let pem = String(decoding: try readInput(path, maxBytes: 4096, what: "public key"), as: UTF8.self)
            guard let key = ReleaseKey.parsePEM(pem) else {
                throw CommandFailure(L("{public_key} is not an Ed25519 public key in PEM", ["public_key": "\(path)"]), status: .dataError)
            }
            if let fingerprint {
                guard let pin = SigningKeyFingerprint(text: fingerprint) else { throw CommandFailure(L("`{fingerprint}` is not a fingerprint", ["fingerprint": "\(fingerprint)"]), status: .usage) }
                guard try SigningKeyFingerprint(verifyingKey: key).matches(pin) else {
                    throw CommandFailure(L("{public_key} has fingerprint {key}, not {pin}", ["public_key": "\(path)", "key": "\(try SigningKeyFingerprint(verifyingKey: key))", "pin": "\(pin)"]), hints: ["do not install: the key is not the published one"], status: .wrongPassphrase)
                }
            }
            do { try ReleaseKey.verify(try readInput(signature, maxBytes: 64, what: "signature"), of: try readInput(file, maxBytes: 64 << 20, what: "file"), by: key) } catch {
                throw CommandFailure(L("the signature of {file} does not verify", ["file": "\(file)"]), hints: ["do not install: the file was altered or signed by another key"], status: .dataError)
            }
            print(L("good signature on {file} by {pin}", ["file": "\(file)", "pin": "\(try SigningKeyFingerprint(verifyingKey: key))"]))
        }
    }
}
