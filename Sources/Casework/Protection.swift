public import Formats
import Foundation

// The protection case (issue 31): what a network records about a defender at risk beyond her
// report — risk assessed over time, the security plan agreed with her, the support requested
// for her. Every item is sealed in the case store like a note (`Workspace+Protection`); only the
// current overall risk level and the day it was assessed stay in the clear, beside the state
// and the urgency, so `cases list` can sort by them without the passphrase.

/// A level of risk, or of one threat, vulnerability or capacity. Four steps, as the networks'
/// assessment sheets use them.
public enum RiskLevel: String, Sendable, CaseIterable, Comparable {
    case low, medium, high, extreme

    public var rank: Int { Self.allCases.firstIndex(of: self) ?? 0 }
    public static func < (a: RiskLevel, b: RiskLevel) -> Bool { a.rank < b.rank }

    public var spanish: String {
        switch self {
        case .low: return "bajo"
        case .medium: return "medio"
        case .high: return "alto"
        case .extreme: return "extremo"
        }
    }

    /// The English code or the Spanish word, as a person types it.
    public init?(text: String) {
        let t = text.trimmingCharacters(in: .whitespaces).lowercased()
        guard let level = Self.allCases.first(where: { $0.rawValue == t || $0.spanish == t }) else { return nil }
        self = level
    }

    public static var accepted: String { allCases.map { "\($0.rawValue)/\($0.spanish)" }.joined(separator: ", ") }
}

/// One item of a threat/vulnerability/capacity assessment (Protection International's *New
/// Protection Manual*; Front Line Defenders' workbook): risk grows with threats and
/// vulnerabilities and falls with capacities.
public struct RiskFactor: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        case threat, vulnerability, capacity

        public var spanish: String {
            switch self {
            case .threat: return "amenaza"
            case .vulnerability: return "vulnerabilidad"
            case .capacity: return "capacidad"
            }
        }
    }

    public let kind: Kind
    public let text: String
    public let level: RiskLevel

    public init(kind: Kind, text: String, level: RiskLevel) {
        self.kind = kind
        self.text = text
        self.level = level
    }
}

/// One dated assessment; a reassessment is a new one, and the history keeps every one.
public struct RiskAssessment: Sendable, Equatable {
    public let factors: [RiskFactor]
    public let overall: RiskLevel
    public let assessor: String
    public let day: CalendarDay
    public let note: String

    public init(factors: [RiskFactor], overall: RiskLevel, assessor: String, day: CalendarDay, note: String = "") throws(ProtectionError) {
        guard !assessor.trimmingCharacters(in: .whitespaces).isEmpty else { throw .invalid(L("an assessment needs the assessor's name")) }
        guard factors.contains(where: { $0.kind == .threat }) else { throw .invalid(L("an assessment needs at least one threat")) }
        for f in factors where f.text.trimmingCharacters(in: .whitespaces).isEmpty { throw .invalid(L("a {kind} has no text", ["kind": f.kind.rawValue])) }
        self.factors = factors
        self.overall = overall
        self.assessor = assessor
        self.day = day
        self.note = note
    }

    public func count(_ kind: RiskFactor.Kind) -> Int { factors.filter { $0.kind == kind }.count }

    /// The sealed form, and what `--file` reads:
    /// `{"threats": [{"text", "level"}], "vulnerabilities": […], "capacities": […], "overall",
    /// "assessor", "day", "note"}`.
    public var json: JSONValue {
        func list(_ kind: RiskFactor.Kind) -> JSONValue {
            .array(factors.filter { $0.kind == kind }.map { .object([("text", .string($0.text)), ("level", .string($0.level.rawValue))]) })
        }
        return .object([("threats", list(.threat)), ("vulnerabilities", list(.vulnerability)), ("capacities", list(.capacity)),
                        ("overall", .string(overall.rawValue)), ("assessor", .string(assessor)), ("day", .string(day.description)), ("note", .string(note))])
    }

