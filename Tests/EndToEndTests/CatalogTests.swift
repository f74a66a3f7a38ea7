import Foundation
import Testing
import TestSupport
import TestHarness
import Formats
@testable import Intake

/// The translation catalogs (issue 20): the PO parser, the choice of language, a third language
/// served end to end (right to left), a catalog missing security texts withheld, and the
/// pseudo-locale check that every text of every page comes from a catalog.
@Suite("Translation catalogs", .serialized)
struct CatalogTests {
    /// `scripts/gen-catalog pseudo` into a folder of its own: the test catalogs.
    static func catalogFolder(_ scratch: Scratch, _ catalogs: [(tag: String, options: [String])]) throws -> String {
        let folder = scratch.path("catalogs")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for c in catalogs {
            let made = try runSubprocess(debianPython, [repositoryRoot.appendingPathComponent("scripts/gen-catalog").path, "pseudo", folder + "/\(c.tag).po", "--tag", c.tag] + c.options)
            guard made.status == 0 else { throw TestFailure("gen-catalog pseudo: \(made.output)") }
        }
        return folder
    }

    @Test("PO files: continuation lines, escapes, fuzzy entries never used, a header's direction; malformed files refused with their line")
    func parser() throws {
        let text = """
        msgid ""
        msgstr ""
        "Language: qaa\\n"
        "X-Resguardo-Direction: rtl\\n"
        "X-Resguardo-Name: Prueba\\n"

        #. security
        msgid "Huella"
        msgstr "Fin"
        "gerprint"

        #, fuzzy
        msgid "Enviar"
        msgstr "Send?"

        msgctxt "vocabulary"
        msgid "Amenaza"
        msgstr "Threat \\"quoted\\"\\n"
        """
        let catalog = try Catalog(language: "qaa", text: text, source: "qaa.po")
        #expect(catalog.translation("Huella") == "Fingerprint")
        #expect(catalog.translation("Enviar") == nil, "a fuzzy entry is a guess nobody confirmed")
        #expect(catalog.translation("Amenaza", context: "vocabulary") == "Threat \"quoted\"\n" && catalog.translation("Amenaza") == nil)
        #expect(catalog.rightToLeft && catalog.name == "Prueba")
        for (bad, why) in [("msgid \"a\"\n", "msgid without msgstr"), ("msgid \"a\"\nmsgstr \"b\"\nmsgid \"a\"\nmsgstr \"c\"\n", "appears twice"),
                           ("msgid \"a\nmsgstr \"b\"\n", "quoted string"), ("msgid \"a\"\nmsgid_plural \"as\"\n", "plural"),
                           ("msgid \"a\"\nmsgstr \"\\q\"\n", "escape"), ("\"stray\"\n", "outside")] {
            #expect { try Catalog(language: "qaa", text: bad, source: "bad.po") } throws: { "\($0)".contains("bad.po:") && "\($0)".contains(why) }
        }
    }

    @Test("review N14: a translation with a control or bidirectional character, or with other {placeholders} than its source, refuses the catalog; line breaks and tabs are text")
    func hostileTranslations() throws {
        for (translation, why) in [("la huella \u{202E}atsiver", "U+202E"), ("la huella\u{2066}", "U+2066"), ("\u{1B}[2Jborrado", "U+1B"),
                                   ("\u{200F}Huella", "U+200F"), ("la ruta", "placeholders [] where the source has [\"path\"]"),
                                   ("la ruta {path} y {otro}", "placeholders [\"otro\", \"path\"]")] {
            let text = "msgid \"the path {path}\"\nmsgstr \"\(translation)\"\n"
            #expect { try Catalog(language: "qaa", text: text, source: "qaa.po") } throws: { "\($0)".contains("qaa.po:") && "\($0)".contains(why) }
        }
        let fine = try Catalog(language: "qaa", text: "msgid \"a {n}\\tb\"\nmsgstr \"c {n}\\td\\ne\"\n", source: "qaa.po")
        #expect(fine.translation("a {n}\tb") == "c {n}\td\ne")
    }

