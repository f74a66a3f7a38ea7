import Foundation

/// One gettext PO catalog (issue 20): what translators edit with ordinary PO tools. The pages'
/// source language is Spanish (every `msgid` is the Spanish text, `es.po` holds it as its own
/// translation); the staff tools' is English (their `es.po` translates it). Parsed strictly: a malformed file is refused with its line, never
/// half-loaded.
///
/// Understood: `msgctxt`, `msgid`, `msgstr` (with continuation lines), the `#, fuzzy` flag, and
/// the header entry's `Language:` and `X-Resguardo-Direction: rtl`. Plural forms are not used by
/// the pages and are refused.
public struct Catalog: Sendable {
    public struct Key: Hashable, Sendable {
        public let context: String?
        public let source: String

        public init(context: String?, source: String) {
            self.context = context
            self.source = source
        }
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
            // A translation is text a person reads as ours: a control or bidirectional character in
            // it could reorder or hide what a warning says (review N14), and a placeholder it lacks
            // (or adds) would drop a value from, or leave a brace in, a message.
            if let bad = translation.unicodeScalars.first(where: Self.isRefused) {
                throw .init(source, line, "the translation of «\(TerminalText.escaped(String(id.prefix(40))))» holds U+\(String(bad.value, radix: 16, uppercase: true)), a control or bidirectional character")
            }
            if !translation.isEmpty, Self.placeholders(in: translation) != Self.placeholders(in: id) {
                throw .init(source, line, "the translation of «\(TerminalText.escaped(String(id.prefix(40))))» has the placeholders \(Self.placeholders(in: translation).sorted()) where the source has \(Self.placeholders(in: id).sorted())")
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
    /// Control characters other than the line break and the tab (columns), and the Unicode
    /// bidirectional controls.
    static func isRefused(_ scalar: Unicode.Scalar) -> Bool {
        if scalar == "\n" || scalar == "\t" { return false }
        if scalar.properties.generalCategory == .control { return true }
        switch scalar.value {
        case 0x061C, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: return true
        default: return false
        }
    }

    /// The `{name}` placeholders of a text (lowercase letters, digits, underscores).
    static func placeholders(in text: String) -> Set<String> {
        var out: Set<String> = []
        var current: String?
        for c in text {
            if c == "{" { current = ""; continue }
            guard var name = current else { continue }
            if c == "}" {
                if !name.isEmpty, let first = name.first, first.isLetter || first == "_" { out.insert(name) }
                current = nil
            } else if (c.isASCII && (c.isLowercase || c.isNumber)) || c == "_" {
                name.append(c)
                current = name
            } else {
                current = nil
            }
        }
        return out
    }

    public static func unquote(_ text: some StringProtocol, source: String, line: Int) throws(CatalogError) -> String {
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
    public init(_ source: String, _ line: Int, _ why: String) { description = "\(source):\(line): \(why)" }
}

