import Foundation
import Testing
import Formats
import Deidentify
@testable import Registry

@Suite("Registry reports")
struct RegistryReportTests {
    /// 2,000 records with a fixed pseudo-random spread (a seeded generator, so the test is stable).
    static let records: [RegistryRecord] = {
        var state: UInt64 = 0x5EED
        func next(_ n: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % UInt64(n))
        }
        let countries = ["MX", "GT", "HN", "SV"]
        return (0..<2000).map { i in
            let types = Array(Set([Vocabulary.aggressionTypes.codes[next(19)], Vocabulary.aggressionTypes.codes[next(19)]])).sorted()
            let perps = [Vocabulary.perpetrators.codes[next(18)]]
            return RegistryRecord(recordId: "r\(i)", defenderPid: "p\(next(900))", organisationPid: next(10) == 0 ? "o\(next(50))" : nil,
                                  country: countries[next(4)], region: nil, period: "\(2024 + next(3))-\(["01", "04", "07", "10"][next(4)])",
                                  datePrecision: "month", aggressionTypes: types, targetScope: next(7) == 0 ? nil : Vocabulary.targetScopes.codes[next(3)],
                                  peopleAffected: 1, perpetrators: perps, stateCollusion: false, rightsDefended: [Vocabulary.rightsDefended.codes[next(10)]],
                                  genderIdentity: "woman", ageBand: nil, ethnicity: "not_stated", genderComponent: next(3) == 0,
                                  genderComponentTypes: [], digital: false, affectsRelatives: nil, setting: nil, verification: "vetted", network: "n")
        }
    }()

    @Test("every number in the JSON equals an independent count over the raw rows (internal, unsuppressed)")
    func marginals() throws {
        let report = RegistryReport(records: Self.records, from: "2025", to: "2026", isInternal: true)
        let inRange = Self.records.filter { $0.period.map { $0 >= "2025" && $0 < "2027" } ?? false }
        let json = try JSONValue.parse(report.json(language: .es))
        guard case .array(let tables)? = json["tables"] else { Issue.record("no tables"); return }
        func count(_ table: String, _ code: String) -> Int? {
            for t in tables where t["name"] == .string(table) {
                guard case .array(let rows)? = t["rows"] else { return nil }
                return rows.first { $0["code"] == .string(code) }?["count"]?.intValue
            }
            return nil
        }
        for country in ["MX", "GT", "HN", "SV"] {
            #expect(count("by_country", country) == inRange.filter { $0.country == country }.count)
        }
        for type in Vocabulary.aggressionTypes.codes {
            let expected = inRange.filter { $0.aggressionTypes.contains(type) }.count
            #expect(count("by_aggression_type", type) == (expected == 0 ? nil : expected), "\(type)")
        }
        for year in ["2025", "2026"] { #expect(count("by_year", year) == inRange.filter { $0.period?.hasPrefix(year) == true }.count) }
        #expect(count("by_scope", "not_stated") == inRange.filter { $0.targetScope == nil }.count)
        #expect(count("gender_component", "with_gender_component") == inRange.filter(\.genderComponent).count)
        #expect(count("state_actor", "state_actor") == inRange.filter { $0.perpetrators.contains(where: Vocabulary.stateActorCodes.contains) }.count)
        #expect(json["distinct_defenders"]?.intValue == Set(inRange.map(\.defenderPid)).count)
        #expect(report.checks.allSatisfy { $0.passed }, "\(report.checks.map(\.name))")
        // The CSV carries the same numbers, with MT codes.
        let csv = report.csv(language: .en)
        #expect(csv.contains("by_country,GT,Guatemala,,\(inRange.filter { $0.country == "GT" }.count)"))
        #expect(csv.contains("by_aggression_type,killing,Killing / femicide / trans femicide,010101,"))
    }

    @Test("a lone small cell cannot be recovered from the total: a second cell is hidden with it")
    func secondarySuppression() throws {
        // 3 in GT, 20 in HN, 30 in MX: hiding only GT would leave GT = 53 − 50.
        var records: [RegistryRecord] = []
        for (country, n) in [("GT", 3), ("HN", 20), ("MX", 30)] {
            for i in 0..<n { records.append(Self.records[0].with(id: "\(country)\(i)", pid: "\(country)\(i)", country: country)) }
        }
        let report = RegistryReport(records: records, from: "2024", to: "2026")
        let byCountry = try #require(report.tables.first { $0.name == "by_country" })
        #expect(byCountry.total == .count(53))
        let hidden = byCountry.rows.filter { $0.cell.isHidden }.map(\.code)
        #expect(hidden.sorted() == ["GT", "HN"], "\(hidden)")
        // In every published table, never exactly one hidden cell beside a published total.
        for table in report.tables where !table.total.isHidden {
            #expect(table.rows.filter { $0.cell.isHidden }.count != 1, "\(table.name)")
        }
        #expect(report.csv(language: .es).contains("by_country,GT,Guatemala,,<5"))
        // A stricter threshold hides more; internal shows everything.
        let strict = RegistryReport(records: records, from: "2024", to: "2026", minCell: 25)
        #expect(strict.tables.first { $0.name == "by_country" }?.rows.filter { $0.cell.isHidden }.count == 2)
        #expect(RegistryReport(records: records, from: "2024", to: "2026", isInternal: true).tables.allSatisfy { $0.rows.allSatisfy { !$0.cell.isHidden } })
    }

    @Test("periods: months, quarters and years are placed by their first month; undated records are counted out")
    func periods() {
        var records = [Self.records[0].with(id: "a", pid: "a", country: "MX", period: "2025-Q2"),
                       Self.records[0].with(id: "b", pid: "b", country: "MX", period: "2025"),
                       Self.records[0].with(id: "c", pid: "c", country: "MX", period: "2025-06"),
                       Self.records[0].with(id: "d", pid: "d", country: "MX", period: "2025-07")]
        records.append(Self.records[0].with(id: "e", pid: "e", country: "MX", period: .some(nil)))
        let report = RegistryReport(records: records, from: "2025-04", to: "2025-06", isInternal: true)
        #expect(report.totalAggressions == 2 && report.excludedUndated == 1)
    }
}

