import DurableFiles
import ArgumentParser
import CLISupport
import Casework
import Foundation
import Formats
import Sodium

/// `--workspace`, defaulting to $RESGUARDO_WORKSPACE.
struct WorkspaceOptions: ParsableArguments {
    @Option(name: .long, help: .L("The offline workspace (default: $RESGUARDO_WORKSPACE)."))
    var workspace: String?

    var path: String? { workspace ?? ProcessInfo.processInfo.environment["RESGUARDO_WORKSPACE"] }

    func open() throws -> Workspace {
        guard let path else {
            throw CommandFailure("no workspace given", hints: ["use --workspace DIR or set RESGUARDO_WORKSPACE"], status: .usage)
        }
        do {
            let ws = try Workspace(path: path)
            for warning in ws.keys.permissionWarnings() { Console.warning(warning) }
            return ws
        } catch {
            if case .missing = error {
                throw CommandFailure(error.description, hints: [L("create one with: resguardo init --workspace {path} --keys KEYDIR", ["path": "\(path)"])], status: .noInput)
            }
            if case .keys(let keyError) = error { throw keyError.commandFailure(directory: path) }
            throw CommandFailure(error.description, status: .dataError)
        }
    }
}

/// The workspace, the case a person named (by id prefix) and the unlocked keys: what every
/// command that reads one case needs, in the order that fails fastest.
func openCaseContext(_ options: WorkspaceOptions, _ caseId: String, _ passphrase: PassphraseOptions) throws -> (Workspace, [UInt8], UnlockedKeys) {
    let ws = try options.open()
    let id: [UInt8]
    do { id = try ws.resolveCase(caseId) } catch { throw CommandFailure(error.description, status: .noInput) }
    return (ws, id, try unlockKeys(ws, passphrase))
}

/// Unlocks every encryption key of the workspace's key directory, once per command.
func unlockKeys(_ workspace: Workspace, _ passphrase: PassphraseOptions) throws -> UnlockedKeys {
    let secret = try passphrase.read(prompt: "Passphrase: ")
    do { return try workspace.keys.unlockEncryptionKeys(passphrase: secret) } catch {
        throw error.commandFailure(directory: workspace.keys.path)
    }
}

/// The encryption keys and the staff reply-signing key, from one typed passphrase: what the
/// commands that open reports and sign what they write (unseal's acknowledgements, referrals) need.
func unlockKeysAndReplySigner(_ workspace: Workspace, _ passphrase: PassphraseOptions) throws -> (UnlockedKeys, SigningKey) {
    let secret = try passphrase.read(prompt: "Passphrase: ")
    do {
        return (try workspace.keys.unlockEncryptionKeys(passphrase: secret), try workspace.keys.unlockReplySigningKey(passphrase: secret))
    } catch {
        throw error.commandFailure(directory: workspace.keys.path)
    }
}

extension Resguardo {
    struct InitWorkspace: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "init",
            abstract: L("Create an offline workspace (case store, quarantine, audit log) bound to a key directory."),
            discussion: L("""
            Example:
              $ resguardo init --workspace ~/casos --keys /media/keys/red
              Passphrase:
              created workspace /home/ana/casos (keys: /media/keys/red)
              pseudonym key check value: 3f9a 0c21 77de 5b40 (write it in the custody record: …)
              $ export RESGUARDO_WORKSPACE=~/casos
            """)
        )

        @OptionGroup var workspace: WorkspaceOptions
        @Option(name: .long, help: .L("The key directory made by `resguardo key init`.")) var keys: String
        @OptionGroup var passphrase: PassphraseOptions

        func run() throws {
            guard let path = workspace.path else { throw CommandFailure("no workspace given", hints: ["use --workspace DIR"], status: .usage) }
            // The manifest-signing key signs the recovery file's entry list with the new pseudonym key in it.
            let secret = try passphrase.read(prompt: "Passphrase: ")
            let check: String?
            do { check = try Workspace.create(at: path, keyDirectory: keys, passphrase: secret) } catch {
                if case .alreadyExists = error { throw CommandFailure(error.description, status: .cannotCreate) }
                if case .keys(let keyError) = error { throw keyError.commandFailure(directory: keys) }
                throw CommandFailure(error.description)
            }
            print(L("created workspace {path} (keys: {keys})", ["path": path, "keys": keys]))
            if let check {
                print(L("pseudonym key check value: {check} (write it in the custody record: `key custody recover` prints the same value)", ["check": check]))
            }
        }
    }
}

