public import Deidentify
import Foundation
public import Formats

/// The aggregate tables the network publishes (issue: registry reports), computed from
/// de-identified records, with small-cell suppression that cannot be undone by subtraction.
public struct RegistryReport: Sendable {
    /// One published number: the count, or suppressed (shown as "<k").
    public enum Cell: Sendable, Equatable, CustomStringConvertible {
        case count(Int)
        case suppressed

        public var description: String {
            switch self {
            case .count(let n): return String(n)
            case .suppressed: return "suppressed"
            }
        }
    }

    public struct Table: Sendable {
        public let name: String
        public let rows: [(code: String, cell: Cell, raw: Int)]
        public let total: Cell
        public let rawTotal: Int
    }

    public let from: String
    public let to: String
    public let country: String?
    public let minCell: Int
    public let sensitiveMinCell: Int
    public let isInternal: Bool
    public let tables: [Table]
    /// The three most frequent aggression types in each country: (country, [(type, cell, raw)]).
    public let topTypesByCountry: [(country: String, rows: [(code: String, cell: Cell, raw: Int)])]
    /// Codes whose cells use the stricter threshold.
    public static let sensitiveCodes: Set<String> = ["sexual_violence", "trans_woman"]
    public let totalAggressions: Int
    public let distinctDefenders: Cell
    public let distinctOrganisations: Cell
    public let excludedUndated: Int
    public let checks: [(name: String, passed: Bool)]

