public import Formats

/// What a person reads of one case, field by field, in one language: the one list that
/// `cases show` prints (terminal-escaped) and la mesa's case page shows (HTML-escaped). Values
/// are raw report strings; each face escapes them for where they land.
public enum CaseView {
    public struct Field: Sendable {
        public let label: String
        public let value: String
        /// What a person must be told with this field (the intake saw a no-JavaScript report).
        public var warning: String? = nil
    }

    /// Who sealed the report: the defender's device, or the intake (no-JavaScript path).
    public static func sealedBy(_ summary: CaseSummary, _ language: Language) -> String {
        switch summary.sealedByIntake {
        case true?: return L("INTAKE", in: language)
        case false?: return L("device", in: language)
        case nil: return L("unknown", in: language)
        }
    }

    /// The labelled fields that have a value, the description left out (it is long text).
    public static func fields(_ summary: CaseSummary, _ r: Report, _ language: Language) -> [Field] {
        var out: [Field] = []
        func line(_ label: String, _ value: String?) {
            guard let value, !value.isEmpty else { return }
            out.append(Field(label: label, value: value))
        }
        func terms(_ codes: [String], _ vocabulary: Vocabulary) -> String {
            codes.map { vocabulary.term($0)?.label(language) ?? $0 }.joined(separator: "; ")
        }
        line(L("Case", in: language), Encoding.hex(summary.id))
        line(L("State", in: language), L(summary.state.rawValue, in: language))
        line(L("Received", in: language), summary.receivedDay)
        line(L("Urgent", in: language), summary.urgent ? L("YES", in: language) : L("no", in: language))
        line(L("Sealed by", in: language), sealedBy(summary, language))
        if summary.sealedByIntake == true { out[out.count - 1].warning = intakeSawIt(language) }
        line(L("Country", in: language), Vocabulary.countries.term(r.country).map { "\($0.label(language)) (\(r.country))" } ?? r.country)
        line(L("Region", in: language), r.region.map { "\(Regions.name(of: $0) ?? $0) (\($0))" })
        line(L("Locality", in: language), r.locality)
        line(L("Date", in: language), r.incidentDate?.description)
        line(L("Aggressions", in: language), terms(r.aggressionTypes, .aggressionTypes))
        line(L("Perpetrators", in: language), terms(r.perpetrators, .perpetrators))
        line(L("Rights defended", in: language), terms(r.rightsDefended, .rightsDefended))
        line(L("Scope", in: language), r.targetScope.flatMap { Vocabulary.targetScopes.term($0)?.label(language) })
        line(L("Name", in: language), r.defender.name)
        line(L("Organisation", in: language), r.defender.organisation)
        line(L("Contact", in: language), r.defender.contact)
        line(L("Needs", in: language), terms(r.needs, .needs))
        line(L("Registry consent", in: language), r.consent.registry ? L("yes", in: language) : L("no", in: language))
        line(L("Contact consent", in: language), r.consent.contact ? L("yes", in: language) : L("no", in: language))
        line(L("Attachments", in: language), r.attachments.isEmpty ? nil : r.attachments.map(\.filename).joined(separator: ", "))
        line(L("Unknown fields", in: language), r.unknownFields.isEmpty ? nil : r.unknownFields.map(\.path).joined(separator: ", "))
        return out
    }

    /// The warning a case sealed by the intake carries.
    public static func intakeSawIt(_ language: Language) -> String {
        L("WARNING: sent without JavaScript; the online server saw it in the clear while sealing it.", in: language)
    }
}
