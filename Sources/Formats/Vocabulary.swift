/// The registry vocabulary of DESIGN.md §6: codes are stable identifiers (extend, never rename),
/// each with a Spanish and an English label and, where one exists, its HURIDOCS ESF micro-thesaurus
/// code (MT04 acts, MT24 perpetrators), so records can be exchanged with ESF-based systems.
public struct Term: Sendable, Hashable {
    public let code: String
    public let es: String
    public let en: String
    /// HURIDOCS micro-thesaurus code, or nil where the term is local to this registry.
    public let esf: String?

    public init(code: String, es: String, en: String, esf: String? = nil) {
        self.code = code
        self.es = es
        self.en = en
        self.esf = esf
    }

    public func label(_ language: Language) -> String { language == .es ? es : en }
}

public enum Language: String, Sendable, CaseIterable {
    case es, en
}

/// A closed list of terms, looked up by code.
public struct Vocabulary: Sendable {
    public let name: String
    public let terms: [Term]
    private let byCode: [String: Term]

    init(_ name: String, _ terms: [Term]) {
        self.name = name
        self.terms = terms
        byCode = Dictionary(uniqueKeysWithValues: terms.map { ($0.code, $0) })
    }

    public func term(_ code: String) -> Term? { byCode[code] }
    public func contains(_ code: String) -> Bool { byCode[code] != nil }
    public var codes: [String] { terms.map(\.code) }
}

private func t(_ code: String, _ es: String, _ en: String, _ esf: String? = nil) -> Term {
    Term(code: code, es: es, en: en, esf: esf)
}

extension Vocabulary {
    /// Types of aggression (MT04). The unit of count in the registry.
    public static let aggressionTypes = Vocabulary("aggression_types", [
        t("harassment", "Hostigamiento / intimidación", "Harassment / intimidation", "020103"),
        t("threat", "Amenaza", "Threat", "020103"),
        t("death_threat", "Amenaza de muerte", "Death threat", "020103"),
        t("smear_campaign", "Campaña de desprestigio / difamación", "Smear campaign / defamation", "140101"),
        t("physical_violence", "Violencia física, psicológica o verbal", "Physical, psychological or verbal violence", "020101"),
        t("sexual_violence", "Violencia sexual", "Sexual violence", "020102"),
        t("surveillance", "Vigilancia, monitoreo, acecho", "Surveillance, monitoring, stalking", "120104"),
        t("digital_attack", "Ciberacoso, hackeo, publicación de datos", "Online harassment, hacking, doxxing"),
        t("criminalisation", "Criminalización / judicialización", "Criminalisation / judicial harassment"),
        t("arbitrary_detention", "Detención arbitraria", "Arbitrary detention", "030102"),
        t("excessive_force", "Uso excesivo de la fuerza", "Excessive use of force", "020101"),
        t("protest_attack", "Ataque por manifestarse", "Attack for protesting"),
        t("information_obstruction", "Impedimento a comunicar o recibir información", "Obstruction of communicating or receiving information", "100101"),
        t("raid", "Allanamiento / robo / incautación", "Raid / theft / seizure", "040101"),
        t("displacement", "Desplazamiento forzado / desalojo", "Forced displacement / eviction", "050104"),
        t("disappearance", "Desaparición / secuestro", "Disappearance / abduction", "030103"),
        t("attempted_killing", "Intento de asesinato", "Attempted killing", "010109"),
        t("killing", "Asesinato / feminicidio / transfeminicidio", "Killing / femicide / trans femicide", "010101"),
        t("other", "Otra", "Other", "900000"),
    ])

    /// Types of perpetrator (MT24). Never names: only the type.
    public static let perpetrators = Vocabulary("perpetrators", [
        t("national_official", "Autoridad pública nacional", "National public official", "010101"),
        t("local_official", "Autoridad pública local", "Local public official", "010102"),
        t("police", "Policía", "Police", "010104"),
        t("armed_forces", "Fuerzas armadas", "Armed forces", "010103"),
        t("judiciary", "Poder judicial / fiscalía", "Judiciary / prosecutors", "0103"),
        t("company", "Empresa nacional o transnacional", "National or transnational company", "2101"),
        t("extractive_company", "Empresa extractiva", "Extractive company"),
        t("landowner", "Terrateniente", "Landowner", "210200"),
        t("private_security", "Seguridad privada", "Private security", "020400"),
        t("organised_crime", "Crimen organizado", "Organised crime"),
        t("paramilitary", "Paramilitares", "Paramilitaries", "020101"),
        t("anti_rights_group", "Grupo fundamentalista / antiderechos", "Fundamentalist / anti-rights group"),
        t("political_party", "Partido político", "Political party"),
        t("media", "Medios de comunicación", "Media"),
        t("online_actor", "Usuario virtual", "Online actor"),
        t("community", "Integrante de la comunidad", "Community member", "1102"),
        t("family_or_partner", "Familia o pareja", "Family or partner", "1101"),
        t("unknown", "Desconocido", "Unknown", "990000"),
    ])