    @Test("language choice: ?lang= when served, then Accept-Language by q-value with region fallback, then Spanish")
    func choice() throws {
        let catalogs = Catalogs(catalogs: [try Catalog(language: "es", text: "", source: "es"), try Catalog(language: "en", text: "", source: "en")], securityKeys: [])
        #expect(catalogs.choose(query: "lang=en", acceptLanguage: "es") == "en")
        #expect(catalogs.choose(query: "lang=fr", acceptLanguage: "en-GB,en;q=0.8") == "en")
        #expect(catalogs.choose(query: nil, acceptLanguage: "fr-FR, en;q=0.5, es;q=0.9") == "es")
        #expect(catalogs.choose(query: nil, acceptLanguage: "de, fr") == "es")
        #expect(catalogs.choose(query: nil, acceptLanguage: nil) == "es")
    }

    @Test("a third language end to end: Accept-Language, ?lang= and the menu; right to left; a no-JavaScript report sent from it; a catalog missing security texts is not served")
    func thirdLanguage() async throws {
        let scratch = try Scratch()
        let folder = try Self.catalogFolder(scratch, [("qaa", ["--rtl"]), ("qab", ["--omit-security", "1"])])
        let intake = try RouterHarness { $0.catalogsFolder = folder }
        #expect(intake.deps.catalogs.served == ["es", "en", "qaa"])
        #expect(intake.deps.catalogs.withheld.map(\.language) == ["qab"] && intake.deps.catalogs.withheld.first?.missing == 1)
        try await intake.test { client in
            let byHeader = try await client.send(.get, "/", headers: [("Accept-Language", "qaa, es;q=0.5")])
            let page = String(decoding: byHeader.body, as: UTF8.self)
            #expect(page.contains(#"<html lang="qaa" dir="rtl">"#) && byHeader.header("Content-Language") == "qaa", "\(page.prefix(200))")
            #expect(page.contains("⟦Enviar denuncia⟧") || page.contains("⟦Enviar"), "the page's texts come from the qaa catalog")
            let byQuery = String(decoding: try await client.send(.get, "/?lang=qaa").body, as: UTF8.self)
            #expect(byQuery.contains(#"lang="qaa" dir="rtl""#))
            // The menu of the Spanish page offers every served language, and not the withheld one.
            let spanish = String(decoding: try await client.send(.get, "/").body, as: UTF8.self)
            #expect(spanish.contains(#"<html lang="es">"#) && spanish.contains(#"href="/?lang=qaa""#) && spanish.contains("English") && !spanish.contains("lang=qab"))
            let withheld = String(decoding: try await client.send(.get, "/?lang=qab", headers: [("Accept-Language", "qab")]).body, as: UTF8.self)
            #expect(withheld.contains(#"<html lang="es">"#), "a catalog missing a security text must not be served")
            // The no-JavaScript form from the qaa page: the receipt comes back in qaa.
            let sent = try await client.send(.post, "/v1/reports/form", body: Array("language=es&lang=qaa&country=MX&description=prueba".utf8),
                                             headers: [("Content-Type", "application/x-www-form-urlencoded")])
            let receipt = String(decoding: sent.body, as: UTF8.self)
            #expect(sent.status == 201 && receipt.contains(#"lang="qaa" dir="rtl""#) && receipt.contains("⟦Su denuncia fue recibida⟧"), "\(receipt.prefix(400))")
        }
    }

