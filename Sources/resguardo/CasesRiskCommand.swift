import ArgumentParser
import CLISupport
import Casework
import Foundation
import Formats

extension Resguardo.CasesCommand {
    struct RiskCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "risk",
            abstract: L("Risk assessments of a protection case: threats, vulnerabilities and capacities, each with a level, and the overall risk."),
            discussion: L("""
            The threat/vulnerability/capacity method (Protection International's New Protection \
            Manual, Front Line Defenders' workbook). Each assessment is dated and kept: a \
            reassessment adds one. The latest overall level shows in `cases list` (--sort risk, \
            --sort assessed, --risk high). Levels: low/bajo, medium/medio, high/alto, extreme/extremo.

            Example:
              $ resguardo cases risk assess 3fa2c1 --file evaluacion.json
              $ resguardo cases risk history 3fa2c1
            """),
            subcommands: [Assess.self, History.self]
        )

        struct Assess: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: L("Record a risk assessment (a first one or a reassessment)."),
                discussion: L("""
                The items name threats, people and places: give them in a file (--file, - for \
                standard input), which the shell history does not keep:

                  {"threats": [{"text": "llamadas amenazantes tras la audiencia", "level": "alto"}],
                   "vulnerabilities": [{"text": "vive sola cerca de la mina", "level": "medio"}],
                   "capacities": [{"text": "red comunitaria de alerta", "level": "medio"}],
                   "overall": "alto", "assessor": "Ana", "day": "2026-12-07", "note": ""}

                --threat/--vulnerability/--capacity TEXT=LEVEL (repeatable) with --overall and \
                --assessor do the same on the command line.

                Example:
                  $ resguardo cases risk assess 3fa2c1 --file evaluacion.json
                """)
            )
            @OptionGroup var workspace: WorkspaceOptions
            @Argument(help: .L("Case id (at least 6 hex digits).")) var caseId: String
            @Option(name: .long, help: .L("The assessment as JSON (see above), or - for standard input.")) var file: String?
            @Option(name: .long, help: .L("A threat as TEXT=LEVEL (repeatable).")) var threat: [String] = []
            @Option(name: .long, help: .L("A vulnerability as TEXT=LEVEL (repeatable).")) var vulnerability: [String] = []
            @Option(name: .long, help: .L("A capacity as TEXT=LEVEL (repeatable).")) var capacity: [String] = []
            @Option(name: .long, help: .L("The overall risk level.")) var overall: String?
            @Option(name: .long, help: .L("Who assessed it.")) var assessor: String?
            @Option(name: .long, help: .L("The day of the assessment (YYYY-MM-DD; default today).")) var day: String?

            func validate() throws {
                guard (file == nil) != (threat.isEmpty && overall == nil && assessor == nil) else {
                    throw ValidationError(L("give --file, or --threat with --overall and --assessor"))
                }
            }

            func assessment() throws -> RiskAssessment {
                let today = try day.map { try parseDay($0, flag: "--day") } ?? .today()
                do {
                    if let file {
                        let text = try SecretText.read(file, what: "the assessment")
                        let json: JSONValue
                        do { json = try JSONValue.parse(Array(text.utf8)) } catch { throw CommandFailure(L("{file}: {error}", ["file": file, "error": "\(error)"]), status: .dataError) }
                        return try RiskAssessment(json: json, today: today)
                    }
                    SecretText.warnAboutArgument("--threat", instead: "--file FILE or -")
                    var factors: [RiskFactor] = []
                    for (kind, items) in [(RiskFactor.Kind.threat, threat), (.vulnerability, vulnerability), (.capacity, capacity)] {
                        for item in items {
                            guard let cut = item.lastIndex(of: "="), let level = RiskLevel(text: String(item[item.index(after: cut)...])) else {
                                throw CommandFailure(L("`{item}` is not TEXT=LEVEL ({accepted})", ["item": TerminalText.escaped(item), "accepted": RiskLevel.accepted]), status: .usage)
                            }
                            factors.append(RiskFactor(kind: kind, text: String(item[..<cut]), level: level))
                        }
                    }
                    guard let overallText = overall, let level = RiskLevel(text: overallText) else { throw ProtectionError.badLevel(overall ?? "") }
                    return try RiskAssessment(factors: factors, overall: level, assessor: assessor ?? "", day: today)
                } catch let e as ProtectionError {
                    throw CommandFailure(e.description, status: .dataError)
                }
            }

            func run() throws {
                let ws = try workspace.open()
                let assessment = try assessment()
                do {
                    let id = try ws.resolveCase(caseId)
                    let item = try ws.assessRisk(id, assessment)
                    print(L("case {id}: risk {level} ({spanish}) on {day}, assessed by {assessor} (item {item})",
                            ["id": String(Encoding.hex(id).prefix(12)), "level": assessment.overall.rawValue, "spanish": assessment.overall.spanish,
                             "day": "\(assessment.day)", "assessor": TerminalText.escaped(assessment.assessor), "item": "\(item)"]))
                } catch {
                    throw CommandFailure(error.description, status: .dataError)
                }
            }
        }

        struct History: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: L("Show every risk assessment of a case, oldest first."),
                discussion: L("Example:\n  $ resguardo cases risk history 3fa2c1")
            )
            @OptionGroup var workspace: WorkspaceOptions
            @Argument(help: .L("Case id (at least 6 hex digits).")) var caseId: String
            @OptionGroup var passphrase: PassphraseOptions

            func run() throws {
                let (ws, id, keys) = try openCaseContext(workspace, caseId, passphrase)
                let history: [RiskAssessment]
                do { history = try ws.riskAssessments(id, keys: keys) } catch { throw CommandFailure(error.description, status: .dataError) }
                if history.isEmpty { print(L("no risk assessment yet (resguardo cases risk assess {id} --file F)", ["id": caseId])) }
                for a in history {
                    print(L("{day}  risk {level} ({spanish}), assessed by {assessor}", ["day": "\(a.day)", "level": a.overall.rawValue, "spanish": a.overall.spanish,
                                                                                    "assessor": TerminalText.escaped(a.assessor)]))
                    for f in a.factors {
                        print("    \(f.kind.spanish) / \(f.kind.rawValue) [\(f.level.spanish)]: \(TerminalText.escaped(f.text))")
                    }
                    if !a.note.isEmpty { print("    " + L("note: {note}", ["note": TerminalText.escaped(a.note)])) }
                }
            }
        }
    }
}

/// A YYYY-MM-DD option value, refused by name otherwise.
func parseDay(_ text: String, flag: String) throws -> CalendarDay {
    guard let day = CalendarDay(text) else { throw CommandFailure(L("{flag} `{value}` is not a day (YYYY-MM-DD)", ["flag": flag, "value": TerminalText.escaped(text)]), status: .usage) }
    return day
}
