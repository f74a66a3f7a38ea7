import DurableFiles
import ArgumentParser
import CLISupport
import Casework
import Deidentify
import Foundation
import Formats
import Region
import Registration
import Registry
import Sodium

/// The regional office's folder, for the commands that run there.
struct RegionOptions: ParsableArguments {
    @Option(name: .long, help: .L("The regional office's folder (made by `resguardo region init`; default: $RESGUARDO_REGION)."))
    var region: String?

    var path: String? { region ?? ProcessInfo.processInfo.environment["RESGUARDO_REGION"] }

    func open() throws -> RegionalOffice {
        guard let path else { throw CommandFailure("no regional office folder given", hints: ["use --region DIR or set RESGUARDO_REGION"], status: .usage) }
        do { return try RegionalOffice(path: path) } catch {
            throw CommandFailure(error.description, status: error == .missing(path) ? .noInput : .dataError)
        }
    }
}

func readInput(_ path: String, maxBytes: Int, what: String) throws -> [UInt8] {
    do { return Array(try DurableFile.read(path, maxBytes: maxBytes)) } catch {
        throw CommandFailure(L("cannot read {what} {path}: {error}", ["what": "\(what)", "path": "\(path)", "error": "\(error)"]), status: .noInput)
    }
}

func regionFailure(_ error: RegionError) -> CommandFailure {
    switch error {
    case .wrongPassphrase: return CommandFailure(error.description, status: .wrongPassphrase)
    case .bundle: return CommandFailure(error.description, hints: ["nothing changed in the regional registry"], status: .dataError)
    default: return CommandFailure(error.description, status: .dataError)
    }
}

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
            subcommands: [Init.self, Show.self, KeyFor.self]
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

