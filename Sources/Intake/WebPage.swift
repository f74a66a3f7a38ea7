public import Formats
import Foundation

/// The form's answers as posted (`application/x-www-form-urlencoded`): a name can repeat
/// (checkboxes). Used to fill the form again after a refused no-JavaScript submission, so the
/// defender never has to type her account twice.
struct FormValues: Sendable {
    var fields: [(name: String, value: String)] = []

    func first(_ name: String) -> String? {
        fields.first { $0.name == name }.map(\.value).flatMap { $0.isEmpty ? nil : $0 }
    }

    func all(_ name: String) -> [String] { fields.filter { $0.name == name }.map(\.value) }

    func has(_ name: String, _ value: String) -> Bool { fields.contains { $0.name == name && $0.value == value } }
}

/// The defender's page (`GET /`), rendered on the server in one language, so it works the same
/// with JavaScript off: the plain form posts to `/v1/reports/form`. With JavaScript, `form.js`
/// takes over the same form and seals on the device. No inline script or style (CSP
/// `default-src 'self'`); every script carries its Subresource Integrity hash.
struct WebPage: Sendable {
    /// Served by the intake, or the self-contained file a network hands out through its own
    /// channels (`resguardo-intake offline-form`): everything inline, the pinned fingerprint and
    /// the manifest of the day it was made inside, the intake reached at an absolute address.
    enum Variant: Sendable {
        case served
        case offline(intakeURL: String, manifestJSON: [UInt8], manifestIssued: String)
    }

    /// The page's language: its catalog, its direction, and the report language it records.
    let locale: PageLocale
    /// What the report says it was written in (es or en; a third language's page records Spanish
    /// unless its catalog names another: `X-Resguardo-Report-Language`).
    var language: Language { locale.reportLanguage }
    let assets: WebAssets
    let organisation: String
    let fingerprint: String
    /// Today's year, for the incident-date choices.
    let year: Int
    var variant: Variant = .served
    /// The networks of a several-network intake (empty for one network): the defender picks her
    /// country, and the report is sealed to that country's network, whose name and fingerprint
    /// the page shows.
    var networks: [NetworkChoice] = []

    struct NetworkChoice: Sendable {
        let id: String
        let name: String
        let countries: [String]
        let fingerprint: String
    }

    /// The country codes the form offers: those a network serves (all of them for one network).
    var countryTerms: [Term] {
        guard !networks.isEmpty else { return Vocabulary.countries.terms }
        let served = Set(networks.flatMap(\.countries))
        return Vocabulary.countries.terms.filter { served.contains($0.code) }
    }

    /// Where the page's requests go: the page's own server, or the intake's address.
    var base: String {
        if case .offline(let url, _, _) = variant { return url }
        return ""
    }
    var isOffline: Bool { if case .offline = variant { return true }; return false }

    /// A text of the page, from its language's catalog (the Spanish source when the catalog
    /// lacks it). Every text a visitor reads goes through `t` or `st`: `scripts/gen-catalog
    /// extract` finds them, and the pseudo-locale test fails on any text that does not.
    /// Returned escaped for HTML (text and attributes): a catalog is a translator's file, and
    /// what it says must never become markup in the page. `locale.text(_:)` gives the raw text,
    /// for the few places that escape their input themselves.
    func t(_ es: String) -> String { escape(locale.text(es)) }
    /// A security-relevant text (the fingerprint check, warnings, receipts): the same lookup, but
    /// marked in the template, and a language is served only when all of these are translated.
    func st(_ es: String) -> String { escape(locale.text(es)) }
    /// A registry vocabulary label, from the catalogs (context `vocabulary`).
    func label(_ term: Term) -> String { locale.label(term) }

    static let maxDescription = Report.maxDescriptionLength
    /// What the page promises for attachments, in words: base64 costs a third, and the report
    /// itself needs room inside the largest 16 MiB bucket.
    static let attachmentLimitMegabytes = 11

    // MARK: pages