extension Resguardo {
    struct VaultTrust: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "vault",
            abstract: L("Trust an online vault's bundle-signing key."),
            discussion: L("""
            Example:
              $ resguardo vault trust --fingerprint "1c0e 53aa …" --public-key /media/usb/vault.sqlite.signing.pub
            """),
            subcommands: [Trust.self]
        )

        struct Trust: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: L("Register the vault key printed by `resguardo-intake vault init`, checked against its fingerprint."),
                discussion: L("""
                Example:
                  $ resguardo vault trust --fingerprint "1c0e 53aa …" --public-key vault.sqlite.signing.pub
                """)
            )
            @OptionGroup var workspace: WorkspaceOptions
            @Option(name: .long, help: .L("The fingerprint `resguardo-intake vault init` printed.")) var fingerprint: String
            @Option(name: .long, help: .L("The VAULT.signing.pub file.")) var publicKey: String

            func run() throws {
                let ws = try workspace.open()
                guard let pin = SigningKeyFingerprint(text: fingerprint) else {
                    throw CommandFailure(L("`{fingerprint}` is not a fingerprint (32 hex digits)", ["fingerprint": "\(fingerprint)"]), status: .usage)
                }
                guard let text = try? String(contentsOfFile: publicKey, encoding: .utf8) else {
                    throw CommandFailure(L("cannot read {public_key}", ["public_key": "\(publicKey)"]), status: .noInput)
                }
                guard let bytes = Encoding.bytes(fromBase64: text.trimmingCharacters(in: .whitespacesAndNewlines)),
                      let key = try? VerifyingKey(bytes: bytes) else {
                    throw CommandFailure(L("{public_key} does not hold a base64 Ed25519 public key", ["public_key": "\(publicKey)"]), status: .dataError)
                }
                do { try ws.trustVault(publicKey: key, fingerprint: pin, today: .today()) } catch {
                    throw CommandFailure(error.description, hints: ["compare the fingerprint with the one printed on the online server"], status: .dataError)
                }
                print(L("trusted vault key {fingerprint}", ["fingerprint": "\(pin)"]))
            }
        }
    }
}

