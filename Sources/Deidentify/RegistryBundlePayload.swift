public import Formats

/// What a registry bundle carries once opened (docs/formats.md §15): the records of the registry
/// record schema and nothing else, with their regional pseudonyms in `defender_pid` and
/// `organisation_pid`. The parser is strict: an unknown member, a code outside the vocabulary
/// (DESIGN.md §6) or a free-text value has nowhere to go and refuses the whole bundle, so a
/// network's mistake (or a forged bundle) never puts a name in the regional registry.
public struct RegistryBundlePayload: Sendable, Equatable {
    public var network: NetworkId
    public var sequence: Int
    public var isFull: Bool
    /// Records the regional office has not seen (all records, in a full bundle).
    public var additions: [RegistryRecord]
    /// Records it has seen, as they stand now.
    public var corrections: [RegistryRecord]
    /// Record ids withdrawn nationally (consent withdrawn, a duplicate found).
    public var withdrawals: [String]

    public init(network: NetworkId, sequence: Int, isFull: Bool, additions: [RegistryRecord], corrections: [RegistryRecord], withdrawals: [String]) {
        self.network = network
        self.sequence = sequence
        self.isFull = isFull
        self.additions = additions
        self.corrections = corrections
        self.withdrawals = withdrawals
    }

    public var bytes: [UInt8] {
        JSONValue.object([
            ("network", .string(network.text)), ("sequence", .int(sequence)), ("full", .bool(isFull)),
            ("additions", .array(additions.map(Self.object))), ("corrections", .array(corrections.map(Self.object))),
            ("withdrawals", .array(withdrawals.map(JSONValue.string))),
        ]).serialized()
    }

    static let recordMembers = ["record_id", "defender_pid", "organisation_pid", "country", "region", "period", "date_precision", "aggression_types",
                                "target_scope", "people_affected", "perpetrators", "state_collusion", "rights_defended", "gender_identity", "age_band",
                                "ethnicity", "gender_component", "gender_component_types", "digital", "affects_relatives", "setting", "verification"]

    static func object(_ r: RegistryRecord) -> JSONValue {
        func strings(_ a: [String]) -> JSONValue { .array(a.map(JSONValue.string)) }
        func optional(_ s: String?) -> JSONValue { s.map(JSONValue.string) ?? .null }
        return .object([
            ("record_id", .string(r.recordId)), ("defender_pid", .string(r.defenderPid)), ("organisation_pid", optional(r.organisationPid)),
            ("country", .string(r.country)), ("region", optional(r.region)), ("period", optional(r.period)), ("date_precision", .string(r.datePrecision)),
            ("aggression_types", strings(r.aggressionTypes)), ("target_scope", optional(r.targetScope)),
            ("people_affected", r.peopleAffected.map(JSONValue.int) ?? .null), ("perpetrators", strings(r.perpetrators)),
            ("state_collusion", .bool(r.stateCollusion)), ("rights_defended", strings(r.rightsDefended)), ("gender_identity", .string(r.genderIdentity)),
            ("age_band", optional(r.ageBand)), ("ethnicity", .string(r.ethnicity)), ("gender_component", .bool(r.genderComponent)),
            ("gender_component_types", strings(r.genderComponentTypes)), ("digital", .bool(r.digital)),
            ("affects_relatives", r.affectsRelatives.map(JSONValue.bool) ?? .null), ("setting", optional(r.setting)), ("verification", .string(r.verification)),
        ])
    }