    func form(values: FormValues = FormValues(), problems: [String] = []) -> String {
        var html = head(title: t("Denuncia segura — Resguardo"), scripts: true)
        html += "<main id=\"main\">\n"
        html += "<h1>\(t("Denuncie una agresión de forma segura"))</h1>\n"
        html += "<p class=\"lead\">\(t("Este formulario es para defensoras de derechos humanos que sufrieron una agresión (amenazas, hostigamiento, criminalización, ataques). Solo la pregunta del país y la descripción son obligatorias: puede dejar vacío todo lo demás."))</p>\n"
        html += modeNotice()
        html += fingerprintBox()
        if !problems.isEmpty {
            html += "<div class=\"problems\" role=\"alert\" tabindex=\"-1\" id=\"problems\"><h2>\(t("Su denuncia NO se envió todavía. Revise:"))</h2><ul>"
            // Problems are page texts (t/st), escaped already.
            html += problems.map { "<li>\($0)</li>" }.joined()
            html += "</ul></div>\n"
        }
        var offlineData = ""
        if case .offline(let url, let manifest, let issued) = variant {
            offlineData = " data-intake=\"\(escape(url))\" data-manifest=\"\(Encoding.base64(manifest))\" data-not-issued-before=\"\(escape(issued))\""
        }
        if !networks.isEmpty {
            let table = JSONValue.array(networks.map { n in
                .object([("id", .string(n.id)), ("name", .string(n.name)), ("countries", .array(n.countries.map(JSONValue.string))), ("fingerprint", .string(n.fingerprint))])
            })
            offlineData += " data-networks=\"\(escape(String(decoding: table.serialized(), as: UTF8.self)))\""
        }
        // The proof of work's WebAssembly, when the build made it (the offline file has none:
        // it has no intake to fetch it from, and its JavaScript does the same search).
        let powData = isOffline ? "" : assets.powWasm.map { " data-pow-wasm=\"/assets/\($0.name)\" data-pow-wasm-integrity=\"\($0.integrity)\"" } ?? ""
        html += "<form id=\"report\" method=\"post\" action=\"\(escape(base))/v1/reports/form\" accept-charset=\"utf-8\" data-fingerprint=\"\(escape(fingerprint))\" data-lang=\"\(language.rawValue)\" data-attachment-limit=\"\(Self.attachmentLimitMegabytes * 1_048_576)\"\(offlineData)\(powData)>\n"
        html += "<input type=\"hidden\" name=\"language\" value=\"\(language.rawValue)\">\n"
        html += "<input type=\"hidden\" name=\"lang\" value=\"\(escape(locale.tag))\">\n"
        html += placeSection(values) + dateSection(values) + whatSection(values) + whoSection(values)
        html += contextSection(values) + aboutYouSection(values) + needsSection(values) + consentSection(values)
        html += attachmentSection()
        html += codenameSection()
        html += "<div class=\"send\"><button type=\"submit\" id=\"send\">\(t("Enviar denuncia"))</button></div>\n"
        html += "</form>\n"
        html += statusAreas()
        html += repliesSection()
        html += messages()
        html += "</main>\n" + footer() + inlineScripts() + "</body></html>\n"
        return html
    }

    /// The offline form's scripts and word list, inline (`</` cannot end a script early: none of
    /// our files contain `</script`, which `offlineForm` checks).
    func inlineScripts() -> String {
        guard isOffline else { return "" }
        var html = ""
        if let words = assets.wordList {
            html += "<script type=\"text/plain\" id=\"codename-words-list\">\(String(decoding: words.bytes, as: UTF8.self))</script>\n"
        }
        for script in assets.scripts { html += "<script>\n\(String(decoding: script.bytes, as: UTF8.self))\n</script>\n" }
        return html
    }

    /// The self-contained file (see `Variant.offline`). Refuses assets that would end a script
    /// element early.
    static func offlineForm(locale: PageLocale, assets: WebAssets, manifest: SignedKeyManifest, fingerprint: SigningKeyFingerprint,
                            intakeURL: String, network: NetworkSetting?, year: Int) throws(ConfigurationError) -> String {
        for asset in assets.scripts + [assets.wordList].compactMap({ $0 }) where String(decoding: asset.bytes, as: UTF8.self).lowercased().contains("</script") {
            throw .invalid(asset.name, "contains `</script`, which cannot be put inline")
        }
        var page = WebPage(locale: locale, assets: assets, organisation: manifest.manifest.organisation, fingerprint: fingerprint.description,
                           year: year, variant: .offline(intakeURL: intakeURL, manifestJSON: manifest.serialized(), manifestIssued: manifest.manifest.issued.description))
        // On an intake of several networks /v1/keys answers 404 (review N10): the form is that one
        // network's (from the intake's config), offers only its countries, and fetches its
        // manifest at the network's path.
        if let network {
            page.networks = [NetworkChoice(id: network.id.text, name: network.name, countries: network.countries, fingerprint: fingerprint.description)]
        }
        return page.form()
    }

    /// The no-JavaScript receipt.
    func receipt(_ receipt: String, urgent: Bool) -> String {
        var html = head(title: st("Denuncia recibida — Resguardo"), scripts: false)
        html += "<main id=\"main\"><h1>\(st("Su denuncia fue recibida"))</h1>\n"
        html += "<p>\(st("Número de recibo (anótelo si quiere consultar por su denuncia; no hace falta guardarlo):"))</p>\n"
        html += "<p class=\"receipt\"><code>\(escape(receipt))</code></p>\n"
        html += "<p class=\"notice\">\(st("Modo sin JavaScript: su denuncia viajó protegida por la conexión cifrada (HTTPS). El servidor la tuvo legible en su memoria durante el instante en que la cifró; no la escribió en disco ni en registros, y borra esa memoria al terminar. Quien controlara el servidor en ese momento podría leerla. Con JavaScript activado se cifra antes de salir de su teléfono, que es más seguro."))</p>\n"
        if urgent {
            html += "<p>\(st("La marcó como urgente: el equipo de la red lo verá al recibirla."))</p>\n"
        }
        html += "<p>\(t("Por su seguridad, cierre esta pestaña y, si comparte el teléfono, borre el historial del navegador."))</p>\n"
        html += "<p><a href=\"/?lang=\(escape(locale.tag))\">\(t("Enviar otra denuncia"))</a></p>\n"
        html += "</main>\n" + footer() + "</body></html>\n"
        return html
    }

