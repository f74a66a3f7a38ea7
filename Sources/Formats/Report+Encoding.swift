import Sodium

extension Report {
    /// Serialises to Report v1 JSON, members in spec order, optional members omitted when unset.
    /// Unknown fields at the top level are written back, so a round trip loses nothing.
    public func jsonBytes() -> [UInt8] {
        var m: [(String, JSONValue)] = [
            ("version", .int(Report.version)),
            ("language", .string(language.rawValue)),
            ("country", .string(country)),
        ]
        func add(_ name: String, _ value: String?) { if let value { m.append((name, .string(value))) } }
        func add(_ name: String, _ value: Bool?) { if let value { m.append((name, .bool(value))) } }
        func add(_ name: String, _ codes: [String]) { if !codes.isEmpty { m.append((name, .array(codes.map(JSONValue.string)))) } }
        add("region", region)
        add("locality", locality)
        add("setting", setting)
        add("incident_date", incidentDate?.description)
        add("aggression_types", aggressionTypes)
        add("perpetrators", perpetrators)
        add("rights_defended", rightsDefended)
        add("target_scope", targetScope)
        if let peopleAffected { m.append(("people_affected", .int(peopleAffected))) }
        add("gender_component", genderComponent)
        add("gender_component_types", genderComponentTypes)
        add("affects_relatives", affectsRelatives)
        m.append(("description", .string(description)))
        var d: [(String, JSONValue)] = []
        func addD(_ name: String, _ value: String?) { if let value { d.append((name, .string(value))) } }
        addD("name", defender.name)
        addD("organisation", defender.organisation)
        addD("contact", defender.contact)
        addD("national_id", defender.nationalId)
        if let y = defender.birthYear { d.append(("birth_year", .int(y))) }
        addD("age_band", defender.ageBand)
        addD("gender_identity", defender.genderIdentity)
        addD("ethnicity", defender.ethnicity)
        // Fields this version does not know go back into the object they came from: a round trip
        // loses nothing (found by fuzzing: nested ones used to be dropped).
        func unknown(in container: String) -> [(String, JSONValue)] {
            unknownFields.filter { $0.container == container }.map { ($0.name, $0.value) }
        }
        d += unknown(in: "defender.")
        if !d.isEmpty { m.append(("defender", .object(d))) }
        add("needs", needs)
        m.append(("urgent", .bool(urgent)))
        m.append(("consent", .object([("registry", .bool(consent.registry)), ("contact", .bool(consent.contact))] + unknown(in: "consent."))))
        add("reply_public_key", replyPublicKey.map { Encoding.base64($0.bytes) })
        if !attachments.isEmpty {
            m.append(("attachments", .array(attachments.enumerated().map { i, a in
                .object([("filename", .string(a.filename)), ("media_type", .string(a.mediaType)),
                         ("data", .string(Encoding.base64(a.data)))] + unknown(in: "attachments[\(i)]."))
            })))
        }
        m += unknown(in: "")
        return JSONValue.object(m).serialized()
    }
}
