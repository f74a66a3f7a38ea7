import Sodium

extension Report {
    /// Parses and validates a Report v1 document. `today` bounds incident dates; it is a parameter
    /// so validation is deterministic in tests.
    public static func parse(_ bytes: some Collection<UInt8>, today: CalendarDay = .today()) throws(ReportError) -> Report {
        let json: JSONValue
        do { json = try JSONValue.parse(bytes) } catch { throw .malformedJSON(error.description) }
        guard case .object(let members) = json else { throw .notAnObject(json.typeName) }
        var r = FieldReader(members: members, prefix: "")
        guard let versionValue = r.take("version") else { throw .invalid([ReportIssue(field: "version", problem: .missing)]) }
        guard versionValue.intValue == Report.version else {
            throw .unsupportedVersion(String(decoding: versionValue.serialized(), as: UTF8.self))
        }

        let languageCode = r.string("language", required: true) ?? "es"
        let language = Language(rawValue: languageCode)
        if language == nil { r.issue("language", .unknownCode(languageCode, vocabulary: "language (es, en)")) }
        let country = r.code("country", in: .countries, required: true) ?? ""
        let description = r.string("description", required: true, maxLength: Report.maxDescriptionLength, allowNewlines: true) ?? ""
        var report = Report(language: language ?? .es, country: country, description: description)
        if description.allSatisfy(\.isWhitespace), r.issues.allSatisfy({ $0.field != "description" }) {
            r.issue("description", .invalid(L("is empty")))
        }

        if let region = r.string("region", maxLength: 6) {
            if !country.isEmpty, !Regions.isValid(region, in: country) {
                r.issue("region", .unknownCode(region, vocabulary: "ISO 3166-2 subdivisions of \(country)"))
            }
            report.region = region
        }
        report.locality = r.string("locality", maxLength: 200)
        report.setting = r.code("setting", in: .settings)
        if let text = r.string("incident_date", maxLength: 10) {
            if let date = IncidentDate(text) {
                if date.year < 1900 {
                    r.issue("incident_date", .invalid(L("`{text}` is before 1900", ["text": "\(text)"])))
                } else if date.earliestDay > today.adding(days: 1) {
                    r.issue("incident_date", .invalid(L("`{text}` is in the future", ["text": "\(text)"])))
                }
                report.incidentDate = date
            } else {
                r.issue("incident_date", .invalid(L("`{text}` is not YYYY-MM-DD, YYYY-MM or YYYY", ["text": "\(text)"])))
            }
        }
        report.aggressionTypes = r.codes("aggression_types", in: .aggressionTypes)
        report.perpetrators = r.codes("perpetrators", in: .perpetrators)
        report.rightsDefended = r.codes("rights_defended", in: .rightsDefended)
        report.targetScope = r.code("target_scope", in: .targetScopes)
        if let n = r.int("people_affected") {
            if !(1...100_000).contains(n) { r.issue("people_affected", .invalid(L("must be between 1 and 100000, not {n}", ["n": "\(n)"]))) }
            report.peopleAffected = n
        }
        report.genderComponent = r.bool("gender_component")
        report.genderComponentTypes = r.codes("gender_component_types", in: .genderComponentTypes)
        if !report.genderComponentTypes.isEmpty, report.genderComponent != true {
            r.issue("gender_component_types", .invalid(L("is given but `gender_component` is not true")))
        }
        report.affectsRelatives = r.bool("affects_relatives")
        report.needs = r.codes("needs", in: .needs)
        report.urgent = r.bool("urgent") ?? false

        if let value = r.take("defender") {
            if case .object(let m) = value {
                var d = FieldReader(members: m, prefix: "defender.")
                report.defender.name = d.string("name", maxLength: 200)
                report.defender.organisation = d.string("organisation", maxLength: 200)
                report.defender.contact = d.string("contact", maxLength: 500)
                report.defender.nationalId = d.string("national_id", maxLength: 64)
                if let y = d.int("birth_year") {
                    if !(1900...today.year).contains(y) { d.issue("birth_year", .invalid(L("must be between 1900 and {year}, not {y}", ["year": "\(today.year)", "y": "\(y)"]))) }
                    report.defender.birthYear = y
                }
                report.defender.ageBand = d.code("age_band", in: .ageBands)
                report.defender.genderIdentity = d.code("gender_identity", in: .genderIdentities)
                report.defender.ethnicity = d.code("ethnicity", in: .ethnicities)
                d.collectUnknown()
                r.absorb(d)
            } else {
                r.issue("defender", .wrongType(expected: "an object", actual: value.typeName))
            }
        }
        if let value = r.take("consent") {
            if case .object(let m) = value {
                var c = FieldReader(members: m, prefix: "consent.")
                report.consent.registry = c.bool("registry") ?? false
                report.consent.contact = c.bool("contact") ?? false
                c.collectUnknown()
                r.absorb(c)
            } else {
                r.issue("consent", .wrongType(expected: "an object", actual: value.typeName))
            }
        }
        if let text = r.string("reply_public_key", maxLength: 44) {
            if let bytes = Encoding.bytes(fromBase64: text), let key = try? SealPublicKey(bytes: bytes) {
                report.replyPublicKey = key
            } else {
                r.issue("reply_public_key", .invalid(L("must be canonical base64 of 32 bytes")))
            }
        }
        if let value = r.take("attachments") {
            report.attachments = r.attachments(value)
        }
        r.collectUnknown()
        report.unknownFields = r.unknown
        guard r.issues.isEmpty else { throw .invalid(r.issues) }
        return report
    }
}