    /// A refusal the defender must understand: what happened and whether anything was kept.
    func failure(title: String, message: String) -> String {
        var html = head(title: title + " — Resguardo", scripts: false)
        // Both are page texts (t/st), escaped already.
        html += "<main id=\"main\"><h1>\(title)</h1>\n<p>\(message)</p>\n"
        html += "<p><a href=\"/?lang=\(escape(locale.tag))\">\(t("Volver al formulario"))</a></p>\n"
        html += "</main>\n" + footer() + "</body></html>\n"
        return html
    }

    // MARK: frame

    func head(title: String, scripts: Bool) -> String {
        var html = """
        <!doctype html>
        <html lang="\(escape(locale.tag))"\(locale.rightToLeft ? " dir=\"rtl\"" : "")><head><meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="referrer" content="no-referrer">
        <title>\(title)</title>

        """
        if isOffline {
            // One file: the stylesheet and the scripts inside it, so nothing is fetched that a
            // server could change. (Scripts run at the end of the body, as `defer` would.)
            if let css = assets.stylesheet { html += "<style>\n\(String(decoding: css.bytes, as: UTF8.self))\n</style>\n" }
        } else {
            if let css = assets.stylesheet {
                html += "<link rel=\"stylesheet\" href=\"/assets/\(css.name)\" integrity=\"\(css.integrity)\">\n"
            }
            if scripts {
                for script in assets.scripts {
                    html += "<script defer src=\"/assets/\(script.name)\" integrity=\"\(script.integrity)\"></script>\n"
                }
            }
        }
        // The language menu: every served language, each named in itself. The offline file has one
        // language: its links would lead to the server.
        let others = locale.menu.filter { $0.tag != locale.tag }
        let langLink = isOffline || others.isEmpty ? "" : "<nav class=\"lang\" aria-label=\"\(t("Idioma"))\">" + others.map {
            "<a href=\"/?lang=\(escape($0.tag))\" lang=\"\(escape($0.tag))\" hreflang=\"\(escape($0.tag))\">\(escape($0.name))</a>"
        }.joined(separator: " ") + "</nav>"
        html += """
        </head><body>
        <header><a class="skip" href="#main">\(t("Ir al contenido"))</a>
        <span class="brand">Resguardo</span> <span class="org" id="network-org">\(escape(networks.isEmpty ? organisation : networks.map(\.name).joined(separator: " · ")))</span>
        \(langLink)</header>

        """
        return html
    }

    func footer() -> String {
        """
        <footer><p>\(t("Esta página no usa cookies, no guarda nada en su teléfono y no carga nada de otros sitios. El servidor no registra su dirección IP ni su navegador."))</p>
        <p>\(t("Si alguien vigila su teléfono o su red, considere usar Tor Browser."))</p></footer>

        """
    }

    func modeNotice() -> String {
        """
        <section class="mode" id="mode" aria-live="polite">
        <p id="mode-nojs"><strong>\(st("Modo sin JavaScript."))</strong> \(st("Su denuncia viaja por una conexión cifrada (HTTPS) y el servidor la cifra en memoria al recibirla, sin guardarla nunca legible. No se pueden adjuntar archivos en este modo."))</p>
        <p id="mode-js" hidden><strong>\(t("Cifrado en su teléfono."))</strong> \(st("Su denuncia se cifra aquí, en su dispositivo, antes de enviarse, con la llave de la red comprobada contra la huella de abajo: el servidor solo recibe datos cifrados que no puede leer, siempre que esta página sea la auténtica (vea la huella)."))</p>
        </section>

        """
    }

    func fingerprintBox() -> String {
        if !networks.isEmpty { return networksBox() }
        return """
        <div class="fingerprint"><p>\(st("Huella de la llave de la red:")) <code id="fingerprint">\(escape(fingerprint))</code></p>
        <details><summary>\(t("¿Qué es esto?"))</summary>
        <p>\(isOffline ? st("Este formulario lo entregó la red por sus propios medios: la huella y las herramientas de cifrado vienen dentro de este archivo, y comprueba las llaves del servidor contra esa huella antes de cifrar. Compare la huella con la que la red publica; si no coincide, no use este archivo.")
                   : st("Esta página viene del mismo servidor que recibe las denuncias: comprueba la firma de las llaves contra esta huella antes de cifrar, pero un servidor tomado por otros podría enviar una página falsa con una huella falsa. Compárela con la huella que la red publica por otros medios (su sitio, sus redes, en persona): si no coincide, no envíe nada. Para no depender de este servidor, pida a la red su formulario sin conexión, un archivo que cifra en su teléfono."))</p>
        </details></div>

        """
    }

