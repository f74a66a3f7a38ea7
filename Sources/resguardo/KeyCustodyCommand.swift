import DurableFiles
import ArgumentParser
import CLISupport
import Casework
import Foundation
import Formats
import Keys
import Sodium

extension Resguardo.KeyCommand {
    struct CustodyCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "custody",
            abstract: L("Split custody of the keys (SLIP-0039): a recovery key, shares for trustees, recovery after a loss."),
            discussion: L("""
            Every secret key of the directory is sealed to a recovery key in DIR/recovery.rsgr, a \
            file that may be kept anywhere (it opens only with the recovery secret). The recovery \
            secret is split into SLIP-0039 shares (standard word lists: they combine in any \
            SLIP-0039 tool) for trustees, then deleted. A rotation later adds the new key to the \
            recovery file without any share.

            Example:
              $ resguardo key custody split --dir ~/llaves --groups "equipo:2/3,junta:3/5" --group-threshold 1
              $ resguardo key custody verify --recovery-file recovery.rsgr
              $ resguardo key custody recover --out ~/llaves-nuevas --recovery-file recovery.rsgr --fingerprint "a036 …"
            """),
            subcommands: [Init.self, Split.self, Verify.self, Recover.self]
        )

        struct Init: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: L("Make the recovery key and file for a key directory made before custody existed (key init does it itself)."),
                discussion: L("Example:\n  $ resguardo key custody init --dir ~/llaves\n  $ resguardo key custody init --dir ~/llaves --replace --workspace ~/casos")
            )
            @OptionGroup var keys: KeyDirectoryOptions
            @Flag(name: .long, help: .L("Make a new recovery key even if one exists: the old shares stop opening the new recovery file.")) var replace = false
            @Option(name: .long, help: .L("With --replace: the workspace whose pseudonym key the old recovery file holds, so the new one holds it too.")) var workspace: String?
            @Option(name: .long, help: .L("Argon2id cost of the waiting recovery-secret file.")) var kdf: KDFPreset = .moderate
            @OptionGroup var passphrase: PassphraseOptions

            func run() throws {
                let directory = try keys.open()
                let secret = try passphrase.read(prompt: "Passphrase: ")
                var pseudonym: SecureBytes?
                if let workspace {
                    var options = WorkspaceOptions()
                    options.workspace = workspace
                    let ws = try options.open()
                    let unlocked: UnlockedKeys
                    do { unlocked = try directory.unlockEncryptionKeys(passphrase: secret) } catch { throw error.commandFailure(directory: directory.path) }
                    do { pseudonym = try ws.pseudonymKey(unlocked).guardedBytes } catch { throw CommandFailure(error.description, status: .dataError) }
                }
                let file: RecoveryFile
                do { file = try directory.initCustody(passphrase: secret, limits: kdf.limits, replace: replace, pseudonym: pseudonym) } catch {
                    if case .alreadyExists = error { throw CommandFailure(L("{recovery_file_path} exists already", ["recovery_file_path": "\(directory.recoveryFilePath)"]), hints: ["--replace makes a new recovery key (the old shares stop working)"], status: .cannotCreate) }
                    throw error.commandFailure(directory: directory.path)
                }
                print(L("recovery file: {recovery_file_path} ({entries} keys sealed to the recovery key)", ["recovery_file_path": "\(directory.recoveryFilePath)", "entries": "\(file.entries.count)"]))
                if let pseudonym, let check = try? RecoveryFile.pseudonymCheck(pseudonym) {
                    print(L("pseudonym key check value: {check} (the same as in the custody record)", ["check": RecoveryFile.checkText(check)]))
                }
                print(L("next: resguardo key custody split --dir {path} --groups \"equipo:2/3\" --group-threshold 1", ["path": "\(directory.path)"]))
            }
        }

        struct Split: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: L("Split the recovery secret into SLIP-0039 shares for trustees, print each once, then delete the secret."),
                discussion: L("""
                --groups lists the groups as NAME:THRESHOLD/COUNT (at most 16 groups of at most 16); \
                --group-threshold is how many groups must bring their threshold of shares. On a \
                terminal each share is shown alone, then the screen is cleared; piped, they are printed \
                one per line (for a script: keep that output off any disk). --pages DIR writes one \
                printable page per trustee (mode 0600); DIR must be a RAM disk (tmpfs, e.g. /dev/shm) \
                unless --pages-on-disk is given: print the pages, then delete them.

                Example:
                  $ resguardo key custody split --dir ~/llaves --groups "equipo:2/3,junta:3/5" --group-threshold 1 --pages /dev/shm/hojas
                """)
            )
            @OptionGroup var keys: KeyDirectoryOptions
            @OptionGroup var sharing: ShareSplitOptions
            @OptionGroup var passphrase: PassphraseOptions

            func run() throws {
                let directory = try keys.open()
                let list = try sharing.parsedGroups()
                let secret = try passphrase.read(prompt: "Passphrase: ")
                let shares: [[SLIP39.Share]]
                do { shares = try directory.split(passphrase: secret, groupThreshold: sharing.groupThreshold, groups: list, today: .today()) } catch let e as KeyDirectoryError {
                    throw e.commandFailure(directory: directory.path)
                } catch {
                    throw shareSplitFailure(error)
                }
                try sharing.handOut(shares, groups: list, organisation: directory.manifest.manifest.organisation, holder: .network)
                do { try directory.finishSplit() } catch { throw error.commandFailure(directory: directory.path) }
                sharing.printSummary(shares, groups: list)
            }
        }

        struct Verify: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: L("Check one share on its own (checksum, set, group, member) without any other share and without revealing anything."),
                discussion: L("Example:\n  $ resguardo key custody verify --recovery-file recovery.rsgr")
            )
            @Option(name: .long, help: .L("The recovery file (a network's or the regional office's): says whether the share belongs to its current split, and names the group.")) var recoveryFile: String?
            @Option(name: .long, help: .L("Read the share from this file (- for standard input) instead of the terminal.")) var sharesFile: String?

            func run() throws {
                let file = try recoveryFile.map(readRecoveryFile)
                var input = try SecretLines(file: sharesFile)
                guard let line = try input.read(prompt: "Share (not shown): ") else { throw CommandFailure("no share given", status: .usage) }
                let share: SLIP39.Share
                do { share = try SLIP39.share(from: line) } catch { throw CommandFailure(error.description, hints: ["check each word against the paper, in order"], status: .dataError) }
                var text = "valid share: \(share.description)"
                if let custody = file?.custody {
                    guard custody.set == share.identifier else {
                        throw CommandFailure(L("this share is from another split (set {identifier}), not the recovery file's current one (set {set}, split on {split_day})", ["identifier": "\(share.identifier)", "set": "\(custody.set)", "split_day": "\(custody.splitDay)"]), status: .dataError)
                    }
                    if share.groupIndex < custody.groups.count { text += "; group «\(TerminalText.escaped(custody.groups[share.groupIndex].name))»" }
                    text += "; belongs to the current split of \(custody.splitDay)"
                }
                print(text)
            }
        }

        struct Recover: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: L("Rebuild the key directory from the recovery file and the trustees' shares, under a new passphrase."),
                discussion: L("""
                The shares are typed one at a time (not shown); after each the command says how many \
                more are needed and from which group. Before anything is opened, the recovery file's \
                entry list must be signed by --fingerprint's key (anyone holding the file can seal an \
                entry to it), and the manifest (the recovery file's, or --manifest) must be signed by \
                it too; a --manifest older than the recovery file's, or missing any key it lists, is \
                refused. Every recovered key must be the manifest's before anything is written. At \
                the end it prints the pseudonym key's check value: compare it with the one \
                `resguardo init` printed and the custody record keeps.

                Example:
                  $ resguardo key custody recover --out ~/llaves --recovery-file /media/usb/recovery.rsgr --fingerprint "a036 5677 …"
                """)
            )
            @Option(name: .long, help: .L("Where to write the rebuilt key directory (must not exist, or be empty).")) var out: String
            @Option(name: .long, help: .L("The recovery file (recovery.rsgr).")) var recoveryFile: String
            @Option(name: .long, help: .L("The network's signing-key fingerprint (as published).")) var fingerprint: String
            @Option(name: .long, help: .L("A signed manifest newer than the recovery file's, from the network's own copies (it must list every key the recovery file's lists).")) var manifest: String?
            @Flag(name: .long, help: .L("Accept a recovery file written before entry lists were signed (December 2026); the pseudonym key's check value must then be compared by hand.")) var acceptUnsignedEntries = false
            @Option(name: .long, help: .L("Read the shares from this file, one per line (- for standard input), instead of the terminal.")) var sharesFile: String?
            @Option(name: .long, help: .L("Argon2id cost of the new key files.")) var kdf: KDFPreset = .moderate
            @OptionGroup var passphrase: PassphraseOptions

            func run() throws {
                guard let pin = SigningKeyFingerprint(text: fingerprint) else { throw CommandFailure(L("`{fingerprint}` is not a fingerprint", ["fingerprint": "\(fingerprint)"]), status: .usage) }
                let file = try readRecoveryFile(recoveryFile)
                guard file.scope == .network else {
                    throw CommandFailure(L("{path} is the regional office's recovery file, not a network's", ["path": recoveryFile]), hints: ["recover it with resguardo region custody recover", "nothing was written"], status: .dataError)
                }
                let override = try manifest.map { try readInput($0, maxBytes: SignedKeyManifest.maxByteCount, what: "manifest") }
                let shares = try readShares(for: file, from: sharesFile)
                let secret = try passphrase.readNew()
                let recovered: KeyDirectory.Recovered
                do {
                    recovered = try KeyDirectory.recover(shares: shares, recoveryFile: file, manifest: override, pinned: pin, to: out, passphrase: secret,
                                                         limits: kdf.limits, acceptUnsigned: acceptUnsignedEntries)
                } catch RecoveryFileError.unsigned {
                    throw CommandFailure(RecoveryFileError.unsigned.description, hints: [L("if this file is the network's own copy from before December 2026, run again with --accept-unsigned-entries and compare the pseudonym check value it prints"), "nothing was written"], status: .dataError)
                } catch let e as SLIP39Error {
                    throw CommandFailure(e.description, hints: ["nothing was written"], status: .dataError)
                } catch let e as RecoveryFileError {
                    throw CommandFailure(e.description, hints: ["nothing was written"], status: .dataError)
                } catch let e as CustodyError {
                    throw CommandFailure(e.description, hints: ["nothing was written"], status: .dataError)
                } catch let e as KeyDirectoryError {
                    throw e.commandFailure(directory: out)
                }
                let directory = recovered.directory
                print(L("recovered the key directory {out} for {organisation}; signing-key fingerprint {signing_key} (matches the pinned one)", ["out": "\(out)", "organisation": "\(TerminalText.escaped(directory.manifest.manifest.organisation))", "signing_key": "\(try SigningKeyFingerprint(verifyingKey: directory.manifest.signingKey))"]))
                if let check = recovered.pseudonymCheck {
                    print(L("pseudonym key check value: {check} (compare it with the custody record; a different value means the pseudonym key is not the network's)", ["check": check]))
                }
                if recovered.entriesWereUnsigned {
                    Console.warning(L("the recovery file's entry list was not signed: it is signed now in {out}, but only the check value above says the pseudonym key is the network's", ["out": out]))
                }
                print(L("the shares still open the recovery file; to retire them: resguardo key custody init --dir {out} --replace, then split again", ["out": "\(out)"]))
            }
        }
    }

}
