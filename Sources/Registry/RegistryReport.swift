public import Deidentify
import Foundation
public import Formats

/// The aggregate tables the network publishes (issue: registry reports), computed from
/// de-identified records, with small-cell suppression that cannot be undone by subtraction.
public struct RegistryReport: Sendable {
    /// One published number: the count; hidden because it is small (shown "<T", which it is);
    /// or hidden only to protect another cell (shown "x": it may be any size).
    public enum Cell: Sendable, Equatable, CustomStringConvertible {
        case count(Int)
        case small(below: Int)
        case complementary

        public var isHidden: Bool {
            if case .count = self { return false }
            return true
        }

        /// What a page, a CSV or a JSON shows for it.
        public var shown: String {
            switch self {
            case .count(let n): return String(n)
            case .small(let below): return "<\(below)"
            case .complementary: return "x"
            }
        }

        public var description: String { shown }
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
    /// The regional office's report (DESIGN.md §9): every network, with breakdowns by network and
    /// by first-level subdivision, and the map.
    public let isRegional: Bool
    public let tables: [Table]
    /// The three most frequent aggression types in each country: (country, [(type, cell, raw)]).
    public let topTypesByCountry: [(country: String, rows: [(code: String, cell: Cell, raw: Int)])]
    /// The subdivision code of records that gave none (`GT-` + this).
    public static let unstatedRegion = "NS"
    /// Codes whose cells use the stricter threshold.
    public static let sensitiveCodes: Set<String> = ["sexual_violence", "trans_woman"]
    public let totalAggressions: Int
    /// The headline count as published (hidden like any other cell when it is small).
    public let headlineAggressions: Cell
    public let distinctDefenders: Cell
    public let distinctOrganisations: Cell
    public let excludedUndated: Int
    public let checks: [(name: String, passed: Bool)]

