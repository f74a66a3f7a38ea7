import ArgumentParser
import CLISupport
import Casework
import Deidentify
import Foundation
import Formats
import Registry

struct DeidentifyCase: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deidentify",
        abstract: "Show the registry record a case would become, and the redaction log, without writing anything.",
        discussion: "Example:\n  $ resguardo cases deidentify 3fa2c1 --preview"
    )
    @OptionGroup var workspace: WorkspaceOptions
    @Argument(help: "Case id (at least 6 hex digits).") var caseId: String
    @Flag(name: .long, help: "Preview only (the only mode: `resguardo registry add` writes).") var preview = false
    @OptionGroup var passphrase: PassphraseOptions

    func run() throws {
        let (ws, id, keys) = try openCaseContext(workspace, caseId, passphrase)
        guard let preview = try ws.previewRecords([id], secretKeys: keys).first else { return }
        let json = RegistryExport.json([preview.record])
        print("Registro / Record (nothing written):")
        print(String(decoding: json, as: UTF8.self), terminator: "")
        print("Cambios / Redaction log:")
        for r in preview.redactions { print("  \(r)") }
        if preview.belowK { Console.warning("this record's group is still below k = \(KAnonymity.k) after every generalisation step") }
    }
}

struct RegistryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "registry",
        abstract: "Load vetted cases into the de-identified registry, and export it.",
        discussion: """
        Example:
          $ resguardo registry add 3fa2c1 9b0e77
          $ resguardo registry export --format csv --out registro.csv
        """,
        subcommands: [Add.self, Export.self]
    )

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "De-identify vetted cases whose consent allows it and load them (once each).",
            discussion: "Example:\n  $ resguardo registry add 3fa2c1 9b0e77"
        )
        @OptionGroup var workspace: WorkspaceOptions
        @Argument(help: "Case ids.") var caseIds: [String]
        @OptionGroup var passphrase: PassphraseOptions

        func run() throws {
            let ws = try workspace.open()
            let ids: [[UInt8]]
            do { ids = try caseIds.map { (c) throws(CaseError) in try ws.resolveCase(c) } } catch { throw CommandFailure(error.description, status: .noInput) }
            let keys = try unlockKeys(ws, passphrase)
            do {
                let n = try ws.register(ids, secretKeys: keys)
                print("loaded \(n) records into the registry")
            } catch let error as CaseError {
                throw CommandFailure(error.description, hints: ["nothing was written"], status: .dataError)
            }
        }
    }

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the de-identified records as CSV or JSON, with HURIDOCS MT codes.",
            discussion: "Example:\n  $ resguardo registry export --format json --out registro.json"
        )
        enum Format: String, ExpressibleByArgument, CaseIterable { case csv, json }
        @OptionGroup var workspace: WorkspaceOptions
        @Option(name: .long, help: "csv or json.") var format: Format
        @Option(name: .long, help: "Output file (must not exist).") var out: String

        func run() throws {
            let ws = try workspace.open()
            guard !FileManager.default.fileExists(atPath: out) else { throw CommandFailure("\(out) already exists", status: .cannotCreate) }
            let records = try ws.registry.all()
            let bytes = format == .csv ? Array(RegistryExport.csv(records).utf8) : RegistryExport.json(records)
            guard FileManager.default.createFile(atPath: out, contents: Data(bytes), attributes: [.posixPermissions: 0o600]) else {
                throw CommandFailure("cannot write \(out)", status: .cannotCreate)
            }
            print("wrote \(records.count) records to \(out)")
        }
    }
}
