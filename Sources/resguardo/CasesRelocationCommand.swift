import ArgumentParser
import CLISupport
import Casework
import Foundation
import Formats

extension Resguardo.CasesCommand {
    struct RelocationCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "relocation",
            abstract: L("A relocation with her family: who moves with her, host, destination, travel plan, dates, return plan and stage."),
            discussion: L("""
            The plan names people and places, so it is given in a file (- for standard input):

              {"companions": [{"relation": "child", "age_band": "under_18", "name": "…"},
                              {"relation": "parent", "age_band": "60_69", "name": "…"}],
               "host": "Casa refugio", "destination_country": "CR", "destination_place": "San José",
               "travel_plan": "visa humanitaria; traslado por tierra", "start": "2026-12-10",
               "planned_return": "2027-03-10", "return_plan": "retorno acompañado", "stage": "intake"}

            Relations: partner, child, parent, sibling, other_relative, other. Age bands: under_18, \
            18_29, 30_39, 40_49, 50_59, 60_69, 70_plus. Stages: intake, stay, exit, follow_up. Names \
            stay inside the sealed case; a referral carries the number of dependants and their age \
            bands as staff answer them.

            Example:
              $ resguardo cases relocation set 3fa2c1 --file reubicacion.json
              $ resguardo cases relocation stage 3fa2c1 --stage stay
              $ resguardo cases relocation show 3fa2c1
            """),
            subcommands: [SetPlan.self, StageCommand.self, Show.self]
        )

        struct SetPlan: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "set",
                abstract: L("Record the relocation plan (or a new version of it)."),
                discussion: L("Example:\n  $ resguardo cases relocation set 3fa2c1 --file reubicacion.json")
            )
            @OptionGroup var workspace: WorkspaceOptions
            @Argument(help: .L("Case id (at least 6 hex digits).")) var caseId: String
            @Option(name: .long, help: .L("The relocation as JSON (see above), or - for standard input.")) var file: String

            func run() throws {
                let ws = try workspace.open()
                let text = try SecretText.read(file, what: "the relocation")
                let relocation: Relocation
                do { relocation = try Relocation(json: try JSONValue.parse(Array(text.utf8))) } catch {
                    throw CommandFailure(L("{file}: {error}", ["file": file, "error": "\(error)"]), status: .dataError)
                }
                do {
                    let id = try ws.resolveCase(caseId)
                    try ws.setRelocation(id, relocation, today: .today())
                    print(L("case {id}: relocation to {country} with {count} companions, stage {stage}", ["id": String(Encoding.hex(id).prefix(12)), "country": relocation.destinationCountry,
                                                                                                    "count": "\(relocation.companions.count)", "stage": relocation.stage.spanish]))
                } catch {
                    throw CommandFailure(error.description, status: .dataError)
                }
            }
        }

        struct StageCommand: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "stage",
                abstract: L("Move the relocation to another stage (intake, stay, exit, follow_up)."),
                discussion: L("Example:\n  $ resguardo cases relocation stage 3fa2c1 --stage stay")
            )
            @OptionGroup var workspace: WorkspaceOptions
            @Argument(help: .L("Case id (at least 6 hex digits).")) var caseId: String
            @Option(name: .long, help: .L("intake, stay, exit or follow_up.")) var stage: String
            @OptionGroup var passphrase: PassphraseOptions

            func run() throws {
                guard let next = Relocation.Stage(rawValue: stage) else {
                    throw CommandFailure(L("`{stage}` is not a stage ({accepted})", ["stage": TerminalText.escaped(stage), "accepted": Relocation.Stage.allCases.map(\.rawValue).joined(separator: ", ")]), status: .usage)
                }
                let (ws, id, keys) = try openCaseContext(workspace, caseId, passphrase)
                do {
                    guard var relocation = try ws.relocation(id, keys: keys) else { throw CommandFailure(L("case {id} has no relocation (resguardo cases relocation set)", ["id": caseId]), status: .dataError) }
                    relocation.stage = next
                    try ws.setRelocation(id, relocation, today: .today())
                    print(L("case {id}: relocation stage {stage}", ["id": String(Encoding.hex(id).prefix(12)), "stage": next.spanish]))
                } catch let e as CommandFailure { throw e } catch {
                    throw CommandFailure("\(error)", status: .dataError)
                }
            }
        }

        struct Show: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: L("Show the relocation plan."),
                discussion: L("Example:\n  $ resguardo cases relocation show 3fa2c1")
            )
            @OptionGroup var workspace: WorkspaceOptions
            @Argument(help: .L("Case id (at least 6 hex digits).")) var caseId: String
            @OptionGroup var passphrase: PassphraseOptions

            func run() throws {
                let (ws, id, keys) = try openCaseContext(workspace, caseId, passphrase)
                let found: Relocation?
                do { found = try ws.relocation(id, keys: keys) } catch { throw CommandFailure(error.description, status: .dataError) }
                guard let r = found else { print(L("no relocation")); return }
                print(L("Stage: {stage} / {code}", ["stage": r.stage.spanish, "code": r.stage.rawValue]))
                print(L("Host: {host}; destination: {place}, {country}", ["host": TerminalText.escaped(r.host), "place": TerminalText.escaped(r.destinationPlace), "country": r.destinationCountry]))
                print(L("From {start} to {back} (planned return)", ["start": r.start.map(\.description) ?? "—", "back": r.plannedReturn.map(\.description) ?? "—"]))
                if !r.travelPlan.isEmpty { print(L("Travel plan: {plan}", ["plan": TerminalText.escaped(r.travelPlan)])) }
                if !r.returnPlan.isEmpty { print(L("Return plan: {plan}", ["plan": TerminalText.escaped(r.returnPlan)])) }
                print(L("With her: {count}", ["count": "\(r.companions.count)"]))
                for c in r.companions { print("  \(c.relation.rawValue), \(c.ageBand)\(c.name.isEmpty ? "" : ": " + TerminalText.escaped(c.name))") }
            }
        }
    }

    struct FollowUpCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "follow-up",
            abstract: L("Follow-ups staff owe a case (a call, a visit), each due on a day; cases due lists them."),
            discussion: L("""
            Example:
              $ resguardo cases follow-up add 3fa2c1 --text-file llamada.txt --owner Marta --due 2026-12-14
              $ resguardo cases follow-up done 3fa2c1 c0de
              $ resguardo cases due --within 7
            """),
            subcommands: [Add.self, Done.self]
        )

        struct Add: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: L("Add a follow-up due on a day."),
                discussion: L("Example:\n  $ resguardo cases follow-up add 3fa2c1 --text-file llamada.txt --owner Marta --due 2026-12-14")
            )
            @OptionGroup var workspace: WorkspaceOptions
            @Argument(help: .L("Case id (at least 6 hex digits).")) var caseId: String
            @Option(name: .long, help: .L("What to do (prefer --text-file).")) var text: String?
            @Option(name: .long, help: .L("Read it from this file, or - for standard input.")) var textFile: String?
            @Option(name: .long, help: .L("Who does it.")) var owner: String
            @Option(name: .long, help: .L("By when (YYYY-MM-DD).")) var due: String

            func validate() throws {
                guard (text == nil) != (textFile == nil) else { throw ValidationError(L("give --text-file (or --text)")) }
            }

            func run() throws {
                let ws = try workspace.open()
                if text != nil { SecretText.warnAboutArgument("--text", instead: "--text-file FILE or -") }
                let body = try textFile.map { try SecretText.read($0, what: "the follow-up") } ?? text ?? ""
                let dueDay = try parseDay(due, flag: "--due")
                do {
                    let task = try CaseTask(text: body.trimmingCharacters(in: .whitespacesAndNewlines), owner: owner, due: dueDay)
                    let id = try ws.resolveCase(caseId)
                    let item = try ws.addFollowUp(id, task, today: .today())
                    print(L("case {id}: follow-up {item} due {due}", ["id": String(Encoding.hex(id).prefix(12)), "item": "\(item)", "due": "\(dueDay)"]))
                } catch let e as ProtectionError {
                    throw CommandFailure(e.description, status: .usage)
                } catch {
                    throw CommandFailure("\(error)", status: .dataError)
                }
            }
        }

        struct Done: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: L("Mark a follow-up done."),
                discussion: L("Example:\n  $ resguardo cases follow-up done 3fa2c1 c0de")
            )
            @OptionGroup var workspace: WorkspaceOptions
            @Argument(help: .L("Case id (at least 6 hex digits).")) var caseId: String
            @Argument(help: .L("The follow-up's item id (at least 4 hex digits, from cases due).")) var item: String
            @Option(name: .long, help: .L("The day it was done (YYYY-MM-DD; default today).")) var day: String?
            @OptionGroup var passphrase: PassphraseOptions

            func run() throws {
                let doneDay = try day.map { try parseDay($0, flag: "--day") } ?? .today()
                let (ws, id, keys) = try openCaseContext(workspace, caseId, passphrase)
                do {
                    let done = try ws.completeFollowUp(id, item: item, on: doneDay, keys: keys)
                    print(L("case {id}: follow-up {item} done on {day}", ["id": String(Encoding.hex(id).prefix(12)), "item": "\(done)", "day": "\(doneDay)"]))
                } catch {
                    throw CommandFailure(error.description, status: .dataError)
                }
            }
        }
    }
}
