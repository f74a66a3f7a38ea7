import ArgumentParser
import CLISupport
import Casework
import DurableFiles
import Foundation
import Formats

extension Resguardo.CasesCommand {
    struct ConsentCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "consent",
            abstract: L("Her consent to name fields in one alert to one destination (public, un_sr_hrd, iachr): who gave it, when, how; revocable."),
            discussion: L("""
            Fields: defender_name, defender_organisation, defender_work, country, place, \
            incident_date, what_happened, aggression_types, perpetrators, previous_incidents, \
            actions_taken, demand, contact. Consent is for one alert: the first `consent add` \
            without --alert starts an alert and prints its id; give --alert to add her consent \
            for another destination of the same alert. An alert holds only fields she agreed to \
            give to that destination in that alert; `cases alert` refuses the others.

            Example:
              $ resguardo cases consent add 3fa2c1 --to un_sr_hrd --fields defender_name,country,place,incident_date,what_happened,perpetrators --given-by ella --channel "en persona"
              $ resguardo cases consent add 3fa2c1 --alert 5d0e77a2 --to public --fields country,aggression_types,what_happened,demand --given-by ella
              $ resguardo cases consent revoke 3fa2c1 9e41
              $ resguardo cases consent show 3fa2c1
            """),
            subcommands: [Add.self, Revoke.self, Show.self]
        )

        struct Add: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: L("Record her consent for one alert, one destination and a list of fields."),
                discussion: L("Example:\n  $ resguardo cases consent add 3fa2c1 --to public --fields country,aggression_types,what_happened,demand --given-by ella --channel \"por teléfono\"")
            )
            @OptionGroup var workspace: WorkspaceOptions
            @Argument(help: .L("Case id (at least 6 hex digits).")) var caseId: String
            @Option(name: .long, help: .L("The alert it is for (8 hex digits, printed by the first consent add); without it, a new alert.")) var alert: String?
            @Option(name: .long, help: .L("public, un_sr_hrd or iachr.")) var to: String
            @Option(name: .long, help: .L("The fields she agreed to give, comma-separated.")) var fields: String
            @Option(name: .long, help: .L("Who gave it (she, or whom she authorised).")) var givenBy: String
            @Option(name: .long, help: .L("How it was given (in person, by phone, in writing).")) var channel: String = ""
            @Option(name: .long, help: .L("The day it was given (YYYY-MM-DD; default today).")) var day: String?

            func run() throws {
                guard let destination = AlertDestination(rawValue: to) else { throw CommandFailure(destinationError(to), status: .usage) }
                let given = try day.map { try parseDay($0, flag: "--day") } ?? .today()
                let list = try parseFields(fields)
                let alertId = try alert.map(parseAlertId) ?? Workspace.newAlertId()
                let ws = try workspace.open()
                do {
                    let id = try ws.resolveCase(caseId)
                    let item = try ws.recordConsent(id, try AlertConsent(alert: alertId, destination: destination, fields: list, givenBy: givenBy, givenOn: given, channel: channel))
                    print(L("case {id}: alert {alert}, consent {item} to {destination} for {fields}",
                            ["id": String(Encoding.hex(id).prefix(12)), "alert": "\(alertId)", "item": "\(item)", "destination": destination.spanish,
                             "fields": list.map(\.rawValue).joined(separator: ", ")]))
                } catch let e as ProtectionError {
                    throw CommandFailure(e.description, status: .usage)
                } catch {
                    throw CommandFailure("\(error)", status: .dataError)
                }
            }
        }

        struct Revoke: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: L("Revoke a consent (from today, or --day): alerts from then on cannot use it."),
                discussion: L("Example:\n  $ resguardo cases consent revoke 3fa2c1 9e41")
            )
            @OptionGroup var workspace: WorkspaceOptions
            @Argument(help: .L("Case id (at least 6 hex digits).")) var caseId: String
            @Argument(help: .L("The consent's item id (at least 4 hex digits, from consent show).")) var item: String
            @Option(name: .long, help: .L("From which day (YYYY-MM-DD; default today).")) var day: String?
            @OptionGroup var passphrase: PassphraseOptions

            func run() throws {
                let from = try day.map { try parseDay($0, flag: "--day") } ?? .today()
                let (ws, id, keys) = try openCaseContext(workspace, caseId, passphrase)
                do { try ws.revokeConsent(id, item: item, on: from, keys: keys) } catch { throw CommandFailure(error.description, status: .dataError) }
                print(L("case {id}: consent {item} revoked from {day}", ["id": String(Encoding.hex(id).prefix(12)), "item": TerminalText.escaped(item), "day": "\(from)"]))
            }
        }

        struct Show: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: L("Show a case's consents, in force or revoked."),
                discussion: L("Example:\n  $ resguardo cases consent show 3fa2c1")
            )
            @OptionGroup var workspace: WorkspaceOptions
            @Argument(help: .L("Case id (at least 6 hex digits).")) var caseId: String
            @OptionGroup var passphrase: PassphraseOptions

            func run() throws {
                let (ws, id, keys) = try openCaseContext(workspace, caseId, passphrase)
                let list: [(id: ProtectionItemId, consent: AlertConsent)]
                do { list = try ws.consents(id, keys: keys) } catch { throw CommandFailure(error.description, status: .dataError) }
                if list.isEmpty { print(L("no consent recorded")) }
                let today = CalendarDay.today()
                for (item, c) in list {
                    let state = c.isInForce(on: today) ? L("in force") : L("revoked {day}", ["day": c.revokedOn.map(\.description) ?? "—"])
                    print("\(item)  \(L("alert")) \(c.alert.map(\.description) ?? "—")  \(c.givenOn)  \(c.destination.spanish)  \(state)  \(TerminalText.escaped(c.givenBy))\(c.channel.isEmpty ? "" : ", " + TerminalText.escaped(c.channel)): \(c.fields.map(\.rawValue).joined(separator: ", "))")
                }
            }
        }
    }

    struct AlertCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "alert",
            abstract: L("Compose an alert (public, un_sr_hrd, iachr) from the case and your texts, show every field, and write it only with her consent for each."),
            discussion: L("""
            --alert names the alert whose consents count (the id `cases consent add` printed); \
            without it nothing is consented and the fields are only shown. --texts gives what the report does not (what_happened, demand, previous_incidents, \
            actions_taken) and may override any field. Every field the document holds is shown \
            first, with its value; a field without her consent in force for that destination is \
            refused and nothing is written. On a terminal it asks before writing (--yes to skip). \
            Each export is logged in the case's audit trail (destination and field names only). \
            The public alert is in Spanish and English; the UN and IACHR documents mark the \
            confidential parts (her contact; for the IACHR, her location).

            Example:
              $ resguardo cases alert 3fa2c1 --alert 5d0e77a2 --to un_sr_hrd --texts textos.json --out /media/usb/llamamiento.txt
            """)
        )
        @OptionGroup var workspace: WorkspaceOptions
        @Argument(help: .L("Case id (at least 6 hex digits).")) var caseId: String
        @Option(name: .long, help: .L("The alert (8 hex digits, from `cases consent add`).")) var alert: String?
        @Option(name: .long, help: .L("public, un_sr_hrd or iachr.")) var to: String
        @Option(name: .long, help: .L("Staff texts as JSON ({\"what_happened\": \"…\", \"demand\": \"…\"}), or - for standard input.")) var texts: String?
        @Option(name: .long, help: .L("Output file (must not exist).")) var out: String
        @Flag(name: .long, help: .L("Write without asking (after the fields are shown).")) var yes = false
        @OptionGroup var passphrase: PassphraseOptions

        func run() throws {
            guard let destination = AlertDestination(rawValue: to) else { throw CommandFailure(destinationError(to), status: .usage) }
            let alertId = try alert.map(parseAlertId)
            var given = AlertTexts()
            if let texts {
                let text = try SecretText.read(texts, what: "the alert's texts")
                do { given = try AlertTexts(json: try JSONValue.parse(Array(text.utf8))) } catch {
                    throw CommandFailure(L("{file}: {error}", ["file": texts, "error": "\(error)"]), status: .dataError)
                }
            }
            let (ws, id, keys) = try openCaseContext(workspace, caseId, passphrase)
            let draft: AlertDraft
            do { draft = try ws.draftAlert(id, alert: alertId, to: destination, texts: given, keys: keys, today: .today()) } catch { throw CommandFailure(error.description, status: .dataError) }
            // Every field, before anything is written: what she agreed to, and what she did not.
            print(L("The {destination} document holds these fields:", ["destination": destination.spanish]))
            for f in draft.fields {
                let mark = draft.withoutConsent.contains(f.field) ? L("NO CONSENT") : L("consented")
                print("  [\(mark)] \(f.field.labels.es) / \(f.field.labels.en)\(f.confidential ? " (confidencial)" : ""): \(TerminalText.escaped(f.value))")
            }
            guard draft.withoutConsent.isEmpty else {
                throw CommandFailure(ProtectionError.noConsent(destination, draft.withoutConsent).description, status: .dataError)
            }
            if !yes {
                guard isatty(STDIN_FILENO) == 1 else { throw CommandFailure(L("not a terminal: give --yes to write after the fields are shown"), status: .usage) }
                print(L("Write {out}? [s/N] ", ["out": out]), terminator: "")
                guard let answer = Swift.readLine()?.lowercased(), ["s", "si", "sí", "y", "yes"].contains(answer) else { print(L("nothing written")); return }
            }
            do {
                try ws.exportAlert(id, draft) { text in try DurableFile.createExclusive(out, bytes: Array(text.utf8)) }
            } catch let e as ProtectionError {
                throw CommandFailure(e.description, status: .dataError)
            } catch {
                throw CommandFailure("\(error)", status: .cannotCreate)
            }
            print(L("wrote {out} ({count} fields; logged in the case's audit trail)", ["out": out, "count": "\(draft.fields.count)"]))
        }
    }
}

func parseAlertId(_ text: String) throws -> AlertId {
    do { return try AlertId(hex: text) } catch { throw CommandFailure(error.description, status: .usage) }
}

func destinationError(_ text: String) -> String {
    L("`{to}` is not a destination ({accepted})", ["to": TerminalText.escaped(text), "accepted": AlertDestination.allCases.map(\.rawValue).joined(separator: ", ")])
}

func parseFields(_ text: String) throws -> [AlertField] {
    try text.split(separator: ",").map { item in
        let code = item.trimmingCharacters(in: .whitespaces)
        guard let field = AlertField(rawValue: code) else {
            throw CommandFailure(L("`{field}` is not a field ({accepted})", ["field": TerminalText.escaped(code), "accepted": AlertField.allCases.map(\.rawValue).joined(separator: ", ")]), status: .usage)
        }
        return field
    }
}
