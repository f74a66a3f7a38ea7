import Foundation
import TestSupport
import TestHarness
import Testing
import Formats
import Deidentify
@testable import Registry

/// Issue 14 item 3: play the reader who wants a hidden cell back. From the published JSON alone
/// (and the SVG of the page) the attacker adds up everything a report lets one add up: rows
/// against their table's total or the headline count, the killings table against the types
/// table, a type's top-type cells across countries against its row, a country's top types
/// against its total, and bar lengths against the numbers printed beside them. No hidden cell
/// may come out as a single value.
@Suite("Suppression against a determined reader")
struct SuppressionAttackTests {
    /// A published number as a reader sees it: exact, "<T" (1…T−1), or "x" (1 or more).
    static func interval(_ value: JSONValue?) -> (lo: Int, hi: Int)? {
        if let n = value?.intValue { return (n, n) }
        guard case .string(let text)? = value else { return nil }
        if text == "x" { return (1, Int.max) }
        if text.hasPrefix("<"), let t = Int(text.dropFirst()) { return (1, t - 1) }
        return nil
    }

    /// The attacker's independent deduction: names every cell, writes every relation a reader
    /// can see, and narrows intervals until nothing changes. Returns the hidden cells pinned.
    static func recover(_ json: JSONValue) -> [String] { recover(json, own: [:]).map(\.name) }