    /// Several networks: the report goes to the chosen country's network. Every network's name,
    /// countries and fingerprint are listed, so a defender without JavaScript can compare the
    /// one she needs; with JavaScript the chosen one is shown above the list.
    func networksBox() -> String {
        var html = "<div class=\"fingerprint\" id=\"networks\"><p>\(st("Su denuncia llega solo a la red del país que elija abajo, cifrada con la llave de esa red."))</p>\n"
        html += "<p id=\"network-chosen\" hidden>\(t("Red:")) <strong id=\"network-name\"></strong> · \(st("huella de su llave:")) <code id=\"fingerprint\"></code></p>\n"
        html += "<ul class=\"networks\">"
        for n in networks {
            let countries = n.countries.map { Vocabulary.countries.term($0).map(label) ?? $0 }.joined(separator: ", ")
            html += "<li data-network=\"\(escape(n.id))\"><strong>\(escape(n.name))</strong> (\(escape(countries))): <code>\(escape(n.fingerprint))</code></li>"
        }
        html += "</ul>\n<details><summary>\(t("¿Qué es esto?"))</summary>\n"
        html += "<p>\(st("Cada red nacional tiene su propia llave: ninguna otra red, ni la oficina regional, ni este servidor pueden leer lo que usted envía a la suya. La página comprueba la llave de la red contra su huella antes de cifrar; compare la huella con la que su red publica por otros medios: si no coincide, no envíe nada."))</p>\n"
        html += "</details></div>\n"
        return html
    }

    // MARK: sections (names are the Report v1 fields; form.js and FormSubmission read the same names)

    func placeSection(_ values: FormValues) -> String {
        var html = "<fieldset><legend>\(t("¿Dónde ocurrió?"))</legend>\n"
        html += "<label for=\"country\">\(t("País")) <span class=\"req\">\(t("(obligatorio)"))</span></label>\n"
        html += "<select id=\"country\" name=\"country\" required><option value=\"\">\(t("Elija un país"))</option>"
        for term in countryTerms {
            html += option(term.code, label(term), selected: values.first("country") == term.code)
        }
        html += "</select>\n"
        html += "<label for=\"region\">\(t("Estado o departamento"))</label>\n"
        html += "<select id=\"region\" name=\"region\"><option value=\"\">\(t("Prefiero no decir"))</option>"
        for term in Vocabulary.countries.terms {
            html += "<optgroup label=\"\(escape(label(term)))\" data-country=\"\(term.code)\">"
            for region in Regions.byCountry[term.code] ?? [] {
                html += option(region.code, region.name, selected: values.first("region") == region.code)
            }
            html += "</optgroup>"
        }
        html += "</select>\n"
        html += textInput("locality", t("Municipio o comunidad"),
                          note: t("Solo el municipio o la comunidad, nunca una dirección. Sirve para ver dónde se concentran las agresiones; en el registro público se generaliza."),
                          values: values, maxLength: 200)
        html += radios("setting", t("¿Zona urbana o rural?"), Vocabulary.settings.terms, values: values, unknown: true)
        return html + "</fieldset>\n"
    }

    func dateSection(_ values: FormValues) -> String {
        var html = "<fieldset><legend>\(t("¿Cuándo ocurrió?"))</legend>\n"
        html += "<p class=\"note\">\(t("Si no recuerda el día o el mes, deje solo el año."))</p>\n<div class=\"row\">"
        html += "<div><label for=\"incident_year\">\(t("Año"))</label><select id=\"incident_year\" name=\"incident_year\"><option value=\"\">—</option>"
        for y in stride(from: year, through: year - 40, by: -1) {
            html += option(String(y), String(y), selected: values.first("incident_year") == String(y))
        }
        html += "</select></div>"
        let months = [locale.text("enero"), locale.text("febrero"), locale.text("marzo"), locale.text("abril"), locale.text("mayo"), locale.text("junio"), locale.text("julio"), locale.text("agosto"), locale.text("septiembre"),
                      locale.text("octubre"), locale.text("noviembre"), locale.text("diciembre")]
        html += "<div><label for=\"incident_month\">\(t("Mes"))</label><select id=\"incident_month\" name=\"incident_month\"><option value=\"\">—</option>"
        for (i, name) in months.enumerated() {
            let code = i < 9 ? "0\(i + 1)" : "\(i + 1)"
            html += option(code, name, selected: values.first("incident_month") == code)
        }
        html += "</select></div>"
        html += "<div><label for=\"incident_day\">\(t("Día"))</label><select id=\"incident_day\" name=\"incident_day\"><option value=\"\">—</option>"
        for d in 1...31 {
            let code = d < 10 ? "0\(d)" : "\(d)"
            html += option(code, String(d), selected: values.first("incident_day") == code)
        }
        return html + "</select></div></div>\n</fieldset>\n"
    }