/// Takes members of one object by name, recording an issue for each wrong one.
struct FieldReader {
    private var members: [(String, JSONValue)]
    let prefix: String
    var issues: [ReportIssue] = []
    var unknown: [Report.UnknownField] = []

    init(members: [(String, JSONValue)], prefix: String) {
        self.members = members
        self.prefix = prefix
    }

    mutating func issue(_ field: String, _ problem: ReportIssue.Problem) {
        issues.append(ReportIssue(field: prefix + field, problem: problem))
    }

    mutating func take(_ name: String) -> JSONValue? {
        guard let i = members.firstIndex(where: { $0.0 == name }) else { return nil }
        let value = members.remove(at: i).1
        // An explicit null means "not given", as the web form sends it for skipped questions.
        if case .null = value { return nil }
        return value
    }

    mutating func string(_ name: String, required: Bool = false, maxLength: Int, allowNewlines: Bool = false) -> String? {
        guard let value = take(name) else {
            if required { issue(name, .missing) }
            return nil
        }
        guard case .string(let s) = value else {
            issue(name, .wrongType(expected: "a string", actual: value.typeName))
            return nil
        }
        // Counting characters walks grapheme clusters, slow on a long narrative (measured: the
        // largest cost of validating a report); a character is at least one UTF-8 byte, so only
        // a text with more bytes than the limit needs counting.
        if s.utf8.count > maxLength, s.count > maxLength {
            issue(name, .invalid(L("is {count} characters long; at most {max_length} are allowed", ["count": "\(s.count)", "max_length": "\(maxLength)"])))
        }
        // Control characters are single UTF-8 bytes that never occur inside a multi-byte
        // sequence, so the bytes can be checked without decoding scalars.
        let forbidden = Self.hasControlCharacters(s, allowNewlines: allowNewlines)
        if forbidden { issue(name, .invalid(L("contains control characters"))) }
        return s
    }

    /// A plain loop over the UTF-8 buffer: iterating `String.UTF8View` generically measured as
    /// several µs per report narrative.
    static func hasControlCharacters(_ s: String, allowNewlines: Bool) -> Bool {
        var s = s
        return s.withUTF8 { bytes in
            for b in bytes where b < 0x20 || b == 0x7F {
                if b == 0x7F || !(allowNewlines && (b == 0x0A || b == 0x0D || b == 0x09)) { return true }
            }
            return false
        }
    }

    /// An unknown code is quoted back in the reason a person reads; one holding control or
    /// bidirectional characters is refused as such, and quoted only in its visible form.
    static func unknown(_ code: String, in vocabulary: Vocabulary) -> ReportIssue.Problem {
        if TerminalText.needsEscaping(code) {
            return .invalid(L("has a code with control or bidirectional characters: `{value}`", ["value": "\(TerminalText.escaped(code))"]))
        }
        return .unknownCode(code, vocabulary: vocabulary.name)
    }

    mutating func string(_ name: String, required: Bool) -> String? {
        string(name, required: required, maxLength: 16)
    }

