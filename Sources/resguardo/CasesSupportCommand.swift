import ArgumentParser
import CLISupport
import Casework
import Foundation
import Formats

extension Resguardo.CasesCommand {
    struct SupportCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "support",
            abstract: L("Support requested on her behalf, by ProtectDefenders.eu category, with funder, amount and status."),
            discussion: L("""
            Categories: physical_security, digital_security, communications, capacity_building, \
            secure_transport, legal, medical_psychosocial, humanitarian_family, urgent_relocation, \
            urgent_monitoring_advocacy, other. Statuses: requested, approved, declined, disbursed, closed. \
            Amounts are exact (cents), with an ISO 4217 currency.

            Example:
              $ resguardo cases support add 3fa2c1 --category legal --funder "ProtectDefenders.eu" --amount 1500 --currency USD
              $ resguardo cases support update 3fa2c1 7b20 --status approved
              $ resguardo cases support show 3fa2c1
            """),
            subcommands: [Add.self, Update.self, Show.self]
        )

        struct Add: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: L("Record a support request."),
                discussion: L("Example:\n  $ resguardo cases support add 3fa2c1 --category urgent_relocation --funder \"Fondo de emergencia\" --amount 2300.50 --currency USD")
            )
            @OptionGroup var workspace: WorkspaceOptions
            @Argument(help: .L("Case id (at least 6 hex digits).")) var caseId: String
            @Option(name: .long, help: .L("The ProtectDefenders.eu category (see above).")) var category: String
            @Option(name: .long, help: .L("Who is asked to fund it (\"propio\" for the network's own funds).")) var funder: String
            @Option(name: .long, help: .L("The amount asked (digits, at most two decimals).")) var amount: String?
            @Option(name: .long, help: .L("Its ISO 4217 currency (USD, EUR, MXN, GTQ, HNL).")) var currency: String?
            @Option(name: .long, help: .L("The day it was requested (YYYY-MM-DD; default today).")) var day: String?

            func validate() throws {
                guard (amount == nil) == (currency == nil) else { throw ValidationError(L("--amount and --currency go together")) }
                guard SupportCategory(rawValue: category) != nil else {
                    throw ValidationError(L("`{category}` is not a support category ({accepted})", ["category": category, "accepted": SupportCategory.allCases.map(\.rawValue).joined(separator: ", ")]))
                }
            }

            func run() throws {
                let ws = try workspace.open()
                let requested = try day.map { try parseDay($0, flag: "--day") } ?? .today()
                do {
                    let money = try amount.map { try Money(amount: $0, currency: currency ?? "") }
                    guard let kind = SupportCategory(rawValue: category) else { throw ProtectionError.invalid(category) }
                    let request = try SupportRequest(category: kind, funder: funder, amount: money, requested: requested)
                    let id = try ws.resolveCase(caseId)
                    let item = try ws.requestSupport(id, request)
                    print(L("case {id}: support request {item} ({category}, {amount}) recorded", ["id": String(Encoding.hex(id).prefix(12)), "item": "\(item)",
                                                                                                 "category": kind.labels.es, "amount": money.map(\.description) ?? "—"]))
                } catch let e as ProtectionError {
                    throw CommandFailure(e.description, status: .usage)
                } catch {
                    throw CommandFailure("\(error)", status: .dataError)
                }
            }
        }

        struct Update: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: L("Record a support request's new status (and amount, when the funder changed it)."),
                discussion: L("Example:\n  $ resguardo cases support update 3fa2c1 7b20 --status disbursed --amount 1200 --currency USD")
            )
            @OptionGroup var workspace: WorkspaceOptions
            @Argument(help: .L("Case id (at least 6 hex digits).")) var caseId: String
            @Argument(help: .L("The request's item id (at least 4 hex digits, from support show).")) var item: String
            @Option(name: .long, help: .L("requested, approved, declined, disbursed or closed.")) var status: String
            @Option(name: .long, help: .L("The amount, if it changed.")) var amount: String?
            @Option(name: .long, help: .L("Its ISO 4217 currency.")) var currency: String?
            @Option(name: .long, help: .L("The day of the change (YYYY-MM-DD; default today).")) var day: String?
            @OptionGroup var passphrase: PassphraseOptions

            func validate() throws {
                guard (amount == nil) == (currency == nil) else { throw ValidationError(L("--amount and --currency go together")) }
                guard SupportStatus(rawValue: status) != nil else {
                    throw ValidationError(L("`{status}` is not a status ({accepted})", ["status": status, "accepted": SupportStatus.allCases.map(\.rawValue).joined(separator: ", ")]))
                }
            }

            func run() throws {
                let changed = try day.map { try parseDay($0, flag: "--day") } ?? .today()
                let money: Money?
                do { money = try amount.map { try Money(amount: $0, currency: currency ?? "") } } catch { throw CommandFailure("\(error)", status: .usage) }
                guard let next = SupportStatus(rawValue: status) else { throw CommandFailure(status, status: .usage) }
                let (ws, id, keys) = try openCaseContext(workspace, caseId, passphrase)
                do {
                    let updated = try ws.updateSupport(id, item: item, status: next, amount: money, on: changed, keys: keys)
                    print(L("case {id}: support request {item} is {status} ({spanish}) since {day}", ["id": String(Encoding.hex(id).prefix(12)), "item": "\(updated)",
                                                                                                     "status": next.rawValue, "spanish": next.spanish, "day": "\(changed)"]))
                } catch {
                    throw CommandFailure(error.description, status: .dataError)
                }
            }
        }

        struct Show: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: L("Show a case's support requests."),
                discussion: L("Example:\n  $ resguardo cases support show 3fa2c1")
            )
            @OptionGroup var workspace: WorkspaceOptions
            @Argument(help: .L("Case id (at least 6 hex digits).")) var caseId: String
            @OptionGroup var passphrase: PassphraseOptions

            func run() throws {
                let (ws, id, keys) = try openCaseContext(workspace, caseId, passphrase)
                let requests: [(id: ProtectionItemId, request: SupportRequest)]
                do { requests = try ws.supportRequests(id, keys: keys) } catch { throw CommandFailure(error.description, status: .dataError) }
                if requests.isEmpty { print(L("no support request yet")) }
                for (item, r) in requests {
                    print("\(item)  \(r.requested)  \(r.category.labels.es) / \(r.category.labels.en)  \(TerminalText.escaped(r.funder))  \(r.amount.map(\.description) ?? "—")  \(r.status.spanish) / \(r.status.rawValue)\(r.decided.map { " (\($0))" } ?? "")")
                }
            }
        }
    }
}
