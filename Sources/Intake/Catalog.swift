import Foundation
public import Formats

/// One gettext PO catalog (issue 20): what translators edit with ordinary PO tools. The source
/// language is Spanish: every `msgid` is the Spanish text the code names, and `es.po` holds it
/// as its own translation. Parsed strictly: a malformed file is refused with its line, never
/// half-loaded.
///
/// Understood: `msgctxt`, `msgid`, `msgstr` (with continuation lines), the `#, fuzzy` flag, and
/// the header entry's `Language:` and `X-Resguardo-Direction: rtl`. Plural forms are not used by
/// the pages and are refused.
public struct Catalog: Sendable {
    public struct Key: Hashable, Sendable {
        public let context: String?
        public let source: String
    }

    public struct Entry: Sendable {
        public let translation: String
        public let fuzzy: Bool
    }

    /// The catalog's language tag (`es`, `en`, `quc`…), from its file name.
    public let language: String
    /// The language's name in itself, for the language menu (`X-Resguardo-Name`, else the tag).
    public let name: String
    public let rightToLeft: Bool
    /// What a report sent from this language's page records as its language (`es` or `en`;
    /// `X-Resguardo-Report-Language`, else the tag itself when that is one of them).
    public let reportLanguage: String?
    public let entries: [Key: Entry]

    public init(language: String, text: String, source: String) throws(CatalogError) {
        self.language = language
        var entries: [Key: Entry] = [:]
        var header = ""
        // The entry being read, and which keyword's string the continuation lines extend.
        var fuzzy = false
        var current: WritableKeyPath<Parsing, String?>?
        var parsing = Parsing()
        func finish(line: Int) throws(CatalogError) {
            defer { parsing = Parsing(); fuzzy = false; current = nil }
            guard let id = parsing.id else {
                if parsing.translation != nil || parsing.context != nil { throw .init(source, line, "an entry without msgid") }
                return
            }
            guard let translation = parsing.translation else { throw .init(source, line, "msgid without msgstr") }
            if id.isEmpty && parsing.context == nil {
                header = translation
                return
            }
            let key = Key(context: parsing.context, source: id)
            if entries[key] != nil { throw .init(source, line, "msgid \"\(id.prefix(40))…\" appears twice") }
            entries[key] = Entry(translation: translation, fuzzy: fuzzy)
        }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        for (index, raw) in lines.enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            let number = index + 1
            if line.isEmpty {
                try finish(line: number)
                continue
            }
            if line.hasPrefix("#,") {
                if parsing.id != nil { try finish(line: number) }
                if line.dropFirst(2).split(separator: ",").contains(where: { $0.trimmingCharacters(in: .whitespaces) == "fuzzy" }) { fuzzy = true }
                continue
            }
            if line.hasPrefix("#") {
                if parsing.id != nil && parsing.translation != nil { try finish(line: number) }
                continue
            }
            if line.hasPrefix("\"") {
                guard let path = current else { throw .init(source, number, "a string outside any msgid or msgstr") }
                parsing[keyPath: path] = (parsing[keyPath: path] ?? "") + (try Self.unquote(line, source: source, line: number))
                continue
            }
            let keyword = line.prefix { $0 != " " && $0 != "\t" }
            let rest = line.dropFirst(keyword.count).trimmingCharacters(in: .whitespaces)
            switch keyword {
            case "msgctxt":
                if parsing.id != nil { try finish(line: number) }
                parsing.context = try Self.unquote(rest, source: source, line: number)
                current = \.context
            case "msgid":
                if parsing.translation != nil { try finish(line: number) }
                guard parsing.id == nil else { throw .init(source, number, "msgid twice in one entry") }
                parsing.id = try Self.unquote(rest, source: source, line: number)
                current = \.id
            case "msgstr":
                guard parsing.id != nil, parsing.translation == nil else { throw .init(source, number, "msgstr without its msgid") }
                parsing.translation = try Self.unquote(rest, source: source, line: number)
                current = \.translation
            case "msgid_plural", _ where keyword.hasPrefix("msgstr["):
                throw .init(source, number, "plural forms are not used by Resguardo's catalogs")
            default:
                throw .init(source, number, "unknown keyword `\(keyword.prefix(20))`")
            }
        }
        try finish(line: lines.count + 1)
        self.entries = entries
        var fields: [String: String] = [:]
        for field in header.split(separator: "\n") {
            guard let colon = field.firstIndex(of: ":") else { continue }
            fields[String(field[..<colon]).trimmingCharacters(in: .whitespaces)] = String(field[field.index(after: colon)...]).trimmingCharacters(in: .whitespaces)
        }
        name = fields["X-Resguardo-Name"].flatMap { $0.isEmpty ? nil : $0 } ?? language
        rightToLeft = fields["X-Resguardo-Direction"]?.lowercased() == "rtl"
        reportLanguage = fields["X-Resguardo-Report-Language"]
    }

    struct Parsing {
        var context: String?
        var id: String?
        var translation: String?
    }

    /// A PO string literal: `"…"` with C escapes (\n \t \" \\).
    static func unquote(_ text: some StringProtocol, source: String, line: Int) throws(CatalogError) -> String {
        guard text.count >= 2, text.hasPrefix("\""), text.hasSuffix("\"") else { throw .init(source, line, "expected a quoted string") }
        var out = ""
        var escaped = false
        for c in text.dropFirst().dropLast() {
            if escaped {
                switch c {
                case "n": out.append("\n")
                case "t": out.append("\t")
                case "\"": out.append("\"")
                case "\\": out.append("\\")
                default: throw .init(source, line, "unknown escape \\\(c)")
                }
                escaped = false
            } else if c == "\\" {
                escaped = true
            } else if c == "\"" {
                throw .init(source, line, "an unescaped quote inside a string")
            } else {
                out.append(c)
            }
        }
        if escaped { throw .init(source, line, "a string ends in a backslash") }
        return out
    }

    /// The translation, when there is one that is not fuzzy (a fuzzy entry is a guess a translator
    /// has not confirmed: never shown).
    public func translation(_ source: String, context: String? = nil) -> String? {
        guard let entry = entries[Key(context: context, source: source)], !entry.fuzzy, !entry.translation.isEmpty else { return nil }
        return entry.translation
    }
}

public struct CatalogError: Error, Equatable, CustomStringConvertible {
    public let description: String
    init(_ source: String, _ line: Int, _ why: String) { description = "\(source):\(line): \(why)" }
}

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
                throw .missingFile("the translation catalogs in \(folder)", hint: folder == shipped.path ? "reinstall the intake with its resources" : "web.catalogs")
            }
            for name in names.sorted() where name.hasSuffix(".po") || name.hasSuffix(".pot") {
                let path = folder + "/" + name
                guard let data = FileManager.default.contents(atPath: path), data.count <= 4 << 20,
                      let text = String(data: data, encoding: .utf8) else { throw .invalid(path, "not a UTF-8 PO file of at most 4 MiB") }
                let tag = String(name.dropLast(name.hasSuffix(".pot") ? 4 : 3))
                guard tag.range(of: #"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$"#, options: .regularExpression) != nil || name.hasSuffix(".pot") else {
                    throw .invalid(path, "a catalog is named by its language tag (es.po, quc.po, pt-BR.po)")
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
        guard catalogs["es"] != nil else { throw .missingFile("the Spanish catalog es.po", hint: "reinstall the intake with its resources") }
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
