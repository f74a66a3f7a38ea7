public import Formats
public import Keys
import Foundation
public import Sodium

/// The answers staff give for a referral that the case cannot supply (DESIGN.md §8): read from
/// a JSON file or asked for one by one on a terminal.
public struct ReferralAnswers: Sendable {
    public static let questions: [(key: String, es: String, en: String)] = [
        ("urgency", "Urgencia (immediate, within_days, within_weeks)", "Urgency"),
        ("alternatives_tried", "Alternativas ya intentadas, separadas por comas (protection_mechanism, police_protection, local_move, safe_house, legal_action, none)", "Alternatives already tried"),
        ("relocation_type", "Tipo de reubicación (in_country, regional, international)", "Relocation type"),
        ("window_from", "Desde (AAAA-MM-DD)", "Window from (YYYY-MM-DD)"),
        ("window_to", "Hasta (AAAA-MM-DD)", "Window to (YYYY-MM-DD)"),
        ("duration_weeks", "Duración en semanas", "Duration in weeks"),
        ("dependants_count", "Número de dependientes que viajan", "Number of dependants travelling"),
        ("dependants_age_bands", "Rangos de edad de dependientes, separados por comas (under_18, 18_29, …; vacío si ninguno)", "Dependants' age bands"),
        ("accessibility_needs", "¿Necesidades de accesibilidad? (yes/no)", "Accessibility needs? (yes/no)"),
        ("languages", "Idiomas (códigos ISO 639 separados por comas: es, en, quc…)", "Languages (ISO 639 codes)"),
        ("passport", "¿Tiene pasaporte vigente? (yes/no)", "Valid passport? (yes/no)"),
        ("transit_security", "¿Necesita seguridad en el traslado? (yes/no)", "Needs transit security? (yes/no)"),
        ("work_continues", "¿Continuará su labor de defensa? (yes/no)", "Will her defence work continue? (yes/no)"),
        ("consent_scope", "Alcance del consentimiento (relocation_only, relocation_and_follow_up)", "Consent scope"),
        ("consent_expires", "El consentimiento vence (AAAA-MM-DD)", "Consent expires (YYYY-MM-DD)"),
    ]

    public var values: [String: String]

    public init(values: [String: String]) { self.values = values }

    /// Reads `{"urgency": "immediate", "languages": ["es"], "passport": true, …}`.
    public init(json bytes: [UInt8]) throws(ReferralError) {
        guard let parsed = try? JSONValue.parse(bytes), case .object(let members) = parsed else { throw .malformed(L("answers must be a JSON object")) }
        var values: [String: String] = [:]
        for (key, value) in members {
            guard Self.questions.contains(where: { $0.key == key }) else { throw .malformed(L("unknown answer `{key}`", ["key": "\(key)"])) }
            switch value {
            case .string(let s): values[key] = s
            case .bool(let b): values[key] = b ? "yes" : "no"
            case .array(let items): values[key] = items.compactMap { if case .string(let s) = $0 { return s } else { return nil } }.joined(separator: ",")
            default:
                guard let n = value.intValue else { throw .malformed(L("answer `{key}` has an unsupported type", ["key": "\(key)"])) }
                values[key] = String(n)
            }
        }
        self.values = values
    }

    public var missing: [String] { Self.questions.map(\.key).filter { values[$0] == nil } }

