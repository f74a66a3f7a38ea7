public import Sodium

/// Referral v1 (DESIGN.md §8, docs/formats.md §14): what a relocation coordinator needs to act
/// on a vetted case, and nothing more. No name, contact or narrative: those travel by another
/// channel once the defender consents. Every field is a code, a number, a date or a yes/no.
public struct ReferralRecord: Sendable, Equatable {
    public static let urgencies = ["immediate", "within_days", "within_weeks"]
    public static let relocationTypes = ["in_country", "regional", "international"]
    public static let alternatives = ["protection_mechanism", "police_protection", "local_move", "safe_house", "legal_action", "none"]
    public static let consentScopes = ["relocation_only", "relocation_and_follow_up"]

    public var referralId: String
    public var defenderPid: String
    public var vettedBy: String
    public var vettedDay: CalendarDay
    public var originCountry: String
    public var originRegion: String?
    public var aggressionTypes: [String]
    public var perpetrators: [String]
    public var urgency: String
    public var alternativesTried: [String]
    public var relocationType: String
    public var windowFrom: CalendarDay
    public var windowTo: CalendarDay
    public var durationWeeks: Int
    public var dependantsCount: Int
    public var dependantsAgeBands: [String]
    public var medicalNeeds: Bool
    public var psychosocialNeeds: Bool
    public var accessibilityNeeds: Bool
    /// ISO 639 codes (`es`, `en`, `quc` for K'iche'…).
    public var languages: [String]
    public var passport: Bool
    public var transitSecurity: Bool
    public var workContinues: Bool
    public var consentScope: String
    public var consentExpires: CalendarDay
    public var expires: CalendarDay

    public init(referralId: String, defenderPid: String, vettedBy: String, vettedDay: CalendarDay, originCountry: String, originRegion: String?,
                aggressionTypes: [String], perpetrators: [String], urgency: String, alternativesTried: [String], relocationType: String,
                windowFrom: CalendarDay, windowTo: CalendarDay, durationWeeks: Int, dependantsCount: Int, dependantsAgeBands: [String],
                medicalNeeds: Bool, psychosocialNeeds: Bool, accessibilityNeeds: Bool, languages: [String], passport: Bool,
                transitSecurity: Bool, workContinues: Bool, consentScope: String, consentExpires: CalendarDay, expires: CalendarDay) {
        self.referralId = referralId
        self.defenderPid = defenderPid
        self.vettedBy = vettedBy
        self.vettedDay = vettedDay
        self.originCountry = originCountry
        self.originRegion = originRegion
        self.aggressionTypes = aggressionTypes
        self.perpetrators = perpetrators
        self.urgency = urgency
        self.alternativesTried = alternativesTried
        self.relocationType = relocationType
        self.windowFrom = windowFrom
        self.windowTo = windowTo
        self.durationWeeks = durationWeeks
        self.dependantsCount = dependantsCount
        self.dependantsAgeBands = dependantsAgeBands
        self.medicalNeeds = medicalNeeds
        self.psychosocialNeeds = psychosocialNeeds
        self.accessibilityNeeds = accessibilityNeeds
        self.languages = languages
        self.passport = passport
        self.transitSecurity = transitSecurity
        self.workContinues = workContinues
        self.consentScope = consentScope
        self.consentExpires = consentExpires
        self.expires = expires
    }

