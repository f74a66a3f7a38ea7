import Foundation
public import Formats
import Sodium

/// Turns a confidential report into a registry record, following DESIGN.md §7 exactly:
/// 1. removal of every identifying field; 2. generalisation (place → region, date → month,
/// age → band, organisation → pseudonym); pseudonyms are keyed BLAKE2b-128 under a per-network key
/// held offline; 3. the k-check (see `KAnonymity`).
public struct Deidentifier: Sendable {
    public static let peopleAffectedTopCode = 50
    let pseudonymKey: PseudonymKey
    let network: String

    public init(pseudonymKey: PseudonymKey, network: String) {
        self.pseudonymKey = pseudonymKey
        self.network = network
    }

    public func record(from report: Report, recordId: String) throws -> (RegistryRecord, [Redaction]) {
        var log: [Redaction] = []
        func removed(_ field: String, _ present: Bool, _ why: String) {
            if present { log.append(Redaction(field: field, action: .removed, reason: why)) }
        }
        let d = report.defender
        removed("description", !report.description.isEmpty, "free-text narrative never enters the registry")
        removed("locality", report.locality != nil, "places below region are removed")
        removed("defender.name", d.name != nil, "names are removed")
        removed("defender.contact", d.contact != nil, "contacts are removed")
        removed("defender.national_id", d.nationalId != nil, "ID numbers are removed (used only inside the pseudonym)")
        removed("defender.organisation", d.organisation != nil, "organisation names are removed")
        removed("attachments", !report.attachments.isEmpty, "attachments never enter the registry")
        removed("reply_public_key", report.replyPublicKey != nil, "contact keys are removed")
        for field in report.unknownFields { removed(field.path, true, "fields outside the registry schema are removed") }

        let defenderPid: String
        if let basis = Self.identityBasis(report) {
            defenderPid = try pseudonym("defender", report.country + "|" + basis)
            log.append(Redaction(field: "defender_pid", action: .pseudonymised, reason: d.nationalId != nil ? "keyed hash of the national ID" : "keyed hash of name, birth year and locality"))
        } else {
            // With no ID and no name there is nothing that names one person: a hash of the rest
            // would give every such defender the same pseudonym and link all their records.
            defenderPid = Encoding.hex(try Random.bytes(count: 16))
            log.append(Redaction(field: "defender_pid", action: .pseudonymised, reason: "no ID or name: a random pseudonym, linked to no other record"))
        }
        var organisationPid: String?
        if report.targetScope == "organisation", let org = d.organisation, !org.isEmpty {
            organisationPid = try pseudonym("organisation", report.country + "|" + Self.normalise(org, keepOnlyAlphanumerics: false))
            log.append(Redaction(field: "organisation_pid", action: .pseudonymised, reason: "keyed hash of the organisation's name"))
        }

        // Dates: month at most; year only for killings and disappearances.
        var period: String?
        var precision = "approximate"
        if let date = report.incidentDate {
            let grave = report.aggressionTypes.contains("killing") || report.aggressionTypes.contains("disappearance")
            switch date {
            case .day(let day):
                period = grave ? fourDigits(day.year) : "\(fourDigits(day.year))-\(twoDigits(day.month))"
                precision = grave ? "year" : "month"
                log.append(Redaction(field: "incident_date", action: .generalised, reason: grave ? "killings and disappearances are published by year" : "dates are published by month"))
            case .month(let y, let m):
                period = grave ? fourDigits(y) : "\(fourDigits(y))-\(twoDigits(m))"
                precision = grave ? "year" : "month"
                if grave { log.append(Redaction(field: "incident_date", action: .generalised, reason: "killings and disappearances are published by year")) }
            case .year(let y):
                period = fourDigits(y)
                precision = "year"
            }
        }

        // Age: a band, from the band given or the birth year and the incident year.
        var ageBand = d.ageBand
        if ageBand == nil, let born = d.birthYear, let year = report.incidentDate?.year {
            ageBand = Self.ageBand(age: year - born)
            log.append(Redaction(field: "defender.birth_year", action: .generalised, reason: "age is published as a 10-year band"))
        } else if d.birthYear != nil {
            log.append(Redaction(field: "defender.birth_year", action: .removed, reason: "the age band is kept instead"))
        }

        var people = report.peopleAffected
        if let n = people, n > Self.peopleAffectedTopCode {
            people = Self.peopleAffectedTopCode
            log.append(Redaction(field: "people_affected", action: .topCoded, reason: "counts above \(Self.peopleAffectedTopCode) are published as \(Self.peopleAffectedTopCode)"))
        }

        let record = RegistryRecord(
            recordId: recordId, defenderPid: defenderPid, organisationPid: organisationPid,
            country: report.country, region: report.region, period: period, datePrecision: precision,
            // Multi-valued fields in code order: one canonical form, whatever order the form used.
            aggressionTypes: report.aggressionTypes.sorted(), targetScope: report.targetScope, peopleAffected: people,
            perpetrators: report.perpetrators.sorted(), stateCollusion: false, rightsDefended: report.rightsDefended.sorted(),
            genderIdentity: d.genderIdentity ?? "not_stated", ageBand: ageBand, ethnicity: d.ethnicity ?? "not_stated",
            genderComponent: report.genderComponent ?? false, genderComponentTypes: report.genderComponentTypes.sorted(),
            digital: report.aggressionTypes.contains("digital_attack") || report.perpetrators.contains("online_actor"),
            affectsRelatives: report.affectsRelatives, setting: report.setting, verification: "vetted", network: network)
        return (record, log)
    }