    /// `from`/`to`: `YYYY` or `YYYY-MM`, inclusive. A record's period (month, quarter or year) is
    /// in range when its first month is; undated records are left out and counted.
    /// `sensitiveMinCell` (DESIGN.md §7 rule 4) applies to sexual-violence and trans cells.
    public init(records all: [RegistryRecord], from: String, to: String, country: String? = nil, minCell: Int = 5,
                sensitiveMinCell: Int? = nil, isInternal: Bool = false) {
        let sensitive = max(minCell, sensitiveMinCell ?? minCell)
        let lower = Self.firstMonth(of: from) ?? "0000-01", upper = Self.lastMonth(of: to) ?? "9999-12"
        var undated = 0
        let records = all.filter { r in
            guard country == nil || r.country == country else { return false }
            guard let p = r.period, let start = Self.firstMonth(of: p) else { undated += 1; return false }
            return start >= lower && start <= upper
        }
        self.from = from
        self.to = to
        self.country = country
        self.minCell = minCell
        self.sensitiveMinCell = sensitive
        self.isInternal = isInternal
        excludedUndated = undated
        totalAggressions = records.count

        func table(_ name: String, _ keys: (RegistryRecord) -> [String], order: [String]? = nil) -> Table {
            var counts: [String: Int] = [:]
            for r in records { for k in keys(r) { counts[k, default: 0] += 1 } }
            let codes = order.map { o in o.filter { counts[$0] != nil } + counts.keys.filter { !o.contains($0) }.sorted() } ?? counts.keys.sorted()
            let raw = codes.map { ($0, counts[$0] ?? 0) }
            let total = name == "by_aggression_type" || name == "by_perpetrator" || name == "by_right" ? raw.reduce(0) { $0 + $1.1 } : records.count
            return Self.suppress(name: name, raw: raw, total: total, minCell: minCell, isInternal: isInternal,
                                 threshold: { Self.sensitiveCodes.contains($0) ? sensitive : minCell })
        }
        let years = table("by_year") { r in [String(r.period?.prefix(4) ?? "")] }
        let countries = table("by_country", { [$0.country] }, order: Vocabulary.countries.codes)
        let types = table("by_aggression_type", { $0.aggressionTypes }, order: Vocabulary.aggressionTypes.codes)
        let perpetrators = table("by_perpetrator", { $0.perpetrators }, order: Vocabulary.perpetrators.codes)
        let rights = table("by_right", { $0.rightsDefended }, order: Vocabulary.rightsDefended.codes)
        let scopes = table("by_scope", { [$0.targetScope ?? "not_stated"] }, order: Vocabulary.targetScopes.codes + ["not_stated"])
        let identities = table("by_gender_identity", { [$0.genderIdentity] }, order: Vocabulary.genderIdentities.codes)
        let gender = table("gender_component", { [$0.genderComponent ? "with_gender_component" : "without_gender_component"] })
        let state = table("state_actor", { r in [r.perpetrators.contains(where: Vocabulary.stateActorCodes.contains) ? "state_actor" : "non_state_or_unknown"] })
        var all = [years]
        // Within one year, the trend is worth showing month by month (quarters stay as they are).
        if from.prefix(4) == to.prefix(4) {
            all.append(table("by_month") { r in [r.period.map { $0.count == 7 ? String($0) : String($0.prefix(4)) } ?? ""] })
        }
        all += [countries, types, perpetrators, rights, scopes, identities, gender, state]
        // Killings and attempted killings, by year and country: the figures the network names first.
        let grave = records.filter { $0.aggressionTypes.contains("killing") || $0.aggressionTypes.contains("attempted_killing") }
        var graveCounts: [String: Int] = [:]
        for r in grave {
            for t in r.aggressionTypes where t == "killing" || t == "attempted_killing" {
                graveCounts["\(r.period?.prefix(4) ?? "") \(r.country) \(t)", default: 0] += 1
            }
        }
        all.append(Self.suppress(name: "killings", raw: graveCounts.keys.sorted().map { ($0, graveCounts[$0] ?? 0) },
                                 total: graveCounts.values.reduce(0, +), minCell: minCell, isInternal: isInternal))
        tables = all
        topTypesByCountry = Self.topTypes(records, minCell: minCell, sensitive: sensitive, isInternal: isInternal)

        let defenders = Set(records.map(\.defenderPid)).count
        let organisations = Set(records.compactMap(\.organisationPid)).count
        distinctDefenders = isInternal || defenders == 0 || defenders >= minCell ? .count(defenders) : .suppressed
        distinctOrganisations = isInternal || organisations == 0 || organisations >= minCell ? .count(organisations) : .suppressed

        checks = [
            ("scopes sum to the total", scopes.rows.reduce(0) { $0 + $1.raw } == records.count),
            ("countries sum to the total", countries.rows.reduce(0) { $0 + $1.raw } == records.count),
            ("aggressions ≥ distinct defenders", records.count >= defenders),
            ("no record outside the period", records.allSatisfy { r in r.period.flatMap(Self.firstMonth).map { $0 >= lower && $0 <= upper } ?? false }),
        ]
    }

    /// Primary suppression of counts 1…minCell−1, then secondary: while exactly one cell of a
    /// table whose total is published is suppressed, also suppress the smallest other non-zero
    /// cell, so no hidden value equals the total minus the shown ones.
    static func suppress(name: String, raw: [(String, Int)], total: Int, minCell: Int, isInternal: Bool,
                         threshold: (String) -> Int = { _ in 0 }) -> Table {
        var hidden = Set(raw.indices.filter { raw[$0].1 > 0 && raw[$0].1 < max(minCell, threshold(raw[$0].0)) })
        if !isInternal, hidden.count == 1 {
            let candidates = raw.indices.filter { !hidden.contains($0) && raw[$0].1 > 0 }.sorted { raw[$0].1 < raw[$1].1 }
            if let next = candidates.first { hidden.insert(next) }
        }
        if isInternal { hidden = [] }
        let rows = raw.enumerated().map { i, entry in (code: entry.0, cell: hidden.contains(i) ? Cell.suppressed : .count(entry.1), raw: entry.1) }
        let totalCell: Cell = isInternal || total == 0 || total >= minCell ? .count(total) : .suppressed
        return Table(name: name, rows: rows, total: totalCell, rawTotal: total)
    }

