/// The k-check of DESIGN.md §7 rule 3: every combination of (country, region, period, rights
/// defended, gender identity, ethnicity) must cover at least k distinct defenders. Records in
/// smaller groups are generalised in this order: region → country, month → quarter,
/// ethnicity → not_stated; what still falls short after the whole ladder is reported.
public enum KAnonymity {
    public static let k = 5

    public struct Outcome: Sendable {
        public let records: [RegistryRecord]
        /// Redactions added by the k-check, by record id.
        public let redactions: [String: [Redaction]]
        /// Record ids still in a group of fewer than k defenders after every step.
        public let belowK: Set<String>
    }

    /// What the k-check needs to know of the records already in the registry, without loading
    /// them: how many distinct defenders each group holds, and which of the candidates'
    /// defenders are among them (a defender already counted in a group does not count twice).
    public struct ExistingGroups: Sendable {
        public struct Member: Hashable, Sendable {
            public let key: String, defenderPid: String
            public init(key: String, defenderPid: String) { self.key = key; self.defenderPid = defenderPid }
        }
        /// Equivalence key → distinct defenders.
        public let defenders: [String: Int]
        /// (equivalence key, defender) pairs, for at least every candidate's defender.
        public let members: Set<Member>

        public init(defenders: [String: Int], members: Set<Member>) {
            self.defenders = defenders
            self.members = members
        }

        /// From records in memory (the registry's own `existingGroups` asks SQL instead).
        public init(records: [RegistryRecord]) {
            let members = Set(records.map { Member(key: $0.equivalenceKey, defenderPid: $0.defenderPid) })
            self.init(defenders: Dictionary(grouping: members, by: \.key).mapValues(\.count), members: members)
        }

        public static let none = ExistingGroups(defenders: [:], members: [])
    }

    /// Generalises `candidates` against themselves plus `existing` (already in the registry, left
    /// unchanged), until each candidate's group holds at least `k` distinct defenders.
    public static func enforce(_ candidates: [RegistryRecord], existing: [RegistryRecord] = [], k: Int = k) -> Outcome {
        enforce(candidates, existing: ExistingGroups(records: existing), k: k)
    }

    public static func enforce(_ candidates: [RegistryRecord], existing: ExistingGroups, k: Int = k) -> Outcome {
        var records = candidates
        var redactions: [String: [Redaction]] = [:]
        let steps: [(String, String, (inout RegistryRecord) -> Bool)] = [
            ("region", "fewer than \(k) defenders share this place and period: region → country", { r in
                guard r.region != nil else { return false }
                r.region = nil
                return true
            }),
            ("period", "still fewer than \(k): month → quarter", { r in
                guard let p = r.period, p.count == 7, let m = Int(p.suffix(2)) else { return false }
                r.period = "\(p.prefix(4))-Q\((m - 1) / 3 + 1)"
                r.datePrecision = "approximate"
                return true
            }),
            ("ethnicity", "still fewer than \(k): ethnicity → not_stated", { r in
                guard r.ethnicity != "not_stated" else { return false }
                r.ethnicity = "not_stated"
                return true
            }),
        ]
        for (field, reason, step) in steps {
            let small = smallGroups(records, existing, k: k)
            for i in records.indices where small.contains(records[i].equivalenceKey) {
                if step(&records[i]) {
                    redactions[records[i].recordId, default: []].append(Redaction(field: field, action: .generalised, reason: reason))
                }
            }
        }
        let small = smallGroups(records, existing, k: k)
        let below = Set(records.filter { small.contains($0.equivalenceKey) }.map(\.recordId))
        return Outcome(records: records, redactions: redactions, belowK: below)
    }

    /// The candidates' groups that hold fewer than k distinct defenders, counting the existing ones.
    static func smallGroups(_ candidates: [RegistryRecord], _ existing: ExistingGroups, k: Int) -> Set<String> {
        var newcomers: [String: Set<String>] = [:]
        for r in candidates where !existing.members.contains(.init(key: r.equivalenceKey, defenderPid: r.defenderPid)) {
            newcomers[r.equivalenceKey, default: []].insert(r.defenderPid)
        }
        let keys = Set(candidates.map(\.equivalenceKey))
        return keys.filter { existing.defenders[$0, default: 0] + (newcomers[$0]?.count ?? 0) < k }
    }
}
