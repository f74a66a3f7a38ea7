import Foundation
public import Formats

/// Count tables that leave the laptop with the registry's suppression (`SuppressionPlan`, the
/// one owner of small-cell rules): every row and every total is a cell; a table whose rows
/// count each case once has its rows sum to its total, and every total is tied to the headline
/// (the number of cases), so a hidden row cannot be recovered by subtraction. Used by the
/// yearly casework summary; the registry's own report builds its plan itself.
public struct SuppressedTables: Sendable {
    public struct Row: Sendable {
        public let code: String
        public let es: String
        public let en: String
        public let count: Int
        public init(code: String, es: String, en: String, count: Int) {
            self.code = code
            self.es = es
            self.en = en
            self.count = count
        }
    }

    public struct Table: Sendable {
        public let code: String
        public let es: String
        public let en: String
        public let rows: [Row]
        public let total: Int
        /// Each case is in exactly one row (the rows sum to the total); false when a case can be
        /// in several rows or none (support categories).
        public let rowsSumToTotal: Bool
        /// The total counts cases of the headline, so it is at most the headline.
        public let withinHeadline: Bool
        public init(code: String, es: String, en: String, rows: [Row], total: Int, rowsSumToTotal: Bool, withinHeadline: Bool = true) {
            self.code = code
            self.es = es
            self.en = en
            self.rows = rows
            self.total = total
            self.rowsSumToTotal = rowsSumToTotal
            self.withinHeadline = withinHeadline
        }
    }

    public let headline: RegistryReport.Cell
    public let tables: [(table: Table, rows: [RegistryReport.Cell], total: RegistryReport.Cell)]

    /// `threshold`: counts 1…threshold−1 are hidden ("<T"); the audit then hides more ("x")
    /// until no hidden cell is pinned by the sums and bounds. `suppress: false` for the
    /// internal view (exact counts, never written to a file).
    public init(headline count: Int, tables: [Table], threshold: Int = 5, suppress: Bool = true) {
        var plan = SuppressionPlan()
        let limit = suppress ? threshold : 0
        let head = plan.cell(count, threshold: limit, anchored: true)
        var drafts: [(rows: [Int], total: Int)] = []
        for t in tables {
            let rows = t.rows.map { plan.cell($0.count, threshold: limit) }
            let total = plan.cell(t.total, threshold: limit)
            if t.rowsSumToTotal { plan.sum(rows, equals: total) } else { for r in rows { plan.bound(r, atMost: total) } }
            if t.withinHeadline { plan.bound(total, atMost: head) }
            drafts.append((rows, total))
        }
        if suppress { plan.audit() }
        func shown(_ i: Int) -> RegistryReport.Cell {
            switch plan.status[i] {
            case .published, .unpublished: return .count(plan.values[i])
            case .small(let below): return .small(below: below)
            case .complementary: return .complementary
            }
        }
        headline = shown(head)
        self.tables = zip(tables, drafts).map { ($0.0, $0.1.rows.map(shown), shown($0.1.total)) }
    }

    /// `{"headline": "12", "tables": [{"code", "es", "en", "total", "rows": [{"code", "es", "en", "count"}]}]}`,
    /// every count as shown ("12", "<5", "x").
    public func json(extra: [(String, JSONValue)] = []) -> [UInt8] {
        JSONValue.object(extra + [
            ("headline", .string(headline.shown)),
            ("tables", .array(tables.map { t in
                .object([("code", .string(t.table.code)), ("es", .string(t.table.es)), ("en", .string(t.table.en)), ("total", .string(t.total.shown)),
                         ("rows", .array(zip(t.table.rows, t.rows).map { .object([("code", .string($0.0.code)), ("es", .string($0.0.es)), ("en", .string($0.0.en)), ("count", .string($0.1.shown))]) }))])
            })),
        ]).serialized() + [0x0A]
    }

    /// A self-contained page (no script, nothing from elsewhere), Spanish first.
    public func html(title: String, subtitle: String, isInternal: Bool) -> String {
        let e = Encoding.htmlEscaped
        var body = ""
        for t in tables {
            body += "<h2>\(e(t.table.es)) <span>/ \(e(t.table.en))</span></h2><table><tbody>"
            for (row, cell) in zip(t.table.rows, t.rows) {
                body += "<tr><th>\(e(row.es)) <span>/ \(e(row.en))</span></th><td>\(e(cell.shown))</td></tr>"
            }
            body += "<tr class=\"total\"><th>Total</th><td>\(e(t.total.shown))</td></tr></tbody></table>"
        }
        return """
        <!doctype html>
        <html lang="es"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
        <title>\(e(title))</title>
        <style>
        body { font-family: "DejaVu Sans", Arial, sans-serif; color: #111; max-width: 760px; margin: 24px auto; padding: 0 12px; }
        h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 16px; margin: 22px 0 6px; } h2 span, th span { color: #666; font-weight: normal; }
        table { border-collapse: collapse; width: 100%; } th { text-align: left; font-weight: normal; padding: 4px 6px; border-bottom: 1px solid #ddd; }
        td { text-align: right; padding: 4px 6px; border-bottom: 1px solid #ddd; font-variant-numeric: tabular-nums; width: 6em; }
        tr.total th, tr.total td { font-weight: bold; } .meta { color: #333; } .internal { color: #a00; font-weight: bold; }
        </style></head><body>
        <h1>\(e(title))</h1>
        <p class="meta">\(e(subtitle))</p>
        \(isInternal ? "<p class=\"internal\">INTERNO — no sale de la computadora / INTERNAL — does not leave the laptop</p>" : "<p class=\"meta\">Cifras menores que 5 se muestran como «&lt;5»; «x» oculta una cifra que permitiría deducir otra. / Counts below 5 show as “&lt;5”; “x” hides a count that would reveal another.</p>")
        <p><strong>Casos / cases: \(e(headline.shown))</strong></p>
        \(body)
        </body></html>
        """
    }
}