    /// Reads the form above strictly: unknown members, a level outside the four, a missing
    /// assessor or threat are refused by name. `today` fills a missing `day`.
    public init(json value: JSONValue, today: CalendarDay) throws(ProtectionError) {
        guard case .object(let members) = value else { throw .invalid(L("an assessment must be a JSON object")) }
        let known: Set<String> = ["threats", "vulnerabilities", "capacities", "overall", "assessor", "day", "note"]
        if let unknown = members.first(where: { !known.contains($0.0) }) { throw .invalid(L("unknown member `{key}`", ["key": TerminalText.escaped(unknown.0)])) }
        var factors: [RiskFactor] = []
        for (key, kind) in [("threats", RiskFactor.Kind.threat), ("vulnerabilities", .vulnerability), ("capacities", .capacity)] {
            guard let items = value[key] else { continue }
            guard case .array(let list) = items else { throw .invalid(L("`{key}` must be a list", ["key": key])) }
            for item in list {
                guard case .string(let text)? = item["text"], case .string(let levelText)? = item["level"] else {
                    throw .invalid(L("each of `{key}` needs `text` and `level`", ["key": key]))
                }
                guard let level = RiskLevel(text: levelText) else { throw .badLevel(levelText) }
                factors.append(RiskFactor(kind: kind, text: text, level: level))
            }
        }
        guard case .string(let overallText)? = value["overall"] else { throw .invalid(L("`overall` (the overall risk level) is missing")) }
        guard let overall = RiskLevel(text: overallText) else { throw .badLevel(overallText) }
        guard case .string(let assessor)? = value["assessor"] else { throw .invalid(L("`assessor` is missing")) }
        var day = today
        if let d = value["day"] {
            guard case .string(let text) = d, let parsed = CalendarDay(text) else { throw .invalid(L("`day` must be YYYY-MM-DD")) }
            day = parsed
        }
        var note = ""
        if let n = value["note"] {
            guard case .string(let text) = n else { throw .invalid(L("`note` must be text")) }
            note = text
        }
        try self.init(factors: factors, overall: overall, assessor: assessor, day: day, note: note)
    }
}

/// The id of one item of a protection case (a measure, a support request…): 8 random bytes,
/// shown as 8 hex digits, the same across the item's later versions.
public struct ProtectionItemId: Sendable, Hashable, CustomStringConvertible {
    public let bytes: [UInt8]
    init(bytes: [UInt8]) { self.bytes = bytes }
    public var description: String { String(Encoding.hex(bytes).prefix(8)) }
}

/// A task on a case, who does it, by when, and when it was done: a measure of the security plan
/// agreed with her, or a follow-up staff owe the case (a call, a visit, a reassessment).
public struct CaseTask: Sendable, Equatable {
    public let text: String
    public let owner: String
    public let due: CalendarDay?
    public var done: CalendarDay?

    public init(text: String, owner: String, due: CalendarDay?, done: CalendarDay? = nil) throws(ProtectionError) {
        guard !text.trimmingCharacters(in: .whitespaces).isEmpty else { throw .invalid(L("a measure needs a text")) }
        guard !owner.trimmingCharacters(in: .whitespaces).isEmpty else { throw .invalid(L("a measure needs an owner (who does it)")) }
        self.text = text
        self.owner = owner
        self.due = due
        self.done = done
    }

    var json: JSONValue {
        .object([("text", .string(text)), ("owner", .string(owner)), ("due", due.map { .string($0.description) } ?? .null),
                 ("done", done.map { .string($0.description) } ?? .null)])
    }

    init(json value: JSONValue) throws(ProtectionError) {
        guard case .string(let text)? = value["text"], case .string(let owner)? = value["owner"] else { throw .damaged(L("a stored measure")) }
        try self.init(text: text, owner: owner, due: try optionalDay(value["due"]), done: try optionalDay(value["done"]))
    }
}

