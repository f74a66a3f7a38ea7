import Foundation
import Synchronization

/// What the staff tools say, in the staff's language (issue 20): Spanish when the locale says so
/// (`LC_ALL`, `LC_MESSAGES` or `LANG` starting `es`), English otherwise. The source language is
/// English; `staff-po/es.po` translates it (made and checked by `scripts/gen-catalog`). A text
/// the catalog lacks is shown in English, so a missing entry never loses a message; exit codes
/// never depend on the language.
public enum StaffMessages {
    /// `es` or `en`, from the environment once.
    public static let language: String = {
        let environment = ProcessInfo.processInfo.environment
        let locale = [environment["LC_ALL"], environment["LC_MESSAGES"], environment["LANG"]].compactMap { $0 }.first { !$0.isEmpty } ?? ""
        return locale.lowercased().hasPrefix("es") ? "es" : "en"
    }()

    static let catalog: Catalog? = {
        // The pseudo-locale test's catalog (scripts/gen-catalog pseudo --domain staff): it
        // changes only the words shown, never what a command does.
        if let path = ProcessInfo.processInfo.environment["RESGUARDO_STAFF_CATALOG"], let data = FileManager.default.contents(atPath: path),
           let text = String(data: data, encoding: .utf8) {
            return try? Catalog(language: "qps", text: text, source: path)
        }
        return bundled(language)
    }()

    /// The Spanish catalog whatever the locale: la mesa speaks Spanish first and lets the person
    /// switch, page by page, without restarting (the command line keeps the locale's choice).
    static let spanish: Catalog? = bundled("es")

    static func bundled(_ language: String) -> Catalog? {
        guard language != "en" else { return nil }
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
        for base in [Bundle.main.bundleURL, executable] {
            let path = base.appendingPathComponent("resguardo_Formats.resources/staff-po/\(language).po").path
            guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else { continue }
            // A damaged catalog must not stop a staff tool: English it is.
            return try? Catalog(language: language, text: text, source: path)
        }
        return nil
    }

    /// Set once by the intake's server (`serve`) after its settings are read: its API messages
    /// (many are these same error descriptions) are read by programs and by pages that
    /// translate them themselves, and its log keeps one language whatever the host's locale.
    private static let englishOnly = Atomic(false)
    public static func speakEnglishOnly() { englishOnly.store(true, ordering: .relaxed) }

    /// `english` in `language`, `{name}` placeholders filled from `values`.
    public static func text(_ english: String, _ values: [String: String] = [:], in language: Language) -> String {
        // The pseudo-locale catalog, when a test sets one, stands for every language.
        let chosen = ProcessInfo.processInfo.environment["RESGUARDO_STAFF_CATALOG"] != nil ? catalog : (language == .es ? spanish : nil)
        var out = chosen?.translation(english) ?? english
        for (name, value) in values { out = out.replacingOccurrences(of: "{\(name)}", with: value) }
        return out
    }

    /// `english` in the staff's language, `{name}` placeholders filled from `values`.
    public static func text(_ english: String, _ values: [String: String] = [:]) -> String {
        var out = englishOnly.load(ordering: .relaxed) ? english : catalog?.translation(english) ?? english
        for (name, value) in values { out = out.replacingOccurrences(of: "{\(name)}", with: value) }
        return out
    }
}

/// A staff-tool text (scripts/gen-catalog finds the calls): `L("{n} new cases", ["n": "\(n)"])`.
public func L(_ english: String, _ values: [String: String] = [:]) -> String { StaffMessages.text(english, values) }

/// The same text in a language chosen per page (la mesa), not by the process's locale.
/// (`Language` is the vocabulary's own: the staff tools speak the same two.)
public func L(_ english: String, _ values: [String: String] = [:], in language: Language) -> String { StaffMessages.text(english, values, in: language) }
