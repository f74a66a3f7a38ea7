import Formats

/// The frame every screen shares: the header with the network's name, the navigation, the lock
/// and language buttons, the notice of the last change. No script anywhere: every action is a
/// form (so the CSP allows no script at all), and the only moving part, an import's progress,
/// refreshes itself with `<meta http-equiv="refresh">`.
struct Page {
    let language: Language
    let csrf: String
    let unlocked: Bool
    let organisation: String
    /// The regional office's desk: its own sections.
    var regional = false

    /// A text in the page's language (scripts/gen-catalog finds `T("…")` as it finds `L("…")`).
    func T(_ english: String, _ values: [String: String] = [:]) -> String { L(english, values, in: language) }

    enum Section: String { case inbox, due, importing, reports, keys, none }

    func render(title: String, section: Section, body: String, notice: (text: String, isError: Bool)? = nil, refreshSeconds: Int? = nil) -> String {
        var nav = ""
        if unlocked {
            let items: [(Section, String, String)] = regional
                ? [(.importing, "/registro", T("Regional registry")), (.reports, "/informes", T("Regional report")), (.keys, "/custodia", T("Keys and custody"))]
                : [(.inbox, "/bandeja", T("Inbox")), (.due, "/pendientes", T("What is due")), (.importing, "/importar", T("Import")), (.reports, "/informes", T("Reports")),
                   (.keys, "/claves", T("Keys and custody"))]
            nav = "<nav aria-label=\"\(h(T("Main")))\"><ul>" + items.map { item in
                "<li><a href=\"\(item.1)\"\(item.0 == section ? " aria-current=\"page\"" : "")>\(h(item.2))</a></li>"
            }.joined() + "</ul></nav>"
        }
        let other: Language = language == .es ? .en : .es
        var tools = form("/idioma", button: other == .en ? "English" : "Español", fields: ["idioma": other.rawValue], style: "link", lang: other.rawValue)
        if unlocked { tools += form("/bloquear", button: T("Lock"), style: "lock") }
        let noticeHTML = notice.map { "<p class=\"notice\(($0.isError ? " error" : ""))\" role=\"\($0.isError ? "alert" : "status")\">\(h($0.text))</p>" } ?? ""
        return """
        <!doctype html>
        <html lang="\(language.rawValue)"><head><meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        \(refreshSeconds.map { "<meta http-equiv=\"refresh\" content=\"\($0)\">" } ?? "")
        <title>\(h(title)) · \(h(T("Resguardo desk")))</title>
        <link rel="stylesheet" href="/estilo.css">
        </head><body>
        <a class="skip" href="#contenido">\(h(T("Skip to content")))</a>
        <header><div class="brand"><b>\(h(T("Resguardo desk")))</b><span>\(h(organisation))</span></div>\(nav)<div class="tools">\(tools)</div></header>
        <main id="contenido" tabindex="-1">
        \(noticeHTML)
        <h1>\(h(title))</h1>
        \(body)
        </main>
        <footer><p>\(h(T("Offline: this page is served by this laptop alone, to this browser alone.")))</p></footer>
        </body></html>
        """
    }

    /// A form that changes something: POST, with the session's CSRF token.
    func form(_ action: String, button: String, fields: [String: String] = [:], content: String = "", style: String = "", lang: String? = nil) -> String {
        let hidden = fields.sorted { $0.key < $1.key }.map { "<input type=\"hidden\" name=\"\(h($0.key))\" value=\"\(h($0.value))\">" }.joined()
        return "<form method=\"post\" action=\"\(h(action))\" class=\"\(style)\"><input type=\"hidden\" name=\"csrf\" value=\"\(csrf)\">\(hidden)\(content)"
            + "<button type=\"submit\"\(lang.map { " lang=\"\($0)\"" } ?? "")>\(h(button))</button></form>"
    }

    /// A labelled control; `id` ties the label to it for screen readers.
    func field(_ id: String, _ label: String, _ control: String, hint: String? = nil) -> String {
        // The hint is tied to its control too, so a screen reader says it with the label.
        let described = hint == nil ? control : control.replacingOccurrences(of: "id=\"\(id)\"", with: "id=\"\(id)\" aria-describedby=\"\(id)-hint\"")
        return "<div class=\"field\"><label for=\"\(id)\">\(h(label))</label>\(described)\(hint.map { "<small id=\"\(id)-hint\">\(h($0))</small>" } ?? "")</div>"
    }

    /// `id` defaults to the name; a page with two selects of one name gives each its own.
    func select(_ name: String, _ options: [(value: String, label: String)], selected: String?, id: String? = nil) -> String {
        "<select id=\"\(id ?? name)\" name=\"\(name)\">" + options.map { "<option value=\"\(h($0.value))\"\($0.value == selected ? " selected" : "")>\(h($0.label))</option>" }.joined() + "</select>"
    }

    /// A definition list of label → value (both escaped).
    func list(_ rows: [(String, String)]) -> String {
        "<dl>" + rows.map { "<dt>\(h($0.0))</dt><dd>\(h($0.1))</dd>" }.joined() + "</dl>"
    }
}

