import Foundation
import Testing
import TestSupport
import Formats
import Deidentify
@testable import Registry

/// Issue 31: the Uwazi export holds the report's published cells only, and parses under Uwazi's
/// documented CSV rules as an independent reader of them checks (scripts/lib/uwazi_check.py).
@Suite("Uwazi export")
struct UwaziExportTests {
    func write(_ report: RegistryReport) throws -> String {
        let s = try Scratch()
        let folder = s.path("uwazi")
        try FileManager.default.createDirectory(atPath: folder + "/tesauros", withIntermediateDirectories: true)
        for file in UwaziExport.files(report) { try Data(file.bytes).write(to: URL(fileURLWithPath: folder + "/" + file.path)) }
        // The scratch folder lives as long as the test process needs it.
        Self.keep.append(s)
        return folder
    }
    nonisolated(unsafe) static var keep: [Scratch] = []

    func check(_ folder: String, k: Int) throws -> SubprocessOutcome {
        try runSubprocess(debianPython, [repositoryRoot.appendingPathComponent("scripts/lib/uwazi_check.py").path, folder, "\(k)"])
    }

    @Test("2,000 records: every entity is a published cell (none of 1…4 shown), the CSVs follow Uwazi's rules; a small country is '<5' and its neighbour 'x'")
    func aggregate() throws {
        let report = RegistryReport(records: RegistryReportTests.records, from: "2024", to: "2026")
        let folder = try write(report)
        let checked = try check(folder, k: 5)
        #expect(checked.status == 0 && checked.stdout.hasPrefix("ok"), "\(checked.output)")
        let entities = try String(contentsOfFile: folder + "/entidades.csv", encoding: .utf8)
        #expect(entities.hasPrefix("\"title__es\",\"title__en\",\"tabla\"") && !entities.contains("p1"))
        // A regional report's subdivisions table goes too, each cell with its ISO 3166-2 code.
        let regional = try write(RegistryReport(records: RegionalReportTests.records, from: "2024", to: "2026", regional: true))
        #expect(try check(regional, k: 5).status == 0)
        let regionalEntities = try String(contentsOfFile: regional + "/entidades.csv", encoding: .utf8)
        #expect(regionalEntities.contains("Agresiones por estado o departamento") && regionalEntities.contains(",\"MX-"), "\(regionalEntities.prefix(2000))")
        // Small cells: 3 in GT under a total of 53.
        var records: [RegistryRecord] = []
        for (country, n) in [("GT", 3), ("HN", 20), ("MX", 30)] {
            for i in 0..<n { records.append(RegistryReportTests.records[0].with(id: "\(country)\(i)", pid: "\(country)\(i)", country: country)) }
        }
        let small = try write(RegistryReport(records: records, from: "2024", to: "2026"))
        #expect(try check(small, k: 5).status == 0)
        let text = try String(contentsOfFile: small + "/entidades.csv", encoding: .utf8)
        #expect(text.contains("\"Guatemala\",\"Guatemala\",\"<5\"") && text.contains("\"x\""), "\(text)")
        #expect(!text.contains("\"3\""))
    }

    @Test("the reader is a real check: a count below k, a value outside its thesaurus and a title both with and without a suffix are each caught")
    func readerCatches() throws {
        let folder = try write(RegistryReport(records: RegionalReportTests.records, from: "2024", to: "2026", regional: true))
        let path = folder + "/entidades.csv"
        let original = try String(contentsOfFile: path, encoding: .utf8)
        func broken(_ text: String) throws -> String {
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            defer { try? original.write(toFile: path, atomically: true, encoding: .utf8) }
            return try check(folder, k: 5).stdout
        }
        var lines = original.components(separatedBy: "\r\n")
        var cells = lines[1].components(separatedBy: "\",\"")
        cells[5] = "3"
        lines[1] = cells.joined(separator: "\",\"")
        #expect(try broken(lines.joined(separator: "\r\n")).contains("below 5"))
        #expect(try broken(original.replacingOccurrences(of: "\"Guatemala\",\"\",\"\"", with: "\"Guatemaya\",\"\",\"\"")).contains("thesaurus"))
        #expect(try broken(original.replacingOccurrences(of: "\"title__en\"", with: "\"title\"")).contains("with and without"))
        #expect(try broken(original.replacingOccurrences(of: ",\"MX-", with: ",\"MX_")).contains("ISO 3166-2"))
        // A thesaurus: Uwazi's language labels in the header, and no label Uwazi would nest.
        let thesaurus = folder + "/tesauros/paises.csv"
        let countries = try String(contentsOfFile: thesaurus, encoding: .utf8)
        #expect(countries.hasPrefix("\"Spanish\",\"English\"\r\n"), "\(countries)")
        try countries.replacingOccurrences(of: "\"Spanish\"", with: "\"Español\"").write(toFile: thesaurus, atomically: true, encoding: .utf8)
        #expect(try check(folder, k: 5).stdout.contains("languages"))
        try (countries + "\"- Oaxaca\",\"- Oaxaca\"\r\n").write(toFile: thesaurus, atomically: true, encoding: .utf8)
        #expect(try check(folder, k: 5).stdout.contains("nest"))
        try countries.write(toFile: thesaurus, atomically: true, encoding: .utf8)
    }
}