/// The eleven support categories of ProtectDefenders.eu's emergency grants.
public enum SupportCategory: String, Sendable, CaseIterable {
    case physicalSecurity = "physical_security"
    case digitalSecurity = "digital_security"
    case communications
    case capacityBuilding = "capacity_building"
    case secureTransport = "secure_transport"
    case legal
    case medicalPsychosocial = "medical_psychosocial"
    case humanitarianFamily = "humanitarian_family"
    case urgentRelocation = "urgent_relocation"
    case urgentMonitoring = "urgent_monitoring_advocacy"
    case other

    public var labels: (es: String, en: String) {
        switch self {
        case .physicalSecurity: return ("Seguridad física", "Physical security")
        case .digitalSecurity: return ("Seguridad digital", "Digital security")
        case .communications: return ("Comunicaciones", "Communications")
        case .capacityBuilding: return ("Fortalecimiento de capacidades", "Capacity-building")
        case .secureTransport: return ("Transporte seguro", "Secure transport")
        case .legal: return ("Apoyo legal", "Legal support")
        case .medicalPsychosocial: return ("Apoyo médico y psicosocial", "Medical and psychosocial support")
        case .humanitarianFamily: return ("Apoyo humanitario y familiar", "Humanitarian and family support")
        case .urgentRelocation: return ("Reubicación urgente", "Urgent relocation")
        case .urgentMonitoring: return ("Monitoreo e incidencia urgentes", "Urgent monitoring and advocacy")
        case .other: return ("Otro", "Other")
        }
    }
}

/// Where a support request stands.
public enum SupportStatus: String, Sendable, CaseIterable {
    case requested, approved, declined, disbursed, closed

    public var spanish: String {
        switch self {
        case .requested: return "solicitado"
        case .approved: return "aprobado"
        case .declined: return "rechazado"
        case .disbursed: return "desembolsado"
        case .closed: return "cerrado"
        }
    }
}

/// An amount in a currency's minor units (cents): never a floating-point number.
public struct Money: Sendable, Equatable, CustomStringConvertible {
    public let minorUnits: Int
    /// ISO 4217 alphabetic code (USD, EUR, MXN, GTQ, HNL).
    public let currency: String

    /// `amount` as typed: digits with at most two decimals ("1500", "1500.5", "1500,50").
    public init(amount: String, currency: String) throws(ProtectionError) {
        let code = currency.uppercased()
        guard code.count == 3, code.unicodeScalars.allSatisfy({ ("A"..."Z").contains($0) }) else { throw .invalid(L("`{currency}` is not an ISO 4217 currency code (USD, EUR, MXN, GTQ, HNL)", ["currency": TerminalText.escaped(currency)])) }
        let parts = amount.replacingOccurrences(of: ",", with: ".").split(separator: ".", omittingEmptySubsequences: false)
        // Digits only: Int() alone would take "+5" or "-0".
        func digits(_ part: Substring) -> Bool { !part.isEmpty && part.unicodeScalars.allSatisfy { ("0"..."9").contains($0) } }
        guard (1...2).contains(parts.count), parts[0].count <= 12, digits(parts[0]), let whole = Int(parts[0]),
              parts.count == 1 || (1...2).contains(parts[1].count) && digits(parts[1]) else {
            throw .invalid(L("`{amount}` is not an amount (digits, at most two decimals)", ["amount": TerminalText.escaped(amount)]))
        }
        let cents = parts.count == 2 ? (Int(parts[1]) ?? 0) * (parts[1].count == 1 ? 10 : 1) : 0
        self.minorUnits = whole * 100 + cents
        self.currency = code
    }

    init(minorUnits: Int, currency: String) {
        self.minorUnits = minorUnits
        self.currency = currency
    }

    public var description: String { "\(minorUnits / 100).\(String(format: "%02d", minorUnits % 100)) \(currency)" }
}

