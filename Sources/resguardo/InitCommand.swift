import ArgumentParser
import CLISupport
import Casework
import DurableFiles
import Formats
import Foundation
import Sodium

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