    mutating func code(_ name: String, in vocabulary: Vocabulary, required: Bool = false) -> String? {
        guard let s = string(name, required: required, maxLength: 64) else { return nil }
        guard vocabulary.contains(s) else {
            issue(name, Self.unknown(s, in: vocabulary))
            return nil
        }
        return s
    }

    mutating func codes(_ name: String, in vocabulary: Vocabulary) -> [String] {
        guard let value = take(name) else { return [] }
        guard case .array(let items) = value else {
            issue(name, .wrongType(expected: "an array of codes", actual: value.typeName))
            return []
        }
        var out: [String] = []
        for (i, item) in items.enumerated() {
            guard case .string(let code) = item else {
                issue("\(name)[\(i)]", .wrongType(expected: "a string code", actual: item.typeName))
                continue
            }
            if !vocabulary.contains(code) {
                issue("\(name)[\(i)]", Self.unknown(code, in: vocabulary))
            } else if out.contains(code) {
                issue("\(name)[\(i)]", .duplicateCode(code))
            } else {
                out.append(code)
            }
        }
        return out
    }

    mutating func int(_ name: String) -> Int? {
        guard let value = take(name) else { return nil }
        guard let n = value.intValue else {
            issue(name, .wrongType(expected: "an integer", actual: value.typeName))
            return nil
        }
        return n
    }

    mutating func bool(_ name: String) -> Bool? {
        guard let value = take(name) else { return nil }
        guard case .bool(let b) = value else {
            issue(name, .wrongType(expected: "true or false", actual: value.typeName))
            return nil
        }
        return b
    }

    mutating func attachments(_ value: JSONValue) -> [Report.Attachment] {
        guard case .array(let items) = value else {
            issue("attachments", .wrongType(expected: "an array", actual: value.typeName))
            return []
        }
        if items.count > Report.maxAttachments {
            issue("attachments", .invalid(L("has {count} files; at most {max_attachments} are allowed", ["count": "\(items.count)", "max_attachments": "\(Report.maxAttachments)"])))
        }
        var out: [Report.Attachment] = []
        for (i, item) in items.prefix(Report.maxAttachments).enumerated() {
            guard case .object(let m) = item else {
                issue("attachments[\(i)]", .wrongType(expected: "an object", actual: item.typeName))
                continue
            }
            var a = FieldReader(members: m, prefix: "\(prefix)attachments[\(i)].")
            let filename = a.string("filename", required: true, maxLength: 255)
            if let f = filename, f.isEmpty || f.contains("/") || f.contains("\\") || f == "." || f == ".." {
                a.issue("filename", .invalid(L("`{f}` must be a plain file name without a path", ["f": "\(f)"])))
            }
            let mediaType = a.string("media_type", required: true, maxLength: 127)
            if let t = mediaType, !FieldReader.isMediaType(t) {
                a.issue("media_type", .invalid(L("`{t}` is not a type/subtype media type", ["t": "\(t)"])))
            }
            let dataText = a.string("data", required: true, maxLength: Int.max)
            var data: [UInt8]?
            if let d = dataText {
                data = Encoding.bytes(fromBase64: d)
                if data == nil { a.issue("data", .invalid(L("is not canonical base64"))) }
            }
            a.collectUnknown()
            absorb(a)
            if let filename, let mediaType, let data {
                out.append(Report.Attachment(filename: filename, mediaType: mediaType, data: data))
            }
        }
        return out
    }

    static func isMediaType(_ text: String) -> Bool {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789!#$&-^_.+".unicodeScalars)
        return parts.count == 2 && parts.allSatisfy { !$0.isEmpty && $0.lowercased().unicodeScalars.allSatisfy(allowed.contains) }
    }

    /// Whatever is left over was not part of v1: keep it, with its path, for a person to look at.
    /// A name holding control or bidirectional characters is refused (the report goes to
    /// quarantine): it exists only to act on the terminal of whoever reads the case.
    mutating func collectUnknown() {
        for (name, value) in members {
            if TerminalText.needsEscaping(name) {
                issue(TerminalText.escaped(name), .invalid(L("is a field name with control or bidirectional characters")))
            } else {
                unknown.append(Report.UnknownField(container: prefix, name: name, value: value))
            }
        }
        members.removeAll()
    }

    mutating func absorb(_ nested: FieldReader) {
        issues += nested.issues
        unknown += nested.unknown
    }
}
