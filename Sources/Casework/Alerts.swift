public import Formats
import Foundation

// Urgent actions and alerts (issue 31, part 5). UN Special Procedures do not consider anonymous
// communications and the IACHR expects the beneficiary's consent, so an alert is a path of its
// own, apart from the de-identified registry: it names what she agreed to name, to whom, and
// nothing else. Consent is recorded per alert, per destination and per field, dated, revocable:
// agreeing to one urgent action does not cover the next one. An export shows every field it
// holds before it is written, and refuses one she did not agree to.

/// One alert (one urgent action about one set of events): the consents given for it and the
/// documents made from it share this id. Random, so the audit trail can name it without saying
/// anything about her.
public struct AlertId: Sendable, Hashable, CustomStringConvertible {
    public let bytes: [UInt8]
    init(bytes: [UInt8]) { self.bytes = bytes }

    /// Exactly the 8 hex digits `consent add` printed.
    public init(hex text: String) throws(ProtectionError) {
        let t = text.lowercased()
        guard t.count == 8, let bytes = Encoding.bytes(fromHex: t) else {
            throw .invalid(L("`{id}` is not an alert id (8 hex digits, as `cases consent add` printed it)", ["id": TerminalText.escaped(text)]))
        }
        self.bytes = bytes
    }

    public var description: String { Encoding.hex(bytes) }
}

/// Where an alert goes.
public enum AlertDestination: String, Sendable, CaseIterable {
    /// A public alert in the networks' pattern (Spanish and English).
    case publicAlert = "public"
    /// An urgent appeal / allegation letter to the UN Special Rapporteur on human rights defenders.
    case unSpecialRapporteur = "un_sr_hrd"
    /// The first section of a request for precautionary measures to the IACHR.
    case iachr

    public var spanish: String {
        switch self {
        case .publicAlert: return "alerta pública"
        case .unSpecialRapporteur: return "Relatoría Especial de la ONU sobre personas defensoras"
        case .iachr: return "CIDH (medidas cautelares)"
        }
    }

    public var english: String {
        switch self {
        case .publicAlert: return "public alert"
        case .unSpecialRapporteur: return "UN Special Rapporteur on human rights defenders"
        case .iachr: return "IACHR (precautionary measures)"
        }
    }
}

/// A field an alert can contain. Each needs her consent for the destination it goes to.
public enum AlertField: String, Sendable, CaseIterable, Comparable {
    case defenderName = "defender_name"
    case defenderOrganisation = "defender_organisation"
    case defenderWork = "defender_work"
    case country
    case place
    case incidentDate = "incident_date"
    case whatHappened = "what_happened"
    case aggressionTypes = "aggression_types"
    case perpetrators
    case previousIncidents = "previous_incidents"
    case actionsTaken = "actions_taken"
    case demand
    case contact

    public static func < (a: AlertField, b: AlertField) -> Bool { allCases.firstIndex(of: a) ?? 0 < allCases.firstIndex(of: b) ?? 0 }

    public var labels: (es: String, en: String) {
        switch self {
        case .defenderName: return ("Nombre de la defensora", "Defender's name")
        case .defenderOrganisation: return ("Organización", "Organisation")
        case .defenderWork: return ("Labor de defensa", "Defence work")
        case .country: return ("País", "Country")
        case .place: return ("Lugar", "Place")
        case .incidentDate: return ("Fecha de los hechos", "Date of the events")
        case .whatHappened: return ("Qué ocurrió", "What happened")
        case .aggressionTypes: return ("Tipo de agresión", "Type of aggression")
        case .perpetrators: return ("Presuntos responsables", "Alleged perpetrators")
        case .previousIncidents: return ("Hechos anteriores", "Previous incidents")
        case .actionsTaken: return ("Acciones ante las autoridades", "Action taken before the authorities")
        case .demand: return ("Exigencia a las autoridades", "Demand on the authorities")
        case .contact: return ("Contacto", "Contact")
        }
    }