extension RegistryRecord {
    func with(id: String, pid: String, country: String, period: String?? = .none) -> RegistryRecord {
        var copy = self
        copy.recordId = id
        copy.defenderPid = pid
        copy.country = country
        if case .some(let p) = period { copy.period = p }
        return copy
    }
}

import TestSupport
import TestHarness

@Suite("Registry report as a page", .serialized)
struct RegistryReportHTMLTests {
    static let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }

    @Test("the HTML renders in headless Chromium to a non-trivial PNG and PDF")
    func rendersInChromium() throws {
        let chromium = try #require(Self.chromium, "Chromium is not installed (scripts/setup installs it)")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("report-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let report = RegistryReport(records: RegistryReportTests.records, from: "2025", to: "2026")
        let html = report.html(language: .es)
        #expect(!html.contains("http://") || html.contains("xmlns=\"http://www.w3.org/2000/svg\""))
        #expect(!html.contains("<script") && !html.contains("<link") && !html.contains("@import"))
        let page = dir.appendingPathComponent("informe.html")
        try html.write(to: page, atomically: true, encoding: .utf8)
        let png = dir.appendingPathComponent("informe.png").path, pdf = dir.appendingPathComponent("informe.pdf").path
        let common = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-dev-shm-usage"]
        _ = try runSubprocess(chromium, common + ["--window-size=900,3300", "--screenshot=\(png)", page.absoluteString])
        _ = try runSubprocess(chromium, common + ["--no-pdf-header-footer", "--print-to-pdf=\(pdf)", page.absoluteString])
        let pngBytes = try Data(contentsOf: URL(fileURLWithPath: png)), pdfBytes = try Data(contentsOf: URL(fileURLWithPath: pdf))
        #expect(pngBytes.starts(with: [0x89, 0x50, 0x4E, 0x47]) && pngBytes.count > 20_000, "PNG is \(pngBytes.count) bytes")
        #expect(pdfBytes.starts(with: Array("%PDF".utf8)) && pdfBytes.count > 10_000, "PDF is \(pdfBytes.count) bytes")
        if let sample = ProcessInfo.processInfo.environment["RESGUARDO_WRITE_SAMPLE"] {
            try? FileManager.default.removeItem(atPath: sample)
            try FileManager.default.copyItem(atPath: png, toPath: sample)
        }
    }

    @Test("markup inside a record renders as text, never as markup")
    func injection() {
        var hostile = RegistryReportTests.records[0]
        hostile.country = "<script>alert('x')</script>"
        hostile.aggressionTypes = ["<img src=x onerror=alert(1)>"]
        let html = RegistryReport(records: [hostile], from: "2024", to: "2026", isInternal: true).html(language: .en)
        #expect(!html.contains("<script>alert") && !html.contains("<img src=x"))
        #expect(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"))
        #expect(html.contains("INTERNAL — DO NOT PUBLISH"))
    }
}