/// The stylesheet: served from /estilo.css (the CSP allows styles from this origin only).
/// Readable at 1366×768 and on a tablet; visible focus for keyboard use; print hides the frame.
let mesaStylesheet = """
:root { --ink: #1d1d1f; --accent: #6b2c91; --soft: #f3eef7; --warn: #8a1c1c; --line: #d9d2df; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.45 "DejaVu Sans", Arial, sans-serif; color: var(--ink); background: #fff; }
.skip { position: absolute; left: -999px; } .skip:focus { left: 8px; top: 8px; background: #fff; padding: 6px; z-index: 2; }
header { display: flex; flex-wrap: wrap; align-items: center; gap: 12px 24px; padding: 10px 20px; background: var(--accent); color: #fff; }
header .brand b { display: block; font-size: 18px; } header .brand span { font-size: 13px; opacity: .9; }
header nav ul { display: flex; flex-wrap: wrap; gap: 4px 14px; list-style: none; margin: 0; padding: 0; }
header nav a { color: #fff; text-decoration: none; padding: 6px 8px; border-radius: 4px; }
header nav a[aria-current="page"] { background: rgba(255,255,255,.2); font-weight: bold; }
header .tools { margin-left: auto; display: flex; gap: 8px; }
header .tools button { background: #fff; color: var(--accent); border: 0; }
main { max-width: 1300px; margin: 0 auto; padding: 16px 20px 40px; }
h1 { font-size: 24px; margin: 8px 0 14px; } h2 { font-size: 18px; margin: 22px 0 8px; border-bottom: 2px solid var(--accent); padding-bottom: 3px; }
a { color: var(--accent); } a:focus, button:focus, input:focus, select:focus, textarea:focus { outline: 3px solid #f5a623; outline-offset: 2px; }
button { font: inherit; padding: 7px 14px; border-radius: 5px; border: 1px solid var(--accent); background: var(--accent); color: #fff; cursor: pointer; }
button.secondary, form.secondary button { background: #fff; color: var(--accent); }
form.danger button { background: var(--warn); border-color: var(--warn); }
form { margin: 6px 0; } form.inline { display: inline-block; margin-right: 6px; }
.field { margin: 8px 0; } .field label { display: block; font-weight: bold; margin-bottom: 3px; } .field small { display: block; color: #555; }
input[type=text], input[type=password], input[type=date], select, textarea { font: inherit; padding: 6px 8px; border: 1px solid #999; border-radius: 4px; max-width: 100%; }
input[type=text], textarea { width: 36em; } textarea { min-height: 5em; }
fieldset { border: 1px solid var(--line); border-radius: 6px; margin: 10px 0; } legend { font-weight: bold; }
table { border-collapse: collapse; width: 100%; font-size: 14px; } caption { text-align: left; font-weight: bold; padding: 4px 0; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: top; } th { background: var(--soft); }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; margin: 8px 0; } dt { font-weight: bold; } dd { margin: 0; overflow-wrap: anywhere; }
pre.relato { white-space: pre-wrap; overflow-wrap: anywhere; background: var(--soft); padding: 10px; border-radius: 6px; font: inherit; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 13px; background: var(--soft); }
.badge.urgent { background: var(--warn); color: #fff; } .badge.risk-extreme, .badge.risk-high { background: #f6d5d5; }
.notice { padding: 8px 12px; border-left: 5px solid var(--accent); background: var(--soft); } .notice.error { border-color: var(--warn); background: #fbeaea; }
.warning { padding: 8px 12px; border-left: 5px solid var(--warn); background: #fbeaea; }
tr.refused td { background: #fbeaea; }
.columns { display: grid; grid-template-columns: repeat(3, minmax(0, 1fr)); gap: 18px; }
.columns > section { border: 1px solid var(--line); border-radius: 6px; padding: 8px 12px; }
.filters { display: flex; flex-wrap: wrap; gap: 4px 18px; align-items: flex-end; }
.pager { margin: 10px 0; }
iframe.report { width: 100%; height: 1100px; border: 1px solid var(--line); }
footer { font-size: 12px; color: #555; text-align: center; padding: 10px; }
th, td, dt, li { overflow-wrap: anywhere; }
@media (max-width: 1000px) {
  .columns { grid-template-columns: 1fr; } input[type=text], textarea { width: 100%; }
  dl { grid-template-columns: minmax(0, 40%) minmax(0, 1fr); } main { padding: 12px 10px 30px; }
}
@media print { header, footer, form { display: none; } }
"""
