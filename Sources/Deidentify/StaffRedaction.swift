public import Formats

/// A change staff choose for one record beyond the rules of DESIGN.md §7, before it is loaded
/// (issue 32: "the redactions editable before `registry add`"). Each only removes or coarsens:
/// a person who knows the case may see that a field, though allowed, would point at her (the
/// only case of its kind in a small municipality's state, an ethnicity that names her community).
/// The k-check runs after these, so they can only make a group larger.
public enum StaffRedaction: String, Sendable, CaseIterable, Comparable {
    /// State or department → country only.
    case region
    /// Month → year.
    case periodToYear = "period_year"
    case ageBand = "age_band"
    /// → not stated.
    case ethnicity
    /// → not stated.
    case genderIdentity = "gender_identity"
    case setting
    case peopleAffected = "people_affected"
    /// The organisation's pseudonym (her organisation's other records stay unlinked to this one).
    case organisation

    public static func < (a: StaffRedaction, b: StaffRedaction) -> Bool { (allCases.firstIndex(of: a) ?? 0) < (allCases.firstIndex(of: b) ?? 0) }

    /// The staff's language's name of the field.
    public func label(_ language: Language) -> String {
        switch self {
        case .region: return L("State or department (keep the country only)", in: language)
        case .periodToYear: return L("Month (keep the year only)", in: language)
        case .ageBand: return L("Age band", in: language)
        case .ethnicity: return L("Ethnicity or people", in: language)
        case .genderIdentity: return L("Gender identity", in: language)
        case .setting: return L("Setting (rural, urban…)", in: language)
        case .peopleAffected: return L("People affected", in: language)
        case .organisation: return L("Organisation pseudonym", in: language)
        }
    }

    public static var accepted: String { allCases.map(\.rawValue).joined(separator: ", ") }

    /// Whether `record` has anything this would change.
    public func applies(to record: RegistryRecord) -> Bool {
        switch self {
        case .region: return record.region != nil
        case .periodToYear: return record.period.map { $0.count > 4 } ?? false
        case .ageBand: return record.ageBand != nil
        case .ethnicity: return record.ethnicity != "not_stated"
        case .genderIdentity: return record.genderIdentity != "not_stated"
        case .setting: return record.setting != nil
        case .peopleAffected: return record.peopleAffected != nil
        case .organisation: return record.organisationPid != nil
        }
    }

    /// Applies `edits` to `record`, logging each change that changed something (reason: "staff").
    public static func apply(_ edits: Set<StaffRedaction>, to record: inout RegistryRecord) -> [Redaction] {
        var log: [Redaction] = []
        for edit in edits.sorted() where edit.applies(to: record) {
            switch edit {
            case .region: record.region = nil
            case .periodToYear:
                record.period = record.period.map { String($0.prefix(4)) }
                record.datePrecision = "year"
            case .ageBand: record.ageBand = nil
            case .ethnicity: record.ethnicity = "not_stated"
            case .genderIdentity: record.genderIdentity = "not_stated"
            case .setting: record.setting = nil
            case .peopleAffected: record.peopleAffected = nil
            case .organisation: record.organisationPid = nil
            }
            let action: Redaction.Action = edit == .region || edit == .periodToYear ? .generalised : .removed
            log.append(Redaction(field: edit.field, action: action, reason: "staff: chosen before loading"))
        }
        return log
    }

    /// The record's field the redaction log names.
    public var field: String {
        switch self {
        case .region: return "region"
        case .periodToYear: return "period"
        case .ageBand: return "age_band"
        case .ethnicity: return "ethnicity"
        case .genderIdentity: return "gender_identity"
        case .setting: return "setting"
        case .peopleAffected: return "people_affected"
        case .organisation: return "organisation_pid"
        }
    }
}