@Suite("Registry report: trend and killings tables")
struct RegistryReportExtraTablesTests {
    @Test("a single-year report adds months; killings are listed by year and country and add up")
    func monthsAndKillings() {
        let records = RegistryReportTests.records
        let report = RegistryReport(records: records, from: "2025", to: "2025", isInternal: true)
        let months = report.tables.first { $0.name == "by_month" }
        #expect(months?.rows.map(\.code) == ["2025-01", "2025-04", "2025-07", "2025-10"])
        let inYear = records.filter { $0.period?.hasPrefix("2025") == true }
        let expectedKillings = inYear.reduce(0) { $0 + $1.aggressionTypes.filter { $0 == "killing" || $0 == "attempted_killing" }.count }
        let killings = report.tables.first { $0.name == "killings" }
        #expect(killings?.rawTotal == expectedKillings && killings?.rows.reduce(0) { $0 + $1.raw } == expectedKillings)
        #expect(RegistryReport.label("2025 GT killing", table: "killings", .es) == "2025 · Guatemala · Asesinato")
        #expect(RegistryReport(records: records, from: "2024", to: "2026").tables.contains { $0.name == "by_month" } == false)
    }
}

@Suite("Registry report: top types and sensitive cells")
struct RegistryReportTopTypesTests {
    func records(_ spec: [(String, String, Int)]) -> [RegistryRecord] {
        var out: [RegistryRecord] = []
        for (country, type, n) in spec {
            for i in 0..<n {
                var r = RegistryReportTests.records[0].with(id: "\(country)\(type)\(i)", pid: "\(country)\(type)\(i)", country: country, period: .some("2025-03"))
                r.aggressionTypes = [type]
                out.append(r)
            }
        }
        return out
    }

    @Test("a hidden top-type cell cannot be recovered from the type's total: a second cell in its column is hidden")
    func topTypesColumnSuppression() throws {
        let report = RegistryReport(records: records([("GT", "threat", 3), ("HN", "threat", 20), ("MX", "threat", 30), ("MX", "raid", 40)]),
                                    from: "2025", to: "2025")
        let cells = Dictionary(uniqueKeysWithValues: report.topTypesByCountry.flatMap { entry in entry.rows.map { ("\(entry.country) \($0.code)", $0.cell) } })
        #expect(cells["GT threat"]?.isHidden == true && cells["HN threat"]?.isHidden == true, "\(cells)")
        #expect(cells["MX threat"] == .count(30) && cells["MX raid"] == .count(40))
        #expect(report.html(language: .es).contains("Tipos de agresión más frecuentes por país"))
    }