    /// Top three types per country. Row sums are never published (a country's events can carry
    /// several types), but each type's total is: so when every country with that type is shown
    /// and exactly one of those cells is hidden, a second one in the same column is hidden too.
    static func topTypes(_ records: [RegistryRecord], minCell: Int, sensitive: Int, isInternal: Bool) -> [(country: String, rows: [(code: String, cell: Cell, raw: Int)])] {
        var matrix: [String: [String: Int]] = [:]
        for r in records { for t in r.aggressionTypes { matrix[r.country, default: [:]][t, default: 0] += 1 } }
        let countries = Vocabulary.countries.codes.filter { matrix[$0] != nil } + matrix.keys.filter { !Vocabulary.countries.contains($0) }.sorted()
        var shown: [String: [String]] = [:]
        for c in countries {
            shown[c] = (matrix[c] ?? [:]).sorted { ($0.value, $1.key) > ($1.value, $0.key) }.prefix(3).map(\.key)
        }
        var hidden = Set<String>()  // "country|type"
        if !isInternal {
            for c in countries {
                for t in shown[c] ?? [] {
                    let n = matrix[c]?[t] ?? 0
                    if n > 0, n < (sensitiveCodes.contains(t) ? sensitive : minCell) { hidden.insert("\(c)|\(t)") }
                }
            }
            for t in Set(shown.values.flatMap { $0 }) {
                let withType = countries.filter { (matrix[$0]?[t] ?? 0) > 0 }
                let displayed = withType.filter { shown[$0]?.contains(t) == true }
                guard displayed.count == withType.count else { continue }
                let hiddenHere = displayed.filter { hidden.contains("\($0)|\(t)") }
                if hiddenHere.count == 1, let next = displayed.filter({ !hidden.contains("\($0)|\(t)") }).min(by: { (matrix[$0]?[t] ?? 0) < (matrix[$1]?[t] ?? 0) }) {
                    hidden.insert("\(next)|\(t)")
                }
            }
        }
        return countries.map { c in
            (c, (shown[c] ?? []).map { t in
                let n = matrix[c]?[t] ?? 0
                return (t, hidden.contains("\(c)|\(t)") ? Cell.suppressed : .count(n), n)
            })
        }
    }

    static func firstMonth(of period: String) -> String? {
        let year = period.prefix(4)
        guard year.count == 4, Int(year) != nil else { return nil }
        if period.count == 4 { return "\(year)-01" }
        if period.count == 7, period.dropFirst(5).hasPrefix("Q"), let q = Int(period.suffix(1)), (1...4).contains(q) { return "\(year)-\(twoDigit((q - 1) * 3 + 1))" }
        if period.count == 7, let m = Int(period.suffix(2)), (1...12).contains(m) { return "\(year)-\(twoDigit(m))" }
        return nil
    }

    static func lastMonth(of period: String) -> String? {
        if period.count == 4, Int(period) != nil { return "\(period)-12" }
        return firstMonth(of: period)
    }

    static func twoDigit(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }

    // MARK: - Output

    /// The label of a code in `language`, from the bilingual vocabulary (or the code itself).
    public static func label(_ code: String, table: String, _ language: Language) -> String {
        let vocabulary: Vocabulary? = switch table {
        case "by_country": .countries
        case "by_aggression_type": .aggressionTypes
        case "by_perpetrator": .perpetrators
        case "by_right": .rightsDefended
        case "by_scope": .targetScopes
        case "by_gender_identity": .genderIdentities
        default: nil
        }
        if let term = vocabulary?.term(code) { return term.label(language) }
        let extra: [String: (String, String)] = [
            "not_stated": ("No indicado", "Not stated"), "with_gender_component": ("Con componente de género", "With a gender component"),
            "without_gender_component": ("Sin componente de género", "Without a gender component"),
            "state_actor": ("Atribuida a agentes del Estado", "Attributed to state actors"),
            "non_state_or_unknown": ("Otros o desconocidos", "Other or unknown"),
        ]
        if let pair = extra[code] { return language == .es ? pair.0 : pair.1 }
        if table == "killings" {
            // "2025 GT killing" → "2025 · Guatemala · Asesinato / …"
            let parts = code.split(separator: " ").map(String.init)
            if parts.count == 3 {
                let place = Vocabulary.countries.term(parts[1])?.label(language) ?? parts[1]
                // Short names: the full vocabulary label does not fit a chart label.
                let short = ["killing": ("Asesinato", "Killing"), "attempted_killing": ("Intento de asesinato", "Attempted killing")]
                let what = short[parts[2]].map { language == .es ? $0.0 : $0.1 } ?? parts[2]
                return "\(parts[0]) · \(place) · \(what)"
            }
        }
        return code
    }

