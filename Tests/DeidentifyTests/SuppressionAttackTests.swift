import Foundation
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
    static func recover(_ json: JSONValue) -> [String] {
        var iv: [String: (lo: Int, hi: Int)] = [:]
        var hidden: Set<String> = []
        var sums: [([String], String)] = []
        var bounds: [(String, String)] = []
        func put(_ name: String, _ value: JSONValue?) {
            guard let i = interval(value) else { return }
            iv[name] = i
            if i.lo != i.hi || value?.intValue == nil { hidden.insert(name) }
        }
        put("aggressions", json["aggressions"])
        guard case .array(let tables)? = json["tables"] else { return ["no tables"] }
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
        for t in Set(top.values.flatMap { $0.map(\.code) }) where iv["by_aggression_type/\(t)"] != nil {
            var members: [String] = []
            for (c, rows) in top {
                if let row = rows.first(where: { $0.code == t }) { members.append(row.name) }
                else if rows.count == 3, let third = rows.last {
                    let unknown = "unseen/\(c)/\(t)"
                    iv[unknown] = (0, Int.max)
                    bounds.append((unknown, third.name))
                    members.append(unknown)
                }
            }
            sums.append((members, "by_aggression_type/\(t)"))
        }
        func add(_ a: Int, _ b: Int) -> Int { a == Int.max || b == Int.max ? Int.max : a + b }
        for _ in 0..<200 {
            var changed = false
            func narrow(_ n: String, _ lo: Int, _ hi: Int) {
                guard let cur = iv[n] else { return }
                let next = (max(cur.lo, lo), min(cur.hi, hi))
                if next != cur { iv[n] = next; changed = true }
            }
            for (members, total) in sums {
                guard let t = iv[total], members.allSatisfy({ iv[$0] != nil }) else { continue }
                narrow(total, members.reduce(0) { add($0, iv[$1]!.lo) }, members.reduce(0) { add($0, iv[$1]!.hi) })
                for m in members {
                    let others = members.filter { $0 != m }
                    let oLo = others.reduce(0) { add($0, iv[$1]!.lo) }, oHi = others.reduce(0) { add($0, iv[$1]!.hi) }
                    narrow(m, oHi == Int.max ? 0 : t.lo - oHi, t.hi == Int.max ? Int.max : t.hi - oLo)
                }
            }
            for (small, large) in bounds {
                guard let l = iv[large], let sm = iv[small] else { continue }
                narrow(small, 0, l.hi)
                narrow(large, sm.lo, Int.max)
            }
            if !changed { break }
        }
        return hidden.filter { iv[$0].map { $0.lo == $0.hi } ?? false }.sorted()
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