    /// The national ID when given, else name + birth year + locality; nil without ID or name.
    static func identityBasis(_ report: Report) -> String? {
        let d = report.defender
        if let id = d.nationalId, !id.isEmpty { return "id:" + normalise(id, keepOnlyAlphanumerics: true) }
        let name = normalise(d.name ?? "", keepOnlyAlphanumerics: false)
        guard !name.isEmpty else { return nil }
        return "nbl:" + [name, d.birthYear.map(String.init) ?? "", normalise(report.locality ?? "", keepOnlyAlphanumerics: false)].joined(separator: "|")
    }

    /// The defender's pseudonym in a relocation referral: same person, same pseudonym across
    /// referrals, but under a domain of its own, so it never equals the registry's and a
    /// referral cannot be joined with registry records.
    public func referralPseudonym(for report: Report) throws -> String {
        guard let basis = Self.identityBasis(report) else { return Encoding.hex(try Random.bytes(count: 16)) }
        return try pseudonym("referral-defender", report.country + "|" + basis)
    }

    func pseudonym(_ domain: String, _ value: String, key: PseudonymKey? = nil) throws -> String {
        Encoding.hex(try GenericHash.hash(Array("resguardo pid v1|\(domain)|\(value)".utf8), outputByteCount: 16, key: (key ?? pseudonymKey).bytes))
    }

    /// The pseudonyms that travel in registry bundles (DESIGN.md §9), keyed with the regional
    /// office's key, never the network's: the same defender gets the same regional pseudonym in
    /// every network (no country in the hash: she may have relocated), so the region counts her
    /// once without learning who she is. Organisations stay per country, as nationally.
    public func regionalPseudonyms(for report: Report, key: PseudonymKey) throws -> (defender: String, organisation: String?) {
        let defender = try Self.identityBasis(report).map { try pseudonym("regional-defender", $0, key: key) } ?? Encoding.hex(try Random.bytes(count: 16))
        var organisation: String?
        if report.targetScope == "organisation", let org = report.defender.organisation, !org.isEmpty {
            organisation = try pseudonym("regional-organisation", report.country + "|" + Self.normalise(org, keepOnlyAlphanumerics: false), key: key)
        }
        return (defender, organisation)
    }

    /// Lowercase, accents folded, whitespace collapsed (and, for IDs, only letters and digits), so
    /// "María  Pérez" and "maria perez" give the same pseudonym.
    static func normalise(_ text: String, keepOnlyAlphanumerics: Bool) -> String {
        let folded = text.folding(options: [.diacriticInsensitive, .caseInsensitive, .widthInsensitive], locale: nil)
        if keepOnlyAlphanumerics { return folded.filter { $0.isLetter || $0.isNumber } }
        return folded.split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }

    static func ageBand(age: Int) -> String {
        switch age {
        case ..<18: return "under_18"
        case 18...29: return "18_29"
        case 30...39: return "30_39"
        case 40...49: return "40_49"
        case 50...59: return "50_59"
        case 60...69: return "60_69"
        default: return "70_plus"
        }
    }
}

func fourDigits(_ v: Int) -> String { String(repeating: "0", count: max(0, 4 - String(v).count)) + String(v) }
func twoDigits(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