    @Test("sexual-violence and trans cells use the stricter threshold")
    func sensitiveThreshold() throws {
        var recs = records([("MX", "sexual_violence", 7), ("MX", "threat", 30), ("GT", "threat", 20)])
        for i in recs.indices.prefix(6) { recs[i].genderIdentity = "trans_woman" }
        let report = RegistryReport(records: recs, from: "2025", to: "2025", minCell: 5, sensitiveMinCell: 10)
        let types = try #require(report.tables.first { $0.name == "by_aggression_type" })
        #expect(types.rows.first { $0.code == "sexual_violence" }?.cell == .small(below: 10))
        let identities = try #require(report.tables.first { $0.name == "by_gender_identity" })
        #expect(identities.rows.first { $0.code == "trans_woman" }?.cell == .small(below: 10))
        // Without the stricter rule, 7 would be published.
        let plain = RegistryReport(records: recs, from: "2025", to: "2025", minCell: 5)
        #expect(plain.tables.first { $0.name == "by_aggression_type" }?.rows.first { $0.code == "sexual_violence" }?.cell == .count(7))
    }
}

/// The regional office's report (issue 16 item 5): every network, tables by network and by
/// subdivision whose rows add up within each country, and the map, which shows no more than
/// the tables do.
@Suite("Regional registry report")
struct RegionalReportTests {
    /// The 2,000 records spread over the four networks and over a few subdivisions per
    /// country, with one subdivision per country that is rare (small only there).
    static let records: [RegistryRecord] = {
        let regions = ["MX": ["MX-OAX", "MX-CHP", "MX-GRO", "MX-CMX"], "GT": ["GT-01", "GT-16", "GT-13", "GT-17"],
                       "HN": ["HN-FM", "HN-CR", "HN-AT", "HN-OL"], "SV": ["SV-SS", "SV-SA", "SV-LI", "SV-MO"]]
        return RegistryReportTests.records.enumerated().map { i, r in
            var copy = r
            copy.network = r.country.lowercased()
            let places = regions[r.country] ?? []
            // The last subdivision of each country gets one record in 97: small only there.
            copy.region = i % 97 == 0 ? places.last : (i % 11 == 0 ? nil : places[i % 3])
            return copy
        }
    }()