    /// The fields each destination's document holds, in its order. The public alert never
    /// carries a contact; the UN and the IACHR receive one only as a confidential part.
    public static func fields(for destination: AlertDestination) -> [AlertField] {
        switch destination {
        case .publicAlert: return [.country, .defenderName, .defenderOrganisation, .defenderWork, .place, .incidentDate, .aggressionTypes, .whatHappened, .perpetrators, .demand]
        case .unSpecialRapporteur: return [.defenderName, .defenderOrganisation, .defenderWork, .country, .place, .incidentDate, .aggressionTypes, .perpetrators,
                                           .whatHappened, .previousIncidents, .actionsTaken, .contact]
        case .iachr: return [.defenderName, .defenderOrganisation, .defenderWork, .country, .place, .contact, .whatHappened, .previousIncidents, .actionsTaken]
        }
    }
}

/// Her consent to name fields to one destination in one alert: who gave it, when, how; revocable.
public struct AlertConsent: Sendable, Equatable {
    /// The alert it is for; nil only for a consent stored before consents named their alert,
    /// which then covers no alert (it is shown, never used).
    public let alert: AlertId?
    public let destination: AlertDestination
    public let fields: [AlertField]
    /// Who gave it: she herself, or whom she authorised (named inside the sealed case only).
    public let givenBy: String
    public let givenOn: CalendarDay
    /// How (in person, by phone, in writing).
    public let channel: String
    public var revokedOn: CalendarDay?

    public init(alert: AlertId?, destination: AlertDestination, fields: [AlertField], givenBy: String, givenOn: CalendarDay, channel: String, revokedOn: CalendarDay? = nil) throws(ProtectionError) {
        guard !fields.isEmpty else { throw .invalid(L("a consent names at least one field")) }
        guard !givenBy.trimmingCharacters(in: .whitespaces).isEmpty else { throw .invalid(L("a consent needs who gave it")) }
        self.alert = alert
        self.destination = destination
        self.fields = Array(Set(fields)).sorted()
        self.givenBy = givenBy
        self.givenOn = givenOn
        self.channel = channel
        self.revokedOn = revokedOn
    }

    /// In force on `day`: given by then and not revoked by then.
    public func isInForce(on day: CalendarDay) -> Bool { givenOn <= day && (revokedOn.map { $0 > day } ?? true) }

    /// Covers `destination` in `alert` on `day`.
    public func covers(_ alert: AlertId, _ destination: AlertDestination, on day: CalendarDay) -> Bool {
        self.alert == alert && self.destination == destination && isInForce(on: day)
    }

    var json: JSONValue {
        .object([("alert", alert.map { .string($0.description) } ?? .null), ("destination", .string(destination.rawValue)), ("fields", .array(fields.map { .string($0.rawValue) })), ("given_by", .string(givenBy)),
                 ("given_on", .string(givenOn.description)), ("channel", .string(channel)), ("revoked_on", revokedOn.map { .string($0.description) } ?? .null)])
    }

    init(json value: JSONValue) throws(ProtectionError) {
        guard case .string(let d)? = value["destination"], let destination = AlertDestination(rawValue: d), case .array(let list)? = value["fields"],
              case .string(let by)? = value["given_by"], case .string(let on)? = value["given_on"], let givenOn = CalendarDay(on),
              case .string(let channel)? = value["channel"] else { throw .damaged(L("a stored consent")) }
        var fields: [AlertField] = []
        for item in list {
            guard case .string(let f) = item, let field = AlertField(rawValue: f) else { throw .damaged(L("a stored consent")) }
            fields.append(field)
        }
        var alert: AlertId?
        switch value["alert"] {
        case nil, .null?: alert = nil
        case .string(let hex)?: do { alert = try AlertId(hex: hex) } catch { throw .damaged(L("a stored consent")) }
        default: throw .damaged(L("a stored consent"))
        }
        try self.init(alert: alert, destination: destination, fields: fields, givenBy: by, givenOn: givenOn, channel: channel, revokedOn: try optionalDay(value["revoked_on"]))
    }
}

