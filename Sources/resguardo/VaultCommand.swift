import ArgumentParser
import CLISupport
import Casework
import DurableFiles
import Formats
import Foundation
import Sodium

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
                let key: VerifyingKey
                do { key = try Workspace.readVaultKey(publicKey) } catch {
                    throw CommandFailure(error.description, status: FileManager.default.isReadableFile(atPath: publicKey) ? .dataError : .noInput)
                }
                do { try ws.trustVault(publicKey: key, fingerprint: pin, today: .today()) } catch {
                    throw CommandFailure(error.description, hints: ["compare the fingerprint with the one printed on the online server"], status: .dataError)
                }
                print(L("trusted vault key {fingerprint}", ["fingerprint": "\(pin)"]))
            }
        }
    }
}
