import ArgumentParser
import CLISupport
import Foundation
import Formats
import Keys
import Region
import Sodium

extension Resguardo.RegionCommand {
    struct CustodyCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "custody",
            abstract: L("Split custody of the regional office's keys (SLIP-0039), and their recovery after a loss."),
            discussion: L("""
            The same drill as a network's (resguardo key custody): the office's encryption key, \
            signing key and regional pseudonym key are sealed to a recovery key in \
            DIR/recovery.rsgr; the recovery secret is split into SLIP-0039 shares for trustees, \
            then deleted. After a loss the shares rebuild the office with the same fingerprint, \
            so no network changes anything; the regional registry is refilled by each network's \
            full bundle (resguardo registry publish --full).

            Example:
              $ resguardo region custody split --region ~/region --groups "oficina:2/3,redes:2/4" --group-threshold 1
              $ resguardo region custody verify --recovery-file recovery.rsgr
              $ resguardo region custody recover --out ~/region --recovery-file recovery.rsgr --fingerprint "5c1d …"
            """),
            subcommands: [Init.self, Split.self, Resguardo.KeyCommand.CustodyCommand.Verify.self, Recover.self]
        )

        struct Init: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: L("Make the recovery key and file for a regional office made before custody existed (region init does it itself)."),
                discussion: L("Example:\n  $ resguardo region custody init --region ~/region\n  $ resguardo region custody init --region ~/region --replace")
            )
            @OptionGroup var region: RegionOptions
            @Flag(name: .long, help: .L("Make a new recovery key even if one exists: the old shares stop opening the new recovery file.")) var replace = false
            @Option(name: .long, help: .L("Argon2id cost of the waiting recovery-secret file.")) var kdf: KDFPreset = .moderate
            @OptionGroup var passphrase: PassphraseOptions

            func run() throws {
                let office = try region.open()
                let secret = try passphrase.read(prompt: "Regional passphrase: ")
                let file: RecoveryFile
                do { file = try office.initCustody(passphrase: secret, limits: kdf.limits, replace: replace) } catch {
                    if case .alreadyExists = error {
                        throw CommandFailure(L("{recovery_file_path} exists already", ["recovery_file_path": office.custody.recoveryFilePath]),
                                             hints: ["--replace makes a new recovery key (the old shares stop working)"], status: .cannotCreate)
                    }
                    throw regionFailure(error)
                }
                print(L("recovery file: {recovery_file_path} ({entries} keys sealed to the recovery key)", ["recovery_file_path": office.custody.recoveryFilePath, "entries": "\(file.entries.count)"]))
                print(L("next: resguardo region custody split --region {path} --groups \"oficina:2/3\" --group-threshold 1", ["path": office.path]))
            }
        }

        struct Split: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: L("Split the office's recovery secret into SLIP-0039 shares for trustees, print each once, then delete the secret."),
                discussion: L("""
                As resguardo key custody split: --groups NAME:THRESHOLD/COUNT, --group-threshold, \
                each share shown alone on a terminal (one per line when piped), --pages DIR on a RAM \
                disk for printable pages.

                Example:
                  $ resguardo region custody split --region ~/region --groups "oficina:2/3,redes:2/4" --group-threshold 1 --pages /dev/shm/hojas
                """)
            )
            @OptionGroup var region: RegionOptions
            @OptionGroup var sharing: ShareSplitOptions
            @OptionGroup var passphrase: PassphraseOptions

            func run() throws {
                let office = try region.open()
                let list = try sharing.parsedGroups()
                let secret = try passphrase.read(prompt: "Regional passphrase: ")
                let shares: [[SLIP39.Share]]
                do { shares = try office.custody.split(passphrase: secret, groupThreshold: sharing.groupThreshold, groups: list, today: .today()) } catch let e as KeyDirectoryError {
                    if case .keyFile(_, .wrongPassphrase) = e { throw CommandFailure(RegionError.wrongPassphrase.description, status: .wrongPassphrase) }
                    throw shareSplitFailure(e)
                } catch {
                    throw shareSplitFailure(error)
                }
                try sharing.handOut(shares, groups: list, organisation: office.name, holder: .region)
                do { try office.custody.finishSplit() } catch { throw CommandFailure(error.description, status: .cannotCreate) }
                sharing.printSummary(shares, groups: list)
            }
        }

        struct Recover: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: L("Rebuild the regional office's folder from its recovery file and the trustees' shares, under a new passphrase."),
                discussion: L("""
                The shares are typed one at a time (not shown), as in resguardo key custody recover. \
                Before anything is opened, the recovery file must be the regional office's, name the \
                signing key of --fingerprint (the one networks pinned), and have its entry list \
                signed by it; every recovered key must be the office's before anything is written. \
                It prints the regional pseudonym key's check value (compare it with the custody \
                record: the same value means the networks' regional pseudonyms are unchanged). The \
                regional registry comes back empty: pin the networks again (resguardo networks add) \
                and ask each for a full bundle (resguardo registry publish --full).

                Example:
                  $ resguardo region custody recover --out ~/region --recovery-file /media/usb/recovery.rsgr --fingerprint "5c1d 9a0e …"
                """)
            )
            @Option(name: .long, help: .L("Where to write the rebuilt office folder (must not exist, or be empty).")) var out: String
            @Option(name: .long, help: .L("The recovery file (recovery.rsgr).")) var recoveryFile: String
            @Option(name: .long, help: .L("The regional office's signing-key fingerprint (as the networks pinned it).")) var fingerprint: String
            @Option(name: .long, help: .L("Read the shares from this file, one per line (- for standard input), instead of the terminal.")) var sharesFile: String?
            @Option(name: .long, help: .L("Argon2id cost of the new key files.")) var kdf: KDFPreset = .moderate
            @OptionGroup var passphrase: PassphraseOptions

            func run() throws {
                guard let pin = SigningKeyFingerprint(text: fingerprint) else { throw CommandFailure(L("`{fingerprint}` is not a fingerprint", ["fingerprint": "\(fingerprint)"]), status: .usage) }
                let file = try readRecoveryFile(recoveryFile)
                guard file.scope == .region else {
                    throw CommandFailure(L("{path} is a network's recovery file, not the regional office's", ["path": recoveryFile]), hints: ["recover it with resguardo key custody recover", "nothing was written"], status: .dataError)
                }
                do { try RegionalOffice.checkRecoveryFile(file, pinned: pin) } catch {
                    throw CommandFailure("\(error)", hints: ["nothing was written"], status: .dataError)
                }
                let shares = try readShares(for: file, from: sharesFile)
                let secret = try passphrase.readNew()
                let recovered: RegionalOffice.Recovered
                do {
                    recovered = try RegionalOffice.recover(shares: shares, recoveryFile: file, pinned: pin, to: out, passphrase: secret, limits: kdf.limits)
                } catch let e as RegionError {
                    throw CommandFailure(e.description, hints: ["nothing was written"], status: e == .alreadyExists(out) ? .cannotCreate : .dataError)
                } catch {
                    throw CommandFailure("\(error)", hints: ["nothing was written"], status: .dataError)
                }
                let office = recovered.office
                print(L("recovered the regional office {out} ({name}); signing-key fingerprint {fingerprint} (matches the pinned one)", ["out": out, "name": TerminalText.escaped(office.name), "fingerprint": "\(try office.fingerprint)"]))
                print(L("regional pseudonym key check value: {check} (compare it with the custody record; a different value means the regional pseudonyms would change)", ["check": recovered.pseudonymCheck]))
                print(L("the regional registry is empty: pin each network again (resguardo networks add ID --fingerprint F --countries CC --region {out}) and import its full bundle (resguardo registry publish --full)", ["out": out]))
                print(L("the shares still open the recovery file; to retire them: resguardo region custody init --region {out} --replace, then split again", ["out": out]))
            }
        }
    }
}