    /// Perpetrator types that are state actors, for the "share attributed to the state" figures.
    public static let stateActorCodes: Set<String> = ["national_official", "local_official", "police", "armed_forces", "judiciary"]

    public static let rightsDefended = Vocabulary("rights_defended", [
        t("land_territory", "Tierra, territorio y bienes naturales", "Land, territory and natural resources"),
        t("truth_justice", "Verdad, justicia y reparación (incl. buscadoras)", "Truth, justice and reparation (incl. searchers)"),
        t("expression", "Información, libertad de expresión y periodismo", "Information, freedom of expression and journalism"),
        t("womens_rights", "Derechos de las mujeres / vida libre de violencia", "Women's rights / life free of violence"),
        t("sexual_reproductive", "Derechos sexuales y reproductivos", "Sexual and reproductive rights"),
        t("lgbtiq", "Derechos LGBTIQ+ y de las personas trans", "LGBTIQ+ and trans rights"),
        t("indigenous_afro", "Pueblos indígenas y afrodescendientes", "Indigenous and Afro-descendant peoples"),
        t("labour", "Derechos laborales", "Labour rights"),
        t("migrants", "Personas migrantes", "Migrants"),
        t("other", "Otro", "Other"),
    ])

    public static let targetScopes = Vocabulary("target_scope", [
        t("personal", "Personal (una defensora)", "Personal (one defender)"),
        t("collective", "Colectiva (defensoras en una acción colectiva)", "Collective (defenders in a collective action)"),
        t("organisation", "Organización o grupo", "Organisation or group"),
    ])

    public static let genderComponentTypes = Vocabulary("gender_component_types", [
        t("sexual_threat", "Amenaza o agresión de carácter sexual", "Sexual threat or aggression"),
        t("attack_on_children_family", "Ataque a hijas, hijos o familia", "Attack on children or family"),
        t("sexist_language", "Lenguaje sexista o misógino", "Sexist or misogynist language"),
        t("gender_identity_denial", "Negación de la identidad de género", "Denial of gender identity"),
        t("gender_role_stigma", "Estigma por roles de género", "Stigma over gender roles"),
    ])

    public static let genderIdentities = Vocabulary("gender_identity", [
        t("woman", "Mujer", "Woman"),
        t("trans_woman", "Mujer trans", "Trans woman"),
        t("non_binary", "Persona no binaria", "Non-binary person"),
        t("other", "Otra", "Other"),
        t("not_stated", "No indicado", "Not stated"),
    ])

    public static let ethnicities = Vocabulary("ethnicity", [
        t("indigenous", "Indígena", "Indigenous"),
        t("afro", "Afrodescendiente", "Afro-descendant"),
        t("none", "Ninguna de estas", "Neither"),
        t("not_stated", "No indicado", "Not stated"),
    ])

    /// Ten-year bands (DESIGN.md §7); a birth year is generalised to one of these.
    public static let ageBands = Vocabulary("age_band", [
        t("under_18", "Menor de 18", "Under 18"),
        t("18_29", "18 a 29", "18 to 29"),
        t("30_39", "30 a 39", "30 to 39"),
        t("40_49", "40 a 49", "40 to 49"),
        t("50_59", "50 a 59", "50 to 59"),
        t("60_69", "60 a 69", "60 to 69"),
        t("70_plus", "70 o más", "70 or older"),
    ])

    public static let needs = Vocabulary("needs", [
        t("relocation", "Reubicación temporal", "Temporary relocation"),
        t("legal", "Acompañamiento legal", "Legal support"),
        t("medical", "Atención médica", "Medical care"),
        t("psychosocial", "Apoyo psicosocial", "Psychosocial support"),
        t("urgent_contact", "Contacto urgente", "Urgent contact"),
    ])

    public static let settings = Vocabulary("setting", [
        t("urban", "Urbano", "Urban"),
        t("rural", "Rural", "Rural"),
    ])

    /// MT48 date precision, for registry records.
    public static let datePrecisions = Vocabulary("date_precision", [
        t("day", "Día", "Day"),
        t("month", "Mes", "Month"),
        t("year", "Año", "Year"),
        t("approximate", "Aproximada", "Approximate"),
    ])

    public static let countries = Vocabulary("country", [
        t("MX", "México", "Mexico"),
        t("GT", "Guatemala", "Guatemala"),
        t("HN", "Honduras", "Honduras"),
        t("SV", "El Salvador", "El Salvador"),
        t("NI", "Nicaragua", "Nicaragua"),
    ])
}