    /// Every value checked against its closed list or range; the first problem is named.
    public func validate() throws(ReferralError) {
        func check(_ ok: Bool, _ field: String, _ why: String) throws(ReferralError) { if !ok { throw .invalidField(field, why) } }
        try check(Encoding.bytes(fromHex: referralId)?.count == 16, "referral_id", "must be 32 hex digits")
        try check(!defenderPid.isEmpty && defenderPid.count <= 64, "defender_pid", "must be a pseudonym")
        try check(!vettedBy.isEmpty && vettedBy.count <= KeyManifest.maxOrganisationLength, "vetted_by", "must name the network")
        try check(Vocabulary.countries.contains(originCountry), "origin_country", "must be one of the network's countries")
        try check(originRegion.map { Regions.isValid($0, in: originCountry) } ?? true, "origin_region", "must be a subdivision of the origin country")
        try check(aggressionTypes.allSatisfy(Vocabulary.aggressionTypes.contains), "aggression_types", "has an unknown code")
        try check(perpetrators.allSatisfy(Vocabulary.perpetrators.contains), "perpetrators", "has an unknown code")
        try check(Self.urgencies.contains(urgency), "urgency", "must be one of \(Self.urgencies.joined(separator: ", "))")
        try check(!alternativesTried.isEmpty && alternativesTried.allSatisfy(Self.alternatives.contains), "alternatives_tried",
                  "must list some of \(Self.alternatives.joined(separator: ", "))")
        try check(Self.relocationTypes.contains(relocationType), "relocation_type", "must be one of \(Self.relocationTypes.joined(separator: ", "))")
        try check(windowFrom <= windowTo, "window_to", "must not be before window_from")
        try check((1...520).contains(durationWeeks), "duration_weeks", "must be 1 to 520")
        try check((0...30).contains(dependantsCount), "dependants_count", "must be 0 to 30")
        try check(dependantsAgeBands.allSatisfy(Vocabulary.ageBands.contains) && dependantsAgeBands.count <= dependantsCount, "dependants_age_bands",
                  "must be age-band codes, at most one per dependant")
        try check(!languages.isEmpty && languages.count <= 10 && languages.allSatisfy { (2...3).contains($0.count) && $0.allSatisfy { ("a"..."z").contains($0) } },
                  "languages", "must list ISO 639 codes such as es, en, quc")
        try check(Self.consentScopes.contains(consentScope), "consent_scope", "must be one of \(Self.consentScopes.joined(separator: ", "))")
        try check(consentExpires >= vettedDay, "consent_expires", "must not be before the vetting day")
        try check(expires >= vettedDay, "expires", "must not be before the vetting day")
    }

    public func jsonBytes() -> [UInt8] {
        func codes(_ list: [String]) -> JSONValue { .array(list.map(JSONValue.string)) }
        var members: [(String, JSONValue)] = [
            ("version", .int(1)), ("referral_id", .string(referralId)), ("defender_pid", .string(defenderPid)),
            ("vetted_by", .string(vettedBy)), ("vetted_day", .string(vettedDay.description)), ("origin_country", .string(originCountry)),
        ]
        if let originRegion { members.append(("origin_region", .string(originRegion))) }
        members += [
            ("aggression_types", codes(aggressionTypes)), ("perpetrators", codes(perpetrators)), ("urgency", .string(urgency)),
            ("alternatives_tried", codes(alternativesTried)), ("relocation_type", .string(relocationType)),
            ("window_from", .string(windowFrom.description)), ("window_to", .string(windowTo.description)), ("duration_weeks", .int(durationWeeks)),
            ("dependants_count", .int(dependantsCount)), ("dependants_age_bands", codes(dependantsAgeBands)),
            ("medical_needs", .bool(medicalNeeds)), ("psychosocial_needs", .bool(psychosocialNeeds)), ("accessibility_needs", .bool(accessibilityNeeds)),
            ("languages", codes(languages)), ("passport", .bool(passport)), ("transit_security", .bool(transitSecurity)),
            ("work_continues", .bool(workContinues)), ("consent_scope", .string(consentScope)),
            ("consent_expires", .string(consentExpires.description)), ("expires", .string(expires.description)),
        ]
        return JSONValue.object(members).serialized()
    }

