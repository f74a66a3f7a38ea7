import Foundation
public import Formats

/// Every catalog the intake serves, and which of them may be served at all: a language is
/// offered only when its catalog translates every security-relevant text (the fingerprint check,
/// the warnings, the receipt) — a page that mixes an unverified translation into what tells a
/// defender whether the page is authentic would be worse than Spanish.
public struct Catalogs: Sendable {
    public let byLanguage: [String: Catalog]
    /// The languages served, Spanish first, then by tag.
    public let served: [String]
    /// Catalogs found but not served, with why (shown at start-up).
    public let withheld: [(language: String, missing: Int)]

    /// The texts that must be translated before a language is served: the entries the template
    /// marks `#. security` (scripts/gen-catalog writes it from the source's `security:` calls).
    public let securityKeys: Set<Catalog.Key>

    public init(catalogs: [Catalog], securityKeys: Set<Catalog.Key>) {
        var by: [String: Catalog] = [:]
        for c in catalogs { by[c.language] = c }
        byLanguage = by
        var served: [String] = [], withheld: [(String, Int)] = []
        for c in catalogs.sorted(by: { ($0.language == "es" ? "" : $0.language) < ($1.language == "es" ? "" : $1.language) }) {
            let missing = securityKeys.filter { c.translation($0.source, context: $0.context) == nil }.count
            if missing == 0 || c.language == "es" { served.append(c.language) } else { withheld.append((c.language, missing)) }
        }
        self.served = served
        self.withheld = withheld
        self.securityKeys = securityKeys
    }

    /// The catalogs shipped with the intake (`Web/po/*.po`) and, when given, a folder of more
    /// (`web.catalogs`: a network's own translations, without rebuilding the intake).
    public static func load(extraFolder: String? = nil) throws(ConfigurationError) -> Catalogs {
        let shipped = try WebAssets.resourceFolder().appendingPathComponent("po")
        var catalogs: [String: Catalog] = [:]
        var securityKeys = Set<Catalog.Key>()
        for folder in [shipped.path] + (extraFolder.map { [$0] } ?? []) {
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else {
                throw .missingFile(L("the translation catalogs in {folder}", ["folder": "\(folder)"]), hint: folder == shipped.path ? L("reinstall the intake with its resources") : "web.catalogs")
            }
            for name in names.sorted() where name.hasSuffix(".po") || name.hasSuffix(".pot") {
                let path = folder + "/" + name
                guard let data = FileManager.default.contents(atPath: path), data.count <= 4 << 20,
                      let text = String(data: data, encoding: .utf8) else { throw .invalid(path, L("not a UTF-8 PO file of at most 4 MiB")) }
                let tag = String(name.dropLast(name.hasSuffix(".pot") ? 4 : 3))
                guard tag.range(of: #"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$"#, options: .regularExpression) != nil || name.hasSuffix(".pot") else {
                    throw .invalid(path, L("a catalog is named by its language tag (es.po, quc.po, pt-BR.po)"))
                }
                do {
                    if name.hasSuffix(".pot") {
                        securityKeys.formUnion(try Self.securityKeys(template: text, source: path))
                    } else {
                        catalogs[tag] = try Catalog(language: tag, text: text, source: path)
                    }
                } catch {
                    throw .invalid(path, error.description)
                }
            }
        }
        guard catalogs["es"] != nil else { throw .missingFile(L("the Spanish catalog es.po"), hint: L("reinstall the intake with its resources")) }
        return Catalogs(catalogs: Array(catalogs.values), securityKeys: securityKeys)
    }

    /// The keys of the template's entries whose extracted comments say `security`.
    static func securityKeys(template: String, source: String) throws(CatalogError) -> Set<Catalog.Key> {
        var keys = Set<Catalog.Key>()
        var marked = false
        var context: String?
        var id: String?
        var reading: String?
        func close() {
            if marked, let id { keys.insert(Catalog.Key(context: context, source: id)) }
            marked = false; context = nil; id = nil; reading = nil
        }
        for (n, raw) in template.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty { close(); continue }
            if line.hasPrefix("#.") && line.dropFirst(2).trimmingCharacters(in: .whitespaces) == "security" { marked = true; continue }
            if line.hasPrefix("#") { continue }
            if line.hasPrefix("msgctxt ") { context = try Catalog.unquote(line.dropFirst(8), source: source, line: n + 1); reading = "ctxt"; continue }
            if line.hasPrefix("msgid ") { id = try Catalog.unquote(line.dropFirst(6), source: source, line: n + 1); reading = "id"; continue }
            if line.hasPrefix("msgstr") { reading = nil; continue }
            if line.hasPrefix("\"") {
                let more = try Catalog.unquote(line, source: source, line: n + 1)
                if reading == "id" { id = (id ?? "") + more } else if reading == "ctxt" { context = (context ?? "") + more }
            }
        }
        close()
        return keys
    }

    /// `?lang=` first (when served), then the browser's `Accept-Language` in its order (a region
    /// tag falls back to its language: `es-GT` → `es`), then Spanish.
    public func choose(query: String?, acceptLanguage: String?) -> String {
        if let query, let lang = query.split(separator: "&").first(where: { $0.hasPrefix("lang=") })?.dropFirst(5) {
            let tag = String(lang)
            if served.contains(tag) { return tag }
        }
        var preferences: [(tag: String, q: Double, order: Int)] = []
        for (order, part) in (acceptLanguage ?? "").split(separator: ",").prefix(32).enumerated() {
            let pieces = part.split(separator: ";")
            let tag = pieces.first?.trimmingCharacters(in: .whitespaces) ?? ""
            var q = 1.0
            for p in pieces.dropFirst() where p.trimmingCharacters(in: .whitespaces).hasPrefix("q=") {
                q = Double(p.trimmingCharacters(in: .whitespaces).dropFirst(2)) ?? 0
            }
            if q > 0 { preferences.append((tag, q, order)) }
        }
        for preference in preferences.sorted(by: { ($0.q, -$0.order) > ($1.q, -$1.order) }) {
            if let exact = served.first(where: { $0.lowercased() == preference.tag.lowercased() }) { return exact }
            let primary = preference.tag.split(separator: "-").first.map { $0.lowercased() } ?? ""
            if let language = served.first(where: { $0.lowercased() == primary }) { return language }
        }
        return "es"
    }

    public func catalog(_ language: String) -> Catalog? { byLanguage[language] }
}

/// The language one page is rendered in: its catalog (nil only for Spanish without one), its
/// direction, the languages its menu offers, and the report language it records.
public struct PageLocale: Sendable {
    public let tag: String
    let catalog: Catalog?
    public let rightToLeft: Bool
    public let reportLanguage: Language
    /// Every served language, each with its own name, for the menu.
    let menu: [(tag: String, name: String)]

    public init(_ tag: String, catalogs: Catalogs) {
        let served = catalogs.served.contains(tag) ? tag : "es"
        self.tag = served
        catalog = catalogs.catalog(served)
        rightToLeft = catalog?.rightToLeft ?? false
        reportLanguage = Language(rawValue: catalog?.reportLanguage ?? served) ?? .es
        menu = catalogs.served.map { ($0, catalogs.catalog($0)?.name ?? $0) }
    }

    func text(_ es: String) -> String { catalog?.translation(es) ?? es }

    func label(_ term: Term) -> String { catalog?.translation(term.es, context: "vocabulary") ?? (reportLanguage == .en ? term.en : term.es) }
}