extension Resguardo {
    struct Unseal: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: L("Import export bundles: verify, open every envelope, file cases and quarantine, write acknowledgements."),
            discussion: L("""
            Each bundle is verified against the trusted vault key. Valid reports become cases \
            (encrypted at rest); envelopes that do not open and reports that do not validate go to \
            quarantine with the reason. For each bundle an acknowledgement BUNDLE.ack (or \
            DIR/BUNDLE.ack with --ack-out DIR) is written and synced, signed with the staff \
            reply-signing key: carry it back so the intake may purge (`resguardo-intake purge \
            --acknowledgement`). A bundle already imported changes nothing, and its acknowledgement \
            is written again: a lost or unwritable one (a read-only stick) is never a dead end.

            Example:
              $ resguardo unseal /media/usb/2026-11-25.rsgb
              bundle 9f3c…: 42 envelopes → 40 new cases, 1 duplicate, 1 quarantined (report_unknown_code: 1)
              acknowledgement: /media/usb/2026-11-25.rsgb.ack
              $ resguardo unseal /media/usb/2026-11-25.rsgb --ack-out /media/otra-usb
              bundle 9f3c…: already imported; nothing was changed
              acknowledgement: /media/otra-usb/2026-11-25.rsgb.ack
            """)
        )

        @OptionGroup var workspace: WorkspaceOptions
        @Argument(help: .L("Bundle files (.rsgb).")) var bundles: [String]
        @Option(name: .long, help: .L("Write the acknowledgements into this folder instead of beside each bundle.")) var ackOut: String?
        @OptionGroup var passphrase: PassphraseOptions

        /// Where a bundle's acknowledgement goes.
        func acknowledgementPath(for bundle: String) -> String {
            guard let ackOut else { return bundle + ".ack" }
            return (ackOut as NSString).appendingPathComponent((bundle as NSString).lastPathComponent + ".ack")
        }

        /// Signs and durably writes (temporary file, fsync, rename, directory fsync) the
        /// acknowledgement; a failure says that the import itself stands and how to get the file.
        func writeAcknowledgement(_ digest: [UInt8], for bundle: String, with replyKey: SigningKey) throws {
            let path = acknowledgementPath(for: bundle)
            do {
                let ack = try Acknowledgement.sign(bundleDigest: digest, day: .today(), with: replyKey)
                try AcknowledgementFile.write(ack, to: path)
            } catch {
                throw CommandFailure(L("the bundle {bundle} is imported, but its acknowledgement could not be written: {error}", ["bundle": "\(bundle)", "error": "\(error)"]),
                                     hints: [L("run `resguardo unseal {bundle} --ack-out DIR` with a writable folder: an imported bundle is not imported twice, and its acknowledgement is written again", ["bundle": "\(bundle)"])],
                                     status: .cannotCreate)
            }
            print(L("acknowledgement: {path}", ["path": path]))
        }

        func run() throws {
            let ws = try workspace.open()
            guard ws.keys.manifest.manifest.encryptionKeys.isEmpty == false else { throw CommandFailure("no encryption keys") }
            let (keys, replyKey) = try unlockKeysAndReplySigner(ws, passphrase)
            let unsealer: Unsealer
            do { unsealer = try Unsealer(workspace: ws, keys: keys) } catch { throw CommandFailure(error.description) }
            let interactive = isatty(2) == 1
            var failures = 0
            for path in bundles {
                // Refused before it is read: a bundle the vault could not have made.
                let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? nil
                if let size, size > ExportBundle.maxByteCount {
                    Console.error("resguardo: " + L("error") + ": " + L("{path} is {size} bytes; an export bundle is at most {max} bytes; nothing was read", ["path": path, "size": "\(size)", "max": "\(ExportBundle.maxByteCount)"]))
                    failures += 1
                    continue
                }
                // Bounded as well: the file may have grown since it was measured.
                let data: [UInt8]
                do { data = try DurableFile.read(path, maxBytes: ExportBundle.maxByteCount) } catch {
                    Console.error("resguardo: " + L("error") + ": " + L("{error}; nothing was imported", ["error": "\(error)"]))
                    failures += 1
                    continue
                }
                do {
                    let summary = try unsealer.unseal(bundle: data, today: .today()) { done, total in
                        // Progress only on a terminal; pipes and logs stay quiet.
                        if interactive && total > 0 { Console.progress("unsealing \(path): \(done)/\(total)") }
                    }
                    if interactive { Console.progress("") }
                    let reasons = summary.quarantined.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ")
                    print(L("bundle {digest}…: {envelopes} envelopes → {new} new cases, {duplicates} duplicates, {quarantined} quarantined{reasons}",
                            ["digest": String(Encoding.hex(summary.bundleDigest).prefix(16)), "envelopes": "\(summary.envelopes)", "new": "\(summary.newCases)",
                             "duplicates": "\(summary.duplicates)", "quarantined": "\(summary.quarantinedTotal)", "reasons": reasons.isEmpty ? "" : " (\(reasons))"]))
                    if summary.followUps > 0 {
                        print(L("  {n} of the new cases were sent with a codename already seen: linked as follow-ups (see cases show)", ["n": "\(summary.followUps)"]))
                    }
                    if summary.casesWithUnknownFields > 0 {
                        print(L("  {n} cases carry fields this version does not know; they are kept (see cases show)", ["n": "\(summary.casesWithUnknownFields)"]))
                    }
                    try writeAcknowledgement(summary.bundleDigest, for: path, with: replyKey)
                } catch UnsealError.replayedBundle(let digest) {
                    print(L("bundle {digest}…: already imported; nothing was changed", ["digest": String(digest.prefix(16))]))
                    guard let bytes = Encoding.bytes(fromHex: digest) else { throw CommandFailure(L("internal: bad digest {digest}", ["digest": "\(digest)"])) }
                    try writeAcknowledgement(bytes, for: path, with: replyKey)
                } catch let error as UnsealError {
                    Console.error("resguardo: " + L("error") + ": " + L("{path}: {error}", ["path": path, "error": "\(error)"]))
                    if case .noTrustedVault = error { Console.error("resguardo: " + L("hint") + ": " + L("run `resguardo vault trust` with the key from the online server")) }
                    failures += 1
                }
            }
            if GuardedMemory.lockFailures > 0 {
                Console.warning(L("{lock_failures} guarded buffers holding reports or keys could not be locked in memory (the limit is `ulimit -l`): the system may have written them to swap", ["lock_failures": "\(GuardedMemory.lockFailures)"]))
                Console.warning("raise the limit (ulimit -l unlimited, or LimitMEMLOCK in a service) or use encrypted swap, and unseal again next time")
            }
            if failures > 0 { throw CommandFailure(L("{failures} of {bundles} bundles were not imported", ["failures": "\(failures)", "bundles": "\(bundles.count)"]), status: .dataError) }
        }
    }
}
