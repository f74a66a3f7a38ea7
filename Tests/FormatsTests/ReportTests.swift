import Testing
import Sodium
@testable import Formats

@Suite("Report v1 validation")
struct ReportTests {
    static let today = CalendarDay(year: 2026, month: 11, day: 25)!

    /// A realistic report, as a defender in Oaxaca might send it through the web form.
    static let oaxaca = #"""
    {
      "version": 1,
      "language": "es",
      "country": "MX",
      "region": "MX-OAX",
      "locality": "Comunidad zapoteca en la Sierra Sur",
      "setting": "rural",
      "incident_date": "2026-10-14",
      "aggression_types": ["death_threat", "surveillance", "smear_campaign"],
      "perpetrators": ["extractive_company", "local_official", "private_security"],
      "rights_defended": ["land_territory", "indigenous_afro"],
      "target_scope": "collective",
      "people_affected": 12,
      "gender_component": true,
      "gender_component_types": ["sexist_language", "attack_on_children_family"],
      "affects_relatives": true,
      "description": "Desde que la asamblea rechazó la concesión minera, dos camionetas sin placas vigilan mi casa. El 14 de octubre un hombre de la empresa me dijo frente a mis hijas que 'las mujeres que se meten en lo que no les toca terminan en el río'. En Facebook circulan publicaciones que me llaman 'vendida'.",
      "defender": {
        "name": "María Hernández López",
        "organisation": "Colectiva Defensoras del Territorio",
        "contact": "Signal +52 951 000 0000",
        "birth_year": 1984,
        "age_band": "40_49",
        "gender_identity": "woman",
        "ethnicity": "indigenous"
      },
      "needs": ["legal", "psychosocial", "urgent_contact"],
      "urgent": true,
      "consent": {"registry": true, "contact": true},
      "reply_public_key": "Xr1aRZ6E6WQqS0m1F5Ss3pXAbB8yq2HnT0m9s7aQhG4="
    }
    """#

    func parse(_ text: String) throws(ReportError) -> Report {
        try Report.parse(Array(text.utf8), today: Self.today)
    }

    /// The Oaxaca report with one member replaced (or added).
    func variant(_ name: String, _ json: String) -> String {
        var object = try! JSONValue.parse(Array(Self.oaxaca.utf8))
        guard case .object(var members) = object else { return "" }
        let value = try! JSONValue.parse(Array(json.utf8))
        if let i = members.firstIndex(where: { $0.0 == name }) { members[i].1 = value } else { members.append((name, value)) }
        object = .object(members)
        return String(decoding: object.serialized(), as: UTF8.self)
    }

    func issues(_ text: String) -> [ReportIssue] {
        do { _ = try parse(text); return [] } catch { return error.issues }
    }

    @Test("a realistic Spanish report passes and keeps every field")
    func realisticReport() throws {
        let report = try parse(Self.oaxaca)
        #expect(report.language == .es && report.country == "MX" && report.region == "MX-OAX")
        #expect(report.incidentDate == .day(CalendarDay("2026-10-14")!))
        #expect(report.aggressionTypes == ["death_threat", "surveillance", "smear_campaign"])
        #expect(report.defender.ethnicity == "indigenous" && report.defender.birthYear == 1984)
        #expect(report.consent == Report.Consent(registry: true, contact: true))
        #expect(report.replyPublicKey != nil && report.unknownFields.isEmpty && report.urgent)
        // Round trip through our own encoder gives the same report.
        #expect(try Report.parse(report.jsonBytes(), today: Self.today) == report)
    }

    @Test("only country and description are required")
    func minimal() throws {
        let report = try parse(#"{"version":1,"language":"en","country":"HN","description":"Me siguieron."}"#)
        #expect(report.consent == Report.Consent(registry: false, contact: false))
        #expect(issues(#"{"version":1,"language":"es"}"#).map(\.field).sorted() == ["country", "description"])
    }

    @Test("each invalid field yields an error that names it and the bad value", arguments: [
        ("country", #""CR""#, "country", "CR"),
        ("region", #""GT-01""#, "region", "GT-01"),
        ("language", #""fr""#, "language", "fr"),
        ("setting", #""suburban""#, "setting", "suburban"),
        ("incident_date", #""14/10/2026""#, "incident_date", "14/10/2026"),
        ("incident_date", #""2027-01""#, "incident_date", "future"),
        ("aggression_types", #"["threat","amenaza"]"#, "aggression_types[1]", "amenaza"),
        ("aggression_types", #"["threat","threat"]"#, "aggression_types[1]", "threat"),
        ("aggression_types", #""threat""#, "aggression_types", "array"),
        ("perpetrators", #"["narco"]"#, "perpetrators[0]", "narco"),
        ("rights_defended", #"[3]"#, "rights_defended[0]", "number"),
        ("target_scope", #""family""#, "target_scope", "family"),
        ("people_affected", #"0"#, "people_affected", "0"),
        ("people_affected", #""doce""#, "people_affected", "integer"),
        ("gender_component_types", #"["misogyny"]"#, "gender_component_types[0]", "misogyny"),
        ("urgent", #""sí""#, "urgent", "true or false"),
        ("needs", #"["money"]"#, "needs[0]", "money"),
        ("reply_public_key", #""not base64!""#, "reply_public_key", "base64"),
        ("defender", #"{"gender_identity":"mujer"}"#, "defender.gender_identity", "mujer"),
        ("defender", #"{"birth_year":1850}"#, "defender.birth_year", "1850"),
        ("defender", #"{"age_band":"40-49"}"#, "defender.age_band", "40-49"),
        ("consent", #"{"registry":"yes"}"#, "consent.registry", "true or false"),
        ("description", #""""#, "description", "empty"),
        ("attachments", #"[{"filename":"../../etc/passwd","media_type":"text/plain","data":"AA=="}]"#, "attachments[0].filename", "../../etc/passwd"),
        ("attachments", #"[{"filename":"a.jpg","media_type":"image","data":"AA=="}]"#, "attachments[0].media_type", "image"),
        ("attachments", #"[{"filename":"a.jpg","media_type":"image/jpeg","data":"A"}]"#, "attachments[0].data", "base64"),
    ])
    func invalidField(member: String, json: String, field: String, mention: String) {
        let found = issues(variant(member, json))
        #expect(found.map(\.field) == [field], "issues: \(found)")
        #expect(found.first.map { "\($0)".contains(mention) } == true, "issue should mention \(mention): \(found)")
    }

    @Test("a description over 20,000 characters is refused, one of exactly 20,000 accepted")
    func descriptionLimit() throws {
        let ok = variant("description", "\"" + String(repeating: "á", count: 20_000) + "\"")
        _ = try parse(ok)
        let long = variant("description", "\"" + String(repeating: "á", count: 20_001) + "\"")
        #expect(issues(long).map(\.field) == ["description"])
    }

    @Test("gender_component_types without gender_component is inconsistent")
    func genderConsistency() {
        let text = variant("gender_component", "false")
        #expect(issues(text).map(\.field) == ["gender_component_types"])
    }

    @Test("unknown fields are kept and listed, never dropped")
    func unknownFields() throws {
        var text = variant("alias", #""La Güera""#)
        text = text.replacingOccurrences(of: #""ethnicity":"indigenous""#, with: #""ethnicity":"indigenous","pueblo":"zapoteco""#)
        let report = try parse(text)
        #expect(report.unknownFields.map(\.path) == ["defender.pueblo", "alias"])
        #expect(report.unknownFields.last?.value == .string("La Güera"))
        // And both survive re-encoding, each where it was.
        #expect(try Report.parse(report.jsonBytes(), today: Self.today).unknownFields.map(\.path) == ["defender.pueblo", "alias"])
    }

    @Test("every problem is reported at once, not just the first")
    func allProblems() {
        let text = #"{"version":1,"language":"es","country":"XX","description":"x","perpetrators":["a","b"],"urgent":1}"#
        #expect(issues(text).map(\.field) == ["country", "perpetrators[0]", "perpetrators[1]", "urgent"])
    }

    @Test("structural failures", arguments: [
        ("[]", "JSON object"), ("{\"version\":2}", "version 2"), ("{", "not valid JSON"), ("{\"language\":\"es\"}", "version"),
    ])
    func structural(text: String, mention: String) {
        do {
            _ = try parse(text)
            Issue.record("parsed")
        } catch {
            #expect("\(error)".contains(mention), "\(error)")
        }
    }

    @Test("incident dates at every precision", arguments: [("2026", "year"), ("2026-03", "month"), ("2026-03-08", "day")])
    func incidentDates(text: String, precision: String) throws {
        let report = try parse(variant("incident_date", "\"\(text)\""))
        #expect(report.incidentDate?.precision == precision && report.incidentDate?.description == text)
    }

    @Test("the vocabulary has Spanish and English labels and keeps DESIGN.md's codes")
    func vocabulary() {
        #expect(Vocabulary.aggressionTypes.codes.count == 19 && Vocabulary.perpetrators.codes.count == 18)
        #expect(Vocabulary.aggressionTypes.term("killing")?.es == "Asesinato / feminicidio / transfeminicidio")
        #expect(Vocabulary.perpetrators.term("police")?.esf == "010104")
        for v in [Vocabulary.aggressionTypes, .perpetrators, .rightsDefended, .targetScopes, .genderComponentTypes, .genderIdentities, .needs] {
            #expect(v.terms.allSatisfy { !$0.es.isEmpty && !$0.en.isEmpty })
        }
        #expect(Regions.byCountry["MX"]?.count == 32 && Regions.byCountry["GT"]?.count == 22)
        #expect(Regions.byCountry["HN"]?.count == 18 && Regions.byCountry["SV"]?.count == 14 && Regions.byCountry["NI"]?.count == 17)
    }
}

@Suite("Report round trips (found by fuzzing)")
struct ReportRoundTripTests {
    @Test("unknown fields inside defender, consent and attachments are written back where they came from")
    func nestedUnknownFields() throws {
        let text = #"{"version":1,"language":"es","country":"GT","description":"x","defender":{"name":"A","apodo":"la Chata"},"consent":{"registry":true,"contact":false,"hasta":"2027"},"attachments":[{"filename":"a.txt","media_type":"text/plain","data":"eA==","hash":"abc"}],"extra":[1]}"#
        let report = try Report.parse(Array(text.utf8))
        #expect(Set(report.unknownFields.map(\.path)) == ["defender.apodo", "consent.hasta", "attachments[0].hash", "extra"])
        let again = try Report.parse(report.jsonBytes())
        #expect(again == report)
    }
}