    func whatSection(_ values: FormValues) -> String {
        var html = "<fieldset><legend>\(t("¿Qué pasó?"))</legend>\n"
        html += "<label for=\"description\">\(t("Cuéntenos con sus palabras")) <span class=\"req\">\(t("(obligatorio)"))</span></label>\n"
        html += "<p class=\"note\" id=\"description-note\">\(t("Este texto nunca se publica: solo lo lee el equipo de la red. Puede omitir nombres si lo prefiere."))</p>\n"
        html += "<textarea id=\"description\" name=\"description\" rows=\"8\" required maxlength=\"\(Self.maxDescription)\" aria-describedby=\"description-note\">\(escape(values.first("description") ?? ""))</textarea>\n"
        html += checkboxes("aggression_types", t("¿Qué tipo de agresión? (marque todas las que apliquen)"),
                           Vocabulary.aggressionTypes.terms, values: values)
        return html + "</fieldset>\n"
    }

    func whoSection(_ values: FormValues) -> String {
        var html = "<fieldset><legend>\(t("¿Quién la agredió?"))</legend>\n"
        html += "<p class=\"note\">\(t("Solo el tipo de agresor, no nombres. Sirve para los informes sobre quién agrede a las defensoras."))</p>\n"
        html += checkboxes("perpetrators", t("Tipo de agresor"), Vocabulary.perpetrators.terms, values: values)
        return html + "</fieldset>\n"
    }

    func contextSection(_ values: FormValues) -> String {
        var html = "<fieldset><legend>\(t("Su labor de defensa"))</legend>\n"
        html += checkboxes("rights_defended", t("¿Qué derechos defiende?"), Vocabulary.rightsDefended.terms, values: values)
        html += radios("target_scope", t("¿A quién iba dirigida la agresión?"), Vocabulary.targetScopes.terms, values: values, unknown: true)
        html += "<label for=\"people_affected\">\(t("¿Cuántas personas fueron afectadas?"))</label>\n"
        html += "<input id=\"people_affected\" name=\"people_affected\" type=\"number\" inputmode=\"numeric\" min=\"1\" max=\"100000\" value=\"\(escape(values.first("people_affected") ?? ""))\">\n"
        html += yesNo("affects_relatives", t("¿La agresión alcanzó también a su familia?"), values)
        html += yesNo("gender_component", t("¿La agresión tuvo un componente de género (por ser mujer)?"), values)
        html += checkboxes("gender_component_types", t("Si fue así, ¿de qué forma?"), Vocabulary.genderComponentTypes.terms, values: values)
        return html + "</fieldset>\n"
    }

    func aboutYouSection(_ values: FormValues) -> String {
        var html = "<fieldset><legend>\(t("Sobre usted (todo opcional)"))</legend>\n"
        html += "<p class=\"note\">\(t("Estos datos solo los ve el equipo de la red, en una computadora sin internet, para poder ayudarle. Nunca se publican. Déjelos vacíos si no quiere darlos."))</p>\n"
        html += textInput("defender_name", t("Nombre o seudónimo"), note: nil, values: values, maxLength: 200)
        html += textInput("defender_organisation", t("Organización o colectivo"), note: nil, values: values, maxLength: 200)
        html += textInput("defender_contact", t("Una forma segura de contactarle"),
                          note: t("Solo si quiere que le contacten. Indique un medio que sea seguro para usted."),
                          values: values, maxLength: 500)
        html += textInput("defender_national_id", t("Documento de identidad"),
                          note: t("Solo si lo necesita para un trámite de protección o reubicación."),
                          values: values, maxLength: 100)
        html += "<label for=\"defender_birth_year\">\(t("Año de nacimiento"))</label>\n"
        html += "<input id=\"defender_birth_year\" name=\"defender_birth_year\" type=\"number\" inputmode=\"numeric\" min=\"1900\" max=\"\(year)\" value=\"\(escape(values.first("defender_birth_year") ?? ""))\">\n"
        html += select("defender_age_band", t("O su rango de edad"), Vocabulary.ageBands.terms, values: values)
        html += select("defender_gender_identity", t("Identidad de género"), Vocabulary.genderIdentities.terms, values: values)
        html += select("defender_ethnicity", t("¿Se identifica como…?"), Vocabulary.ethnicities.terms, values: values)
        return html + "</fieldset>\n"
    }

    func needsSection(_ values: FormValues) -> String {
        var html = "<fieldset><legend>\(t("¿Qué necesita?"))</legend>\n"
        html += checkboxes("needs", t("Apoyos que necesita (opcional)"), Vocabulary.needs.terms, values: values)
        html += "<div class=\"check urgent\"><input type=\"checkbox\" id=\"urgent\" name=\"urgent\" value=\"on\"\(values.has("urgent", "on") ? " checked" : "")>"
        html += "<label for=\"urgent\">\(t("Es urgente: mi vida o la de mi familia corre peligro ahora"))</label></div>\n"
        html += "<p class=\"note\">\(t("Marcar urgente avisa al equipo sin revelar el contenido. El servidor sí sabe que una denuncia es urgente."))</p>\n"
        return html + "</fieldset>\n"
    }

