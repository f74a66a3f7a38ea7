import Foundation
public import Formats

/// What a network can load into Uwazi (HURIDOCS) without the registry's records ever leaving:
/// one aggregate entity per published cell of a report — with the report's own suppression, so
/// a count Uwazi shows is one the report would publish ("<5" and "x" included) — the thesauri
/// of the vocabulary in Spanish and English, and a description of the template to create.
///
/// Uwazi's CSV conventions (docs.uwazi.io, "CSV import"): UTF-8, comma-separated, a header row
/// of property names; `title` in every row, here only as `title__es` and `title__en` (a property
/// may not appear both with and without a language suffix); a select value is the exact label of
/// its thesaurus value, `Parent::Child` for a grouped one; several values separated by `|`; a date
/// range as `start:end` with ISO dates.
public enum UwaziExport {
    /// A thesaurus CSV's header names each column by Uwazi's own label for the language (its
    /// languages list: "Spanish", "English"), not by its code or its name in that language; the
    /// collection's default language (Spanish) gives the values' labels and English their
    /// translations. A row starting with "-" would be a child of the row above: none is.
    static let thesaurusHeader = ["Spanish", "English"]

    /// A select property of the template and the thesaurus it draws from.
    struct Dimension {
        let property: String
        let thesaurus: String
        let labels: (es: String, en: String)
        let vocabulary: Vocabulary?
    }

    static let dimensions: [String: Dimension] = [
        "by_country": Dimension(property: "pais", thesaurus: "paises", labels: ("País", "Country"), vocabulary: .countries),
        "by_aggression_type": Dimension(property: "tipo_de_agresion", thesaurus: "tipos_de_agresion", labels: ("Tipo de agresión", "Type of aggression"), vocabulary: .aggressionTypes),
        "by_perpetrator": Dimension(property: "presunto_perpetrador", thesaurus: "perpetradores", labels: ("Presunto perpetrador", "Alleged perpetrator"), vocabulary: .perpetrators),
        "by_right": Dimension(property: "derecho_defendido", thesaurus: "derechos_defendidos", labels: ("Derecho defendido", "Right defended"), vocabulary: .rightsDefended),
        "by_scope": Dimension(property: "alcance", thesaurus: "alcances", labels: ("Alcance", "Target scope"), vocabulary: .targetScopes),
        "by_gender_identity": Dimension(property: "identidad_de_genero", thesaurus: "identidades_de_genero", labels: ("Identidad de género", "Gender identity"), vocabulary: .genderIdentities),
    ]

