import Foundation
public import Formats

extension RegistryReport {
    /// One self-contained HTML file: no external fonts, scripts or images; inline SVG charts;
    /// prints on A4. Every text that reaches the page goes through `escape`, including codes read
    /// from the registry, so a record carrying markup renders as text.
    public func html(language: Language) -> String {
        let es = language == .es
        let number = NumberFormatter()
        number.numberStyle = .decimal
        number.locale = Locale(identifier: es ? "es_MX" : "en_US")
        func n(_ cell: Cell) -> String {
            if case .count(let v) = cell { return number.string(from: NSNumber(value: v)) ?? String(v) }
            return Self.escape(cell.shown)
        }
        let titles = Self.tableTitles
        var body = ""
        if isInternal {
            body += #"<div class="internal">\#(es ? "INTERNO — NO PUBLICAR" : "INTERNAL — DO NOT PUBLISH")</div>"#
        }
        let place = country.map { Self.escape(Vocabulary.countries.term($0)?.label(language) ?? $0) } ?? (es ? "Región mesoamericana" : "Mesoamerican region")
        body += "<h1>\(es ? "Registro de agresiones contra defensoras" : "Registry of aggressions against women defenders")</h1>"
        body += "<p class=\"meta\">\(place) · \(Self.escape(from)) – \(Self.escape(to))</p>"
        body += "<div class=\"summary\">"
        body += "<div><b>\(n(headlineAggressions))</b><span>\(es ? "agresiones registradas" : "aggressions registered")</span></div>"
        body += "<div><b>\(n(distinctDefenders))</b><span>\(es ? "defensoras distintas" : "distinct defenders")</span></div>"
        body += "<div><b>\(n(distinctOrganisations))</b><span>\(es ? "organizaciones afectadas" : "organisations affected")</span></div>"
        body += "</div>"
        if isRegional, let countries = tables.first(where: { $0.name == "by_country" }) {
            body += "<section><h2>\(es ? "Mapa de la región: agresiones por país" : "Map of the region: aggressions per country")</h2>"
            body += map(countries, language: language, format: n) + "</section>"
            if let regions = tables.first(where: { $0.name == "by_region" }) {
                body += "<section><h2>\(es ? "Agresiones por estado o departamento" : "Aggressions per state or department")</h2>"
                body += subdivisionTiles(regions, countries: countries, language: language, format: n) + "</section>"
            }
        }
        for table in tables {
            let title = titles[table.name].map { es ? $0.0 : $0.1 } ?? table.name
            body += "<section><h2>\(Self.escape(title))</h2>"
            body += chart(table, language: language, format: n)
            body += "</section>"
        }
        body += "<section><h2>\(es ? "Tipos de agresión más frecuentes por país" : "Most frequent types of aggression per country")</h2><table>"
        body += "<tr><th>\(es ? "País" : "Country")</th><th>1</th><th>2</th><th>3</th></tr>"
        for (code, rows) in topTypesByCountry {
            body += "<tr><td>\(Self.escape(Vocabulary.countries.term(code)?.label(language) ?? code))</td>"
            for row in rows { body += "<td>\(Self.escape(Self.label(row.code, table: "by_aggression_type", language))) (\(n(row.cell)))</td>" }
            body += String(repeating: "<td></td>", count: max(0, 3 - rows.count)) + "</tr>"
        }
        body += "</table></section>"
        body += "<footer><p>\(es ? "Unidad de conteo: la agresión, no la persona." : "Unit of count: the aggression, not the person.") "
        body += isInternal ? (es ? "Cifras sin supresión, solo para el equipo." : "Unsuppressed figures, for staff only.")
            : (es ? "Las cifras de 1 a \(minCell - 1) se muestran como «&lt;\(minCell)» (en violencia sexual y mujeres trans, de 1 a \(sensitiveMinCell - 1), como «&lt;\(sensitiveMinCell)»). «x» marca una cifra de cualquier tamaño ocultada para proteger otra: ninguna cifra oculta puede deducirse por resta de los totales, de otras tablas ni del largo de las barras, que solo dependen de las cifras publicadas."
                 : "Counts from 1 to \(minCell - 1) are shown as “&lt;\(minCell)” (for sexual violence and trans women, 1 to \(sensitiveMinCell - 1), as “&lt;\(sensitiveMinCell)”). “x” marks a value of any size hidden to protect another: no hidden value can be recovered by subtraction from the totals, from other tables or from the bars, whose lengths depend on published values only.")
        body += "</p></footer>"
        return """
        <!doctype html>
        <html lang="\(language.rawValue)"><head><meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(es ? "Informe del registro" : "Registry report")</title>
        <style>
        @page { size: A4; margin: 16mm; }
        body { font-family: "DejaVu Sans", Arial, sans-serif; color: #1d1d1f; max-width: 820px; margin: 24px auto; padding: 0 16px; }
        h1 { font-size: 22px; margin-bottom: 4px; } h2 { font-size: 16px; margin: 22px 0 6px; border-bottom: 2px solid #6b2c91; padding-bottom: 3px; }
        .meta { color: #555; margin-top: 0; }
        .summary { display: flex; gap: 14px; margin: 16px 0; } .summary div { flex: 1; background: #f3eef7; padding: 12px; border-radius: 6px; }
        .summary b { display: block; font-size: 26px; color: #6b2c91; } .summary span { font-size: 13px; }
        section { break-inside: avoid; } svg text { font-size: 12px; fill: #1d1d1f; }
        /* position: fixed repeats the banner on every printed page, not just the first. */
        .internal { background: #b00020; color: white; font-weight: bold; text-align: center; padding: 8px; position: fixed; top: 0; left: 0; right: 0; }
        body.internal-page { padding-top: 44px; }
        table { border-collapse: collapse; width: 100%; font-size: 12px; } th, td { border-bottom: 1px solid #ddd; padding: 4px 6px; text-align: left; }
        footer { font-size: 12px; color: #444; margin-top: 26px; border-top: 1px solid #ccc; }
        </style></head><body\(isInternal ? " class=\"internal-page\"" : "")>
        \(body)
        </body></html>
        """
    }