    func list(_ key: String) -> [String] {
        (values[key] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    func flag(_ key: String) throws(ReferralError) -> Bool {
        switch values[key]?.lowercased() {
        case "yes", "sí", "si", "true": return true
        case "no", "false": return false
        default: throw .invalidField(key, "must be yes or no")
        }
    }

    func day(_ key: String) throws(ReferralError) -> CalendarDay {
        guard let d = values[key].flatMap(CalendarDay.init) else { throw .invalidField(key, "must be a date YYYY-MM-DD") }
        return d
    }

    func number(_ key: String) throws(ReferralError) -> Int {
        guard let n = values[key].flatMap({ Int($0) }) else { throw .invalidField(key, "must be a whole number") }
        return n
    }
}

/// Why and when a coordinator was removed (`coordinators remove`).
public struct CoordinatorRemoval: Sendable, Equatable {
    public enum Reason: String, Sendable, CaseIterable {
        /// She no longer coordinates relocations: no new referrals; her updates on the referrals
        /// she already holds are still imported (someone has to close them).
        case left
        /// Her keys were lost or taken: no new referrals, and nothing signed with her key is
        /// imported any more, whatever it claims.
        case compromised

        /// In the process's language (the CLI), or a page's (la mesa).
        public func label(in language: Language? = nil) -> String {
            switch self {
            case .left: return language.map { L("no longer coordinates (her updates on earlier referrals still accepted)", in: $0) }
                ?? L("no longer coordinates (her updates on earlier referrals still accepted)")
            case .compromised: return language.map { L("keys lost or compromised (nothing she signs is accepted)", in: $0) }
                ?? L("keys lost or compromised (nothing she signs is accepted)")
            }
        }
    }
    public let day: CalendarDay
    public let reason: Reason
}

/// A registered relocation coordinator, as `coordinators list` shows her.
public struct Coordinator: Sendable {
    public let name: String
    public let fingerprint: String
    public let added: String
    public let removed: CoordinatorRemoval?
}

public enum ReferralCreationError: Error, CustomStringConvertible {
    case notVetted(String)
    case noConsent
    case unknownCoordinator(String)
    case removedCoordinator(String, day: CalendarDay)
    case missingAnswers([String])
    case referral(ReferralError)
    case io(String)

    public var description: String {
        switch self {
        case .notVetted(let state): return L("only vetted cases can be referred; this case is {state}", ["state": "\(state)"])
        case .noConsent: return L("the defender did not consent to be contacted (consent.contact is false): a referral needs her consent")
        case .unknownCoordinator(let name): return L("no coordinator named `{name}`; add one with `resguardo coordinators add`", ["name": "\(name)"])
        case .removedCoordinator(let name, let day): return L("coordinator `{name}` was removed on {day}: refer the case to another one", ["name": "\(name)", "day": day.description])
        case .missingAnswers(let keys): return "answers missing: \(keys.joined(separator: ", "))"
        case .referral(let e): return e.description
        case .io(let why): return why
        }
    }
}

extension Workspace {
    /// Registers a coordinator's public key after checking it against the fingerprint they read
    /// out by another channel.
    /// `signing`: their status-update signing key (`coordinator-signing.pub`) and the fingerprint
    /// they read out for it, checked the same way.
    public func addCoordinator(name: String, publicKey: SealPublicKey, fingerprint: SigningKeyFingerprint,
                               signing: (key: VerifyingKey, fingerprint: SigningKeyFingerprint)? = nil, today: CalendarDay) throws(CaseError) {
        guard !name.isEmpty, name.count <= 100, !name.contains(where: \.isNewline) else { throw .io(L("a coordinator's name must be 1 to 100 characters")) }
        guard let actual = try? SigningKeyFingerprint(coordinatorKey: publicKey), actual.matches(fingerprint) else {
            throw .io(L("the public key's fingerprint is not {fingerprint}; check it with the coordinator by another channel", ["fingerprint": "\(fingerprint)"]))
        }
        if let signing {
            guard let actual = try? SigningKeyFingerprint(verifyingKey: signing.key), actual.matches(signing.fingerprint) else {
                throw .io(L("the signing key's fingerprint is not {fingerprint}; check it with the coordinator by another channel", ["fingerprint": "\(signing.fingerprint)"]))
            }
        }
        try database.addCoordinator(name: name, publicKey: publicKey, fingerprint: fingerprint, signingKey: signing?.key, day: today, actor: actor)
    }

    /// Every coordinator ever registered, removed ones included (marked).
    public func coordinators() throws(CaseError) -> [Coordinator] {
        try database.coordinators().map { coordinator in
            let fingerprint = coordinator.publicKey.flatMap { try? SigningKeyFingerprint(coordinatorKey: $0) }?.description ?? "?"
            return Coordinator(name: coordinator.name, fingerprint: fingerprint, added: coordinator.added, removed: coordinator.removed)
        }
    }

    /// `coordinators remove`: no new referral goes to her; with `.compromised`, nothing signed
    /// with her key is imported either. Her row stays (referrals and the audit trail name her).
    public func removeCoordinator(name: String, reason: CoordinatorRemoval.Reason, today: CalendarDay) throws(CaseError) {
        try database.removeCoordinator(name: name, reason: reason, day: today, actor: actor)
    }

    /// `answers` with what the case's relocation plan knows filled in where staff left it out: who
    /// moves with her (count and age bands only; their names and relations stay in the case) and
    /// the window (start, planned return). Staff's own answers win where both are given.
    public func completeReferralAnswers(_ answers: ReferralAnswers, caseId: [UInt8], keys unlocked: UnlockedKeys) throws(ReferralCreationError) -> ReferralAnswers {
        let plan: Relocation?
        do { plan = try relocation(caseId, keys: unlocked) } catch { throw .io(error.description) }
        guard let plan else { return answers }
        var answers = answers
        var known: [String: String] = ["dependants_count": String(plan.companions.count), "dependants_age_bands": plan.companions.map(\.ageBand).joined(separator: ",")]
        known["window_from"] = plan.start?.description
        known["window_to"] = plan.plannedReturn?.description
        for (key, value) in known where answers.values[key] == nil { answers.values[key] = value }
        return answers
    }

    /// Builds the minimal referral record for a vetted case, seals it to the coordinator, signs
    /// it with the staff reply-signing key, and records it in the case's audit log.
    public func createReferral(caseId: [UInt8], to coordinatorName: String, answers: ReferralAnswers, keys unlocked: UnlockedKeys,
                               signer: SigningKey, today: CalendarDay, validDays: Int) throws(ReferralCreationError) -> (bytes: [UInt8], record: ReferralRecord) {
        let opened: (summary: CaseSummary, report: Report)
        do { opened = try openCase(caseId, keys: unlocked) } catch { throw .io(error.description) }
        guard opened.summary.state == .vetted || opened.summary.state == .registered else { throw .notVetted(opened.summary.state.rawValue) }
        guard opened.report.consent.contact else { throw .noConsent }
        let found: (key: SealPublicKey, removed: CoordinatorRemoval?)?
        do { found = try database.coordinatorKey(named: coordinatorName) } catch { throw .io(error.description) }
        guard let found else { throw .unknownCoordinator(coordinatorName) }
        if let removed = found.removed { throw .removedCoordinator(coordinatorName, day: removed.day) }
        let coordinatorKey = found.key
        let answers = try completeReferralAnswers(answers, caseId: caseId, keys: unlocked)
        guard answers.missing.isEmpty else { throw .missingAnswers(answers.missing) }
        let report = opened.report
        let record: ReferralRecord
        do {
            let pid = try deidentifier(unlocked).referralPseudonym(for: report)
            let referralId = Encoding.hex(try Random.bytes(count: 16))
            let needs = Set(report.needs)
            record = ReferralRecord(
                referralId: referralId, defenderPid: pid, vettedBy: keys.manifest.manifest.organisation, vettedDay: today,
                originCountry: report.country, originRegion: report.region,
                aggressionTypes: report.aggressionTypes, perpetrators: report.perpetrators,
                urgency: answers.values["urgency"] ?? "", alternativesTried: answers.list("alternatives_tried"),
                relocationType: answers.values["relocation_type"] ?? "", windowFrom: try answers.day("window_from"),
                windowTo: try answers.day("window_to"), durationWeeks: try answers.number("duration_weeks"),
                dependantsCount: try answers.number("dependants_count"), dependantsAgeBands: answers.list("dependants_age_bands"),
                medicalNeeds: needs.contains("medical"), psychosocialNeeds: needs.contains("psychosocial"),
                accessibilityNeeds: try answers.flag("accessibility_needs"), languages: answers.list("languages"),
                passport: try answers.flag("passport"), transitSecurity: try answers.flag("transit_security"),
                workContinues: try answers.flag("work_continues"), consentScope: answers.values["consent_scope"] ?? "",
                consentExpires: try answers.day("consent_expires"), expires: today.adding(days: validDays))
        } catch let error as ReferralError {
            throw .referral(error)
        } catch {
            throw .io("\(error)")
        }
        let bytes: [UInt8]
        do { bytes = try ReferralFile.seal(record, to: coordinatorKey, signer: signer) } catch { throw .referral(error) }
        do {
            try database.recordReferral(id: record.referralId, caseId: caseId, coordinator: coordinatorName, created: today, expires: record.expires, actor: actor,
                                        detail: "to \(coordinatorName), referral \(record.referralId.prefix(12)), expires \(record.expires)")
        } catch {
            throw .io(error.description)
        }
        return (bytes, record)
    }
}