    @Test("tables by network and subdivision equal independent counts (internal); published, each country's subdivisions add up to it and small ones are hidden")
    func regionalTables() throws {
        let internalReport = RegistryReport(records: Self.records, from: "2024", to: "2026", isInternal: true, regional: true)
        let byNetwork = try #require(internalReport.tables.first { $0.name == "by_network" })
        for row in byNetwork.rows { #expect(row.raw == Self.records.filter { $0.network == row.code }.count) }
        let byRegion = try #require(internalReport.tables.first { $0.name == "by_region" })
        for row in byRegion.rows {
            #expect(row.raw == Self.records.filter { ($0.region ?? $0.country + "-NS") == row.code }.count, "\(row.code)")
        }

        let published = RegistryReport(records: Self.records, from: "2024", to: "2026", regional: true)
        let regions = try #require(published.tables.first { $0.name == "by_region" })
        let countries = try #require(published.tables.first { $0.name == "by_country" })
        for country in ["MX", "GT", "HN", "SV"] {
            let rows = regions.rows.filter { $0.code.hasPrefix(country + "-") }
            // The rare subdivision is hidden, and so is at least one other of the same country
            // (else the country's total minus the shown rows would give it away).
            #expect(rows.filter { $0.cell.isHidden }.count != 1, "\(country): exactly one hidden cell could be recovered by subtraction")
            #expect(rows.contains { $0.raw < 5 && $0.cell.isHidden } || !rows.contains { $0.raw < 5 })
            #expect(rows.reduce(0) { $0 + $1.raw } == countries.rows.first { $0.code == country }?.raw)
        }
        #expect(published.checks.allSatisfy { $0.passed })
    }

    @Test("the map draws every country from Natural Earth; a hidden country cell is hatched and shows its marker, never its value")
    func map() throws {
        let report = RegistryReport(records: Self.records, from: "2024", to: "2026", regional: true)
        let html = report.html(language: .es)
        #expect(html.contains("Mapa de la región") && html.contains("Natural Earth"))
        for code in ["MX", "GT", "HN", "SV", "BZ", "NI", "CR"] { #expect(html.contains("data-country=\"\(code)\"")) }
        // Keep only GT's few records in one month: its cell is small and must be hatched.
        let sparse = Self.records.filter { $0.country != "GT" || $0.recordId.hasSuffix("7") }.filter { $0.country != "GT" || $0.period == "2025-04" }
        let small = RegistryReport(records: sparse, from: "2024", to: "2026", regional: true)
        let gt = try #require(small.tables.first { $0.name == "by_country" }?.rows.first { $0.code == "GT" })
        #expect(gt.cell.isHidden && gt.raw > 0)
        let page = small.html(language: .es)
        let path = try #require(page.range(of: "data-country=\"GT\""))
        let element = page[page[..<path.lowerBound].range(of: "<path", options: .backwards)!.lowerBound..<path.upperBound]
        #expect(element.contains("url(#map-hatch)"))
        let map = String(page[page.range(of: "Mapa de la región")!.lowerBound...].prefix(20_000))
        #expect(!map.contains(">\(gt.raw)</text>"), "the map shows GT's hidden value")

        // Subdivisions: a tile for each of a country's ISO 3166-2 subdivisions; the rare one is
        // hidden, hatched, and neither its label nor its title gives its value.
        for code in ["MX-OAX", "MX-ZAC", "GT-01", "GT-22", "HN-FM", "SV-SS"] { #expect(html.contains("data-region=\"\(code)\""), "\(code)") }
        let regions = try #require(report.tables.first { $0.name == "by_region" })
        let rare = try #require(regions.rows.first { $0.code == "GT-17" })
        #expect(rare.cell.isHidden)
        let tileStart = try #require(html.range(of: "data-region=\"GT-17\""))
        let tile = String(html[tileStart.lowerBound...].prefix(700))
        let group = String(tile[..<(tile.range(of: "</g>")?.lowerBound ?? tile.endIndex)])
        #expect(group.contains("url(#tile-hatch)") && group.contains(rare.cell.shown.replacingOccurrences(of: "<", with: "&lt;")), "\(group)")
        #expect(!group.contains(">\(rare.raw)<") && !group.contains(": \(rare.raw)<"), "the tile shows GT-17's hidden value: \(group)")
    }

    @Test("the regional page renders in headless Chromium (docs/regional-report.png with RESGUARDO_WRITE_SAMPLE_REGIONAL)")
    func rendersInChromium() throws {
        let chromium = try #require(RegistryReportHTMLTests.chromium, "Chromium is not installed (scripts/setup installs it)")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("regional-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let page = dir.appendingPathComponent("regional.html")
        try RegistryReport(records: Self.records, from: "2024", to: "2026", regional: true).html(language: .es).write(to: page, atomically: true, encoding: .utf8)
        let png = dir.appendingPathComponent("regional.png").path
        _ = try runSubprocess(chromium, ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-dev-shm-usage",
                                         "--window-size=900,2100", "--screenshot=\(png)", page.absoluteString])
        let bytes = try Data(contentsOf: URL(fileURLWithPath: png))
        #expect(bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]) && bytes.count > 20_000)
        if let sample = ProcessInfo.processInfo.environment["RESGUARDO_WRITE_SAMPLE_REGIONAL"] {
            try? FileManager.default.removeItem(atPath: sample)
            try FileManager.default.copyItem(atPath: png, toPath: sample)
        }
    }
}