    /// Every text node and every human-readable attribute of `html` that is not wrapped in ⟦…⟧
    /// and is not data (a fingerprint, a receipt, a number, a name the network chose).
    static func untranslated(_ html: String, allowed: [String]) -> [String] {
        var text = html
        for element in ["script", "style"] {
            while let open = text.range(of: "<\(element)"), let close = text.range(of: "</\(element)>", range: open.upperBound..<text.endIndex) {
                text.removeSubrange(open.lowerBound..<close.upperBound)
            }
        }
        var found: [String] = []
        let attributes = try! NSRegularExpression(pattern: #"\s(placeholder|aria-label|title|alt|label)="([^"]*)""#)
        for m in attributes.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
            if let r = Range(m.range(at: 2), in: text) { found.append(String(text[r])) }
        }
        let tags = try! NSRegularExpression(pattern: "<[^>]*>")
        let plain = tags.stringByReplacingMatches(in: text, range: NSRange(text.startIndex..., in: text), withTemplate: "\u{1}")
        found += plain.split(separator: "\u{1}").map(String.init)
        return found.compactMap { raw -> String? in
            var rest = raw.replacingOccurrences(of: "&amp;", with: "&").replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&#39;", with: "'")
            while let open = rest.range(of: "⟦"), let close = rest.range(of: "⟧", range: open.upperBound..<rest.endIndex) { rest.removeSubrange(open.lowerBound..<close.upperBound) }
            for a in allowed { rest = rest.replacingOccurrences(of: a, with: "") }
            // Numbers, hex (fingerprints, receipts), punctuation and the marks between texts.
            let leftover = rest.unicodeScalars.filter { !(CharacterSet.whitespacesAndNewlines.contains($0) || CharacterSet.decimalDigits.contains($0)
                || CharacterSet.punctuationCharacters.contains($0) || CharacterSet.symbols.contains($0) || "abcdef".unicodeScalars.contains($0)) }
            return leftover.isEmpty ? nil : raw.trimmingCharacters(in: .whitespacesAndNewlines)
        }
    }

    @Test("pseudo-locale: every text of the form, the receipt, the problems page and the error pages comes from a catalog")
    func pseudoLocale() async throws {
        let scratch = try Scratch()
        let folder = try Self.catalogFolder(scratch, [("qps", [])])
        let intake = try RouterHarness { $0.catalogsFolder = folder }
        let organisation = try #require(intake.deps.networks.all.first?.name)
        // Data, not texts: the network's name, the brand, the languages' own names, and the
        // ISO 3166-2 subdivisions' official names (place names are not translated). Longest
        // first, so "Baja California Sur" goes before "Baja California".
        let places = Regions.byCountry.values.flatMap { $0.map(\.name) }
        let allowed = ([organisation, "Resguardo", "Español", "English", "⟦qps⟧", "KiB", "MiB", "MB", "GPS"] + places).sorted { $0.count > $1.count }
        try await intake.test { client in
            let form = [("Content-Type", "application/x-www-form-urlencoded")]
            var pages: [(String, String)] = []
            pages.append(("form", String(decoding: try await client.send(.get, "/?lang=qps").body, as: UTF8.self)))
            pages.append(("problems", String(decoding: try await client.send(.post, "/v1/reports/form", body: Array("language=es&lang=qps&description=+".utf8), headers: form).body, as: UTF8.self)))
            pages.append(("receipt", String(decoding: try await client.send(.post, "/v1/reports/form", body: Array("language=es&lang=qps&country=GT&description=x&urgent=on".utf8), headers: form).body, as: UTF8.self)))
            for (name, html) in pages {
                #expect(html.contains(#"lang="qps""#), "\(name) was not rendered in the pseudo-locale")
                let left = Self.untranslated(html, allowed: allowed)
                #expect(left.isEmpty, "\(name): texts not from a catalog: \(left.prefix(12))")
            }
        }
    }
}

@Suite("Staff tools in Spanish")
struct StaffLanguageTests {
    @Test("the staff catalog parses, and the tools speak Spanish under LANG=es_*, English otherwise, with the same exit status")
    func spanishForStaff() throws {
        let path = repositoryRoot.appendingPathComponent("Sources/Formats/staff-po/es.po").path
        let catalog = try Catalog(language: "es", text: try String(contentsOfFile: path, encoding: .utf8), source: path)
        #expect(catalog.translation("no workspace given") == "no se indicó el espacio de trabajo")
        let tool = IntakeProcess.binaries.appendingPathComponent("resguardo").path
        let spanish = try runSubprocess(tool, ["cases", "list"], environment: ["LANG": "es_MX.UTF-8"], unsetting: ["LC_ALL", "LC_MESSAGES", "RESGUARDO_WORKSPACE"])
        let english = try runSubprocess(tool, ["cases", "list"], environment: ["LANG": "C.UTF-8"], unsetting: ["LC_ALL", "LC_MESSAGES", "RESGUARDO_WORKSPACE"])
        #expect(spanish.output.contains("resguardo: error: no se indicó el espacio de trabajo") && spanish.output.contains("resguardo: sugerencia: use --workspace CARPETA"), "\(spanish.output)")
        #expect(english.output.contains("resguardo: error: no workspace given"), "\(english.output)")
        #expect(spanish.status == english.status && spanish.status == 64)
    }

