import Formats
public import Sodium

/// What a record-level export (CSV/JSON) may carry (DESIGN.md §7 rule 3). The registry itself
/// keeps full generalised records so the network's own counts are exact; a file of records is
/// another matter: it is copied, mailed and merged with other data. So, on the way out:
/// - the k-check is run again on **every** quasi-identifier the file carries (country, region,
///   period, rights, gender identity, ethnicity, age band, setting, binned people affected,
///   perpetrator and aggression types, and the organisation pseudonym); records in a group of
///   fewer than k distinct defenders are withheld, and counted;
/// - `people_affected` is binned (1, 2–5, 6–10, 11–50, more than 50);
/// - record ids and pseudonyms are keyed again with a key made for this export and then
///   forgotten, so two exports, or an export and a referral, cannot be joined on them — unless
///   `linkable` is asked for (exports the network keeps for itself, to follow corrections).
public enum RecordRelease {
    public struct Outcome: Sendable {
        public let records: [ReleasedRecord]
        /// Records left out because their group was smaller than k.
        public let withheld: Int
    }

    public static func prepare(_ records: [RegistryRecord], linkable: Bool, k: Int = KAnonymity.k) throws(SodiumError) -> Outcome {
        var defenders: [String: Set<String>] = [:]
        for r in records { defenders[releaseKey(r), default: []].insert(r.defenderPid) }
        let kept = records.filter { (defenders[releaseKey($0)]?.count ?? 0) >= k }
        let rekey: (String, String) throws(SodiumError) -> String
        if linkable {
            rekey = { _, value in value }
        } else {
            let key = try SecureBytes.random(count: 32)
            rekey = { domain, value throws(SodiumError) in
                Encoding.hex(try GenericHash.hash(Array("resguardo export pid v1|\(domain)|\(value)".utf8), outputByteCount: 16, key: key))
            }
        }
        var released: [ReleasedRecord] = []
        released.reserveCapacity(kept.count)
        for r in kept {
            var out = r
            out.recordId = try rekey("record", r.recordId)
            out.defenderPid = try rekey("defender", r.defenderPid)
            out.organisationPid = try r.organisationPid.map { (pid) throws(SodiumError) in try rekey("organisation", pid) }
            released.append(ReleasedRecord(record: out, peopleAffectedBand: peopleBand(r.peopleAffected)))
        }
        return Outcome(records: released, withheld: records.count - kept.count)
    }

    /// 1, 2–5, 6–10, 11–50, more than 50: an exact count of people affected (a family of 7)
    /// picks out an event.
    public static func peopleBand(_ n: Int?) -> String? {
        guard let n else { return nil }
        switch n {
        case ..<2: return "1"
        case 2...5: return "2-5"
        case 6...10: return "6-10"
        case 11...50: return "11-50"
        default: return "51+"
        }
    }

    /// Every quasi-identifier a released record carries.
    static func releaseKey(_ r: RegistryRecord) -> String {
        [r.country, r.region ?? "*", r.period ?? "*", r.rightsDefended.sorted().joined(separator: "+"), r.genderIdentity, r.ethnicity,
         r.ageBand ?? "*", r.setting ?? "*", peopleBand(r.peopleAffected) ?? "*", r.perpetrators.sorted().joined(separator: "+"),
         r.aggressionTypes.sorted().joined(separator: "+"), r.organisationPid ?? "*", r.targetScope ?? "*", r.genderComponentTypes.sorted().joined(separator: "+")]
            .joined(separator: "|")
    }
}

/// A record as an export file carries it: pseudonyms keyed for this export, people affected binned.
public struct ReleasedRecord: Sendable {
    public let record: RegistryRecord
    public let peopleAffectedBand: String?
}
