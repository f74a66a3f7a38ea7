import Formats

/// One thing the defender must fix, said in both languages.
struct FormProblem: Equatable {
    let es: String
    let en: String

    func text(_ language: Language) -> String { language == .es ? es : en }
}

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
        if country.isEmpty { problems.append(FormProblem(es: "Elija el país donde ocurrió la agresión.", en: "Choose the country where the attack happened.")) }
        if description.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            problems.append(FormProblem(es: "Cuente qué pasó en la descripción.", en: "Tell what happened in the description."))
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
                problems.append(FormProblem(es: "La fecha \(d)/\(m)/\(y) no existe.", en: "The date \(y)-\(m)-\(d) does not exist."))
            }
        default:
            problems.append(FormProblem(es: "Fecha: si indica el día o el mes, indique también el mes y el año.",
                                        en: "Date: if you give the day or the month, give the month and the year too."))
        }
        report.aggressionTypes = values.all("aggression_types")
        report.perpetrators = values.all("perpetrators")
        report.rightsDefended = values.all("rights_defended")
        report.targetScope = values.first("target_scope")
        if let text = values.first("people_affected") {
            if let n = Int(text) { report.peopleAffected = n } else {
                problems.append(FormProblem(es: "El número de personas afectadas debe ser un número.", en: "The number of people affected must be a number."))
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
                problems.append(FormProblem(es: "El año de nacimiento debe ser un número.", en: "The year of birth must be a number."))
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
            return .problems(issues.isEmpty ? [FormProblem(es: "La denuncia no es válida.", en: "The report is not valid.")] : issues.map(problem))
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
        let label: (String, String) = switch field {
        case "country": ("País", "Country")
        case "region": ("Estado o departamento (debe ser del país elegido)", "State or department (must be in the chosen country)")
        case "locality": ("Municipio o comunidad", "Municipality or community")
        case "incident_date": ("Fecha", "Date")
        case "description": ("Descripción", "Description")
        case "people_affected": ("Personas afectadas (de 1 a 100000)", "People affected (1 to 100000)")
        case "gender_component_types": ("Componente de género", "Gender component")
        case "birth_year": ("Año de nacimiento", "Year of birth")
        case "name": ("Nombre", "Name")
        case "contact": ("Contacto", "Contact")
        case "national_id": ("Documento de identidad", "Identity document")
        default: (field, field)
        }
        let why: (String, String) = switch issue.problem {
        case .missing: ("falta", "is missing")
        case .unknownCode: ("tiene una opción desconocida", "has an unknown choice")
        case .duplicateCode: ("repite una opción", "repeats a choice")
        case .wrongType, .invalid: ("no es válido", "is not valid")
        }
        return FormProblem(es: "\(label.0): \(why.0).", en: "\(label.1): \(why.1).")
    }
}