/// What staff write for an alert, beyond what the report says: read from a file
/// (`{"what_happened": "…", "demand": "…", …}`); any field may also override the report's.
public struct AlertTexts: Sendable {
    public var values: [AlertField: String]

    public init(values: [AlertField: String] = [:]) { self.values = values }

    public init(json value: JSONValue) throws(ProtectionError) {
        guard case .object(let members) = value else { throw .invalid(L("the alert's texts must be a JSON object")) }
        var values: [AlertField: String] = [:]
        for (key, v) in members {
            guard let field = AlertField(rawValue: key) else {
                throw .invalid(L("unknown field `{key}` ({accepted})", ["key": TerminalText.escaped(key), "accepted": AlertField.allCases.map(\.rawValue).joined(separator: ", ")]))
            }
            guard case .string(let text) = v else { throw .invalid(L("`{key}` must be text", ["key": key])) }
            values[field] = text
        }
        self.values = values
    }
}

/// One alert document, before it is written: every field it holds, each with its value, and
/// which the destination keeps confidential.
public struct AlertDraft: Sendable {
    /// The alert whose consents were checked; nil when none was named (then nothing is consented).
    public let alert: AlertId?
    public let destination: AlertDestination
    public let fields: [(field: AlertField, value: String, confidential: Bool)]
    /// Fields it would hold that her consent for this alert and destination does not cover.
    public let withoutConsent: [AlertField]

    /// The document as it will be written.
    public func render() -> String {
        func value(_ f: AlertField) -> String? { fields.first { $0.field == f }?.value }
        switch destination {
        case .publicAlert:
            let who = value(.defenderName).map { name in [name, value(.defenderOrganisation)].compactMap { $0 }.joined(separator: ", de ") }
            let whoEn = value(.defenderName).map { name in [name, value(.defenderOrganisation)].compactMap { $0 }.joined(separator: ", of ") }
            var es = "ALERTA — \(value(.country) ?? "")\n\n"
            es += "\(who ?? "Una defensora de derechos humanos")\(value(.defenderWork).map { ", \($0)," } ?? "") sufrió \(value(.aggressionTypes) ?? "una agresión")"
            es += "\(value(.incidentDate).map { " el \($0)" } ?? "")\(value(.place).map { " en \($0)" } ?? "").\n"
            if let what = value(.whatHappened) { es += "\n\(what)\n" }
            if let who = value(.perpetrators) { es += "\nPresuntos responsables: \(who).\n" }
            if let demand = value(.demand) { es += "\nExigimos a las autoridades: \(demand)\n" }
            var en = "ALERT — \(value(.country) ?? "")\n\n"
            en += "\(whoEn ?? "A woman human rights defender")\(value(.defenderWork).map { ", \($0)," } ?? "") suffered \(value(.aggressionTypes) ?? "an attack")"
            en += "\(value(.incidentDate).map { " on \($0)" } ?? "")\(value(.place).map { " in \($0)" } ?? "").\n"
            if let what = value(.whatHappened) { en += "\n\(what)\n" }
            if let who = value(.perpetrators) { en += "\nAlleged perpetrators: \(who).\n" }
            if let demand = value(.demand) { en += "\nWe call on the authorities to: \(demand)\n" }
            return es + "\n---\n\n" + en
        case .unSpecialRapporteur, .iachr:
            let title = destination == .iachr
                ? "Solicitud de medidas cautelares — Sección I: persona propuesta como beneficiaria / Request for precautionary measures — Section I: proposed beneficiary"
                : "Llamamiento urgente / carta de alegación — Relatoría Especial sobre la situación de las personas defensoras de derechos humanos\nUrgent appeal / allegation letter — Special Rapporteur on the situation of human rights defenders"
            var out = title + "\n\n"
            for f in fields {
                out += "\(f.field.labels.es) / \(f.field.labels.en)\(f.confidential ? " [CONFIDENCIAL / CONFIDENTIAL]" : ""):\n  \(f.value.replacingOccurrences(of: "\n", with: "\n  "))\n\n"
            }
            return out
        }
    }
}