    func consentSection(_ values: FormValues) -> String {
        var html = "<fieldset><legend>\(t("Su consentimiento"))</legend>\n"
        html += "<div class=\"check\"><input type=\"checkbox\" id=\"consent_registry\" name=\"consent_registry\" value=\"on\"\(values.has("consent_registry", "on") ? " checked" : "")>"
        html += "<label for=\"consent_registry\">\(t("Acepto que la agresión se cuente en el registro estadístico de la red, sin mi nombre ni datos que me identifiquen."))</label></div>\n"
        html += "<div class=\"check\"><input type=\"checkbox\" id=\"consent_contact\" name=\"consent_contact\" value=\"on\"\(values.has("consent_contact", "on") ? " checked" : "")>"
        html += "<label for=\"consent_contact\">\(t("Acepto que el equipo de la red me contacte por el medio que indiqué."))</label></div>\n"
        return html + "</fieldset>\n"
    }

    /// Shown by form.js only: without JavaScript, files cannot be sealed on the device, and the
    /// no-JavaScript path takes none.
    func attachmentSection() -> String {
        """
        <fieldset id="attachments-section" hidden><legend>\(t("Archivos (opcional)"))</legend>
        <p class="note" id="attachments-note">\(t("Fotos, capturas o documentos, hasta {megabytes} MB en total. Las fotos se vuelven a guardar en su teléfono para quitarles la ubicación (GPS), la fecha y el modelo del teléfono. Otros archivos (PDF, audio, documentos) viajan con sus datos ocultos: el nombre del autor, la fecha, a veces la ubicación.").replacingOccurrences(of: "{megabytes}", with: "\(Self.attachmentLimitMegabytes)"))</p>
        <label for="attachments">\(t("Elegir archivos"))</label>
        <input type="file" id="attachments" multiple aria-describedby="attachments-note">
        <div class="check"><input type="checkbox" id="keep_originals"><label for="keep_originals">\(t("Enviar las fotos originales, sin quitar sus datos (solo si las necesita como prueba: revelan dónde y cuándo se tomaron)"))</label></div>
        <ul id="attachment-list"></ul>
        <div id="voice" hidden>
        <h3>\(t("Mensaje de voz"))</h3>
        <p class="note warning" id="voice-warning">\(st("Su voz puede identificarla: quien escuche la grabación podría reconocerla, aunque no diga su nombre. Grabe solo si está de acuerdo; también puede escribir."))</p>
        <button type="button" id="voice-record">\(t("Grabar un mensaje de voz"))</button>
        <button type="button" id="voice-stop" hidden>\(t("Detener la grabación"))</button>
        <p id="voice-status" aria-live="polite"></p>
        <audio id="voice-preview" controls hidden></audio>
        <div id="voice-review" hidden><button type="button" id="voice-add">\(t("Adjuntar esta grabación"))</button>
        <button type="button" id="voice-discard">\(t("Descartar"))</button></div>
        <div id="voice-unavailable" hidden><p>\(t("Este navegador no puede grabar aquí (Tor Browser no graba; también pasa sin micrófono o si no dio permiso). Puede grabar con otra aplicación de su teléfono y adjuntar el archivo de audio:"))</p>
        <label for="voice-file">\(t("Elegir un archivo de audio"))</label>
        <input type="file" id="voice-file" accept="audio/*"></div>
        </div>
        </fieldset>

        """
    }

    /// Shown by form.js only: the codename is made and used on the device, never by the server.
    func codenameSection() -> String {
        """
        <fieldset id="codename-section" hidden data-words="\(isOffline ? "#codename-words-list" : "/assets/" + WebAssets.wordListName)" data-words-integrity="\(assets.wordList?.integrity ?? "")"><legend>\(st("Recibir respuestas (opcional)"))</legend>
        <p class="note">\(st("Con un nombre clave de 7 palabras, la red puede responderle aquí sin saber quién es usted, y usted puede enviar más información sobre el mismo caso."))</p>
        <div class="check"><input type="checkbox" id="want_codename"><label for="want_codename">\(st("Crear un nombre clave para recibir respuestas"))</label></div>
        <div id="codename-box" hidden><p>\(st("Su nombre clave:"))</p><p class="codename" id="codename-words"></p>
        <p class="note"><strong>\(t("Anótelo en papel ahora y guárdelo en un lugar seguro."))</strong> \(st("No se vuelve a mostrar. Con él lee las respuestas («Consultar respuestas», abajo). Si lo pierde, nadie puede recuperarlo ni leer las respuestas por usted. No lo guarde en el teléfono si alguien puede revisarlo."))</p></div>
        <label for="existing_codename">\(st("¿Ya tiene un nombre clave de una denuncia anterior? Escríbalo para unir esta a aquella"))</label>
        <input type="text" id="existing_codename" autocomplete="off" autocapitalize="none" spellcheck="false">
        </fieldset>

        """
    }