    /// The same reader, who also knows `own`: her own part of each cell by name (a network reading
    /// the regional report). Every interval is then of the others' part; returns the hidden cells
    /// pinned to one value, with it, and the published ones whose others' part is small.
    static func recover(_ json: JSONValue, own: [String: Int]) -> [(name: String, value: Int)] {
        var iv: [String: (lo: Int, hi: Int)] = [:]
        var hidden: Set<String> = []
        var sums: [([String], String)] = []
        var bounds: [(String, String)] = []
        func put(_ name: String, _ value: JSONValue?) {
            guard let i = interval(value) else { return }
            let mine = own[name] ?? 0
            iv[name] = (max(0, i.lo - mine), i.hi == Int.max ? Int.max : max(0, i.hi - mine))
            if i.lo != i.hi || value?.intValue == nil { hidden.insert(name) }
        }
        put("aggressions", json["aggressions"])
        guard case .array(let tables)? = json["tables"] else { return [("no tables", 0)] }
        var rowsOf: [String: [(code: String, name: String)]] = [:]
        for t in tables {
            guard case .string(let name)? = t["name"], case .array(let rows)? = t["rows"] else { continue }
            var names: [(String, String)] = []
            for r in rows {
                guard case .string(let code)? = r["code"] else { continue }
                put("\(name)/\(code)", r["count"])
                names.append((code, "\(name)/\(code)"))
            }
            rowsOf[name] = names
            let single = ["by_year", "by_month", "by_country", "by_scope", "by_gender_identity", "gender_component", "state_actor"].contains(name)
            let total = single ? "aggressions" : "\(name)/total"
            if !single { put(total, t["total"]) }
            sums.append((names.map(\.1), total))
        }
        // Killings rows of each kind add up to that kind's row; each row is within its year and country.
        for kind in ["killing", "attempted_killing"] where iv["by_aggression_type/\(kind)"] != nil {
            sums.append(((rowsOf["killings"] ?? []).filter { $0.code.hasSuffix(" " + kind) }.map(\.name), "by_aggression_type/\(kind)"))
        }
        for row in rowsOf["killings"] ?? [] {
            let parts = row.code.split(separator: " ")
            if parts.count == 3 { bounds += [(row.name, "by_year/\(parts[0])"), (row.name, "by_country/\(parts[1])")] }
        }
        // Regionally: a country's subdivisions add up to its row.
        for country in (rowsOf["by_country"] ?? []).map(\.code) where !(rowsOf["by_region"] ?? []).isEmpty {
            sums.append(((rowsOf["by_region"] ?? []).filter { $0.code.hasPrefix(country + "-") }.map(\.name), "by_country/\(country)"))
        }
        // Top types: each type's cells across countries add up to its row.
        var top: [String: [(code: String, name: String)]] = [:]
        if case .array(let entries)? = json["top_types_by_country"] {
            for e in entries {
                guard case .string(let c)? = e["country"], case .array(let rows)? = e["rows"] else { continue }
                top[c] = rows.compactMap { r in
                    guard case .string(let code)? = r["code"] else { return nil }
                    put("top/\(c)/\(code)", r["count"])
                    bounds.append(("top/\(c)/\(code)", "by_country/\(c)"))
                    return (code, "top/\(c)/\(code)")
                }
            }
        }
        // A country's killings (of one kind) over the years are its count of that type: its
        // top-types cell when shown, else at most its third type's count.
        for kind in ["killing", "attempted_killing"] {
            for (c, rows) in top {
                let members = (rowsOf["killings"] ?? []).filter { $0.code.hasSuffix(" \(c) \(kind)") }.map(\.name)
                guard !members.isEmpty else { continue }
                if let row = rows.first(where: { $0.code == kind }) {
                    sums.append((members, row.name))
                } else if rows.count == 3, let third = rows.last {
                    let unknown = "unseen/\(c)/\(kind)"
                    if iv[unknown] == nil { iv[unknown] = (0, Int.max); if own.isEmpty { bounds.append((unknown, third.name)) } }
                    sums.append((members, unknown))
                }
            }
        }
        for t in Set(top.values.flatMap { $0.map(\.code) }) where iv["by_aggression_type/\(t)"] != nil {
            var members: [String] = []
            for (c, rows) in top {
                if let row = rows.first(where: { $0.code == t }) { members.append(row.name) }
                else if rows.count == 3, let third = rows.last {
                    let unknown = "unseen/\(c)/\(t)"
                    if iv[unknown] == nil { iv[unknown] = (0, Int.max); if own.isEmpty { bounds.append((unknown, third.name)) } }
                    members.append(unknown)
                }
            }
            sums.append((members, "by_aggression_type/\(t)"))
        }
        func add(_ a: Int, _ b: Int) -> Int {
            // Int.max stands for "no upper bound"; a sum that would pass it is unbounded too.
            if a == Int.max || b == Int.max { return Int.max }
            let (sum, overflow) = a.addingReportingOverflow(b)
            return overflow ? Int.max : sum
        }
        for _ in 0..<200 {
            var changed = false
            func narrow(_ n: String, _ lo: Int, _ hi: Int) {
                guard let cur = iv[n] else { return }
                let next = (max(cur.lo, lo, 0), min(cur.hi, hi))
                if next != cur { iv[n] = next; changed = true }
            }
            for (members, total) in sums {
                guard let t = iv[total], members.allSatisfy({ iv[$0] != nil }) else { continue }
                narrow(total, members.reduce(0) { add($0, iv[$1]!.lo) }, members.reduce(0) { add($0, iv[$1]!.hi) })
                for m in members {
                    let others = members.filter { $0 != m }
                    let oLo = others.reduce(0) { add($0, iv[$1]!.lo) }, oHi = others.reduce(0) { add($0, iv[$1]!.hi) }
                    narrow(m, oHi == Int.max ? 0 : t.lo.subtractingReportingOverflow(oHi).partialValue, t.hi == Int.max ? Int.max : t.hi.subtractingReportingOverflow(oLo).partialValue)
                }
            }
            for (small, large) in bounds {
                guard let l = iv[large], let sm = iv[small] else { continue }
                narrow(small, 0, l.hi)
                narrow(large, sm.lo, Int.max)
            }
            if !changed { break }
        }
        // Counts that contradict each other: the model of what the reader knows is wrong.
        let contradictions = iv.filter { $0.value.lo > $0.value.hi }.map { ("contradiction: " + $0.key, $0.value.lo) }
        if !contradictions.isEmpty { return contradictions.sorted { $0.0 < $1.0 } }
        if own.isEmpty { return hidden.filter { iv[$0].map { $0.lo == $0.hi } ?? false }.sorted().map { ($0, iv[$0]?.lo ?? 0) } }
        // A network learns something when the others' part of a cell comes out small and exact.
        let sensitive = ["sexual_violence", "trans_woman"]
        func small(_ name: String, _ v: Int) -> Bool { v > 0 && v < (sensitive.contains { name.hasSuffix("/" + $0) } ? 10 : 5) }
        return iv.filter { name, i in i.lo == i.hi && small(name, i.lo) && !name.hasPrefix("unseen/") }.map { ($0.key, $0.value.lo) }.sorted { $0.name < $1.name }
    }

