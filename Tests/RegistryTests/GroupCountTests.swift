import Foundation
import Testing
import Formats
@testable import Deidentify
@testable import Registry
import TestSupport
import TestHarness

/// The k-check asks the registry for its group counts (SQL GROUP BY) instead of loading every
/// record; these tests hold the SQL key to the Swift one and the counts to the in-memory check.
@Suite("k-check: the registry's group counts")
struct GroupCountTests {
    static func record(_ i: Int, defender: String, region: String?, period: String?, rights: [String], ethnicity: String = "none") -> RegistryRecord {
        RegistryRecord(recordId: "r\(i)", defenderPid: defender, organisationPid: nil, country: "HN", region: region,
                       period: period, datePrecision: "month", aggressionTypes: ["threat"], targetScope: "personal",
                       peopleAffected: 1, perpetrators: ["police"], stateCollusion: false, rightsDefended: rights,
                       genderIdentity: "woman", ageBand: nil, ethnicity: ethnicity, genderComponent: false, genderComponentTypes: [],
                       digital: false, affectsRelatives: nil, setting: nil, verification: "vetted", network: "n")
    }

    /// Records of many shapes: no rights, one, several given out of order; missing region and
    /// period; the same defender in several groups and twice in one group.
    static func existing() -> [RegistryRecord] {
        var records: [RegistryRecord] = []
        let rights = [[], ["land_territory"], ["women_rights", "environment", "land_territory"], ["environment", "women_rights"]]
        for i in 0..<120 {
            records.append(record(i, defender: "p\(i % 37)", region: i % 5 == 0 ? nil : "HN-0\(i % 3 + 1)",
                                  period: i % 7 == 0 ? nil : "2026-0\(i % 4 + 1)", rights: rights[i % rights.count],
                                  ethnicity: i % 2 == 0 ? "indigenous" : "none"))
        }
        return records
    }

    @Test("the SQL equivalence key and counts equal the Swift ones, rights in any order")
    func sqlMatchesSwift() throws {
        let scratch = try Scratch()
        let registry = try RegistryDatabase(path: scratch.path("registry.sqlite"))
        let records = Self.existing()
        try registry.insert(records)
        let asked = try registry.existingGroups(forDefenders: ["p3", "p11", "nadie"])
        let inMemory = KAnonymity.ExistingGroups(records: records)
        #expect(asked.defenders == inMemory.defenders)
        #expect(asked.members == inMemory.members.filter { ["p3", "p11"].contains($0.defenderPid) })
        #expect(Set(asked.defenders.keys) == Set(records.map(\.equivalenceKey)))
    }

    @Test("enforcing against the counts gives what enforcing against every loaded record gives")
    func countsGiveTheSameOutcome() throws {
        let scratch = try Scratch()
        let registry = try RegistryDatabase(path: scratch.path("registry.sqlite"))
        let records = Self.existing()
        try registry.insert(records)
        // Candidates: some defenders already in the registry (not counted twice), some new.
        let candidates = (0..<9).map { i in
            Self.record(1_000 + i, defender: i < 4 ? "p\(i)" : "nueva\(i)", region: "HN-0\(i % 2 + 1)", period: "2026-0\(i % 3 + 1)",
                        rights: ["land_territory"], ethnicity: i % 2 == 0 ? "indigenous" : "none")
        }
        let loaded = KAnonymity.enforce(candidates, existing: try registry.all())
        let counted = KAnonymity.enforce(candidates, existing: try registry.existingGroups(forDefenders: Set(candidates.map(\.defenderPid))))
        #expect(counted.records == loaded.records)
        #expect(counted.redactions == loaded.redactions)
        #expect(counted.belowK == loaded.belowK)
    }
}