extension Resguardo.RegistryCommand {
    struct Publish: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: L("Write the next registry bundle for the regional office: changes since the last one, sealed and signed."),
            discussion: L("""
            The bundle carries only registry records (the record schema of DESIGN.md §7), with \
            regional pseudonyms instead of the network's own, and the additions, corrections and \
            withdrawals since the last bundle; it is sealed to the regional office's key and signed \
            with this network's signing key. --full sends every record (the office replaces this \
            network's records: use it after a lost bundle or a new regional key).

            Example:
              $ resguardo registry publish --out /media/usb/registro-mx-0003.json
              wrote bundle 3 of network mx: 12 additions, 1 correction, 2 withdrawals
            """)
        )
        @OptionGroup var workspace: WorkspaceOptions
        @Option(name: .long, help: .L("Output file (must not exist).")) var out: String
        @Flag(name: .long, help: .L("Every record, not only the changes.")) var full = false
        @OptionGroup var passphrase: PassphraseOptions

        func run() throws {
            let ws = try workspace.open()
            guard !FileManager.default.fileExists(atPath: out) else { throw CommandFailure(L("{out} already exists", ["out": "\(out)"]), status: .cannotCreate) }
            let secret = try passphrase.read(prompt: "Passphrase: ")
            let keys: UnlockedKeys, signer: SigningKey
            do {
                keys = try ws.keys.unlockEncryptionKeys(passphrase: secret)
                signer = try ws.keys.unlockManifestSigningKey(passphrase: secret)
            } catch { throw error.commandFailure(directory: ws.keys.path) }
            let registration = try Registration(workspace: ws, keys: keys)
            let next: (bundle: RegistryBundle, pending: RegistryDatabase.PendingPublication)
            do { next = try registration.nextBundle(full: full, signingKey: signer) } catch let error as PublicationError {
                throw CommandFailure(error.description, status: .dataError)
            }
            do { try DurableFile.createExclusive(out, bytes: next.bundle.bytes) } catch { throw CommandFailure(error.description, status: .cannotCreate) }
            try registration.published(next.pending, full: full)
            let p = next.pending
            print(L("wrote bundle {sequence} of network {network}{full}: {additions} additions, {corrections} corrections, {withdrawals} withdrawals", ["sequence": "\(p.sequence)", "network": "\(next.bundle.network)", "full": "\(full ? " (full)" : "")", "additions": "\(p.additions.count)", "corrections": "\(p.corrections.count)", "withdrawals": "\(p.withdrawals.count)"]))
        }
    }

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: L("At the regional office: verify, open and apply registry bundles from the networks."),
            discussion: L("""
            Each bundle must be signed by its network's pinned key, sealed to this office, and \
            newer than the last one imported from that network; otherwise it is refused and \
            nothing changes. Records are tagged with their network.

            Example:
              $ resguardo registry import --region ~/region /media/usb/registro-mx-0003.json
              network mx bundle 3: 12 added, 1 corrected, 2 withdrawn
            """)
        )
        @OptionGroup var region: RegionOptions
        @Argument(help: .L("Registry bundle files.")) var files: [String]
        @OptionGroup var passphrase: PassphraseOptions

        func run() throws {
            let office = try region.open()
            let secret = try passphrase.read(prompt: "Regional passphrase: ")
            for file in files {
                let bytes = try readInput(file, maxBytes: RegistryBundle.maxByteCount, what: "registry bundle")
                do {
                    let (bundle, o) = try office.importBundle(bytes, passphrase: secret)
                    print(L("network {network} bundle {sequence}{replaced}: {added} added, {corrected} corrected, {withdrawn} withdrawn", ["network": "\(bundle.network)", "sequence": "\(bundle.sequence)", "replaced": "\(bundle.isFull ? " (full: \(o.replaced) records replaced)" : "")", "added": "\(o.added)", "corrected": "\(o.corrected)", "withdrawn": "\(o.withdrawn)"]))
                } catch {
                    throw regionFailure(error)
                }
            }
        }
    }

    struct Withdraw: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: L("Withdraw a record from the registry (consent withdrawn, a duplicate); the next bundle withdraws it regionally."),
            discussion: L("Example:\n  $ resguardo registry withdraw 5f0c…e1 --reason consent")
        )
        enum Reason: String, ExpressibleByArgument, CaseIterable { case consent, duplicate, error }
        @OptionGroup var workspace: WorkspaceOptions
        @Argument(help: .L("The record id (registry export --linkable shows it).")) var recordId: String
        @Option(name: .long, help: .L("consent, duplicate or error.")) var reason: Reason
        @OptionGroup var passphrase: PassphraseOptions

        func run() throws {
            let ws = try workspace.open()
            let registration = try Registration(workspace: ws, keys: try unlockKeys(ws, passphrase))
            guard try registration.withdraw(recordId, reason: reason.rawValue) else {
                throw CommandFailure(L("no record {record_id} in the registry", ["record_id": "\(TerminalText.escaped(recordId))"]), status: .noInput)
            }
            print(L("withdrew record {record_id}; the next registry bundle withdraws it at the regional office", ["record_id": "\(recordId)"]))
        }
    }

    struct Correct: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: L("Correct what vetting may change after registration (verification, state collusion); the next bundle carries it."),
            discussion: L("Example:\n  $ resguardo registry correct 5f0c…e1 --verification confirmed --state-collusion yes")
        )
        enum Verification: String, ExpressibleByArgument, CaseIterable { case vetted, confirmed, disputed }
        enum YesNo: String, ExpressibleByArgument, CaseIterable { case yes, no }
        @OptionGroup var workspace: WorkspaceOptions
        @Argument(help: .L("The record id.")) var recordId: String
        @Option(name: .long, help: .L("vetted, confirmed or disputed.")) var verification: Verification?
        @Option(name: .long, help: .L("yes or no.")) var stateCollusion: YesNo?
        @OptionGroup var passphrase: PassphraseOptions

        func validate() throws {
            if verification == nil && stateCollusion == nil { throw ValidationError(L("give --verification or --state-collusion")) }
        }

        func run() throws {
            let ws = try workspace.open()
            let registration = try Registration(workspace: ws, keys: try unlockKeys(ws, passphrase))
            guard try registration.correct(recordId, verification: verification?.rawValue, stateCollusion: stateCollusion.map { $0 == .yes }) else {
                throw CommandFailure(L("no record {record_id} in the registry", ["record_id": "\(TerminalText.escaped(recordId))"]), status: .noInput)
            }
            print(L("corrected record {record_id}; the next registry bundle carries it", ["record_id": "\(recordId)"]))
        }
    }

    struct RegionalKey: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "regional-key",
            abstract: L("Import the regional office's key file (its pseudonym key, sealed to this network)."),
            discussion: L("""
            Compare the regional office's fingerprint in person or by a trusted channel. Records \
            registered before get their regional pseudonyms now, from their cases.

            Example:
              $ resguardo registry regional-key import clave-regional-mx.json --region-fingerprint "7d1e 0a9c …"
            """),
            subcommands: [ImportKey.self]
        )

        struct ImportKey: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "import",
                abstract: L("Verify and store the regional key file."),
                discussion: L("Example:\n  $ resguardo registry regional-key import clave-regional-mx.json --region-fingerprint \"7d1e 0a9c …\"")
            )
            @OptionGroup var workspace: WorkspaceOptions
            @Argument(help: .L("The regional key file.")) var file: String
            @Option(name: .long, help: .L("The regional office's signing-key fingerprint.")) var regionFingerprint: String
            @OptionGroup var passphrase: PassphraseOptions

            func run() throws {
                let ws = try workspace.open()
                guard let pin = SigningKeyFingerprint(text: regionFingerprint) else { throw CommandFailure(L("`{region_fingerprint}` is not a fingerprint", ["region_fingerprint": "\(regionFingerprint)"]), status: .usage) }
                let parsed: RegionalKeyFile
                do { parsed = try RegionalKeyFile(bytes: try readInput(file, maxBytes: 64 * 1024, what: "regional key file"), pinned: pin) } catch let error as RegistryBundleError {
                    throw CommandFailure(L("{file}: {error}", ["file": "\(file)", "error": "\(error)"]), hints: ["nothing was stored"], status: .dataError)
                }
                let registration = try Registration(workspace: ws, keys: try unlockKeys(ws, passphrase))
                let backfilled: Int
                do { backfilled = try registration.importRegionalKey(parsed) } catch let error as CaseError {
                    throw CommandFailure(error.description, hints: ["nothing was stored"], status: .dataError)
                }
                print(L("regional key stored: this workspace publishes as network {network} to the regional office {pin}", ["network": "\(parsed.network)", "pin": "\(pin)"]))
                if backfilled > 0 { print(L("{backfilled} records registered earlier got their regional pseudonyms", ["backfilled": "\(backfilled)"])) }
            }
        }
    }
}