    /// What network `n` knows of every cell: its own records, counted the report's way.
    static func own(_ records: [RegistryRecord], network n: String, from: String, to: String) throws -> [String: Int] {
        let mine = records.filter { $0.network == n }
        let internalReport = RegistryReport(records: mine, from: from, to: to, isInternal: true, regional: true)
        let json = try JSONValue.parse(internalReport.json(language: .es))
        var out: [String: Int] = [:]
        out["aggressions"] = json["aggressions"]?.intValue
        if case .array(let tables)? = json["tables"] {
            for t in tables {
                guard case .string(let name)? = t["name"], case .array(let rows)? = t["rows"] else { continue }
                for r in rows { if case .string(let code)? = r["code"], let v = r["count"]?.intValue { out["\(name)/\(code)"] = v } }
                if let total = t["total"]?.intValue { out["\(name)/total"] = total }
            }
        }
        let inRange = mine.filter { r in r.period.map { $0.prefix(4) >= from.prefix(4) && $0.prefix(4) <= to.prefix(4) } ?? false }
        for r in inRange { for t in r.aggressionTypes { out["top/\(r.country)/\(t)", default: 0] += 1; out["unseen/\(r.country)/\(t)", default: 0] += 1 } }
        return out
    }

    /// Records built to hit each finding of the review.
    static func records() -> [RegistryRecord] {
        var out: [RegistryRecord] = []
        func add(_ n: Int, country: String, types: [String], scope: String, identity: String = "woman") {
            for i in 0..<n {
                var r = RegistryReportTests.records[0].with(id: "\(country)\(types.joined())\(scope)\(i)", pid: "\(country)\(types.joined())\(scope)\(i)",
                                                           country: country, period: .some("2026-03"))
                r.aggressionTypes = types
                r.targetScope = scope
                r.genderIdentity = identity
                r.perpetrators = ["police"]
                out.append(r)
            }
        }
        add(40, country: "MX", types: ["threat"], scope: "collective")
        add(7, country: "GT", types: ["sexual_violence"], scope: "personal", identity: "trans_woman")  // 7: under the sensitive threshold of 10
        add(3, country: "HN", types: ["killing"], scope: "personal")                                 // the killings table against the types table
        add(2, country: "SV", types: ["threat", "attempted_killing"], scope: "organisation")
        add(6, country: "GT", types: ["threat"], scope: "collective")                                // a visible 6 beside hidden cells in a chart
        return out
    }