/// A request for support on her behalf: its category, the funder asked, the amount, where it stands.
public struct SupportRequest: Sendable, Equatable {
    public let category: SupportCategory
    public let funder: String
    public var amount: Money?
    public var status: SupportStatus
    public let requested: CalendarDay
    /// The day of the last status change (nil while requested).
    public var decided: CalendarDay?

    public init(category: SupportCategory, funder: String, amount: Money?, status: SupportStatus = .requested, requested: CalendarDay,
                decided: CalendarDay? = nil) throws(ProtectionError) {
        guard !funder.trimmingCharacters(in: .whitespaces).isEmpty else { throw .invalid(L("a support request needs the funder (or \"propio\" for the network's own funds)")) }
        self.category = category
        self.funder = funder
        self.amount = amount
        self.status = status
        self.requested = requested
        self.decided = decided
    }

    var json: JSONValue {
        .object([("category", .string(category.rawValue)), ("funder", .string(funder)),
                 ("amount_minor", amount.map { .int($0.minorUnits) } ?? .null), ("currency", amount.map { .string($0.currency) } ?? .null),
                 ("status", .string(status.rawValue)), ("requested", .string(requested.description)),
                 ("decided", decided.map { .string($0.description) } ?? .null)])
    }

    init(json value: JSONValue) throws(ProtectionError) {
        guard case .string(let c)? = value["category"], let category = SupportCategory(rawValue: c), case .string(let funder)? = value["funder"],
              case .string(let s)? = value["status"], let status = SupportStatus(rawValue: s), case .string(let r)? = value["requested"],
              let requested = CalendarDay(r) else { throw .damaged(L("a stored support request")) }
        var amount: Money?
        if let minor = value["amount_minor"]?.intValue, case .string(let currency)? = value["currency"] { amount = Money(minorUnits: minor, currency: currency) }
        try self.init(category: category, funder: funder, amount: amount, status: status, requested: requested, decided: try optionalDay(value["decided"]))
    }
}

/// Someone close to her who moves with her. The name stays inside the sealed case; what leaves
/// it (a referral, the yearly summary) takes the relation and the age band only.
public struct Companion: Sendable, Equatable {
    public enum Relation: String, Sendable, CaseIterable {
        case partner, child, parent, sibling
        case otherRelative = "other_relative"
        case other
    }

    /// The registry's own age bands (one vocabulary), so a referral carries them as they are.
    public static var ageBands: [String] { Vocabulary.ageBands.codes }

    public let relation: Relation
    public let ageBand: String
    public let name: String

    public init(relation: Relation, ageBand: String, name: String = "") throws(ProtectionError) {
        guard Self.ageBands.contains(ageBand) else {
            throw .invalid(L("`{band}` is not an age band ({accepted})", ["band": TerminalText.escaped(ageBand), "accepted": Self.ageBands.joined(separator: ", ")]))
        }
        self.relation = relation
        self.ageBand = ageBand
        self.name = name
    }
}

/// A relocation with her family: who moves with her, where, with whom, how, for how long, and
/// how she comes back. The stages are the temporary-relocation programmes' own.
public struct Relocation: Sendable, Equatable {
    public enum Stage: String, Sendable, CaseIterable {
        case intake, stay, exit
        case followUp = "follow_up"

        public var spanish: String {
            switch self {
            case .intake: return "ingreso"
            case .stay: return "estancia"
            case .exit: return "salida"
            case .followUp: return "seguimiento"
            }
        }
    }

    public var companions: [Companion]
    /// The host organisation or shelter.
    public var host: String
    /// ISO 3166-1 alpha-2 of the destination, and the place there.
    public var destinationCountry: String
    public var destinationPlace: String
    /// Visa and transport.
    public var travelPlan: String
    public var start: CalendarDay?
    public var plannedReturn: CalendarDay?
    public var returnPlan: String
    public var stage: Stage

