import Formats

/// One thing the defender must fix, said in both languages.
/// A problem with a no-JavaScript submission, named by its Spanish text (the catalogs' msgid:
/// `scripts/gen-catalog` finds the calls that name it); the page shows it in its own language.
struct FormProblem: Equatable {
    let es: String
    /// `{name}` → what the defender typed (shown escaped, never translated).
    let values: [String: String]
    /// `{name}` → another catalog text (a question's label, what is wrong with it).
    let texts: [String: String]

    init(_ es: String, values: [String: String] = [:], texts: [String: String] = [:]) {
        self.es = es
        self.values = values
        self.texts = texts
    }

    /// The problem in the page's language, escaped for HTML.
    func render(_ page: WebPage) -> String {
        var out = page.t(es)
        for (name, value) in values { out = out.replacingOccurrences(of: "{\(name)}", with: escape(value)) }
        for (name, text) in texts { out = out.replacingOccurrences(of: "{\(name)}", with: page.t(text)) }
        return out
    }
}

/// Marks a catalog text for `scripts/gen-catalog` where the page looks it up later.
private func text(_ es: String) -> String { es }

/// Turns the form's answers into a Report v1 the same way `form.js` does on the device (the
/// names are the Report fields; `defender_*` and `consent_*` are the nested ones), then runs the
/// Report's own validation, so both paths accept exactly the same reports.
enum FormReport {
    enum Outcome {
        case report(Report)
        case problems([FormProblem])
    }

    static func build(_ values: FormValues, language: Language, today: CalendarDay) -> Outcome {
        var problems: [FormProblem] = []
        let country = values.first("country") ?? ""
        let description = (values.first("description") ?? "").replacingOccurrences(of: "\r\n", with: "\n")
        if country.isEmpty { problems.append(FormProblem("Elija el país donde ocurrió la agresión.")) }
        if description.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            problems.append(FormProblem("Cuente qué pasó en la descripción."))
        }
        var report = Report(language: language, country: country, description: description)
        report.region = values.first("region")
        report.locality = values.first("locality")
        report.setting = values.first("setting")
        switch (values.first("incident_year"), values.first("incident_month"), values.first("incident_day")) {
        case (nil, nil, nil): break
        case (let y?, nil, nil): report.incidentDate = Report.IncidentDate(y)
        case (let y?, let m?, nil): report.incidentDate = Report.IncidentDate("\(y)-\(m)")
        case (let y?, let m?, let d?):
            report.incidentDate = Report.IncidentDate("\(y)-\(m)-\(d)")
            if report.incidentDate == nil {
                problems.append(FormProblem("La fecha {day}/{month}/{year} no existe.", values: ["day": d, "month": m, "year": y]))
            }
        default:
            problems.append(FormProblem("Fecha: si indica el día o el mes, indique también el mes y el año."))
        }
        report.aggressionTypes = values.all("aggression_types")
        report.perpetrators = values.all("perpetrators")
        report.rightsDefended = values.all("rights_defended")
        report.targetScope = values.first("target_scope")
        if let text = values.first("people_affected") {
            if let n = Int(text) { report.peopleAffected = n } else {
                problems.append(FormProblem("El número de personas afectadas debe ser un número."))
            }
        }
        report.affectsRelatives = yesNo(values.first("affects_relatives"))
        report.genderComponent = yesNo(values.first("gender_component"))
        report.genderComponentTypes = values.all("gender_component_types")
        // Ticking a way the attack was gendered answers the yes/no question too.
        if !report.genderComponentTypes.isEmpty && report.genderComponent == nil { report.genderComponent = true }
        report.defender.name = values.first("defender_name")
        report.defender.organisation = values.first("defender_organisation")
        report.defender.contact = values.first("defender_contact")
        report.defender.nationalId = values.first("defender_national_id")
        if let text = values.first("defender_birth_year") {
            if let y = Int(text) { report.defender.birthYear = y } else {
                problems.append(FormProblem("El año de nacimiento debe ser un número."))
            }
        }
        report.defender.ageBand = values.first("defender_age_band")
        report.defender.genderIdentity = values.first("defender_gender_identity")
        report.defender.ethnicity = values.first("defender_ethnicity")
        report.needs = values.all("needs")
        report.urgent = values.has("urgent", "on")
        report.consent = Report.Consent(registry: values.has("consent_registry", "on"), contact: values.has("consent_contact", "on"))
        guard problems.isEmpty else { return .problems(problems) }
        do {
            _ = try Report.parse(report.jsonBytes(), today: today)
        } catch {
            let issues = error.issues
            return .problems(issues.isEmpty ? [FormProblem("La denuncia no es válida.")] : issues.map(problem))
        }
        return .report(report)
    }

    static func yesNo(_ value: String?) -> Bool? {
        switch value {
        case "yes": return true
        case "no": return false
        default: return nil
        }
    }

    /// A validation issue, said in terms of the form's questions rather than JSON paths.
    static func problem(_ issue: ReportIssue) -> FormProblem {
        let field = issue.field.split(separator: "[").first.map(String.init) ?? issue.field
        let label: String = switch field {
        case "country": text("País")
        case "region": text("Estado o departamento (debe ser del país elegido)")
        case "locality": text("Municipio o comunidad")
        case "incident_date": text("Fecha")
        case "description": text("Descripción")
        case "people_affected": text("Personas afectadas (de 1 a 100000)")
        case "gender_component_types": text("Componente de género")
        case "birth_year": text("Año de nacimiento")
        case "name": text("Nombre")
        case "contact": text("Contacto")
        case "national_id": text("Documento de identidad")
        default: field
        }
        let why: String = switch issue.problem {
        case .missing: text("falta")
        case .unknownCode: text("tiene una opción desconocida")
        case .duplicateCode: text("repite una opción")
        case .wrongType, .invalid: text("no es válido")
        }
        return FormProblem("{field}: {problem}.", texts: ["field": label, "problem": why])
    }
}