    /// "Consultar respuestas": the codename never leaves the device; only the mailbox id is asked for.
    func repliesSection() -> String {
        """
        <section id="replies-section" hidden><h2>\(t("Consultar respuestas"))</h2>
        <p class="note">\(st("Escriba su nombre clave. Las respuestas se abren aquí, en su teléfono; el nombre clave no se envía."))</p>
        <label for="replies_codename">\(t("Nombre clave"))</label>
        <input type="text" id="replies_codename" autocomplete="off" autocapitalize="none" spellcheck="false">
        <p class="buttons"><button type="button" id="replies_check">\(t("Consultar"))</button></p>
        <div id="replies-status" role="status" aria-live="polite"></div>
        <ol id="replies-list"></ol></section>
        <noscript><p>\(st("Para recibir respuestas con un nombre clave hace falta JavaScript: el nombre clave se crea y se usa solo en su dispositivo."))</p></noscript>

        """
    }

    func statusAreas() -> String {
        """
        <div id="status" role="status" aria-live="polite"></div>
        <section id="receipt" hidden tabindex="-1"><h2>\(st("Su denuncia fue recibida"))</h2>
        <p>\(st("Número de recibo:")) <code id="receipt-code"></code></p>
        <p>\(t("Se cifró en su teléfono antes de enviarse. El formulario se vació y no quedó nada guardado en este dispositivo. Por su seguridad, cierre esta pestaña."))</p></section>
        <section id="offline" hidden tabindex="-1"><h2>\(t("No se pudo enviar"))</h2>
        <p id="offline-reason"></p>
        <p>\(st("Su denuncia ya está cifrada. Puede intentar de nuevo, o guardarla como archivo cifrado y enviarla después o pedir a una persona de confianza que la envíe (con el programa resguardo-submit: «resguardo-submit send ARCHIVO»). Nadie puede leer ese archivo, pero su existencia muestra que usó este servicio: guárdelo con cuidado y bórrelo después de enviarlo."))</p>
        <p class="buttons"><button type="button" id="retry">\(t("Intentar de nuevo"))</button> <button type="button" id="save">\(st("Guardar denuncia cifrada"))</button></p></section>

        """
    }

    /// Texts form.js shows, in the page's language: no strings live in the script.
    func messages() -> String {
        let list: [(String, String)] = [
            ("keys", st("Comprobando las llaves de la red…")),
            ("sealing", t("Cifrando en su teléfono…")),
            ("photos", t("Quitando datos ocultos de las fotos…")),
            ("work", t("Un momento: el servidor pide un pequeño cálculo contra envíos masivos…")),
            ("sending", t("Enviando…")),
            ("manifest_bad_signature", st("La firma de las llaves de la red NO es válida. No se envió nada. Alguien pudo alterar el servidor o la conexión: no use este sitio y avise a la red por otro medio.")),
            ("manifest_wrong_signer", st("Las llaves de la red están firmadas por una llave desconocida. No se envió nada. No use este sitio y avise a la red por otro medio.")),
            ("manifest_malformed", st("No se pudieron leer las llaves de la red. No se envió nada. Intente más tarde.")),
            ("no_network", st("Elija primero el país: su denuncia se cifra para la red de ese país. No se envió nada.")),
            ("manifest_expired", st("La lista de llaves de la red venció. No se envió nada. Avise a la red por otro medio.")),
            ("manifest_rolled_back", st("El servidor entregó una lista de llaves más antigua que la de este formulario: puede estar reutilizando llaves retiradas. No se envió nada. Avise a la red por otro medio.")),
            ("manifest_no_current_key", st("La red no tiene una llave vigente hoy. No se envió nada. Avise a la red por otro medio.")),
            ("manifest_bad_key_id", st("Las llaves de la red no son coherentes. No se envió nada. Avise a la red por otro medio.")),
            ("date_incomplete", t("Fecha: si indica el día o el mes, indique también el mes y el año.")),
            ("too_large", t("La denuncia con sus archivos es demasiado grande. Quite algún archivo e intente de nuevo.")),
            ("network", t("No hay conexión con el servidor.")),
            ("server", st("El servidor no pudo guardar su denuncia ahora (no fue recibida).")),
            ("refused", t("El servidor rechazó la denuncia:")),
            ("file_unreadable", t("No se pudo leer un archivo:")),
            ("remove", t("Quitar")),
            ("codename_invalid", st("El nombre clave debe tener 7 palabras de la lista; revise cómo lo escribió.")),
            ("wordlist", t("No se pudo cargar la lista de palabras. Intente de nuevo.")),
            ("no_replies", st("No hay respuestas (todavía) para este nombre clave.")),
            ("replies_found", t("Respuestas:")),
            ("will_clean", t("se limpiará")),
            ("travels_with_data", t("viaja con sus datos ocultos")),
            ("voice_recording", t("Grabando… {seconds} s. Pulse «Detener la grabación» al terminar.")),
            ("voice_ready", t("Grabación lista: {seconds} s, {kb} KB. Escúchela antes de adjuntarla.")),
            ("voice_added", t("La grabación se adjuntó a su denuncia; se cifrará con ella.")),
            ("voice_label", t("mensaje de voz")),
        ]
        return "<div id=\"messages\" hidden>" + list.map { code, text in
            "<p data-code=\"\(code)\">\(text)</p>"
        }.joined() + "</div>\n"
    }

