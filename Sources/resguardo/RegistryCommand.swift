import Region
import Sodium
import DurableFiles
import ArgumentParser
import CLISupport
import Casework
import Deidentify
import Foundation
import Formats
import Registration
import Registry

extension Resguardo {
    struct RegistryCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "registry",
            abstract: L("Load vetted cases into the de-identified registry, and export it."),
            discussion: L("""
            Example:
              $ resguardo registry add 3fa2c1 9b0e77
              $ resguardo registry export --format csv --out registro.csv
              $ resguardo registry report --from 2025 --to 2026 --lang es --format csv --out informe.csv
              $ resguardo registry publish --out /media/usb/registro-mx-0003.json     (national → regional)
              $ resguardo registry import --region ~/region registro-mx-0003.json    (at the regional office)
              $ resguardo registry report --region ~/region --from 2026 --to 2026 --format html --out regional.html
            """),
            subcommands: [Add.self, Export.self, ReportCommand.self, Withdraw.self, Correct.self, Publish.self, RegionalKey.self, Import.self]
        )

        struct Add: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: L("De-identify vetted cases whose consent allows it and load them (once each)."),
                discussion: L("""
                --redact removes or coarsens a field the rules allow but you judge would point at her \
                (region, period_year, age_band, ethnicity, gender_identity, setting, people_affected, \
                organisation), for every case given; see it first with `cases deidentify --redact`. The \
                k-check runs after it.

                Example:
                  $ resguardo registry add 3fa2c1 9b0e77
                  $ resguardo registry add 3fa2c1 --redact region --redact ethnicity
                """)
            )
            @OptionGroup var workspace: WorkspaceOptions
            @Argument(help: .L("Case ids.")) var caseIds: [String]
            @Option(name: .long, help: .L("A field to remove or coarsen before loading (repeat for several).")) var redact: [String] = []
            @OptionGroup var passphrase: PassphraseOptions

            func run() throws {
                let ws = try workspace.open()
                let ids: [[UInt8]]
                do { ids = try caseIds.map { (c) throws(CaseError) in try ws.resolveCase(c) } } catch { throw CommandFailure(error.description, status: .noInput) }
                let chosen = try parseStaffRedactions(redact)
                let keys = try unlockKeys(ws, passphrase)
                do {
                    let n = try Registration(workspace: ws, keys: keys).register(ids, edits: Dictionary(ids.map { ($0, chosen) }, uniquingKeysWith: { a, _ in a }))
                    print(L("loaded {n} records into the registry", ["n": "\(n)"]))
                } catch let error as CaseError {
                    throw CommandFailure(error.description, hints: ["nothing was written"], status: .dataError)
                } catch let error as RegistrationError {
                    throw CommandFailure(error.description)
                }
            }
        }

        struct Export: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: L("Write the de-identified records as CSV or JSON, with HURIDOCS MT codes (internal: never publish)."),
                discussion: L("""
                A file of records is marked INTERNAL on every row. It carries only records whose group \
                on every field it holds (place, period, rights, identity, age band, setting, people \
                affected in bands, perpetrator and aggression types, organisation) has at least \
                {k} distinct defenders; the others are withheld and counted. Record ids and \
                pseudonyms are keyed for this export alone, so two exports (or an export and a \
                referral) cannot be joined, unless --linkable is given for the network's own use.

                --format uwazi writes no record at all: a folder (--out) for Uwazi (HURIDOCS) with one \
                aggregate entity per published cell of the report for --from/--to, suppressed exactly \
                as `registry report` suppresses it, the thesauri of the vocabulary in Spanish and \
                English, and the template to create (plantilla.json). It may be published.

                Example:
                  $ resguardo registry export --format json --out registro.json
                  wrote 212 records to registro.json (INTERNAL — DO NOT PUBLISH); 9 withheld: their group had fewer than 5 defenders
                  $ resguardo registry export --format uwazi --from 2025 --to 2026 --out uwazi-2025-2026
                """, ["k": String(KAnonymity.k)])
            )
            enum Format: String, ExpressibleByArgument, CaseIterable { case csv, json, uwazi }
            @OptionGroup var workspace: WorkspaceOptions
            @Option(name: .long, help: .L("csv, json or uwazi.")) var format: Format
            @Option(name: .long, help: .L("Output file (must not exist); for uwazi, a folder.")) var out: String
            @Flag(name: .long, help: .L("Keep the registry's own record ids and pseudonyms (files that follow corrections; never share them).")) var linkable = false
            @Option(name: .long, help: .L("With uwazi: first period, YYYY or YYYY-MM.")) var from: String?
            @Option(name: .long, help: .L("With uwazi: last period, YYYY or YYYY-MM.")) var to: String?
            @Option(name: .long, help: .L("With uwazi: the smallest count shown (as registry report).")) var minCell: Int = 5

            func validate() throws {
                guard format == .uwazi else {
                    if from != nil || to != nil { throw ValidationError(L("--from and --to are for --format uwazi (records are exported whole)")) }
                    return
                }
                guard let from, let to else { throw ValidationError(L("--format uwazi needs --from and --to")) }
                for p in [from, to] where !(p.count == 4 || p.count == 7) || RegistryPeriod.isValid(p) == false {
                    throw ValidationError(L("`{p}` is not YYYY or YYYY-MM", ["p": "\(p)"]))
                }
                guard (2...100).contains(minCell) else { throw ValidationError(L("--min-cell must be between 2 and 100")) }
                if linkable { throw ValidationError(L("--linkable is for record exports; the uwazi export holds no record")) }
            }

            func run() throws {
                let ws = try workspace.open()
                guard !FileManager.default.fileExists(atPath: out) else { throw CommandFailure(L("{out} already exists", ["out": "\(out)"]), status: .cannotCreate) }
                if format == .uwazi, let from, let to {
                    let report = RegistryReport(records: try Registration.openRegistry(of: ws).all(), from: from, to: to, minCell: minCell)
                    let files = UwaziExport.files(report)
                    do {
                        try FileManager.default.createDirectory(atPath: out + "/tesauros", withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
                        for file in files { try DurableFile.createExclusive(out + "/" + file.path, bytes: file.bytes) }
                    } catch { throw CommandFailure("\(error)", status: .cannotCreate) }
                    print(L("wrote {out}: {cells} aggregate entities (suppressed as the report), {thesauri} thesauri and the template; no record", ["out": out,
                            "cells": "\(report.tables.filter { $0.name != "by_region" }.reduce(0) { $0 + $1.rows.count })", "thesauri": "\(files.filter { $0.path.hasPrefix("tesauros/") }.count)"]))
                    return
                }
                let release = try RecordRelease.prepare(try Registration.openRegistry(of: ws).all(), linkable: linkable)
                let bytes = format == .csv ? Array(RegistryExport.csv(release).utf8) : RegistryExport.json(release, linkable: linkable)
                do { try DurableFile.createExclusive(out, bytes: bytes) } catch { throw CommandFailure(error.description, status: .cannotCreate) }
                print(L("wrote {records} records to {out} (INTERNAL — DO NOT PUBLISH){registry}", ["records": "\(release.records.count)", "out": "\(out)", "registry": "\(linkable ? "; pseudonyms linkable to the registry" : "")"]))
                if release.withheld > 0 {
                    print(L("{withheld} records withheld: their group had fewer than {k} distinct defenders", ["withheld": "\(release.withheld)", "k": "\(KAnonymity.k)"]))
                }
            }
        }
    }
}