    public init(companions: [Companion], host: String, destinationCountry: String, destinationPlace: String, travelPlan: String,
                start: CalendarDay?, plannedReturn: CalendarDay?, returnPlan: String, stage: Stage) throws(ProtectionError) {
        guard !host.trimmingCharacters(in: .whitespaces).isEmpty else { throw .invalid(L("a relocation needs the host organisation or shelter")) }
        guard destinationCountry.count == 2, destinationCountry.unicodeScalars.allSatisfy({ ("A"..."Z").contains($0) }) else {
            throw .invalid(L("`{country}` is not an ISO 3166-1 alpha-2 country code", ["country": TerminalText.escaped(destinationCountry)]))
        }
        if let start, let plannedReturn, plannedReturn < start { throw .invalid(L("the planned return ({back}) is before the start ({start})", ["back": "\(plannedReturn)", "start": "\(start)"])) }
        self.companions = companions
        self.host = host
        self.destinationCountry = destinationCountry
        self.destinationPlace = destinationPlace
        self.travelPlan = travelPlan
        self.start = start
        self.plannedReturn = plannedReturn
        self.returnPlan = returnPlan
        self.stage = stage
    }

    /// The sealed form, and what `cases relocation set --file` reads.
    public var json: JSONValue {
        .object([("companions", .array(companions.map { .object([("relation", .string($0.relation.rawValue)), ("age_band", .string($0.ageBand)), ("name", .string($0.name))]) })),
                 ("host", .string(host)), ("destination_country", .string(destinationCountry)), ("destination_place", .string(destinationPlace)),
                 ("travel_plan", .string(travelPlan)), ("start", start.map { .string($0.description) } ?? .null),
                 ("planned_return", plannedReturn.map { .string($0.description) } ?? .null), ("return_plan", .string(returnPlan)), ("stage", .string(stage.rawValue))])
    }

    /// Reads the form above strictly (unknown members refused by name).
    public init(json value: JSONValue) throws(ProtectionError) {
        guard case .object(let members) = value else { throw .invalid(L("a relocation must be a JSON object")) }
        let known: Set<String> = ["companions", "host", "destination_country", "destination_place", "travel_plan", "start", "planned_return", "return_plan", "stage"]
        if let unknown = members.first(where: { !known.contains($0.0) }) { throw .invalid(L("unknown member `{key}`", ["key": TerminalText.escaped(unknown.0)])) }
        func text(_ key: String, required: Bool = false) throws(ProtectionError) -> String {
            switch value[key] {
            case .string(let t)?: return t
            case nil where !required, .null? where !required: return ""
            default: throw .invalid(L("`{key}` must be text", ["key": key]))
            }
        }
        func day(_ key: String) throws(ProtectionError) -> CalendarDay? {
            switch value[key] {
            case nil, .null?: return nil
            case .string(let t)?:
                guard let d = CalendarDay(t) else { throw .invalid(L("`{key}` must be YYYY-MM-DD", ["key": key])) }
                return d
            default: throw .invalid(L("`{key}` must be YYYY-MM-DD", ["key": key]))
            }
        }
        var companions: [Companion] = []
        if let list = value["companions"] {
            guard case .array(let items) = list else { throw .invalid(L("`{key}` must be a list", ["key": "companions"])) }
            for item in items {
                guard case .string(let r)? = item["relation"], let relation = Companion.Relation(rawValue: r), case .string(let band)? = item["age_band"] else {
                    throw .invalid(L("each companion needs a `relation` ({relations}) and an `age_band`", ["relations": Companion.Relation.allCases.map(\.rawValue).joined(separator: ", ")]))
                }
                var name = ""
                if case .string(let n)? = item["name"] { name = n }
                companions.append(try Companion(relation: relation, ageBand: band, name: name))
            }
        }
        let stageText = try text("stage")
        guard let stage = stageText.isEmpty ? .intake : Stage(rawValue: stageText) else {
            throw .invalid(L("`{stage}` is not a stage ({accepted})", ["stage": TerminalText.escaped(stageText), "accepted": Stage.allCases.map(\.rawValue).joined(separator: ", ")]))
        }
        try self.init(companions: companions, host: try text("host", required: true), destinationCountry: try text("destination_country", required: true),
                      destinationPlace: try text("destination_place"), travelPlan: try text("travel_plan"), start: try day("start"),
                      plannedReturn: try day("planned_return"), returnPlan: try text("return_plan"), stage: stage)
    }
}