    @Test("the intake's server speaks English in its API and log whatever the host's locale (its error texts are read by programs)")
    func serverStaysEnglish() throws {
        let intake = try IntakeProcess(environment: ["LANG": "es_MX.UTF-8"])
        try intake.start()
        let answer = try runSubprocess("/usr/bin/curl", ["-sk", "--max-time", "10", "-H", "Content-Type: application/octet-stream",
                                                         "--data-binary", "basura", intake.baseURL + "/v1/reports"])
        #expect(answer.output.contains("envelope is truncated"), "\(answer.output)")
        let spanish = try runSubprocess(IntakeProcess.binaries.appendingPathComponent("resguardo").path, ["key", "show", "--dir", intake.folder.path + "/nada"],
                                        environment: ["LANG": "es_MX.UTF-8"])
        #expect(spanish.output.contains("falta"), "the staff tools on the same host still speak Spanish: \(spanish.output)")
    }
}

@Suite("Staff tools' pseudo-locale")
struct StaffPseudoLocaleTests {
    /// The staff catalog as a pseudo-locale (every text wrapped in ⟦…⟧), made by gen-catalog.
    static func pseudoCatalog(_ scratch: Scratch) throws -> String {
        let pseudo = scratch.path("qps.po")
        let made = try runSubprocess(debianPython, [repositoryRoot.appendingPathComponent("scripts/gen-catalog").path, "pseudo", pseudo, "--domain", "staff"])
        guard made.status == 0 else { throw TestFailure("gen-catalog pseudo: \(made.output)") }
        return pseudo
    }