    func shown(_ cell: Cell) -> String {
        switch cell {
        case .count(let n): return String(n)
        case .suppressed: return "<\(minCell)"
        }
    }

    public func csv(language: Language) -> String {
        var lines = ["table,code,label,esf_code,count"]
        for t in tables {
            for row in t.rows {
                let esf = (t.name == "by_aggression_type" ? Vocabulary.aggressionTypes.term(row.code)?.esf : t.name == "by_perpetrator" ? Vocabulary.perpetrators.term(row.code)?.esf : nil) ?? ""
                lines.append([t.name, row.code, Self.label(row.code, table: t.name, language), esf, shown(row.cell)].map(RegistryExport.quote).joined(separator: ","))
            }
            lines.append([t.name, "total", language == .es ? "Total" : "Total", "", shown(t.total)].joined(separator: ","))
        }
        for (country, rows) in topTypesByCountry {
            for row in rows {
                lines.append(["top_types_\(country)", row.code, Self.label(row.code, table: "by_aggression_type", language),
                              Vocabulary.aggressionTypes.term(row.code)?.esf ?? "", shown(row.cell)].map(RegistryExport.quote).joined(separator: ","))
            }
        }
        lines.append(["summary", "distinct_defenders", language == .es ? "Defensoras distintas" : "Distinct defenders", "", shown(distinctDefenders)].joined(separator: ","))
        lines.append(["summary", "distinct_organisations", language == .es ? "Organizaciones distintas" : "Distinct organisations", "", shown(distinctOrganisations)].joined(separator: ","))
        return lines.joined(separator: "\n") + "\n"
    }

    public func json(language: Language) -> [UInt8] {
        func cell(_ c: Cell) -> JSONValue {
            switch c {
            case .count(let n): return .int(n)
            case .suppressed: return .string("<\(minCell)")
            }
        }
        return JSONValue.object([
            ("from", .string(from)), ("to", .string(to)), ("country", country.map(JSONValue.string) ?? .null),
            ("language", .string(language.rawValue)), ("min_cell", .int(minCell)), ("internal", .bool(isInternal)),
            ("tables", .array(tables.map { t in
                .object([("name", .string(t.name)), ("total", cell(t.total)), ("rows", .array(t.rows.map { r in
                    .object([("code", .string(r.code)), ("label", .string(Self.label(r.code, table: t.name, language))), ("count", cell(r.cell))])
                }))])
            })),
            ("top_types_by_country", .array(topTypesByCountry.map { entry in
                .object([("country", .string(entry.country)), ("rows", .array(entry.rows.map { r in
                    .object([("code", .string(r.code)), ("label", .string(Self.label(r.code, table: "by_aggression_type", language))), ("count", cell(r.cell))])
                }))])
            })),
            ("distinct_defenders", cell(distinctDefenders)), ("distinct_organisations", cell(distinctOrganisations)),
            ("excluded_undated", .int(excludedUndated)),
            ("checks", .array(checks.map { .object([("name", .string($0.name)), ("passed", .bool($0.passed))]) })),
        ]).serialized() + [0x0A]
    }
}