extension Resguardo.RegistryCommand {
    struct ReportCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "report",
            abstract: L("Aggregate tables for publication, with small-cell suppression (HTML with charts, CSV or JSON)."),
            discussion: L("""
            Counts from 1 to --min-cell − 1 are shown as "<N" (below the stricter threshold for \
            sexual violence and trans women as "<10"). Then every table is checked against every \
            other, their totals and the headline count, as a reader would add them up, and more cells \
            are hidden (shown "x") until no hidden value can be worked out; bars are scaled by \
            published values only. --internal gives the unsuppressed numbers for staff only. Consistency checks \
            are printed; --strict makes a failed check an error.

            Example:
              $ resguardo registry report --from 2025-01 --to 2026-06 --country GT --lang es --format html --out informe.html
              $ resguardo registry report --region ~/region --from 2026 --to 2026 --format html --out regional.html
            At the regional office (--region DIR) the report covers every network, adds tables by \
            network and by state or department (each country's rows add up to its row, and are \
            suppressed within it), and draws the map of the region.
            """)
        )
        enum Format: String, ExpressibleByArgument, CaseIterable { case html, csv, json }
        @OptionGroup var workspace: WorkspaceOptions
        @OptionGroup var region: RegionOptions
        @Option(name: .long, help: .L("First period, YYYY or YYYY-MM.")) var from: String
        @Option(name: .long, help: .L("Last period, YYYY or YYYY-MM (inclusive).")) var to: String
        @Option(name: .long, help: .L("Only this country (MX, GT, HN, SV, NI).")) var country: String?
        @Option(name: .long, help: .L("es or en.")) var lang: String = "es"
        @Option(name: .long, help: .L("html, csv or json.")) var format: Format
        @Option(name: .long, help: .L("Output file (must not exist).")) var out: String
        @Option(name: .long, help: .L("Smallest count published as a number (default 5).")) var minCell: Int = 5
        @Option(name: .long, help: .L("Stricter smallest count for sexual-violence and trans cells (default 10).")) var sensitiveMinCell: Int = 10
        @Flag(name: .long, help: .L("Unsuppressed numbers for staff: INTERNAL — DO NOT PUBLISH.")) var `internal` = false
        @Flag(name: .long, help: .L("Fail when a consistency check fails.")) var strict = false

        func validate() throws {
            for p in [from, to] where !(p.count == 4 || p.count == 7) || RegistryPeriod.isValid(p) == false {
                throw ValidationError(L("`{p}` is not YYYY or YYYY-MM", ["p": "\(p)"]))
            }
            guard Language(rawValue: lang) != nil else { throw ValidationError(L("--lang must be es or en")) }
            guard (2...100).contains(minCell) else { throw ValidationError(L("--min-cell must be between 2 and 100")) }
            if let country, !Vocabulary.countries.contains(country) { throw ValidationError(L("unknown country `{country}`", ["country": "\(country)"])) }
        }

        func run() throws {
            // At the regional office (--region): every network's records, with the map.
            let regional = region.region != nil || (workspace.path == nil && region.path != nil)
            let records = regional ? try region.open().registry.all() : try Registration.openRegistry(of: try workspace.open()).all()
            guard !FileManager.default.fileExists(atPath: out) else { throw CommandFailure(L("{out} already exists", ["out": "\(out)"]), status: .cannotCreate) }
            let language = Language(rawValue: lang) ?? .es
            let report = RegistryReport(records: records, from: from, to: to, country: country, minCell: minCell, sensitiveMinCell: sensitiveMinCell,
                                        isInternal: `internal`, regional: regional)
            let bytes: [UInt8] = switch format {
            case .html: Array(report.html(language: language).utf8)
            case .csv: Array(report.csv(language: language).utf8)
            case .json: report.json(language: language)
            }
            do { try DurableFile.createExclusive(out, bytes: bytes) } catch { throw CommandFailure(error.description, status: .cannotCreate) }
            print(L("wrote {total_aggressions} aggressions in {tables} tables to {out}{note}", ["total_aggressions": "\(report.totalAggressions)", "tables": "\(report.tables.count)", "out": "\(out)", "note": "\(`internal` ? " (INTERNAL — DO NOT PUBLISH)" : "")"]))
            if report.excludedUndated > 0 { print(L("{excluded_undated} records without a date in range were left out", ["excluded_undated": "\(report.excludedUndated)"])) }
            for check in report.checks { print("\(check.passed ? "ok  " : "FAIL") \(check.name)") }
            if strict, report.checks.contains(where: { !$0.passed }) {
                throw CommandFailure("a consistency check failed", status: .dataError)
            }
        }
    }
}