    /// The files, by relative path: `entidades.csv`, `plantilla.json`, `tesauros/<name>.csv`.
    /// Tables without a vocabulary of their own (years, months, killings, subdivisions, networks)
    /// go in as the `tabla` and `valor` text of their entities, a subdivision with its ISO 3166-2
    /// code as well; nothing is exported unsuppressed.
    public static func files(_ report: RegistryReport) -> [(path: String, bytes: [UInt8])] {
        precondition(!report.isInternal, "an internal report never leaves the laptop")
        var out: [(path: String, bytes: [UInt8])] = []
        let tables = report.tables
        // Thesauri: the tables themselves, and each vocabulary dimension.
        var tableRows = [thesaurusHeader]
        for t in tables { let title = RegistryReport.tableTitles[t.name] ?? (t.name, t.name); tableRows.append([title.0, title.1]) }
        out.append(("tesauros/tablas.csv", csv(tableRows)))
        for (name, d) in dimensions.sorted(by: { $0.value.thesaurus < $1.value.thesaurus }) {
            guard let vocabulary = d.vocabulary else { continue }
            var rows = [thesaurusHeader]
            for code in vocabulary.codes { rows.append([RegistryReport.label(code, table: name, .es), RegistryReport.label(code, table: name, .en)]) }
            if name == "by_scope" { rows.append([RegistryReport.label("not_stated", table: name, .es), RegistryReport.label("not_stated", table: name, .en)]) }
            out.append(("tesauros/\(d.thesaurus).csv", csv(rows)))
        }
        // The template's description.
        var properties: [JSONValue] = [
            property("tabla", "select", ("Tabla", "Table"), thesaurus: "tablas"),
            property("valor__es", "text", ("Valor", "Value")), property("valor__en", "text", ("Valor (inglés)", "Value (English)")),
            property("recuento", "text", ("Recuento publicado", "Published count")),
            property("periodo", "daterange", ("Periodo", "Period")),
            // The state or department's ISO 3166-2 code, for the subdivisions table's cells (the
            // report's own suppression applies to them as to every cell).
            property("subdivision_iso_3166_2", "text", ("Estado o departamento (ISO 3166-2)", "State or department (ISO 3166-2)")),
        ]
        for d in dimensions.values.sorted(by: { $0.property < $1.property }) { properties.append(property(d.property, "select", d.labels, thesaurus: d.thesaurus)) }
        let template = JSONValue.object([
            ("name", .string("Agregado de agresiones")), ("name_en", .string("Aggregate of aggressions")),
            ("note", .string("Cada entidad es una celda publicada de un informe del registro, con su supresión de celdas pequeñas (\"<\(report.minCell)\", \"x\"). / Each entity is a published cell of a registry report, with its small-cell suppression.")),
            ("min_cell", .int(report.minCell)), ("from", .string(report.from)), ("to", .string(report.to)),
            ("properties", .array(properties)),
        ]).serialized() + [0x0A]
        out.append(("plantilla.json", template))
        // Entities: one per published cell.
        let dimensionColumns = dimensions.values.map(\.property).sorted()
        var rows = [["title__es", "title__en", "tabla", "valor__es", "valor__en", "recuento", "periodo", "subdivision_iso_3166_2"] + dimensionColumns]
        let period = "\(isoStart(report.from)):\(isoEnd(report.to))"
        for t in tables {
            let title = RegistryReport.tableTitles[t.name] ?? (t.name, t.name)
            for row in t.rows {
                let es = RegistryReport.label(row.code, table: t.name, .es), en = RegistryReport.label(row.code, table: t.name, .en)
                let subdivision = t.name == "by_region" && !row.code.hasSuffix("-" + RegistryReport.unstatedRegion) ? row.code : ""
                var cells = ["\(title.0): \(es)", "\(title.1): \(en)", title.0, es, en, row.cell.shown, period, subdivision]
                for column in dimensionColumns { cells.append(dimensions[t.name]?.property == column ? es : "") }
                rows.append(cells)
            }
        }
        out.append(("entidades.csv", csv(rows)))
        return out
    }

    static func property(_ name: String, _ type: String, _ labels: (String, String), thesaurus: String? = nil) -> JSONValue {
        .object([("name", .string(name)), ("label_es", .string(labels.0)), ("label_en", .string(labels.1)), ("type", .string(type))]
                + (thesaurus.map { [("thesaurus", JSONValue.string($0))] } ?? []))
    }

    /// The first day of a YYYY or YYYY-MM period, the last day of one.
    static func isoStart(_ p: String) -> String { p.count == 4 ? p + "-01-01" : p + "-01" }
    static func isoEnd(_ p: String) -> String {
        if p.count == 4 { return p + "-12-31" }
        guard let first = CalendarDay(p + "-01") else { return p + "-28" }
        var day = first
        while day.adding(days: 1).description.hasPrefix(p) { day = day.adding(days: 1) }
        return day.description
    }

    /// RFC 4180: every field quoted, quotes doubled, CRLF line ends (what Excel and Uwazi read).
    static func csv(_ rows: [[String]]) -> [UInt8] {
        Array(rows.map { $0.map { "\"" + $0.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }.joined(separator: ",") }.joined(separator: "\r\n").utf8) + [0x0D, 0x0A]
    }
}