    /// Strict: every field present with its type, no unknown field (a referral is not extensible
    /// silently: a newer version gets a new number).
    public static func parse(_ bytes: [UInt8]) throws(ReferralError) -> ReferralRecord {
        guard let json = try? JSONValue.parse(bytes), case .object(let members) = json else { throw .malformed(L("not a JSON object")) }
        let known: Set<String> = ["version", "referral_id", "defender_pid", "vetted_by", "vetted_day", "origin_country", "origin_region",
                                  "aggression_types", "perpetrators", "urgency", "alternatives_tried", "relocation_type", "window_from",
                                  "window_to", "duration_weeks", "dependants_count", "dependants_age_bands", "medical_needs",
                                  "psychosocial_needs", "accessibility_needs", "languages", "passport", "transit_security",
                                  "work_continues", "consent_scope", "consent_expires", "expires"]
        if let unknown = members.first(where: { !known.contains($0.0) }) { throw .malformed(L("unknown field `{value}`", ["value": "\(unknown.0)"])) }
        func value(_ name: String) throws(ReferralError) -> JSONValue {
            guard let v = json[name] else { throw .malformed(L("missing `{name}`", ["name": "\(name)"])) }
            return v
        }
        func string(_ name: String) throws(ReferralError) -> String {
            guard case .string(let s) = try value(name) else { throw .malformed(L("`{name}` must be a string", ["name": "\(name)"])) }
            return s
        }
        func day(_ name: String) throws(ReferralError) -> CalendarDay {
            guard let d = CalendarDay(try string(name)) else { throw .malformed(L("`{name}` must be YYYY-MM-DD", ["name": "\(name)"])) }
            return d
        }
        func int(_ name: String) throws(ReferralError) -> Int {
            guard let n = try value(name).intValue else { throw .malformed(L("`{name}` must be an integer", ["name": "\(name)"])) }
            return n
        }
        func bool(_ name: String) throws(ReferralError) -> Bool {
            guard case .bool(let b) = try value(name) else { throw .malformed(L("`{name}` must be true or false", ["name": "\(name)"])) }
            return b
        }
        func list(_ name: String) throws(ReferralError) -> [String] {
            guard case .array(let items) = try value(name) else { throw .malformed(L("`{name}` must be an array", ["name": "\(name)"])) }
            var out: [String] = []
            for item in items {
                guard case .string(let s) = item else { throw .malformed(L("`{name}` must hold strings", ["name": "\(name)"])) }
                out.append(s)
            }
            return out
        }
        guard try int("version") == 1 else { throw .malformed(L("unsupported referral version")) }
        var region: String?
        if json["origin_region"] != nil { region = try string("origin_region") }
        let record = ReferralRecord(
            referralId: try string("referral_id"), defenderPid: try string("defender_pid"), vettedBy: try string("vetted_by"),
            vettedDay: try day("vetted_day"), originCountry: try string("origin_country"), originRegion: region,
            aggressionTypes: try list("aggression_types"), perpetrators: try list("perpetrators"), urgency: try string("urgency"),
            alternativesTried: try list("alternatives_tried"), relocationType: try string("relocation_type"),
            windowFrom: try day("window_from"), windowTo: try day("window_to"), durationWeeks: try int("duration_weeks"),
            dependantsCount: try int("dependants_count"), dependantsAgeBands: try list("dependants_age_bands"),
            medicalNeeds: try bool("medical_needs"), psychosocialNeeds: try bool("psychosocial_needs"),
            accessibilityNeeds: try bool("accessibility_needs"), languages: try list("languages"), passport: try bool("passport"),
            transitSecurity: try bool("transit_security"), workContinues: try bool("work_continues"),
            consentScope: try string("consent_scope"), consentExpires: try day("consent_expires"), expires: try day("expires"))
        try record.validate()
        return record
    }
}

/// Referral file v1 (docs/formats.md §14): sealed to the coordinator, signed by the staff.
///
///     "RSGF" ‖ 01 ‖ 00 00 00 ‖ expires (10, ASCII YYYY-MM-DD) ‖ recipient key id (8)
///     ‖ sealed length (u32 LE) ‖ crypto_box_seal(sodium_pad(record JSON, 4 KiB), coordinator pk)
///     ‖ signer public key (32) ‖ Ed25519 signature (64) over every byte before the signer key
///
/// The expiry and recipient are in the clear (and signed) so a stale or misdirected file is
/// refused before anything is decrypted.
public enum ReferralFile {
    public static let magic: [UInt8] = Array("RSGF".utf8)
    static let headerByteCount = 30
    static let block = 4096

