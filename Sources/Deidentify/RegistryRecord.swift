import Formats

/// One aggression as the registry holds it (DESIGN.md §7). The type has **no free-text field**:
/// names, contacts, IDs, places below region, narrative and attachments cannot be copied into it,
/// because there is nowhere to put them.
public struct RegistryRecord: Sendable, Equatable {
    public var recordId: String
    public var defenderPid: String
    public var organisationPid: String?
    public var country: String
    public var region: String?
    /// `YYYY-MM`, `YYYY-Qn` (after k-generalisation) or `YYYY`; nil when the report gave no date.
    public var period: String?
    public var datePrecision: String
    public var aggressionTypes: [String]
    public var targetScope: String?
    public var peopleAffected: Int?
    public var perpetrators: [String]
    public var stateCollusion: Bool
    public var rightsDefended: [String]
    public var genderIdentity: String
    public var ageBand: String?
    public var ethnicity: String
    public var genderComponent: Bool
    public var genderComponentTypes: [String]
    public var digital: Bool
    public var affectsRelatives: Bool?
    public var setting: String?
    public var verification: String
    public var network: String

    public init(
        recordId: String,
        defenderPid: String,
        organisationPid: String?,
        country: String,
        region: String?,
        period: String?,
        datePrecision: String,
        aggressionTypes: [String],
        targetScope: String?,
        peopleAffected: Int?,
        perpetrators: [String],
        stateCollusion: Bool,
        rightsDefended: [String],
        genderIdentity: String,
        ageBand: String?,
        ethnicity: String,
        genderComponent: Bool,
        genderComponentTypes: [String],
        digital: Bool,
        affectsRelatives: Bool?,
        setting: String?,
        verification: String,
        network: String
    ) {
        self.recordId = recordId
        self.defenderPid = defenderPid
        self.organisationPid = organisationPid
        self.country = country
        self.region = region
        self.period = period
        self.datePrecision = datePrecision
        self.aggressionTypes = aggressionTypes
        self.targetScope = targetScope
        self.peopleAffected = peopleAffected
        self.perpetrators = perpetrators
        self.stateCollusion = stateCollusion
        self.rightsDefended = rightsDefended
        self.genderIdentity = genderIdentity
        self.ageBand = ageBand
        self.ethnicity = ethnicity
        self.genderComponent = genderComponent
        self.genderComponentTypes = genderComponentTypes
        self.digital = digital
        self.affectsRelatives = affectsRelatives
        self.setting = setting
        self.verification = verification
        self.network = network
    }

    /// The quasi-identifiers the k-check groups on (DESIGN.md §7 rule 3). `RegistryDatabase`
    /// computes the same string in SQL for its group counts; a test holds the two together.
    public var equivalenceKey: String {
        [country, region ?? "*", period ?? "*", rightsDefended.sorted().joined(separator: "+"), genderIdentity, ethnicity].joined(separator: "|")
    }
}

/// What was done to one record, field by field, and why: shown before anything is written.
public struct Redaction: Sendable, Equatable, CustomStringConvertible {
    public enum Action: String, Sendable { case removed, generalised, pseudonymised, topCoded = "top-coded" }
    public let field: String
    public let action: Action
    public let reason: String

    public var description: String { "\(field): \(action.rawValue) (\(reason))" }
}