    /// The region as an inline SVG choropleth (outlines: Natural Earth, see scripts/gen-map). A
    /// country's shade comes from its published count only; a hidden cell is hatched, whatever
    /// its value, and labelled with its marker, so the map says no more than the table.
    func map(_ table: Table, language: Language, format: (Cell) -> String) -> String {
        let published = table.rows.compactMap { row -> Int? in if case .count(let v) = row.cell { return v } else { return nil } }
        let top = max(published.max() ?? 1, 1)
        let shades = ["#efe6f5", "#d4bfe4", "#b08ccb", "#8a5aae", "#6b2c91"]
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" width=\"100%\" viewBox=\"0 0 \(MapShapes.width) \(MapShapes.height)\">"
        svg += "<title>\(language == .es ? "Agresiones por país" : "Aggressions per country")</title>"
        svg += "<defs><pattern id=\"map-hatch\" width=\"8\" height=\"8\" patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\"><rect width=\"8\" height=\"8\" fill=\"#f4f4f4\"/><rect width=\"3\" height=\"8\" fill=\"#c9b3d9\"/></pattern></defs>"
        var labels = ""
        for code in MapShapes.countries.keys.sorted() {
            guard let path = MapShapes.countries[code] else { continue }
            let row = table.rows.first { $0.code == code }
            let fill: String
            switch row?.cell {
            case .count(let v)?: fill = v == 0 ? "#f4f4f4" : shades[min(shades.count - 1, (v * shades.count - 1) / top)]
            case .some: fill = "url(#map-hatch)"
            case nil: fill = "#f4f4f4"
            }
            svg += "<path d=\"\(path)\" fill=\"\(fill)\" stroke=\"#fff\" stroke-width=\"1.2\" data-country=\"\(code)\"/>"
            if let row, let (cx, cy) = Self.labelPoint(path) {
                // The small countries sit close together: their labels go out to sea.
                let nudge = Self.labelNudges[code] ?? (0, 0)
                let (x, y) = (cx + nudge.0, cy + nudge.1)
                let name = Self.escape(Vocabulary.countries.term(code)?.label(language) ?? code)
                // A white halo keeps the label legible on any shade.
                let halo = "text-anchor=\"middle\" paint-order=\"stroke\" stroke=\"#fff\" stroke-width=\"3\""
                labels += "<text x=\"\(x)\" y=\"\(y)\" \(halo) font-weight=\"bold\">\(name)</text>"
                labels += "<text x=\"\(x)\" y=\"\(y + 14)\" \(halo)>\(format(row.cell))</text>"
            }
        }
        svg += labels + "</svg>"
        let legend = language == .es ? "Tono más oscuro: más agresiones publicadas. Rayado: cifra oculta (se muestra su marca, nunca su valor). Gris: sin agresiones registradas o fuera de las redes."
            : "Darker: more aggressions published. Hatched: a hidden count (its marker is shown, never its value). Grey: none registered, or outside the networks."
        return svg + "<p class=\"meta\">\(legend) \(language == .es ? "Límites: Natural Earth (dominio público)." : "Boundaries: Natural Earth (public domain).")</p>"
    }

