import Foundation
import Testing
import Sodium
import Formats
@testable import Deidentify
@testable import Registry

@Suite("De-identification (DESIGN.md §7)")
struct DeidentifyTests {
    let deidentifier = Deidentifier(pseudonymKey: try! PseudonymKey(SecureBytes(copying: [UInt8](repeating: 9, count: 32))), network: "Red Mesoamericana")
    static let today = CalendarDay(year: 2026, month: 11, day: 25)!

    /// A defender in Oaxaca, with everything a report can carry that must not reach the registry.
    static let oaxaca = #"""
    {"version":1,"language":"es","country":"MX","region":"MX-OAX","locality":"San Juan Yaeé, Sierra Juárez",
     "setting":"rural","incident_date":"2026-10-14","aggression_types":["death_threat","surveillance"],
     "perpetrators":["extractive_company","local_official"],"rights_defended":["land_territory","indigenous_afro"],
     "target_scope":"personal","people_affected":1,"gender_component":true,"gender_component_types":["sexist_language"],
     "description":"Me llamó al 951 123 4567 el ingeniero Ramírez; escribir a maria.hdz@correo.mx. GPS 17.0732,-96.7266.",
     "defender":{"name":"María Hernández López","contact":"+52 951 123 4567","national_id":"HELM840312MOCRPR09",
                 "birth_year":1984,"gender_identity":"woman","ethnicity":"indigenous","organisation":"Colectiva Yaeé"},
     "consent":{"registry":true,"contact":true},"apodo":"la Güera"}
    """#

    func record(_ text: String, id: String = "r1") throws -> (RegistryRecord, [Redaction]) {
        try deidentifier.record(from: Report.parse(Array(text.utf8), today: Self.today), recordId: id)
    }

    @Test("removal: no name, contact, ID, place below region, narrative or unknown field survives, and the log says so")
    func removal() throws {
        let (record, log) = try record(Self.oaxaca)
        let json = String(decoding: RegistryExport.json([record]), as: UTF8.self) + RegistryExport.csv([record])
        for secret in ["María", "Hernández", "951", "maria.hdz", "HELM840312", "Yaeé", "Ramírez", "17.0732", "Colectiva", "Güera", "Sierra Juárez"] {
            #expect(!json.contains(secret), "\(secret) reached the registry")
        }
        let fields = Set(log.filter { $0.action == .removed }.map(\.field))
        #expect(fields.isSuperset(of: ["description", "locality", "defender.name", "defender.contact", "defender.national_id", "defender.organisation", "apodo"]))
    }

    @Test("generalisation: month not day, age band from birth year, region kept, types kept")
    func generalisation() throws {
        let (record, log) = try record(Self.oaxaca)
        #expect(record.period == "2026-10" && record.datePrecision == "month")
        #expect(record.ageBand == "40_49" && record.region == "MX-OAX" && record.ethnicity == "indigenous")
        #expect(record.aggressionTypes == ["death_threat", "surveillance"] && record.perpetrators == ["extractive_company", "local_official"])
        #expect(log.contains { $0.field == "incident_date" && $0.action == .generalised })
        #expect(log.contains { $0.field == "defender.birth_year" && $0.action == .generalised })
    }

    @Test("killings and disappearances are dated by year only")
    func graveByYear() throws {
        let text = Self.oaxaca.replacingOccurrences(of: #""aggression_types":["death_threat","surveillance"]"#, with: #""aggression_types":["killing"]"#)
        let (record, _) = try record(text)
        #expect(record.period == "2026" && record.datePrecision == "year")
    }

    @Test("pseudonyms: the same ID in other spelling gives the same pid; other people and other keys give others")
    func pseudonyms() throws {
        let (a, _) = try record(Self.oaxaca)
        let (b, _) = try record(Self.oaxaca.replacingOccurrences(of: "HELM840312MOCRPR09", with: "helm 840312 mocr pr09"))
        let (c, _) = try record(Self.oaxaca.replacingOccurrences(of: "HELM840312MOCRPR09", with: "GOMA900101MOCRPR01"))
        #expect(a.defenderPid == b.defenderPid && a.defenderPid != c.defenderPid && a.defenderPid.count == 32)
        let other = Deidentifier(pseudonymKey: try PseudonymKey(SecureBytes(copying: [UInt8](repeating: 1, count: 32))), network: "x")
        let d = try other.record(from: Report.parse(Array(Self.oaxaca.utf8), today: Self.today), recordId: "r")
        #expect(d.0.defenderPid != a.defenderPid)
        // Without an ID: name + birth year + locality, accents and case folded.
        let noId = Self.oaxaca.replacingOccurrences(of: #""national_id":"HELM840312MOCRPR09","#, with: "")
        let (e, _) = try record(noId)
        let (f, _) = try record(noId.replacingOccurrences(of: "María Hernández López", with: "maria  hernandez lopez"))
        #expect(e.defenderPid == f.defenderPid && e.defenderPid != a.defenderPid)
    }

    @Test("people affected is top-coded at 50; an organisation pid only for organisation scope")
    func topCodeAndOrganisation() throws {
        let text = Self.oaxaca.replacingOccurrences(of: #""people_affected":1"#, with: #""people_affected":300"#)
            .replacingOccurrences(of: #""target_scope":"personal""#, with: #""target_scope":"organisation""#)
        let (record, log) = try record(text)
        #expect(record.peopleAffected == 50 && log.contains { $0.action == .topCoded })
        #expect(record.organisationPid != nil)
        #expect(try self.record(Self.oaxaca).0.organisationPid == nil)
    }

    @Test("k-check: small groups climb the ladder region → country, month → quarter, ethnicity → not_stated")
    func kCheck() throws {
        func make(_ i: Int, region: String, month: Int, ethnicity: String) -> RegistryRecord {
            RegistryRecord(recordId: "r\(i)", defenderPid: "p\(i)", organisationPid: nil, country: "GT", region: region,
                           period: "2026-0\(month)", datePrecision: "month", aggressionTypes: ["threat"], targetScope: "personal",
                           peopleAffected: 1, perpetrators: ["police"], stateCollusion: false, rightsDefended: ["land_territory"],
                           genderIdentity: "woman", ageBand: nil, ethnicity: ethnicity, genderComponent: false, genderComponentTypes: [],
                           digital: false, affectsRelatives: nil, setting: nil, verification: "vetted", network: "n")
        }
        // Five defenders in one region and month: already k-anonymous, left alone.
        let big = (0..<5).map { make($0, region: "GT-01", month: 3, ethnicity: "none") }
        let untouched = KAnonymity.enforce(big)
        #expect(untouched.records == big && untouched.redactions.isEmpty)
        // Two regions × 3 defenders, months 1..3 of one quarter: region goes, then month → quarter.
        let spread = (0..<3).map { make($0, region: "GT-13", month: $0 + 1, ethnicity: "indigenous") }
            + (3..<6).map { make($0, region: "GT-16", month: $0 - 2, ethnicity: "indigenous") }
        let out = KAnonymity.enforce(spread)
        #expect(out.records.allSatisfy { $0.region == nil && $0.period == "2026-Q1" && $0.ethnicity == "indigenous" })
        #expect(out.belowK.isEmpty)
        // Three defenders alone: every step runs and they are still reported below k.
        let lonely = (0..<3).map { make($0, region: "GT-17", month: 7, ethnicity: "afro") }
        let last = KAnonymity.enforce(lonely)
        #expect(last.records.allSatisfy { $0.region == nil && $0.period == "2026-Q3" && $0.ethnicity == "not_stated" })
        #expect(last.belowK.count == 3)
        #expect(last.redactions["r0"]?.map(\.field) == ["region", "period", "ethnicity"])
    }

    @Test("the registry round-trips records, multi-valued fields in their own tables; CSV escapes formulas and quotes")
    func registryRoundTrip() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("registry-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let registry = try RegistryDatabase(path: dir.appendingPathComponent("r.sqlite").path)
        let (record, _) = try record(Self.oaxaca)
        try registry.insert([record])
        #expect(try registry.all() == [record])
        #expect(throws: (any Error).self) { try registry.insert([record]) }
        let csv = RegistryExport.csv([record])
        #expect(csv.contains("death_threat;surveillance") && csv.contains("020103;120104"))
        #expect(RegistryExport.quote("=HYPERLINK(\"x\")") == "\"'=HYPERLINK(\"\"x\"\")\"")
    }

    @Test("14.7: without an ID or a name each defender gets a random pseudonym, never one shared by all the anonymous; a referral's pseudonym is not the registry's")
    func anonymousAndReferralPseudonyms() throws {
        let anonymous = #"{"version":1,"language":"es","country":"GT","description":"Nos amenazaron.","aggression_types":["threat"]}"#
        let (a, log) = try record(anonymous)
        let (b, _) = try record(anonymous)
        #expect(a.defenderPid != b.defenderPid)
        #expect(log.contains { $0.field == "defender_pid" && $0.reason.contains("random") })
        let report = try Report.parse(Array(Self.oaxaca.utf8), today: Self.today)
        let registryPid = try deidentifier.record(from: report, recordId: "x").0.defenderPid
        let referralPid = try deidentifier.referralPseudonym(for: report)
        let again = try deidentifier.referralPseudonym(for: report)
        #expect(referralPid != registryPid && referralPid == again)
    }

    @Test("14.7: a record export checks every quasi-identifier, withholds and counts the rest, bins people affected, and keys pseudonyms per export unless linkable")
    func recordRelease() throws {
        // Five defenders with the same profile, and one who differs only in a perpetrator type:
        // the old k-check (place, period, rights, identity, ethnicity) put her in the group of five.
        var records: [RegistryRecord] = []
        for i in 0..<6 {
            let text = Self.oaxaca.replacingOccurrences(of: "HELM840312MOCRPR09", with: "ID\(i)")
                .replacingOccurrences(of: #""people_affected":1"#, with: #""people_affected":\#(3 + i % 2)"#)
                .replacingOccurrences(of: #""extractive_company","local_official""#, with: i == 5 ? #""police""# : #""extractive_company","local_official""#)
            records.append(try record(text, id: "r\(i)").0)
        }
        #expect(try KAnonymity.enforce(records).belowK.isEmpty, "the registry's own check groups all six")
        let release = try RecordRelease.prepare(records, linkable: false)
        #expect(release.records.count == 5 && release.withheld == 1)
        #expect(release.records.allSatisfy { $0.peopleAffectedBand == "2-5" })
        let again = try RecordRelease.prepare(records, linkable: false)
        let registryPids = Set(records.map(\.defenderPid)), registryIds = Set(records.map(\.recordId))
        #expect(Set(release.records.map(\.record.defenderPid)).isDisjoint(with: registryPids))
        #expect(Set(release.records.map(\.record.recordId)).isDisjoint(with: registryIds))
        #expect(Set(release.records.map(\.record.defenderPid)).isDisjoint(with: Set(again.records.map(\.record.defenderPid))), "two exports join on pseudonyms")
        #expect(Set(release.records.map(\.record.defenderPid)).count == 5, "distinct defenders stay distinct within one export")
        let linkable = try RecordRelease.prepare(records, linkable: true)
        #expect(Set(linkable.records.map(\.record.defenderPid)).isSubset(of: registryPids))
        // Every row and the document say the file is internal; no exact people_affected.
        let csv = RegistryExport.csv(release)
        #expect(csv.split(separator: "\n").dropFirst().allSatisfy { $0.hasPrefix(RegistryExport.classification) })
        let json = String(decoding: RegistryExport.json(release, linkable: false), as: UTF8.self)
        #expect(json.contains(#""classification":"\#(RegistryExport.classification)""#) && json.contains(#""withheld_below_k":1"#))
        #expect(json.contains(#""people_affected":"2-5""#) && !json.contains(#""people_affected":3"#))
    }
}

/// The records inside a registry bundle (issue 16 item 3): the record schema and nothing else.
@Suite("Registry bundle records")
struct RegistryBundlePayloadTests {
    static let record = #"{"record_id":"0123456789abcdef0123456789abcdef","defender_pid":"fedcba9876543210fedcba9876543210","organisation_pid":null,"country":"GT","region":"GT-13","period":"2026-Q3","date_precision":"month","aggression_types":["threat"],"target_scope":"personal","people_affected":1,"perpetrators":["police"],"state_collusion":false,"rights_defended":[],"gender_identity":"woman","age_band":null,"ethnicity":"not_stated","gender_component":false,"gender_component_types":[],"digital":false,"affects_relatives":null,"setting":null,"verification":"vetted"}"#

    func payload(_ record: String, withdrawals: String = "[]") -> String {
        #"{"network":"gt","sequence":2,"full":false,"additions":[\#(record)],"corrections":[],"withdrawals":\#(withdrawals)}"#
    }

    func refusal(_ text: String) -> String {
        do { _ = try RegistryBundlePayload(bytes: Array(text.utf8)); return "accepted" } catch { return error.description }
    }

    @Test("a payload round-trips and every record is tagged with the bundle's network")
    func roundTrip() throws {
        let parsed = try RegistryBundlePayload(bytes: Array(payload(Self.record).utf8))
        #expect(parsed.additions.count == 1 && parsed.additions[0].network == "gt" && parsed.additions[0].region == "GT-13")
        #expect(try RegistryBundlePayload(bytes: parsed.bytes) == parsed)
    }

    @Test("a field outside the record schema, free text, a code outside the vocabulary or a foreign subdivision refuses the whole bundle")
    func strict() {
        #expect(refusal(payload(Self.record.replacingOccurrences(of: #""setting":null"#, with: #""setting":null,"name":"María""#))).contains("not a field of the registry record schema"))
        #expect(refusal(payload(Self.record.replacingOccurrences(of: #""threat""#, with: #""amenazada en su casa""#))).contains("outside the aggression_types vocabulary"))
        #expect(refusal(payload(Self.record.replacingOccurrences(of: #""GT-13""#, with: #""MX-OAX""#))).contains("ISO 3166-2 subdivision of GT"))
        #expect(refusal(payload(Self.record.replacingOccurrences(of: #""fedcba9876543210fedcba9876543210""#, with: #""María Pérez""#))).contains("pseudonym"))
        #expect(refusal(payload(Self.record.replacingOccurrences(of: #""2026-Q3""#, with: #""3 de octubre""#))).contains("period"))
        #expect(refusal(payload(Self.record.replacingOccurrences(of: #""people_affected":1"#, with: #""people_affected":500"#))).contains("1 to 50"))
        #expect(refusal(payload(Self.record, withdrawals: #"["no es un id"]"#)).contains("withdrawals[0]"))
        #expect(refusal("{}").contains("network"))
    }
}
