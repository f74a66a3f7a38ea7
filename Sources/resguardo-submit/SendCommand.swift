import ArgumentParser
import CLISupport
import DurableFiles
import Formats
import Foundation
import Sodium

extension SubmitCommand {
    struct Send: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: L("Send envelopes that were sealed earlier (a saved file, or the outbox)."),
            discussion: L("""
            Sends an envelope file saved from the web form or kept in the outbox when a submission \
            failed. Only sealed envelopes are ever stored, never the report in the clear.

            Example:
              $ resguardo-submit send --url https://denuncias.example.org --fingerprint "…" denuncia.rsg1
              $ resguardo-submit send --url https://denuncias.example.org --fingerprint "…" --all-outbox
            """)
        )

        @OptionGroup var intake: IntakeOptions
        @Argument(help: .L("Envelope files to send.")) var files: [String] = []
        @Flag(name: .long, help: .L("Send everything waiting in the outbox.")) var allOutbox = false

        func validate() throws {
            if files.isEmpty && !allOutbox { throw ValidationError(L("give envelope files, or --all-outbox")) }
        }

        func run() async throws {
            let outbox = Outbox(path: intake.outboxPath)
            let paths = files + (allOutbox ? outbox.waiting() : [])
            let client = try IntakeClient(url: intake.url, caFile: intake.ca)
            do {
                let network = try await intake.chooseNetwork(client: client, country: nil)
                let manifest = try await intake.verifiedManifest(client: client, network: network)
                for path in paths {
                    guard let data = FileManager.default.contents(atPath: path) else {
                        throw CommandFailure(L("cannot read {path}", ["path": "\(path)"]), status: .noInput)
                    }
                    let envelope: Envelope
                    do { envelope = try Envelope(bytes: Array(data), knownKeyIds: Set(manifest.encryptionKeys.map(\.id))) } catch {
                        throw CommandFailure(L("{path} is not an envelope for this network's keys: {error}", ["path": "\(path)", "error": "\(error)"]), hints: ["with several networks, give the --network the envelope was sealed to"], status: .dataError)
                    }
                    try await outbox.send(envelope.bytes, with: client, alreadyStoredAt: path)
                }
            } catch {
                await client.shutdown()
                throw error
            }
            await client.shutdown()
        }
    }
}