    /// First-level subdivisions as a tile map: one tile per ISO 3166-2 subdivision, grouped by
    /// country, shaded like the map (the Debian package's Natural Earth data has no admin-1
    /// boundaries for these countries; see scripts/gen-map). Hidden cells are hatched and show
    /// their marker; subdivisions with no record are blank.
    func subdivisionTiles(_ table: Table, countries: Table, language: Language, format: (Cell) -> String) -> String {
        let published = table.rows.compactMap { row -> Int? in if case .count(let v) = row.cell { return v } else { return nil } }
        let top = max(published.max() ?? 1, 1)
        let shades = ["#efe6f5", "#d4bfe4", "#b08ccb", "#8a5aae", "#6b2c91"]
        let columns = 8, tileW = 66, tileH = 40, gap = 4, titleH = 22
        var svg = "", y = 0
        for country in countries.rows.map(\.code) {
            guard let subdivisions = Regions.byCountry[country] else { continue }
            let name = Self.escape(Vocabulary.countries.term(country)?.label(language) ?? country)
            svg += "<text x=\"0\" y=\"\(y + 15)\" font-weight=\"bold\">\(name)</text>"
            y += titleH
            let unstated = table.rows.first { $0.code == country + "-" + Self.unstatedRegion }
            let tiles = subdivisions.map { ($0.code, $0.name) } + (unstated.map { [($0.code, language == .es ? "sin estado indicado" : "no state given")] } ?? [])
            for (i, tile) in tiles.enumerated() {
                let x = (i % columns) * (tileW + gap), ty = y + (i / columns) * (tileH + gap)
                let row = table.rows.first { $0.code == tile.0 }
                let fill: String
                switch row?.cell {
                case .count(let v)?: fill = v == 0 ? "#f4f4f4" : shades[min(shades.count - 1, (v * shades.count - 1) / top)]
                case .some: fill = "url(#tile-hatch)"
                case nil: fill = "#f4f4f4"
                }
                let shown = row.map { format($0.cell) } ?? ""
                let short = tile.0.hasSuffix("-" + Self.unstatedRegion) ? "?" : String(tile.0.split(separator: "-").last ?? "")
                svg += "<g data-region=\"\(Self.escape(tile.0))\"><title>\(Self.escape(tile.1)): \(shown.isEmpty ? "0" : shown)</title>"
                svg += "<rect x=\"\(x)\" y=\"\(ty)\" width=\"\(tileW)\" height=\"\(tileH)\" rx=\"3\" fill=\"\(fill)\" stroke=\"#fff\"/>"
                let halo = "text-anchor=\"middle\" paint-order=\"stroke\" stroke=\"#fff\" stroke-width=\"3\""
                svg += "<text x=\"\(x + tileW / 2)\" y=\"\(ty + 16)\" \(halo) font-size=\"11\">\(Self.escape(short))</text>"
                if !shown.isEmpty { svg += "<text x=\"\(x + tileW / 2)\" y=\"\(ty + 32)\" \(halo) font-weight=\"bold\">\(shown)</text>" }
                svg += "</g>"
            }
            y += ((tiles.count + columns - 1) / columns) * (tileH + gap) + gap
        }
        let width = columns * (tileW + gap)
        return "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" width=\"100%\" viewBox=\"0 0 \(width) \(y)\">"
            + "<defs><pattern id=\"tile-hatch\" width=\"8\" height=\"8\" patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\"><rect width=\"8\" height=\"8\" fill=\"#f4f4f4\"/><rect width=\"3\" height=\"8\" fill=\"#c9b3d9\"/></pattern></defs>"
            + svg + "</svg><p class=\"meta\">\(language == .es ? "Un recuadro por estado o departamento (ISO 3166-2), con el mismo tono que el mapa; rayado: cifra oculta." : "One tile per state or department (ISO 3166-2), shaded as the map; hatched: a hidden count.")</p>"
    }

