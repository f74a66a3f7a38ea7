import ArgumentParser
import CLISupport
import Casework
import Foundation
import Formats

extension Resguardo.CasesCommand {
    struct PlanCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "plan",
            abstract: L("The security plan agreed with her: measures with who does them, by when, and when they were done."),
            discussion: L("""
            Example:
              $ resguardo cases plan add 3fa2c1 --text-file medida.txt --owner "equipo jurídico" --due 2026-12-20
              $ resguardo cases plan done 3fa2c1 a41f
              $ resguardo cases plan show 3fa2c1
            """),
            subcommands: [Add.self, Done.self, Show.self]
        )

        struct Add: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: L("Add a measure to the security plan."),
                discussion: L("Example:\n  $ resguardo cases plan add 3fa2c1 --text-file medida.txt --owner \"equipo jurídico\" --due 2026-12-20")
            )
            @OptionGroup var workspace: WorkspaceOptions
            @Argument(help: .L("Case id (at least 6 hex digits).")) var caseId: String
            @Option(name: .long, help: .L("The measure (prefer --text-file).")) var text: String?
            @Option(name: .long, help: .L("Read the measure from this file, or - for standard input.")) var textFile: String?
            @Option(name: .long, help: .L("Who does it.")) var owner: String
            @Option(name: .long, help: .L("By when (YYYY-MM-DD).")) var due: String?

            func validate() throws {
                guard (text == nil) != (textFile == nil) else { throw ValidationError(L("give --text-file (or --text)")) }
            }

            func run() throws {
                let ws = try workspace.open()
                if text != nil { SecretText.warnAboutArgument("--text", instead: "--text-file FILE or -") }
                let body = try textFile.map { try SecretText.read($0, what: "the measure") } ?? text ?? ""
                let dueDay = try due.map { try parseDay($0, flag: "--due") }
                do {
                    let measure = try CaseTask(text: body.trimmingCharacters(in: .whitespacesAndNewlines), owner: owner, due: dueDay)
                    let id = try ws.resolveCase(caseId)
                    let item = try ws.addMeasure(id, measure, today: .today())
                    print(L("case {id}: measure {item} added (owner {owner}, due {due})", ["id": String(Encoding.hex(id).prefix(12)), "item": "\(item)",
                                                                                         "owner": TerminalText.escaped(owner), "due": dueDay.map(\.description) ?? "—"]))
                } catch let e as ProtectionError {
                    throw CommandFailure(e.description, status: .usage)
                } catch {
                    throw CommandFailure("\(error)", status: .dataError)
                }
            }
        }

        struct Done: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: L("Mark a measure done."),
                discussion: L("Example:\n  $ resguardo cases plan done 3fa2c1 a41f --day 2026-12-18")
            )
            @OptionGroup var workspace: WorkspaceOptions
            @Argument(help: .L("Case id (at least 6 hex digits).")) var caseId: String
            @Argument(help: .L("The measure's item id (at least 4 hex digits, from plan show).")) var item: String
            @Option(name: .long, help: .L("The day it was done (YYYY-MM-DD; default today).")) var day: String?
            @OptionGroup var passphrase: PassphraseOptions

            func run() throws {
                let doneDay = try day.map { try parseDay($0, flag: "--day") } ?? .today()
                let (ws, id, keys) = try openCaseContext(workspace, caseId, passphrase)
                do {
                    let done = try ws.completeMeasure(id, item: item, on: doneDay, keys: keys)
                    print(L("case {id}: measure {item} done on {day}", ["id": String(Encoding.hex(id).prefix(12)), "item": "\(done)", "day": "\(doneDay)"]))
                } catch {
                    throw CommandFailure(error.description, status: .dataError)
                }
            }
        }

        struct Show: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: L("Show the security plan, overdue measures first marked."),
                discussion: L("Example:\n  $ resguardo cases plan show 3fa2c1")
            )
            @OptionGroup var workspace: WorkspaceOptions
            @Argument(help: .L("Case id (at least 6 hex digits).")) var caseId: String
            @OptionGroup var passphrase: PassphraseOptions

            func run() throws {
                let (ws, id, keys) = try openCaseContext(workspace, caseId, passphrase)
                let plan: [(id: ProtectionItemId, measure: CaseTask)]
                do { plan = try ws.securityPlan(id, keys: keys) } catch { throw CommandFailure(error.description, status: .dataError) }
                let today = CalendarDay.today()
                if plan.isEmpty { print(L("no measure yet")) }
                for (item, m) in plan {
                    let state: String
                    if let done = m.done { state = L("done {day}", ["day": "\(done)"]) } else if let due = m.due, due < today { state = L("OVERDUE since {day}", ["day": "\(due)"]) } else {
                        state = L("due {day}", ["day": m.due.map(\.description) ?? "—"])
                    }
                    print("\(item)  \(state)  \(TerminalText.escaped(m.owner)): \(TerminalText.escaped(m.text))")
                }
            }
        }
    }
}
