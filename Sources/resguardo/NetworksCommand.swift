import ArgumentParser
import CLISupport
import Casework
import Deidentify
import DurableFiles
import Formats
import Foundation
import Region
import Registration
import Registry
import Sodium

extension Resguardo {
    struct NetworksCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "networks",
            abstract: L("Pin the national networks whose registry bundles the regional office imports."),
            discussion: L("""
            Example:
              $ resguardo networks add gt --fingerprint "9b0e 77aa …" --countries GT --region ~/region
              $ resguardo networks list --region ~/region
            """),
            subcommands: [Add.self, List.self]
        )

        struct Add: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: L("Pin a network's signing-key fingerprint (compared with the network in person or by a trusted channel)."),
                discussion: L("""
                The countries are those the network registers aggressions in: a bundle with a record \
                in any other is refused, so no network can change the counts of another's country.

                Example:
                  $ resguardo networks add gt --fingerprint "9b0e 77aa …" --countries GT --region ~/region
                """)
            )
            @OptionGroup var region: RegionOptions
            @Argument(help: .L("The network's id (e.g. mx).")) var network: String
            @Option(name: .long, help: .L("The network's signing-key fingerprint (resguardo key show, at the network).")) var fingerprint: String
            @Option(name: .long, help: .L("The ISO 3166-1 codes of the network's countries, comma-separated (e.g. GT, or HN,SV).")) var countries: String

            func run() throws {
                let office = try region.open()
                guard let id = NetworkId(network) else { throw CommandFailure(L("`{network}` is not a network id ({rule})", ["network": "\(network)", "rule": "\(NetworkId.rule)"]), status: .usage) }
                guard let f = SigningKeyFingerprint(text: fingerprint) else { throw CommandFailure(L("`{fingerprint}` is not a fingerprint (32 hex digits)", ["fingerprint": "\(fingerprint)"]), status: .usage) }
                let list = countries.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
                do { try office.registry.pin(id, fingerprint: f, countries: list) } catch {
                    if case .store = error { throw CommandFailure(error.description, status: .usage) }
                    throw CommandFailure(error.description, status: .dataError)
                }
                print(L("network {id} pinned to {f}, countries {countries}", ["id": "\(id)", "f": "\(f)", "countries": list.joined(separator: " ")]))
            }
        }

        struct List: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: L("List the pinned networks and the last bundle imported from each."),
                discussion: L("Example:\n  $ resguardo networks list --region ~/region")
            )
            @OptionGroup var region: RegionOptions

            func run() throws {
                for n in try region.open().registry.pinnedNetworks() {
                    print(L("{id}\t{n}\t{countries}\tlast bundle {last_sequence}", ["id": "\(n.id)", "n": "\(n.fingerprint)", "countries": n.countries.isEmpty ? "-" : n.countries.joined(separator: " "), "last_sequence": "\(n.lastSequence)"]))
                }
            }
        }
    }
}