    @Test("pseudo-locale: every error, hint and warning line of the three tools, with the library errors inside them, comes from the staff catalog")
    func everyLineFromTheCatalog() throws {
        let scratch = try Scratch()
        let pseudo = try Self.pseudoCatalog(scratch)
        let missing = scratch.path("nada")
        let fingerprint = "a036 5677 a5c6 16c5 72f4 dcd2 9f13 fed2"
        let manifest = repositoryRoot.appendingPathComponent("keys-example/manifest.json").path
        let json = scratch.path("malo.json"), garbage = scratch.path("malo.rsgb")
        try Data(#"{"x": 1}"#.utf8).write(to: URL(fileURLWithPath: json))
        try Data("basura".utf8).write(to: URL(fileURLWithPath: garbage))
        // Messages from the tools and from the libraries' errors they wrap (Casework, Formats:
        // acknowledgements, manifests, reports; Vault).
        let runs: [(String, [String])] = [
            ("resguardo", ["cases", "list"]),
            ("resguardo", ["unseal", "--workspace", missing, missing + "/b.rsgb"]),
            ("resguardo", ["cases", "show", "zz", "--workspace", missing]),
            ("resguardo", ["key", "show", "--dir", missing]),
            ("resguardo-intake", ["export", "--vault", missing + "/v.sqlite", "--out", missing + "/b.rsgb"]),
            ("resguardo-intake", ["stats", "--vault", missing + "/v.sqlite"]),
            ("resguardo-intake", ["purge", "--vault", scratch.path("v.sqlite"), "--acknowledgement", json, "--manifest", manifest, "--fingerprint", fingerprint]),
            ("resguardo-intake", ["import-replies", "--vault", scratch.path("v.sqlite"), "--manifest", json, "--fingerprint", fingerprint, garbage]),
            ("resguardo-submit", ["send", "--url", "http://127.0.0.1:9", missing + "/sobre.bin"]),
            ("resguardo-submit", ["submit", "--url", "https://127.0.0.1:9", "--fingerprint", fingerprint, "--report", json]),
        ]
        // What is left once every ⟦…⟧ is removed (innermost first: a library's message inside
        // a tool's) is paths and values; three English words in a row are a missed text.
        let prose = try Regex("[A-Za-z]{2,} [A-Za-z]{2,} [A-Za-z]{2,}")
        let innermost = try Regex("⟦[^⟦⟧]*⟧")
        for (tool, arguments) in runs {
            let run = try runSubprocess(IntakeProcess.binaries.appendingPathComponent(tool).path, arguments,
                                        environment: ["RESGUARDO_STAFF_CATALOG": pseudo], unsetting: ["RESGUARDO_WORKSPACE", "RESGUARDO_PASSPHRASE"])
            let lines = run.output.split(separator: "\n").filter { $0.hasPrefix("\(tool): ") }
            #expect(run.status != 0 && !lines.isEmpty, "\(tool) \(arguments): \(run.output)")
            for line in lines {
                // `tool: ⟦error⟧: ⟦…⟧`: the kind and the message both from the catalog.
                let rest = line.dropFirst(tool.count + 2)
                #expect(rest.hasPrefix("⟦"), "the kind is not from the catalog: \(line)")
                var outside = String(rest)
                while outside.contains(innermost) { outside = outside.replacing(innermost, with: "\u{1}") }
                #expect(rest.contains("⟦") && !outside.contains(prose), "not from the catalog: \(line)")
            }
        }
    }

    @Test("review 2026-12-06 (also found): under an accented pseudo-locale, damaged bundles, damaged and foreign manifests, damaged recovery and registry files, bad config files and malformed option values are reported in catalog words only, the innermost reason included")
    func innermostReasonsFromTheCatalog() throws {
        let scratch = try Scratch()
        // Every catalog text wrapped and its vowels accented (placeholders kept): English that
        // did not come from the catalog, even interpolated inside a translated text, stays
        // plain ASCII words, which the check below finds.
        let pseudo = scratch.path("qpa.po")
        let made = try runSubprocess(debianPython, [repositoryRoot.appendingPathComponent("scripts/gen-catalog").path, "pseudo", pseudo, "--domain", "staff", "--accent"])
        #expect(made.status == 0, "\(made.output)")
        let bin = IntakeProcess.binaries
        let fingerprint = IntakeProcess.demoFingerprint
        let keys = scratch.path("keys")
        try FileManager.default.createDirectory(atPath: keys, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        for name in try FileManager.default.contentsOfDirectory(atPath: repositoryRoot.appendingPathComponent("keys-example").path) {
            try FileManager.default.copyItem(atPath: repositoryRoot.appendingPathComponent("keys-example/\(name)").path, toPath: keys + "/" + name)
            if name.hasSuffix(".key") { chmod(keys + "/" + name, 0o600) }
        }
        let passphrase = keys + "/passphrase.txt", workspace = scratch.path("casos"), vault = scratch.path("v.sqlite")
        func tool(_ name: String, _ arguments: [String]) throws -> SubprocessOutcome {
            try runSubprocess(bin.appendingPathComponent(name).path, arguments, environment: ["RESGUARDO_STAFF_CATALOG": pseudo],
                              unsetting: ["RESGUARDO_WORKSPACE", "RESGUARDO_PASSPHRASE", "LANG", "LC_ALL", "LC_MESSAGES"])
        }
        _ = try tool("resguardo", ["init", "--workspace", workspace, "--keys", keys, "--passphrase-file", passphrase])
        // Set up in English, where the line to read is known.
        let initialised = try runSubprocess(bin.appendingPathComponent("resguardo-intake").path, ["vault", "init", "--vault", vault, "--passphrase-file", passphrase],
                                            unsetting: ["LANG", "LC_ALL", "LC_MESSAGES", "RESGUARDO_STAFF_CATALOG"])
        let vaultFingerprint = initialised.output.split(separator: "\n").first { $0.hasPrefix("vault signing-key fingerprint: ") }
            .map { String($0.dropFirst("vault signing-key fingerprint: ".count)) } ?? ""
        let trusted = try tool("resguardo", ["vault", "trust", "--workspace", workspace, "--fingerprint", vaultFingerprint, "--public-key", vault + ".signing.pub"])
        #expect(trusted.status == 0, "\(trusted.output)")
        let bundle = scratch.path("b.rsgb")
        _ = try tool("resguardo-intake", ["export", "--vault", vault, "--out", bundle, "--passphrase-file", passphrase])
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: bundle)))
        #expect(bytes.count > 40)
        func write(_ name: String, _ data: [UInt8]) throws -> String {
            let path = scratch.path(name)
            try Data(data).write(to: URL(fileURLWithPath: path))
            return path
        }
        bytes[6] ^= 0xFF
        let reserved = try write("reservado.rsgb", bytes)
        bytes[6] ^= 0xFF
        bytes[bytes.count - 1] ^= 1
        let badSignature = try write("firma.rsgb", bytes)
        let truncated = try write("corto.rsgb", Array(bytes.prefix(20)))
        let notJSON = try write("m-texto.json", Array("x{}".utf8))
        let wrongType = try write("m-tipo.json", Array(#"{"payload": 5, "signature": "", "signing_key": ""}"#.utf8))
        // Validly signed, by a key that is not the pinned demo key.
        let vector = try String(contentsOf: repositoryRoot.appendingPathComponent("Tests/Vectors/manifest/valid.txt"), encoding: .utf8)
        let hex = vector.split(separator: "\n").first { $0.hasPrefix("manifest: ") }.map { String($0.dropFirst(10)) } ?? ""
        let foreign = try write("m-ajeno.json", Encoding.bytes(fromHex: hex) ?? [])
        let config = try write("intake.json", Array(#"{"http": {"port": "ocho"}, "keys": {"manifest": "m.json"}}"#.utf8))
        var runs: [(String, [String])] = [
            ("resguardo", ["unseal", "--workspace", workspace, reserved, badSignature, truncated, "--passphrase-file", passphrase]),
            ("resguardo", ["key", "custody", "recover", "--out", scratch.path("r"), "--recovery-file", truncated, "--fingerprint", fingerprint, "--shares-file", wrongType]),
            ("resguardo", ["key", "custody", "recover", "--out", scratch.path("r"), "--recovery-file", wrongType, "--fingerprint", fingerprint, "--shares-file", wrongType]),
            ("resguardo", ["key", "init", "--dir", scratch.path("k2"), "--organisation", "R", "--kdf", "nada"]),
            ("resguardo-intake", ["serve", "--threads", "x"]),
            ("resguardo-intake", ["serve", "--config", config]),
            ("resguardo-intake", ["stats", "--vault", wrongType]),
        ]
        for manifest in [notJSON, wrongType, foreign] {
            runs.append(("resguardo-intake", ["purge", "--vault", vault, "--acknowledgement", bundle, "--manifest", manifest, "--fingerprint", fingerprint]))
            runs.append(("resguardo-intake", ["offline-form", "--manifest", manifest, "--fingerprint", fingerprint, "--url", "https://x.example", "--out", scratch.path("f.html")]))
            runs.append(("resguardo-intake", ["serve", "--certificate", scratch.path("c.pem"), "--private-key", scratch.path("k.pem"), "--manifest", manifest,
                                              "--fingerprint", fingerprint, "--vault", vault]))
        }
        let prose = try Regex("[A-Za-z]{2,} [A-Za-z]{2,} [A-Za-z]{2,}")
        for (name, arguments) in runs {
            let run = try tool(name, arguments)
            #expect(run.status != 0 && run.output.contains("⟦"), "\(name) \(arguments): \(run.output)")
            for line in run.output.split(separator: "\n") {
                // The usage line and "See 'tool command --help'" are names, not prose.
                var rest = String(line)
                for path in [name] + arguments.prefix(3) { rest = rest.replacingOccurrences(of: path, with: "") }
                if rest.hasPrefix("⟦Úságé: ⟧") { continue }
                #expect(!rest.contains(prose), "not from the catalog: \(name) \(arguments.prefix(3)): \(line)")
            }
        }
    }

    @Test("pseudo-locale: the option validators' messages come from the staff catalog")
    func validatorsFromTheCatalog() throws {
        let scratch = try Scratch()
        let pseudo = try Self.pseudoCatalog(scratch)
        let runs: [(String, [String])] = [
            ("resguardo-submit", ["submit", "--url", "https://127.0.0.1:9"]),
            ("resguardo-submit", ["send", "--url", "https://127.0.0.1:9"]),
            ("resguardo-intake", ["purge", "--vault", scratch.path("v.sqlite")]),
            ("resguardo-intake", ["offline-form", "--manifest", "m.json", "--fingerprint", "f", "--url", "ftp://x", "--out", "o.html"]),
            ("resguardo", ["key", "init", "--dir", scratch.path("k"), "--organisation", "Red", "--valid-days", "0"]),
            ("resguardo", ["registry", "report", "--period", "2026-13-01"]),
        ]
        for (tool, arguments) in runs {
            let run = try runSubprocess(IntakeProcess.binaries.appendingPathComponent(tool).path, arguments,
                                        environment: ["RESGUARDO_STAFF_CATALOG": pseudo], unsetting: ["RESGUARDO_WORKSPACE", "RESGUARDO_PASSPHRASE"])
            let line = run.output.split(separator: "\n").first { $0.contains("Error: ") || $0.contains("⟦Error⟧") || $0.hasPrefix("Error") }
            #expect(run.status == 64, "\(tool) \(arguments): \(run.output)")
            #expect(line.map { $0.contains("⟦") && $0.contains("⟧") } == true, "not from the catalog: \(tool) \(arguments): \(run.output)")
        }
    }

    /// Every command path of a tool, from the argument parser's own description of the tree.
    static func commandPaths(_ tool: String) throws -> [[String]] {
        let dump = try runSubprocess(IntakeProcess.binaries.appendingPathComponent(tool).path, ["--experimental-dump-help"])
        guard dump.status == 0, let json = try JSONSerialization.jsonObject(with: Data(dump.output.utf8)) as? [String: Any],
              let root = json["command"] as? [String: Any] else { throw TestFailure("\(tool) --experimental-dump-help: \(dump.output.prefix(300))") }
        func walk(_ command: [String: Any], _ path: [String]) -> [[String]] {
            let children = (command["subcommands"] as? [[String: Any]] ?? []).filter { $0["commandName"] as? String != "help" }
            return [path] + children.flatMap { walk($0, path + [$0["commandName"] as? String ?? "?"]) }
        }
        return walk(root, [])
    }

    @Test("pseudo-locale: every --help of the three tools (abstracts, discussions, options, the parser's own headings) comes from the staff catalog")
    func everyHelpFromTheCatalog() throws {
        let scratch = try Scratch()
        let pseudo = try Self.pseudoCatalog(scratch)
        // What is left once every ⟦…⟧ is removed is names (commands, options, values, the
        // usage line); three English words in a row there are prose the catalog missed.
        let prose = try Regex("[A-Za-z]{2,} [A-Za-z]{2,} [A-Za-z]{2,}")
        var checked = 0
        for tool in ["resguardo", "resguardo-intake", "resguardo-submit"] {
            for path in try Self.commandPaths(tool) {
                let run = try runSubprocess(IntakeProcess.binaries.appendingPathComponent(tool).path, path + ["--help"],
                                            environment: ["RESGUARDO_STAFF_CATALOG": pseudo], unsetting: ["RESGUARDO_WORKSPACE", "RESGUARDO_REGION"])
                #expect(run.status == 0 && run.output.contains("⟦"), "\(tool) \(path) --help: \(run.output.prefix(300))")
                // Innermost first: serve's settings list is a catalog text inside a catalog text.
                var outside = run.output
                let innermost = try Regex("⟦[^⟦⟧]*⟧")
                while outside.contains(innermost) { outside = outside.replacing(innermost, with: "\u{1}") }
                for line in outside.split(separator: "\n") where !line.contains(tool) {
                    #expect(!line.contains(prose), "\(tool) \(path.joined(separator: " ")) --help, not from the catalog: \(line)")
                }
                checked += 1
            }
        }
        #expect(checked > 60)
    }
}