/// How a protection case ended: a closed list, so the yearly summary can count it.
public enum CaseOutcome: String, Sendable, CaseIterable {
    case riskReduced = "risk_reduced"
    case relocatedReturned = "relocated_returned"
    case relocatedStayed = "relocated_stayed"
    case referredElsewhere = "referred_elsewhere"
    case lostContact = "lost_contact"
    case declined
    case deceased
    case other

    public var spanish: String {
        switch self {
        case .riskReduced: return "riesgo reducido"
        case .relocatedReturned: return "reubicada y retornó"
        case .relocatedStayed: return "reubicada y se quedó"
        case .referredElsewhere: return "derivada a otra organización"
        case .lostContact: return "se perdió el contacto"
        case .declined: return "no aceptó el acompañamiento"
        case .deceased: return "falleció"
        case .other: return "otro"
        }
    }

    public var english: String {
        switch self {
        case .riskReduced: return "Risk reduced"
        case .relocatedReturned: return "Relocated and returned"
        case .relocatedStayed: return "Relocated and stayed"
        case .referredElsewhere: return "Referred to another organisation"
        case .lostContact: return "Lost contact"
        case .declined: return "Declined support"
        case .deceased: return "Deceased"
        case .other: return "Other"
        }
    }
}

/// Something a case is owed by a day: a measure, a follow-up, a reassessment, a planned return.
public struct DueItem: Sendable {
    public enum Kind: String, Sendable {
        case measure
        case followUp = "follow_up"
        case reassessment
        case plannedReturn = "planned_return"
    }

    public let caseId: [UInt8]
    public let kind: Kind
    public let due: CalendarDay
    /// The task's text (sealed in the store; shown only to whoever unlocked the keys).
    public let text: String
    public let item: ProtectionItemId?
}

/// How long a risk level stays current before it is due for reassessment: the higher the risk,
/// the sooner (the networks' practice: a case at extreme risk is looked at every two weeks).
public func reassessmentInterval(_ level: RiskLevel) -> Int {
    switch level {
    case .extreme: return 14
    case .high: return 30
    case .medium: return 90
    case .low: return 180
    }
}

func optionalDay(_ value: JSONValue?) throws(ProtectionError) -> CalendarDay? {
    switch value {
    case nil, .null?: return nil
    case .string(let text)?:
        guard let day = CalendarDay(text) else { throw .damaged(L("a stored day")) }
        return day
    default: throw .damaged(L("a stored day"))
    }
}

public enum ProtectionError: Error, Equatable, CustomStringConvertible {
    case invalid(String)
    case badLevel(String)
    case damaged(String)
    case unknownItem(String)
    case unknownAlert(String)
    case noConsent(AlertDestination, [AlertField])

    public var description: String {
        switch self {
        case .invalid(let why): return why
        case .badLevel(let text): return L("`{level}` is not a risk level ({accepted})", ["level": TerminalText.escaped(text), "accepted": RiskLevel.accepted])
        case .damaged(let what): return L("{what} does not read back: the case store was altered or damaged", ["what": what])
        case .unknownItem(let id): return L("this case has no item {id}", ["id": TerminalText.escaped(id)])
        case .unknownAlert(let id): return L("this case has no consent for alert {id} (`cases consent show` lists them)", ["id": TerminalText.escaped(id)])
        case .noConsent(let destination, let fields):
            return L("no consent in force to give {fields} to {destination}: record hers for this alert first (resguardo cases consent add), or leave those fields out; nothing was written",
                     ["fields": fields.map(\.rawValue).joined(separator: ", "), "destination": destination.spanish])
        }
    }
}