    @Test("no hidden cell is recovered from the totals, the other tables or the top types", arguments: [nil, "HN", "GT", "MX"])
    func noCellRecovered(country: String?) throws {
        let report = RegistryReport(records: Self.records(), from: "2026", to: "2026", country: country, minCell: 5, sensitiveMinCell: 10)
        let json = try JSONValue.parse(report.json(language: .es))
        let pinned = Self.recover(json)
        #expect(pinned.isEmpty, "recovered: \(pinned)")
        // A one-country report of 3 aggressions: the headline is hidden like its only row.
        if country == "HN" { #expect(report.headlineAggressions.isHidden) }
        // A cell hidden under the sensitive threshold says so ("<10", never "<5").
        if country == nil || country == "GT" {
            let types = try #require(report.tables.first { $0.name == "by_aggression_type" })
            #expect(types.rows.first { $0.code == "sexual_violence" }?.cell == .small(below: 10))
        }
        // A marker never understates: "<T" only where the value is below T.
        for table in report.tables {
            for row in table.rows { if case .small(let below) = row.cell { #expect(row.raw < below, "\(table.name)/\(row.code)") } }
        }
    }

    /// The review's shape (N5): GT's single killing in GT-01 beside MX's four there (as if MX
    /// covered GT too: the rule must hold whatever countries a network reports), and HN with one
    /// sexual-violence case beside SV's six of them in HN; MX has many records of its own.
    static func networkRecords() -> [RegistryRecord] {
        var out: [RegistryRecord] = []
        func add(_ n: Int, network: String, country: String, region: String? = nil, types: [String], year: String = "2026") {
            for i in 0..<n {
                var r = RegistryReportTests.records[0].with(id: "\(network)\(country)\(types.joined())\(year)\(i)", pid: "\(network)\(country)\(types.joined())\(year)\(i)",
                                                           country: country, period: .some("\(year)-04"))
                r.network = network
                r.region = region
                r.aggressionTypes = types
                r.perpetrators = ["police"]
                out.append(r)
            }
        }
        add(60, network: "mx", country: "MX", region: "MX-CHP", types: ["threat"])
        add(4, network: "mx", country: "GT", region: "GT-01", types: ["killing"])
        add(1, network: "gt", country: "GT", region: "GT-01", types: ["killing"])
        add(12, network: "gt", country: "GT", region: "GT-05", types: ["harassment"])
        add(9, network: "hn", country: "HN", region: "HN-CR", types: ["threat", "harassment"])
        add(1, network: "hn", country: "HN", region: "HN-CR", types: ["sexual_violence"])
        add(6, network: "sv", country: "HN", region: "HN-CR", types: ["sexual_violence"])
        add(8, network: "sv", country: "SV", region: "SV-SS", types: ["threat"], year: "2025")
        return out
    }

    @Test("review N5: each network, reading the regional report with its own records in hand, pins no other network's small cell", arguments: ["mx", "gt", "hn", "sv"])
    func eachNetworkAsAttacker(network: String) throws {
        let records = Self.networkRecords()
        for (from, to) in [("2026", "2026"), ("2025", "2026")] {
            let report = RegistryReport(records: records, from: from, to: to, minCell: 5, sensitiveMinCell: 10, regional: true)
            let json = try JSONValue.parse(report.json(language: .es))
            #expect(Self.recover(json).isEmpty, "the public reader recovers cells")
            let leaked = Self.recover(json, own: try Self.own(records, network: network, from: from, to: to))
            #expect(leaked.isEmpty, "\(network), \(from)–\(to): the others' part of \(leaked)")
        }
    }

    /// The shapes of the second review's national attack: several years, a country with a single
    /// killing, a country whose top types include a type hidden elsewhere, 120+ reports over four
    /// countries.
    static func nationalShapes() -> [RegistryRecord] {
        var out: [RegistryRecord] = []
        func add(_ n: Int, country: String, types: [String], year: String) {
            for i in 0..<n {
                var r = RegistryReportTests.records[0].with(id: "\(country)\(types.joined())\(year)\(i)", pid: "\(country)\(types.joined())\(year)\(i)",
                                                           country: country, period: .some("\(year)-06"))
                r.aggressionTypes = types
                r.perpetrators = ["police"]
                out.append(r)
            }
        }
        add(30, country: "MX", types: ["threat"], year: "2025")
        add(25, country: "MX", types: ["harassment", "death_threat"], year: "2026")
        add(12, country: "GT", types: ["criminalisation"], year: "2026")
        add(8, country: "GT", types: ["death_threat"], year: "2025")
        add(1, country: "HN", types: ["killing"], year: "2026")
        add(14, country: "HN", types: ["threat"], year: "2025")
        add(9, country: "HN", types: ["harassment"], year: "2026")
        add(1, country: "SV", types: ["death_threat"], year: "2026")
        add(11, country: "SV", types: ["threat"], year: "2025")
        add(7, country: "SV", types: ["smear_campaign"], year: "2026")
        add(6, country: "SV", types: ["harassment"], year: "2025")
        return out
    }

    @Test("the second review's national shapes: a single killing, a top type hidden elsewhere, one and two years; nothing recovered", arguments: [("2026", "2026"), ("2025", "2026")])
    func nationalShapesHold(period: (String, String)) throws {
        let records = Self.nationalShapes()
        #expect(records.count > 120)
        for country in [nil, "HN", "SV"] as [String?] {
            let report = RegistryReport(records: records, from: period.0, to: period.1, country: country, minCell: 5, sensitiveMinCell: 10)
            let pinned = Self.recover(try JSONValue.parse(report.json(language: .es)))
            #expect(pinned.isEmpty, "\(period) \(country ?? "all"): recovered \(pinned)")
        }
    }

    @Test("many random national and regional shapes: the reader recovers nothing, and no network the others' small part")
    func randomShapes() throws {
        var seed: UInt64 = 0x5eed
        func next(_ n: Int) -> Int {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            return Int((seed >> 33) % UInt64(n))
        }
        let countries = ["MX", "GT", "HN", "SV"], kinds = ["threat", "harassment", "death_threat", "killing", "attempted_killing", "criminalisation", "smear_campaign"]
        for shape in 0..<Int(ProcessInfo.processInfo.environment["SUPPRESSION_SHAPES"] ?? "60")! {
            var records: [RegistryRecord] = []
            for i in 0..<(40 + next(120)) {
                let country = countries[next(countries.count)]
                var r = RegistryReportTests.records[0].with(id: "s\(shape)r\(i)", pid: "s\(shape)p\(next(90))", country: country, period: .some("\(2025 + next(2))-0\(1 + next(9))"))
                var types = Set<String>()
                for _ in 0...next(2) { types.insert(kinds[next(kinds.count) % (next(3) == 0 ? kinds.count : 3)]) }
                r.aggressionTypes = types.sorted()
                r.perpetrators = ["police"]
                r.network = next(5) == 0 ? "sv" : country.lowercased()
                r.region = nil
                records.append(r)
            }
            for (from, to) in [("2026", "2026"), ("2025", "2026")] {
                let national = RegistryReport(records: records, from: from, to: to, minCell: 5, sensitiveMinCell: 10)
                let pinnedNational = Self.recover(try JSONValue.parse(national.json(language: .es)))
                #expect(pinnedNational.isEmpty, "shape \(shape) \(from)–\(to): \(pinnedNational)")
                let regional = RegistryReport(records: records, from: from, to: to, minCell: 5, sensitiveMinCell: 10, regional: true)
                let json = try JSONValue.parse(regional.json(language: .es))
                #expect(Self.recover(json).isEmpty, "regional shape \(shape) \(from)–\(to)")
                for n in ["mx", "gt", "hn", "sv"] {
                    let leaked = Self.recover(json, own: try Self.own(records, network: n, from: from, to: to))
                    #expect(leaked.isEmpty, "regional shape \(shape) \(from)–\(to), \(n): \(leaked)")
                }
            }
        }
    }

    @Test("every bar length is a function of published numbers: hidden bars are one fixed stub, visible ones share one scale")
    func barsRevealNothing() throws {
        let report = RegistryReport(records: Self.records(), from: "2026", to: "2026", minCell: 5, sensitiveMinCell: 10)
        let html = report.html(language: .es)
        for table in report.tables where table.rows.contains(where: \.cell.isHidden) {
            let title = table.name
            let published = table.rows.compactMap { row -> Int? in if case .count(let v) = row.cell { return v }; return nil }
            let maximum = max(1, published.max() ?? 1)
            for row in table.rows {
                switch row.cell {
                case .count(let v): #expect(html.contains("width=\"\(max(1, v * 380 / maximum))\""), "\(title)/\(row.code)")
                default: break
                }
            }
        }
        let stubs = html.components(separatedBy: "fill=\"url(#hatch)\"").count - 1
        let hiddenRows = report.tables.reduce(0) { $0 + $1.rows.filter(\.cell.isHidden).count }
        #expect(stubs == hiddenRows && html.components(separatedBy: "width=\"18\" height=\"16\" fill=\"url(#hatch)\"").count - 1 == hiddenRows)
    }

    @Test("the same holds for other shapes: a column of top types, and 2,000 spread records, region-wide and per country", arguments: [nil, "MX", "GT", "HN", "SV"])
    func otherShapes(country: String?) throws {
        var column: [RegistryRecord] = []
        for (c, n) in [("GT", 3), ("HN", 20), ("MX", 30)] {
            for i in 0..<n { column.append(RegistryReportTests.records[0].with(id: "\(c)\(i)", pid: "\(c)\(i)", country: c)) }
        }
        for records in [column, RegistryReportTests.records] {
            for (from, to) in [("2024", "2026"), ("2025", "2025")] {
                let report = RegistryReport(records: records, from: from, to: to, country: country, minCell: 5, sensitiveMinCell: 10)
                let pinned = Self.recover(try JSONValue.parse(report.json(language: .es)))
                #expect(pinned.isEmpty, "\(from)–\(to) \(country ?? "region"): recovered \(pinned)")
            }
        }
    }
}

/// Review N5, the other half: a network's countries are pinned with its fingerprint, and a bundle
/// with a record outside them changes nothing.
@Suite("Regional registry: each network's countries")
struct NetworkCountriesTests {
    @Test("networks add pins countries; a record outside them refuses the whole bundle; a network pinned before countries waits until they are named")
    func countriesPinned() throws {
        let scratch = try Scratch()
        let db = try RegistryDatabase(path: scratch.path("regional.sqlite"))
        let mx = try #require(NetworkId("mx"))
        let fingerprint = try #require(SigningKeyFingerprint(text: String(repeating: "ab", count: 16)))
        #expect(throws: RegionalImportError.self) { try db.pin(mx, fingerprint: fingerprint, countries: ["XX"]) }
        try db.pin(mx, fingerprint: fingerprint, countries: ["MX"])
        #expect(try db.pinnedNetworks().first?.countries == ["MX"])
        #expect(throws: RegionalImportError.countriesPinned(mx, "MX")) { try db.pin(mx, fingerprint: fingerprint, countries: ["MX", "GT"]) }
        var inGT = RegistryReportTests.records[0].with(id: String(repeating: "1", count: 32), pid: String(repeating: "2", count: 32), country: "GT")
        inGT.region = nil
        let inMX = RegistryReportTests.records[0].with(id: String(repeating: "3", count: 32), pid: String(repeating: "4", count: 32), country: "MX")
        let refused = RegistryBundlePayload(network: mx, sequence: 1, isFull: false, additions: [inMX, inGT], corrections: [], withdrawals: [])
        #expect(throws: RegionalImportError.outsideCountries(mx, "GT", "MX")) { _ = try db.apply(refused) }
        #expect(try db.pinnedNetworks().first?.lastSequence == 0, "nothing changed")
        let accepted = RegistryBundlePayload(network: mx, sequence: 1, isFull: false, additions: [inMX], corrections: [], withdrawals: [])
        #expect(try db.apply(accepted).added == 1)
    }
}