/// `YYYY` or `YYYY-MM` with a real month.
enum RegistryPeriod {
    static func isValid(_ p: String) -> Bool {
        let parts = p.split(separator: "-")
        guard let y = Int(parts[0]), parts[0].count == 4, y >= 1900 else { return false }
        if parts.count == 1 { return true }
        return parts.count == 2 && parts[1].count == 2 && (Int(parts[1]).map { (1...12).contains($0) } ?? false)
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
            // A bundle holds registry records only: it is signed, and opens no case, so only
            // the manifest-signing key is unlocked (one key derivation, not one per key).
            let secret = try passphrase.read(prompt: "Passphrase: ")
            let signer: SigningKey
            do { signer = try ws.keys.unlockManifestSigningKey(passphrase: secret) } catch { throw error.commandFailure(directory: ws.keys.path) }
            let registration = try Registration(withoutKeys: ws)
            let next: (bundle: RegistryBundle, pending: RegistryDatabase.PendingPublication)
            do {
                next = try registration.publish(full: full, signingKey: signer) { bundle in
                    do { try DurableFile.createExclusive(out, bytes: bundle.bytes) } catch { throw CommandFailure("\(error)", status: .cannotCreate) }
                }
            } catch let error as PublicationError {
                throw CommandFailure(error.description, status: .dataError)
            }
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
        // No key is used: a passphrase given by a script written before is accepted and not read.
        @OptionGroup(visibility: .hidden) var passphrase: PassphraseOptions

        func run() throws {
            let ws = try workspace.open()
            // The registry and the audit log only: no key is needed, none is unlocked.
            let registration = try Registration(withoutKeys: ws)
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
        // No key is used: a passphrase given by a script written before is accepted and not read.
        @OptionGroup(visibility: .hidden) var passphrase: PassphraseOptions

        func validate() throws {
            if verification == nil && stateCollusion == nil { throw ValidationError(L("give --verification or --state-collusion")) }
        }

        func run() throws {
            let ws = try workspace.open()
            let registration = try Registration(withoutKeys: ws)
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

/// `--redact` values: the staff's own redactions, by their codes.
func parseStaffRedactions(_ values: [String]) throws -> Set<StaffRedaction> {
    Set(try values.map { value in
        guard let edit = StaffRedaction(rawValue: value) else {
            throw CommandFailure(L("`{field}` is not a field you can redact ({accepted})", ["field": TerminalText.escaped(value), "accepted": StaffRedaction.accepted]), status: .usage)
        }
        return edit
    })
}