    public static func seal(_ record: ReferralRecord, to coordinator: SealPublicKey, signer: SigningKey) throws(ReferralError) -> [UInt8] {
        try record.validate()
        do {
            let sealed = try SealedBox.seal(try Padding.pad(record.jsonBytes(), blockSize: block), to: coordinator)
            let body = magic + [1, 0, 0, 0] + Array(record.expires.description.utf8) + (try KeyId(publicKey: coordinator)).bytes
                + ExportBundle.uint32(sealed.count) + sealed
            return body + signer.verifyingKey.bytes + (try signer.sign(body, in: .referral))
        } catch {
            throw .crypto("\(error)")
        }
    }

    /// Verifies (signer pinned by fingerprint, signature, recipient, expiry) and opens.
    public static func open(_ bytes: [UInt8], with key: SealSecretKey, trustedSigner: SigningKeyFingerprint,
                            today: CalendarDay) throws(ReferralError) -> ReferralRecord {
        guard bytes.count >= headerByteCount + 48 + 96 else { throw .truncated(byteCount: bytes.count) }
        guard Array(bytes[0..<4]) == magic else { throw .notAReferral }
        guard bytes[4] == 1, bytes[5] == 0, bytes[6] == 0, bytes[7] == 0 else { throw .unsupportedVersion(bytes[4]) }
        let trailer = bytes.count - 96
        let signer: VerifyingKey
        do { signer = try VerifyingKey(bytes: bytes[trailer..<trailer + 32]) } catch { throw .crypto("\(error)") }
        guard let fingerprint = try? SigningKeyFingerprint(verifyingKey: signer), fingerprint.matches(trustedSigner) else { throw .untrustedSigner }
        do { try signer.verify(bytes[(trailer + 32)...], for: bytes[0..<trailer], in: .referral) } catch { throw .badSignature }
        guard let expires = CalendarDay(String(decoding: bytes[8..<18], as: UTF8.self)) else { throw .malformed(L("bad expiry date")) }
        guard today <= expires else { throw .expired(expires) }
        guard let mine = try? KeyId(publicKey: key.publicKey), Array(bytes[18..<26]) == mine.bytes else { throw .wrongRecipient }
        let length = Int(ExportBundle.readUInt32(bytes, at: 26))
        guard length == trailer - headerByteCount else { throw .malformed(L("sealed length does not match the file")) }
        let json: [UInt8]
        do {
            let padded = try SealedBox.open(bytes[headerByteCount..<trailer], with: key)
            json = try padded.withUnsafeBytes { (raw) throws(SodiumError) in
                Array(raw.prefix(try Padding.unpaddedLength(of: raw, blockSize: block)))
            }
        } catch {
            throw .wrongRecipient
        }
        let record = try ReferralRecord.parse(json)
        guard record.expires == expires else { throw .malformed(L("the sealed expiry differs from the signed header")) }
        return record
    }
}

public enum ReferralError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidField(String, String)
    case malformed(String)
    case truncated(byteCount: Int)
    case notAReferral
    case unsupportedVersion(UInt8)
    case untrustedSigner
    case badSignature
    case expired(CalendarDay)
    case wrongRecipient
    case crypto(String)

    public var description: String {
        switch self {
        case .invalidField(let f, let why): return "`\(f)` \(why)"
        case .malformed(let why): return L("referral is malformed: {why}", ["why": "\(why)"])
        case .truncated(let n): return L("referral file is truncated ({n} bytes)", ["n": "\(n)"])
        case .notAReferral: return L("not a referral file (bad magic)")
        case .unsupportedVersion(let v): return L("referral version {v} is not supported", ["v": "\(v)"])
        case .untrustedSigner: return L("the referral is not signed by the staff key you trust (check --trust-fingerprint)")
        case .badSignature: return L("the referral's signature does not verify: it was altered or damaged")
        case .expired(let day): return L("the referral expired on {day}; ask the network for a new one", ["day": "\(day)"])
        case .wrongRecipient: return L("the referral was sealed to another coordinator's key")
        case .crypto(let why): return L("cryptography failed: {why}", ["why": "\(why)"])
        }
    }
}