    // MARK: controls

    func option(_ value: String, _ label: String, selected: Bool) -> String {
        "<option value=\"\(escape(value))\"\(selected ? " selected" : "")>\(escape(label))</option>"
    }

    func textInput(_ name: String, _ label: String, note: String?, values: FormValues, maxLength: Int) -> String {
        var html = "<label for=\"\(name)\">\(label)</label>\n"
        var described = ""
        if let note {
            html += "<p class=\"note\" id=\"\(name)-note\">\(note)</p>\n"
            described = " aria-describedby=\"\(name)-note\""
        }
        html += "<input type=\"text\" id=\"\(name)\" name=\"\(name)\" maxlength=\"\(maxLength)\" autocomplete=\"off\"\(described) value=\"\(escape(values.first(name) ?? ""))\">\n"
        return html
    }

    func checkboxes(_ name: String, _ label: String, _ terms: [Term], values: FormValues) -> String {
        var html = "<fieldset class=\"choices\"><legend>\(label)</legend>\n"
        for term in terms {
            let id = "\(name)-\(term.code)"
            html += "<div class=\"check\"><input type=\"checkbox\" id=\"\(id)\" name=\"\(name)\" value=\"\(term.code)\"\(values.has(name, term.code) ? " checked" : "")>"
            html += "<label for=\"\(id)\">\(escape(self.label(term)))</label></div>\n"
        }
        return html + "</fieldset>\n"
    }

    func radios(_ name: String, _ label: String, _ terms: [Term], values: FormValues, unknown: Bool) -> String {
        var html = "<fieldset class=\"choices\"><legend>\(label)</legend>\n"
        var choices = terms.map { ($0.code, escape(self.label($0))) }
        if unknown { choices.append(("", t("No sé / prefiero no decir"))) }
        for (code, text) in choices {
            let id = "\(name)-\(code.isEmpty ? "none" : code)"
            let checked = code.isEmpty ? (values.first(name) == nil) : values.has(name, code)
            html += "<div class=\"check\"><input type=\"radio\" id=\"\(id)\" name=\"\(name)\" value=\"\(code)\"\(checked ? " checked" : "")>"
            html += "<label for=\"\(id)\">\(text)</label></div>\n"
        }
        return html + "</fieldset>\n"
    }

    func yesNo(_ name: String, _ label: String, _ values: FormValues) -> String {
        radios(name, label, [Term(code: "yes", es: locale.text("Sí"), en: locale.text("Sí")), Term(code: "no", es: locale.text("No"), en: locale.text("No"))],
               values: values, unknown: true)
    }

    func select(_ name: String, _ label: String, _ terms: [Term], values: FormValues) -> String {
        var html = "<label for=\"\(name)\">\(label)</label>\n<select id=\"\(name)\" name=\"\(name)\"><option value=\"\">\(t("Prefiero no decir"))</option>"
        for term in terms { html += option(term.code, self.label(term), selected: values.first(name) == term.code) }
        return html + "</select>\n"
    }
}

/// HTML text and attribute escaping (shared with the registry's reports).
func escape(_ text: String) -> String { Encoding.htmlEscaped(text) }

/// The self-contained offline form (`resguardo-intake offline-form`).
public enum OfflineForm {
    public static func html(language: String, manifest: SignedKeyManifest, fingerprint: SigningKeyFingerprint, intakeURL: String,
                            network: NetworkSetting? = nil,
                            tweetNaClPath: String = WebAssets.defaultTweetNaClPath, catalogs extraFolder: String? = nil) throws(ConfigurationError) -> String {
        let assets = try WebAssets(tweetNaClPath: tweetNaClPath)
        let catalogs = try Catalogs.load(extraFolder: extraFolder)
        guard catalogs.served.contains(language) else {
            throw .invalid("--language", "`\(language)` is not a served language (served: \(catalogs.served.joined(separator: ", ")))")
        }
        return try WebPage.offlineForm(locale: PageLocale(language, catalogs: catalogs), assets: assets, manifest: manifest, fingerprint: fingerprint,
                                       intakeURL: intakeURL, network: network, year: CalendarDay.today().year)
    }
}