    /// Parses an opened payload; every record is tagged with `network`.
    public init(bytes: some Collection<UInt8>) throws(RegistryPayloadError) {
        let json: JSONValue
        do { json = try JSONValue.parse(Array(bytes)) } catch { throw .invalid(L("the opened bundle is not JSON: {error}", ["error": "\(error)"])) }
        guard case .object(let members) = json else { throw .invalid(L("the opened bundle is not a JSON object")) }
        let known = ["network", "sequence", "full", "additions", "corrections", "withdrawals"]
        for (name, _) in members where !known.contains(name) { throw .invalid(L("unknown member `{value}` in the opened bundle", ["value": "\(TerminalText.escaped(name))"])) }
        guard case .string(let n)? = json["network"], let network = NetworkId(n) else { throw .invalid(L("`network` must be {rule}", ["rule": "\(NetworkId.rule)"])) }
        guard let sequence = json["sequence"]?.intValue, case .bool(let full)? = json["full"] else { throw .invalid(L("`sequence` and `full` are required")) }
        guard sequence >= 1, sequence <= RegistryBundle.maxSequence else { throw .invalid(L("`sequence` must be from 1 to {max_sequence}", ["max_sequence": "\(RegistryBundle.maxSequence)"])) }
        func records(_ name: String) throws(RegistryPayloadError) -> [RegistryRecord] {
            guard case .array(let items)? = json[name] else { throw .invalid(L("`{name}` must be an array", ["name": "\(name)"])) }
            var out: [RegistryRecord] = []
            for (i, item) in items.enumerated() { out.append(try Self.record(item, at: "\(name)[\(i)]", network: network)) }
            return out
        }
        let additions = try records("additions"), corrections = try records("corrections")
        guard case .array(let w)? = json["withdrawals"] else { throw .invalid(L("`withdrawals` must be an array")) }
        var withdrawals: [String] = []
        for (i, item) in w.enumerated() {
            guard case .string(let id) = item, Self.isRecordId(id) else { throw .invalid(L("`withdrawals[{i}]` is not a record id (32 hex digits)", ["i": "\(i)"])) }
            withdrawals.append(id)
        }
        self.init(network: network, sequence: sequence, isFull: full, additions: additions, corrections: corrections, withdrawals: withdrawals)
    }

    static func isRecordId(_ s: String) -> Bool { s.utf8.count == 32 && Encoding.bytes(fromHex: s) != nil }
    static func isPseudonym(_ s: String) -> Bool { s.utf8.count == 32 && Encoding.bytes(fromHex: s) != nil }

