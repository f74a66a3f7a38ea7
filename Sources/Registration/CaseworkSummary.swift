public import Casework
import Formats
public import Registry

/// The yearly casework summary as tables (issue 31): the raw counts of `Workspace.caseworkYear`
/// under the registry's suppression (`SuppressedTables`), so a summary that leaves the laptop is
/// suppressed like every report; the internal view (exact) is for the terminal and la mesa only.
public enum CaseworkSummary {
    public static func tables(_ y: CaseworkYear, threshold: Int = 5, suppress: Bool = true) -> SuppressedTables {
        typealias Row = SuppressedTables.Row
        let risk = ([RiskLevel.extreme, .high, .medium, .low] as [RiskLevel?] + [nil]).map { level in
            Row(code: level?.rawValue ?? "not_assessed", es: level.map { "Riesgo \($0.spanish)" } ?? "Sin evaluar", en: level.map { "\($0.rawValue.prefix(1).uppercased() + $0.rawValue.dropFirst()) risk" } ?? "Not assessed",
                count: y.byRisk[level] ?? 0)
        }
        let support = SupportCategory.allCases.map { Row(code: $0.rawValue, es: $0.labels.es, en: $0.labels.en, count: y.supportByCategory[$0] ?? 0) }
        let relocation = [Row(code: "with_family", es: "Con familiares", en: "With family", count: y.relocatedWithFamily),
                          Row(code: "alone", es: "Sin familiares", en: "Without family", count: y.relocations - y.relocatedWithFamily)]
        let relations: [(Companion.Relation, String, String)] = [(.partner, "Pareja", "Partner"), (.child, "Hijas e hijos", "Children"), (.parent, "Madres y padres", "Parents"),
                                                                 (.sibling, "Hermanas y hermanos", "Siblings"), (.otherRelative, "Otros familiares", "Other relatives"), (.other, "Otras personas", "Others")]
        let family = relations.map { Row(code: $0.0.rawValue, es: $0.1, en: $0.2, count: y.familyByRelation[$0.0] ?? 0) }
        let outcomes = CaseOutcome.allCases.map { Row(code: $0.rawValue, es: $0.spanish.prefix(1).uppercased() + $0.spanish.dropFirst(), en: $0.english,
                                                      count: y.byOutcome[$0] ?? 0) }
        let bands: [(String, String, String)] = [("0_1", "0 a 1 días", "0–1 days"), ("2_7", "2 a 7 días", "2–7 days"), ("8_30", "8 a 30 días", "8–30 days"), ("31_plus", "31 días o más", "31 days or more")]
        let response = bands.map { Row(code: $0.0, es: $0.1, en: $0.2, count: y.firstResponse[$0.0] ?? 0) }
        return SuppressedTables(headline: y.cases, tables: [
            .init(code: "risk", es: "Casos por nivel de riesgo", en: "Cases by risk level", rows: risk, total: y.cases, rowsSumToTotal: true),
            .init(code: "support", es: "Solicitudes de apoyo por categoría", en: "Support requests by category", rows: support, total: y.supportRequests,
                  rowsSumToTotal: true, withinHeadline: false),
            .init(code: "relocation", es: "Reubicaciones", en: "Relocations", rows: relocation, total: y.relocations, rowsSumToTotal: true),
            .init(code: "family", es: "Familiares reubicados con ellas", en: "Family members relocated with them", rows: family, total: y.familyMembers,
                  rowsSumToTotal: true, withinHeadline: false),
            .init(code: "outcome", es: "Casos cerrados por resultado", en: "Cases closed by outcome", rows: outcomes, total: y.closed, rowsSumToTotal: true),
            .init(code: "first_response", es: "Días hasta la primera respuesta", en: "Days to first response", rows: response, total: y.answered, rowsSumToTotal: true),
        ], threshold: threshold, suppress: suppress)
    }
}