    /// `from`/`to`: `YYYY` or `YYYY-MM`, inclusive. A record's period (month, quarter or year) is
    /// in range when its first month is; undated records are left out and counted.
    /// `sensitiveMinCell` (DESIGN.md §7 rule 4) applies to sexual-violence and trans cells.
    public init(records all: [RegistryRecord], from: String, to: String, country: String? = nil, minCell: Int = 5,
                sensitiveMinCell: Int? = nil, isInternal: Bool = false, regional: Bool = false) {
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
        isRegional = regional
        excludedUndated = undated
        totalAggressions = records.count

        // Every published number becomes a cell of one suppression plan (see SuppressionPlan).
        let primary = isInternal ? 0 : minCell, primarySensitive = isInternal ? 0 : sensitive
        func threshold(_ code: String) -> Int { Self.sensitiveCodes.contains(code) ? primarySensitive : primary }
        var plan = SuppressionPlan()
        // Regionally each cell carries its count by network (SuppressionPlan: each network is a
        // reader who knows its own part); nationally there is one contributor, the reader's own.
        func shares(_ matching: [RegistryRecord]) -> [String: Int] {
            guard regional else { return [:] }
            var out: [String: Int] = [:]
            for r in matching { out[r.network, default: 0] += 1 }
            return out
        }
        let headline = plan.cell(records.count, shares: shares(records), threshold: primary, anchored: true)
        struct Draft {
            let name: String
            let codes: [String]
            let cells: [Int]
            let total: Int
        }
        func draft(_ name: String, multiValued: Bool = false, order: [String]? = nil, _ keys: (RegistryRecord) -> [String]) -> Draft {
            var counts: [String: Int] = [:], byNetwork: [String: [String: Int]] = [:]
            for r in records {
                for k in keys(r) {
                    counts[k, default: 0] += 1
                    if regional { byNetwork[k, default: [:]][r.network, default: 0] += 1 }
                }
            }
            let codes = order.map { o in o.filter { counts[$0] != nil } + counts.keys.filter { !o.contains($0) }.sorted() } ?? counts.keys.sorted()
            let cells = codes.map { plan.cell(counts[$0] ?? 0, shares: byNetwork[$0] ?? [:], threshold: threshold($0)) }
            // A single-valued table's rows add up to the headline count; a multi-valued one's
            // (a record may carry several types) to a total of its own.
            var totalShares: [String: Int] = [:]
            for c in cells { for (n, v) in plan.shares[c] { totalShares[n, default: 0] += v } }
            let total = multiValued ? plan.cell(cells.reduce(0) { $0 + plan.values[$1] }, shares: totalShares, threshold: primary) : headline
            plan.sum(cells, equals: total)
            return Draft(name: name, codes: codes, cells: cells, total: total)
        }
        let years = draft("by_year") { r in [String(r.period?.prefix(4) ?? "")] }
        var drafts = [years]
        // Within one year, the trend is worth showing month by month (quarters stay as they are).
        if from.prefix(4) == to.prefix(4) {
            drafts.append(draft("by_month") { r in [r.period.map { $0.count == 7 ? String($0) : String($0.prefix(4)) } ?? ""] })
        }
        let countries = draft("by_country", order: Vocabulary.countries.codes) { [$0.country] }
        let types = draft("by_aggression_type", multiValued: true, order: Vocabulary.aggressionTypes.codes) { $0.aggressionTypes }
        drafts += [countries, types,
                   draft("by_perpetrator", multiValued: true, order: Vocabulary.perpetrators.codes) { $0.perpetrators },
                   draft("by_right", multiValued: true, order: Vocabulary.rightsDefended.codes) { $0.rightsDefended },
                   draft("by_scope", order: Vocabulary.targetScopes.codes + ["not_stated"]) { [$0.targetScope ?? "not_stated"] },
                   draft("by_gender_identity", order: Vocabulary.genderIdentities.codes) { [$0.genderIdentity] },
                   draft("gender_component") { [$0.genderComponent ? "with_gender_component" : "without_gender_component"] },
                   draft("state_actor") { r in [r.perpetrators.contains(where: Vocabulary.stateActorCodes.contains) ? "state_actor" : "non_state_or_unknown"] }]
        func cell(of draft: Draft, _ code: String) -> Int? { draft.codes.firstIndex(of: code).map { draft.cells[$0] } }

        if regional {
            drafts.append(draft("by_network") { [$0.network] })
            // Subdivisions within each country: a country's rows add up to its row in the country
            // table, so a cell small in one country is protected there, not only region-wide.
            let regions = draft("by_region") { r in [r.region ?? r.country + "-" + Self.unstatedRegion] }
            for country in countries.codes {
                guard let countryCell = cell(of: countries, country) else { continue }
                plan.sum(zip(regions.codes, regions.cells).filter { $0.0.hasPrefix(country + "-") }.map(\.1), equals: countryCell)
            }
            drafts.append(regions)
        }

        // Killings and attempted killings, by year and country: the figures the network names
        // first. Each kind's rows add up to its row in the types table; each row is within its
        // year's and its country's counts.
        var graveCounts: [String: Int] = [:], graveShares: [String: [String: Int]] = [:]
        for r in records {
            for t in r.aggressionTypes where t == "killing" || t == "attempted_killing" {
                let code = "\(r.period?.prefix(4) ?? "") \(r.country) \(t)"
                graveCounts[code, default: 0] += 1
                if regional { graveShares[code, default: [:]][r.network, default: 0] += 1 }
            }
        }
        let graveCodes = graveCounts.keys.sorted()
        let graveCells = graveCodes.map { plan.cell(graveCounts[$0] ?? 0, shares: graveShares[$0] ?? [:], threshold: primary) }
        var graveTotalShares: [String: Int] = [:]
        for s in graveShares.values { for (n, v) in s { graveTotalShares[n, default: 0] += v } }
        let graveTotal = plan.cell(graveCounts.values.reduce(0, +), shares: graveTotalShares, threshold: primary)
        plan.sum(graveCells, equals: graveTotal)
        for kind in ["killing", "attempted_killing"] {
            guard let typeCell = cell(of: types, kind) else { continue }
            plan.sum(zip(graveCodes, graveCells).filter { $0.0.hasSuffix(" " + kind) }.map(\.1), equals: typeCell)
        }
        for (code, c) in zip(graveCodes, graveCells) {
            let parts = code.split(separator: " ").map(String.init)
            if parts.count == 3 {
                if let y = cell(of: years, parts[0]) { plan.bound(c, atMost: y) }
                if let country = cell(of: countries, parts[1]) { plan.bound(c, atMost: country) }
            }
        }
        drafts.append(Draft(name: "killings", codes: graveCodes, cells: graveCells, total: graveTotal))

        // The three most frequent types in each country. A type's cells across countries add up
        // to its row in the types table, counting for each country that does not show it what a
        // reader can still say: nothing if that country shows fewer than three types (it has no
        // other), else at most its third count.
        var matrix: [String: [String: Int]] = [:], matrixShares: [String: [String: [String: Int]]] = [:]
        for r in records {
            for t in r.aggressionTypes {
                matrix[r.country, default: [:]][t, default: 0] += 1
                if regional { matrixShares[r.country, default: [:]][t, default: [:]][r.network, default: 0] += 1 }
            }
        }
        let topCountries = Vocabulary.countries.codes.filter { matrix[$0] != nil } + matrix.keys.filter { !Vocabulary.countries.contains($0) }.sorted()
        var topShown: [String: [(code: String, cell: Int)]] = [:]
        for c in topCountries {
            let top = (matrix[c] ?? [:]).sorted { ($0.value, $1.key) > ($1.value, $0.key) }.prefix(3)
            topShown[c] = top.map { ($0.key, plan.cell($0.value, shares: matrixShares[c]?[$0.key] ?? [:], threshold: threshold($0.key))) }
            if let total = cell(of: countries, c) { for entry in topShown[c] ?? [] { plan.bound(entry.cell, atMost: total) } }
        }
        // A country's count of a type it does not show (it shows three others): one cell, however
        // many sums it is part of, as it is one number to the reader.
        var unseen: [String: Int] = [:]
        func unseenCell(_ c: String, _ t: String, atMost third: Int) -> Int {
            if let known = unseen["\(c) \(t)"] { return known }
            let made = plan.unpublished(matrix[c]?[t] ?? 0, shares: matrixShares[c]?[t] ?? [:], atMost: third)
            unseen["\(c) \(t)"] = made
            return made
        }
        // A country's killings of one kind, over the years, are its count of that type: its
        // top-types cell when it shows one, else a number at most its third type's (the second
        // review found a hidden killing recovered through this equality).
        for kind in ["killing", "attempted_killing"] {
            for c in topCountries {
                let members = zip(graveCodes, graveCells).filter { $0.0.hasSuffix(" \(c) \(kind)") }.map(\.1)
                guard !members.isEmpty else { continue }
                if let entry = topShown[c]?.first(where: { $0.code == kind }) {
                    plan.sum(members, equals: entry.cell)
                } else if let shown = topShown[c], shown.count == 3, let third = shown.last {
                    plan.sum(members, equals: unseenCell(c, kind, atMost: third.cell))
                }
            }
        }
        for t in Set(topShown.values.flatMap { $0.map(\.code) }) {
            guard let typeCell = cell(of: types, t) else { continue }
            var members: [Int] = []
            for c in topCountries {
                if let entry = topShown[c]?.first(where: { $0.code == t }) {
                    members.append(entry.cell)
                } else if let shown = topShown[c], shown.count == 3, let third = shown.last {
                    members.append(unseenCell(c, t, atMost: third.cell))
                }
            }
            plan.sum(members, equals: typeCell)
        }

        let defenders = Set(records.map(\.defenderPid)).count
        let organisations = Set(records.compactMap(\.organisationPid)).count
        // Distinct people are not a sum of each network's (a relocated defender is one): each
        // network's own distinct count is what it knows.
        func distinct(_ key: (RegistryRecord) -> String?) -> [String: Int] {
            guard regional else { return [:] }
            var sets: [String: Set<String>] = [:]
            for r in records { if let k = key(r) { sets[r.network, default: []].insert(k) } }
            return sets.mapValues(\.count)
        }
        let defendersCell = plan.cell(defenders, shares: distinct { $0.defenderPid }, threshold: primary)
        let organisationsCell = plan.cell(organisations, shares: distinct { $0.organisationPid }, threshold: primary)
        plan.bound(defendersCell, atMost: headline)

        if !isInternal { plan.audit() }
        func published(_ i: Int) -> Cell {
            switch plan.status[i] {
            case .published, .unpublished: return .count(plan.values[i])
            case .small(let below): return .small(below: below)
            case .complementary: return .complementary
            }
        }
        tables = drafts.map { d in
            Table(name: d.name, rows: zip(d.codes, d.cells).map { (code: $0.0, cell: published($0.1), raw: plan.values[$0.1]) },
                  total: published(d.total), rawTotal: plan.values[d.total])
        }
        topTypesByCountry = topCountries.map { c in (c, (topShown[c] ?? []).map { (code: $0.code, cell: published($0.cell), raw: plan.values[$0.cell]) }) }
        headlineAggressions = published(headline)
        distinctDefenders = published(defendersCell)
        distinctOrganisations = published(organisationsCell)
        let scopes = tables.first { $0.name == "by_scope" }, countryTable = tables.first { $0.name == "by_country" }

        checks = [
            ("scopes sum to the total", scopes?.rows.reduce(0) { $0 + $1.raw } == records.count),
            ("countries sum to the total", countryTable?.rows.reduce(0) { $0 + $1.raw } == records.count),
            ("aggressions ≥ distinct defenders", records.count >= defenders),
            ("no record outside the period", records.allSatisfy { r in r.period.flatMap(Self.firstMonth).map { $0 >= lower && $0 <= upper } ?? false }),
        ]
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

    /// Each table's title, Spanish and English (the page, the CSV and the Uwazi export use them).
    public static let tableTitles: [String: (String, String)] = [
        "by_year": ("Agresiones por año", "Aggressions per year"),
        "by_month": ("Agresiones por mes", "Aggressions per month"),
        "killings": ("Asesinatos e intentos de asesinato, por año y país", "Killings and attempted killings, by year and country"),
        "by_country": ("Agresiones por país", "Aggressions per country"),
        "by_aggression_type": ("Tipos de agresión", "Types of aggression"),
        "by_perpetrator": ("Presuntos perpetradores (por tipo)", "Alleged perpetrators (by type)"),
        "by_right": ("Derechos defendidos", "Rights defended"),
        "by_scope": ("Alcance de la agresión", "Target scope"),
        "by_gender_identity": ("Identidad de género", "Gender identity"),
        "gender_component": ("Componente de género", "Gender component"),
        "state_actor": ("Agresiones atribuidas a agentes del Estado", "Aggressions attributed to state actors"),
        "by_network": ("Agresiones por red nacional", "Aggressions per national network"),
        "by_region": ("Agresiones por estado o departamento", "Aggressions per state or department"),
    ]


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
        if table == "by_region" {
            let country = String(code.prefix(2))
            let place = Vocabulary.countries.term(country)?.label(language) ?? country
            if code.hasSuffix("-" + unstatedRegion) { return place + " · " + (language == .es ? "sin estado indicado" : "no state given") }
            return place + " · " + (Regions.name(of: code) ?? code)
        }
        if table == "by_network" { return (language == .es ? "Red " : "Network ") + code }
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

    func shown(_ cell: Cell) -> String { cell.shown }

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
            if case .count(let n) = c { return .int(n) }
            return .string(c.shown)
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
            ("aggressions", cell(headlineAggressions)),
            ("distinct_defenders", cell(distinctDefenders)), ("distinct_organisations", cell(distinctOrganisations)),
            ("excluded_undated", .int(excludedUndated)),
            ("checks", .array(checks.map { .object([("name", .string($0.name)), ("passed", .bool($0.passed))]) })),
        ]).serialized() + [0x0A]
    }
}
