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
    struct RegionCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "region",
            abstract: L("The regional office: its keys, the regional pseudonym key, and the key file each network imports."),
            discussion: L("""
            The regional office holds no key that opens a report: registry bundles (de-identified \
            records only) are sealed to its key, and each network signs its own.

            Example:
              $ resguardo region init --region ~/region --name "Iniciativa Mesoamericana"
              $ resguardo networks add mx --fingerprint "1c0e 53aa …" --countries MX --region ~/region
              $ resguardo region key-for mx --manifest mx-manifest.json --region ~/region --out clave-regional-mx.json
            """),
            subcommands: [Init.self, Show.self, KeyFor.self, CustodyCommand.self]
        )

        struct Init: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: L("Make the regional office's folder: keys, regional pseudonym key, empty regional registry."),
                discussion: L("Example:\n  $ resguardo region init --region ~/region --name \"Iniciativa Mesoamericana\"")
            )
            @OptionGroup var region: RegionOptions
            @Option(name: .long, help: .L("The office's name, as networks see it.")) var name: String
            @Option(name: .long, help: .L("Argon2id cost of the key files: interactive, moderate or sensitive.")) var kdf: KDFPreset = .moderate
            @OptionGroup var passphrase: PassphraseOptions

            func run() throws {
                guard let path = region.path else { throw CommandFailure("no regional office folder given", hints: ["use --region DIR"], status: .usage) }
                let secret = try passphrase.readNew()
                do {
                    let office = try RegionalOffice.create(at: path, name: name, passphrase: secret, limits: kdf.limits)
                    print(L("created regional office {path}", ["path": "\(path)"]))
                    print(L("regional signing-key fingerprint: {office}", ["office": "\(try office.fingerprint)"]))
                    print(L("give the networks this fingerprint (they compare it when importing their regional key file)"))
                    if let check = office.pseudonymCheckText() {
                        print(L("regional pseudonym key check value: {check} (keep it in the custody record: a recovery prints it again)", ["check": check]))
                    }
                    print(L("its keys are sealed to a recovery key in {path}; next: resguardo region custody split --region {region} --groups \"oficina:2/3\" --group-threshold 1", ["path": office.custody.recoveryFilePath, "region": path]))
                } catch let error as RegionError {
                    throw CommandFailure(error.description, status: .cannotCreate)
                }
            }
        }

        struct Show: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: L("Show the office's fingerprint and the networks it has pinned."),
                discussion: L("Example:\n  $ resguardo region show --region ~/region")
            )
            @OptionGroup var region: RegionOptions

            func run() throws {
                let office = try region.open()
                print(L("regional office: {name}", ["name": "\(TerminalText.escaped(office.name))"]))
                print(L("signing-key fingerprint: {office}", ["office": "\(try office.fingerprint)"]))
                let custody = office.custody
                do {
                    let file = try custody.recoveryFile()
                    if let split = file?.custody {
                        let groups = split.groups.map { "«\(TerminalText.escaped($0.name))» \($0.threshold)/\($0.count)" }.joined(separator: ", ")
                        print(L("custody: split on {day} (set {set}), {threshold} of {count} groups: {groups}", ["day": "\(split.splitDay)", "set": "\(split.set)", "threshold": "\(split.groupThreshold)", "count": "\(split.groups.count)", "groups": groups]))
                    } else if file != nil {
                        print(L("custody: recovery key made, not split yet (resguardo region custody split)"))
                    } else {
                        print(L("custody: none (resguardo region custody init)"))
                    }
                } catch {
                    Console.warning(L("custody: {error}", ["error": error.description]))
                }
                if let check = office.pseudonymCheckText() { print(L("regional pseudonym key check value: {check}", ["check": check])) }
                for n in try office.registry.pinnedNetworks() {
                    print(L("network {id}: fingerprint {n}, last bundle imported {last_sequence}", ["id": "\(n.id)", "n": "\(n.fingerprint)", "last_sequence": "\(n.lastSequence)"]))
                }
            }
        }

        struct KeyFor: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "key-for",
                abstract: L("Seal the regional pseudonym key to one network's current key, for it to import."),
                discussion: L("""
                The network's manifest is checked against the fingerprint pinned with `resguardo networks add`.

                Example:
                  $ resguardo region key-for mx --manifest mx-manifest.json --region ~/region --out clave-regional-mx.json
                """)
            )
            @OptionGroup var region: RegionOptions
            @Argument(help: .L("The network's id.")) var network: String
            @Option(name: .long, help: .L("The network's signed key manifest (its manifest.json).")) var manifest: String
            @Option(name: .long, help: .L("Output file (must not exist).")) var out: String
            @OptionGroup var passphrase: PassphraseOptions

            func run() throws {
                let office = try region.open()
                guard let id = NetworkId(network) else { throw CommandFailure(L("`{network}` is not a network id ({rule})", ["network": "\(network)", "rule": "\(NetworkId.rule)"]), status: .usage) }
                guard let pin = try office.registry.pinnedNetworks().first(where: { $0.id == id }) else {
                    throw CommandFailure(L("network {id} is not pinned", ["id": "\(id)"]), hints: [L("first: resguardo networks add {id} --fingerprint F --region {office}", ["id": "\(id)", "office": "\(office.path)"])], status: .usage)
                }
                let signed: SignedKeyManifest
                do { signed = try ManifestFile.load(path: manifest, pinned: pin.fingerprint) } catch {
                    throw CommandFailure(L("{manifest}: {error}", ["manifest": "\(manifest)", "error": "\(error)"]), hints: [L("the manifest must be signed by network {id}'s pinned key {fingerprint}", ["id": "\(id)", "fingerprint": "\(pin.fingerprint)"])], status: .dataError)
                }
                let secret = try passphrase.read(prompt: "Regional passphrase: ")
                let file: RegionalKeyFile
                do { file = try office.keyFile(for: id, manifest: signed.manifest, passphrase: secret) } catch { throw regionFailure(error) }
                do { try DurableFile.createExclusive(out, bytes: file.bytes) } catch { throw CommandFailure(error.description, status: .cannotCreate) }
                print(L("wrote {out}: the regional pseudonym key sealed to network {id}'s key {key_id}", ["out": "\(out)", "id": "\(id)", "key_id": "\(file.keyId)"]))
                print(L("the network imports it with: resguardo registry regional-key import {out} --region-fingerprint \"{office}\"", ["out": "\(out)", "office": "\(try office.fingerprint)"]))
            }
        }
    }
}