    static func record(_ item: JSONValue, at path: String, network: NetworkId) throws(RegistryPayloadError) -> RegistryRecord {
        guard case .object(let members) = item else { throw .invalid(L("`{path}` must be an object", ["path": "\(path)"])) }
        for (name, _) in members where !recordMembers.contains(name) { throw .invalid(L("`{path}.{name}` is not a field of the registry record schema", ["path": "\(path)", "name": "\(name)"])) }
        func fail(_ field: String, _ why: String) -> RegistryPayloadError { .invalid("`\(path).\(field)` \(why)") }
        func string(_ f: String) throws(RegistryPayloadError) -> String {
            guard case .string(let s)? = item[f] else { throw fail(f, "must be a string") }
            return s
        }
        func optionalString(_ f: String) throws(RegistryPayloadError) -> String? {
            switch item[f] {
            case nil, .null?: return nil
            case .string(let s)?: return s
            default: throw fail(f, "must be a string or null")
            }
        }
        func bool(_ f: String) throws(RegistryPayloadError) -> Bool {
            guard case .bool(let b)? = item[f] else { throw fail(f, "must be true or false") }
            return b
        }
        func coded(_ f: String, _ vocabulary: Vocabulary) throws(RegistryPayloadError) -> [String] {
            guard case .array(let items)? = item[f] else { throw fail(f, "must be an array of codes") }
            var codes: [String] = []
            for v in items {
                guard case .string(let c) = v, vocabulary.contains(c) else { throw fail(f, "holds a value outside the \(vocabulary.name) vocabulary") }
                codes.append(c)
            }
            return codes.sorted()
        }
        func code(_ value: String?, _ f: String, _ vocabulary: Vocabulary, extra: Set<String> = []) throws(RegistryPayloadError) -> String? {
            guard let value else { return nil }
            guard vocabulary.contains(value) || extra.contains(value) else { throw fail(f, "is outside the \(vocabulary.name) vocabulary") }
            return value
        }
        let recordId = try string("record_id")
        guard isRecordId(recordId) else { throw fail("record_id", L("must be 32 hex digits")) }
        let defender = try string("defender_pid")
        guard isPseudonym(defender) else { throw fail("defender_pid", L("must be a 32-hex-digit pseudonym")) }
        let organisation = try optionalString("organisation_pid")
        if let organisation, !isPseudonym(organisation) { throw fail("organisation_pid", L("must be a 32-hex-digit pseudonym")) }
        let country = try string("country")
        guard Vocabulary.countries.contains(country) else { throw fail("country", L("is not a country of the vocabulary")) }
        let region = try optionalString("region")
        if let region, !Regions.isValid(region, in: country) { throw fail("region", L("is not an ISO 3166-2 subdivision of {country}", ["country": "\(country)"])) }
        let period = try optionalString("period")
        if let period, !Self.isPeriod(period) { throw fail("period", L("must be YYYY, YYYY-MM or YYYY-Qn")) }
        var people: Int?
        switch item["people_affected"] {
        case nil, .null?: people = nil
        case let v?:
            guard let n = v.intValue, (1...50).contains(n) else { throw fail("people_affected", L("must be 1 to 50 or null")) }
            people = n
        }
        var relatives: Bool?
        switch item["affects_relatives"] {
        case nil, .null?: relatives = nil
        case .bool(let b)?: relatives = b
        default: throw fail("affects_relatives", L("must be true, false or null"))
        }
        let verification = try string("verification")
        guard ["vetted", "confirmed", "disputed"].contains(verification) else { throw fail("verification", L("must be vetted, confirmed or disputed")) }
        return RegistryRecord(
            recordId: recordId, defenderPid: defender, organisationPid: organisation, country: country, region: region, period: period,
            datePrecision: try code(try string("date_precision"), "date_precision", Vocabulary.datePrecisions, extra: ["approximate"]) ?? "approximate",
            aggressionTypes: try coded("aggression_types", Vocabulary.aggressionTypes),
            targetScope: try code(try optionalString("target_scope"), "target_scope", Vocabulary.targetScopes), peopleAffected: people,
            perpetrators: try coded("perpetrators", Vocabulary.perpetrators), stateCollusion: try bool("state_collusion"),
            rightsDefended: try coded("rights_defended", Vocabulary.rightsDefended),
            genderIdentity: try code(try string("gender_identity"), "gender_identity", Vocabulary.genderIdentities, extra: ["not_stated"]) ?? "not_stated",
            ageBand: try code(try optionalString("age_band"), "age_band", Vocabulary.ageBands),
            ethnicity: try code(try string("ethnicity"), "ethnicity", Vocabulary.ethnicities, extra: ["not_stated"]) ?? "not_stated",
            genderComponent: try bool("gender_component"), genderComponentTypes: try coded("gender_component_types", Vocabulary.genderComponentTypes),
            digital: try bool("digital"), affectsRelatives: relatives, setting: try code(try optionalString("setting"), "setting", Vocabulary.settings),
            verification: verification, network: network.text)
    }

    static func isPeriod(_ p: String) -> Bool {
        let parts = p.split(separator: "-", omittingEmptySubsequences: false)
        guard let y = parts.first, y.count == 4, Int(y) != nil else { return false }
        if parts.count == 1 { return true }
        guard parts.count == 2 else { return false }
        let rest = parts[1]
        if rest.count == 2, let m = Int(rest) { return (1...12).contains(m) }
        return ["Q1", "Q2", "Q3", "Q4"].contains(String(rest))
    }
}

public enum RegistryPayloadError: Error, Equatable, CustomStringConvertible {
    case invalid(String)
    public var description: String {
        switch self { case .invalid(let why): return L("the registry bundle's records are not valid: {why}", ["why": "\(why)"]) }
    }
}