    static let labelNudges: [String: (Int, Int)] = ["GT": (-55, -18), "SV": (-40, 34), "HN": (30, -34), "NI": (40, 0)]

    /// The middle of the bounding box of a path's largest ring: where a country's label goes.
    static func labelPoint(_ path: String) -> (Int, Int)? {
        var best: [(Double, Double)] = []
        for ring in path.split(separator: "Z") {
            let points = ring.replacingOccurrences(of: "M", with: "").split(separator: " ").compactMap { pair -> (Double, Double)? in
                let xy = pair.split(separator: ",")
                guard xy.count == 2, let x = Double(xy[0]), let y = Double(xy[1]) else { return nil }
                return (x, y)
            }
            if points.count > best.count { best = points }
        }
        guard let minX = best.map(\.0).min(), let maxX = best.map(\.0).max(), let minY = best.map(\.1).min(), let maxY = best.map(\.1).max() else { return nil }
        return (Int((minX + maxX) / 2), Int((minY + maxY) / 2))
    }

    /// A horizontal bar chart as inline SVG; hidden cells get the same hatched stub whatever
    /// their value, and their marker ("<T" or "x").
    func chart(_ table: Table, language: Language, format: (Cell) -> String) -> String {
        let rowHeight = 22, labelWidth = 330, barWidth = 380
        // The scale comes from published values only: a bar scaled by a hidden maximum gives it
        // away (a bar of 6 at 253 px of 380 says the largest, hidden, value is 9).
        let maximum = max(1, table.rows.compactMap { if case .count(let v) = $0.cell { return v }; return nil }.max() ?? 1)
        let height = rowHeight * table.rows.count + 8
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" width=\"100%\" viewBox=\"0 0 \(labelWidth + barWidth + 70) \(height)\">"
        svg += "<defs><pattern id=\"hatch\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\"><rect width=\"3\" height=\"6\" fill=\"#c9b3d9\"/></pattern></defs>"
        for (i, row) in table.rows.enumerated() {
            let y = i * rowHeight + 4
            let label = Self.escape(Self.label(row.code, table: table.name, language))
            svg += "<text x=\"\(labelWidth - 6)\" y=\"\(y + 15)\" text-anchor=\"end\">\(label)</text>"
            switch row.cell {
            case .count(let v):
                let w = max(1, v * barWidth / maximum)
                svg += "<rect x=\"\(labelWidth)\" y=\"\(y + 3)\" width=\"\(w)\" height=\"\(rowHeight - 6)\" fill=\"#6b2c91\"/>"
                svg += "<text x=\"\(labelWidth + w + 5)\" y=\"\(y + 15)\">\(format(row.cell))</text>"
            case .small, .complementary:
                svg += "<rect x=\"\(labelWidth)\" y=\"\(y + 3)\" width=\"18\" height=\"\(rowHeight - 6)\" fill=\"url(#hatch)\"/>"
                svg += "<text x=\"\(labelWidth + 23)\" y=\"\(y + 15)\">\(format(row.cell))</text>"
            }
        }
        return svg + "</svg><p class=\"meta\">Total: \(format(table.total))</p>"
    }

    public static func escape(_ text: String) -> String { Encoding.htmlEscaped(text) }
}
