import ArgumentParser
import CLISupport
import DurableFiles
import Formats
import Foundation
import Sodium

extension SubmitCommand {
    struct Networks: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: L("List the networks an intake serves (id, name, countries)."),
            discussion: L("""
            An intake may receive reports for several national networks; each has its own keys and \
            fingerprint. `submit` picks the network of the report's country, or the one --network names.

            Example:
              $ resguardo-submit networks --url https://denuncias.example.org
              mx  Red Nacional MX  MX
              gt  Red Nacional GT  GT
            """)
        )
        @Option(name: .long, help: .L("The intake's address.")) var url: String
        @Option(name: .long, help: .L("PEM file of a private certificate authority to trust.")) var ca: String?

        func run() async throws {
            let client = try IntakeClient(url: url, caFile: ca)
            do {
                let networks = try await client.networks()
                await client.shutdown()
                if networks.isEmpty { print(L("this intake serves one network (GET /v1/keys)")) }
                for n in networks { print("\(n.id)\t\(TerminalText.escaped(n.name))\t\(n.countries.map { TerminalText.escaped($0) }.joined(separator: " "))") }
            } catch {
                await client.shutdown()
                if let unreachable = error as? IntakeClient.Unreachable {
                    throw CommandFailure(L("cannot reach {url}: {reason}", ["url": "\(url)", "reason": "\(unreachable.reason)"]), status: .unavailable)
                }
                throw error
            }
        }
    }
}
