import ArgumentParser
import CLISupport
import Casework
import DurableFiles
import Formats
import Keys
import Foundation
import Sodium

extension Resguardo {
    struct CoordinatorsCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "coordinators",
            abstract: L("Register the relocation coordinators vetted cases may be referred to."),
            discussion: L("""
            Examples:
              $ resguardo coordinators add "Casa Refugio" --public-key coordinator.pub --fingerprint "1a2b 3c4d …"
              $ resguardo coordinators list
              $ resguardo coordinators remove "Casa Refugio" --reason left
            """),
            subcommands: [Add.self, List.self, Remove.self]
        )

        struct Add: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: L("Register a coordinator's public key, checked against the fingerprint they read out to you."),
                discussion: L("""
                Example:
                  $ resguardo coordinators add "Casa Refugio" --public-key coordinator.pub --fingerprint "1a2b 3c4d 5e6f 7081 92a3 b4c5 d6e7 f809" \\
                      --signing-key coordinator-signing.pub --signing-fingerprint "77e0 …"

                With --signing-key, the status updates they sign (resguardo referral update) can be \
                imported back into the case (resguardo referral import-update).
                """)
            )
            @OptionGroup var workspace: WorkspaceOptions
            @Argument(help: .L("A name for the coordinator (used with `referral create --to`).")) var name: String
            @Option(name: .long, help: .L("Their coordinator.pub file.")) var publicKey: String
            @Option(name: .long, help: .L("The fingerprint they gave you by another channel.")) var fingerprint: String
            @Option(name: .long, help: .L("Their coordinator-signing.pub file (for their status updates).")) var signingKey: String?
            @Option(name: .long, help: .L("The fingerprint of their signing key, by another channel.")) var signingFingerprint: String?

            func validate() throws {
                guard (signingKey == nil) == (signingFingerprint == nil) else { throw ValidationError(L("--signing-key and --signing-fingerprint go together")) }
            }

            func run() throws {
                guard let pinned = SigningKeyFingerprint(text: fingerprint) else {
                    throw CommandFailure("--fingerprint must be 32 hex digits (8 groups of 4)", status: .usage)
                }
                let ws = try workspace.open()
                let key: SealPublicKey
                do { key = try CoordinatorKeys.readPublicKey(publicKey) } catch { throw CommandFailure(error.description, status: .dataError) }
                var signing: (key: VerifyingKey, fingerprint: SigningKeyFingerprint)?
                if let signingKey, let signingFingerprint {
                    guard let print = SigningKeyFingerprint(text: signingFingerprint) else { throw CommandFailure("--signing-fingerprint must be 32 hex digits (8 groups of 4)", status: .usage) }
                    do { signing = (try CoordinatorKeys.readSigningPublicKey(signingKey), print) } catch { throw CommandFailure(error.description, status: .dataError) }
                }
                do { try ws.addCoordinator(name: name, publicKey: key, fingerprint: pinned, signing: signing, today: .today()) } catch {
                    throw CommandFailure(error.description, status: .dataError)
                }
                print(L("coordinator {name} registered ({pinned})", ["name": "\(name)", "pinned": "\(pinned)"]))
            }
        }

        struct List: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: L("List the registered coordinators and their fingerprints."),
                discussion: L("Example:\n  $ resguardo coordinators list")
            )
            @OptionGroup var workspace: WorkspaceOptions

            func run() throws {
                let all: [Coordinator]
                let ws = try workspace.open()
                do { all = try ws.coordinators() } catch { throw CommandFailure(error.description, status: .dataError) }
                for c in all {
                    // A name is staff's own text, but it reaches the terminal: escaped like a report's strings.
                    var line = "\(TerminalText.escaped(c.name))    \(c.fingerprint)    \(c.added)"
                    if let removed = c.removed { line += "    " + L("REMOVED {day}: {why}", ["day": removed.day.description, "why": removed.reason.label()]) }
                    print(line)
                }
                print(L("{count} coordinators", ["count": "\(all.count)"]))
            }
        }

        struct Remove: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: L("Remove a coordinator: no new referral goes to her."),
                discussion: L("""
                Example:
                  $ resguardo coordinators remove "Casa Refugio" --reason left

                --reason left: she no longer coordinates; the status updates she signs for the \
                referrals she already holds are still imported, so they can be closed. \
                --reason compromised: her keys were lost or taken; nothing signed with her key is \
                imported any more. Either way her name stays in the referrals and the audit trail, \
                and is not reused.
                """)
            )
            /// The library's reasons, spelled as they are stored.
            enum Reason: String, ExpressibleByArgument, CaseIterable { case left, compromised }
            @OptionGroup var workspace: WorkspaceOptions
            @Argument(help: .L("The coordinator's name, as `coordinators list` shows it.")) var name: String
            @Option(name: .long, help: .L("left (she no longer coordinates) or compromised (her keys were lost or taken).")) var reason: Reason

            func run() throws {
                let ws = try workspace.open()
                guard let why = CoordinatorRemoval.Reason(rawValue: reason.rawValue) else { throw CommandFailure("--reason \(reason.rawValue) is not a removal reason", status: .usage) }
                do { try ws.removeCoordinator(name: name, reason: why, today: .today()) } catch { throw CommandFailure(error.description, status: .dataError) }
                print(L("coordinator {name} removed: {why}", ["name": TerminalText.escaped(name), "why": why.label()]))
            }
        }
    }
}
