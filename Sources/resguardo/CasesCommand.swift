import Deidentify
import Registration
import Registry
import DurableFiles
import ArgumentParser
import CLISupport
import Casework
import Foundation
import Formats
import Sodium

extension Resguardo {
    struct CasesCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "cases",
            abstract: L("List, read and vet cases."),
            discussion: L("""
            Example:
              $ resguardo cases list --state new --urgent
              $ resguardo cases show 3fa2c1
              $ resguardo cases vet 3fa2c1 --decision accept --note "confirmada con la red local"
              $ resguardo cases merge 9b41e0 --note-file motivo.txt
            """),
            subcommands: [List.self, Show.self, Vet.self, Merge.self, NoteCommand.self, Quarantine.self, DeidentifyCase.self, AttachmentCommand.self, RiskCommand.self, PlanCommand.self, SupportCommand.self,
                          RelocationCommand.self, FollowUpCommand.self, Due.self, Close.self, Summary.self,
                          ConsentCommand.self, AlertCommand.self]
        )

        struct List: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: L("List cases (no passphrase needed: only day, state, country, urgency and current risk are shown)."),
                discussion: L("""
                --sort risk puts the highest current risk first; --sort assessed the longest since \
                the last assessment first (never assessed before all); --risk LEVEL shows only cases \
                at that risk or above; --assessed-before-days N only those not assessed in N days.

                Example:
                  $ resguardo cases list --state new --urgent
                  $ resguardo cases list --sort risk --risk high
                  $ resguardo cases list --sort assessed --assessed-before-days 30
                """)
            )
            @OptionGroup var workspace: WorkspaceOptions
            @Option(name: .long, help: .L("new, vetted, registered, rejected or merged.")) var state: String?
            @Flag(name: .long, help: .L("Only urgent cases.")) var urgent = false
            @Option(name: .long, help: .L("urgency (default), risk or assessed.")) var sort: String = "urgency"
            @Option(name: .long, help: .L("Only cases at this current risk or above (low/bajo, medium/medio, high/alto, extreme/extremo).")) var risk: String?
            @Option(name: .long, help: .L("Only cases not assessed in this many days (or never).")) var assessedBeforeDays: Int?

            func run() throws {
                let ws = try workspace.open()
                var filter = CaseFilter(urgentOnly: urgent)
                if let state {
                    guard let s = CaseState(rawValue: state) else { throw CommandFailure(L("unknown state `{state}` (new, vetted, registered, rejected, merged)", ["state": "\(state)"]), status: .usage) }
                    filter.state = s
                }
                guard let order = CaseListOrder(rawValue: sort) else { throw CommandFailure(L("unknown order `{sort}` (urgency, risk, assessed)", ["sort": TerminalText.escaped(sort)]), status: .usage) }
                filter.order = order
                if let risk {
                    guard let level = RiskLevel(text: risk) else { throw CommandFailure(ProtectionError.badLevel(risk).description, status: .usage) }
                    filter.minimumRisk = level
                }
                let today = CalendarDay.today()
                if let days = assessedBeforeDays { filter.assessedBefore = today.adding(days: -days) }
                let cases = try ws.listCases(filter)
                // The sealed-by column stays last, as scripts reading this list expect.
                print(L("case            received           state         country       urgent          sealed").replacingOccurrences(of: "sealed", with: L("risk (days since)").padding(toLength: 18, withPad: " ", startingAt: 0) + " sealed"))
                for c in cases {
                    let risk = c.risk.map { "\($0.spanish) (\(c.daysSinceAssessment(on: today) ?? 0))" } ?? "—"
                    print("\(c.shortId)    \(c.receivedDay)         \(c.state.rawValue.padding(toLength: 12, withPad: " ", startingAt: 0))  \(c.country)            \((c.urgent ? L("YES") : L("no")).padding(toLength: 14, withPad: " ", startingAt: 0))  \(risk.padding(toLength: 18, withPad: " ", startingAt: 0)) \(CaseRendering.sealedBy(c))")
                }
                print(L("{count} cases", ["count": "\(cases.count)"]))
            }
        }

        struct Show: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: L("Decrypt and show one case, with Spanish and English labels."),
                discussion: L("""
                --json prints the report document exactly as it arrived (Report v1 JSON, attachments \
                included as base64), for tools; it is the defender's unredacted account, so pipe it \
                only into programs on this offline machine.

                Examples:
                  $ resguardo cases show 3fa2c1
                  $ resguardo cases show 3fa2c1 --json > /media/cifrado/caso.json
                """)
            )
            @OptionGroup var workspace: WorkspaceOptions
            @Argument(help: .L("Case id (at least 6 hex digits).")) var caseId: String
            @Flag(name: .long, help: .L("Print the report as Report v1 JSON instead of the readable view.")) var json = false
            @OptionGroup var passphrase: PassphraseOptions

            func run() throws {
                let (ws, id, keys) = try openCaseContext(workspace, caseId, passphrase)
                let opened: (summary: CaseSummary, report: Report)
                do { opened = try ws.openCase(id, keys: keys) } catch { throw CommandFailure(error.description, status: .dataError) }
                if json {
                    FileHandle.standardOutput.write(Data(opened.report.jsonBytes() + [UInt8(ascii: "\n")]))
                    return
                }
                print(CaseRendering.render(opened.summary, opened.report))
                if let links = try? ws.followUps(of: id) {
                    if let follows = links.follows { print(L("Follow-up of case: {id}", ["id": String(Encoding.hex(follows).prefix(12))])) }
                    if !links.followedBy.isEmpty {
                        print(L("Follow-ups: ") + links.followedBy.map { String(Encoding.hex($0).prefix(12)) }.joined(separator: ", "))
                    }
                    // A merged follow-up is read here, where it belongs: its date and its words.
                    for merged in (try? ws.openCases(links.followedBy, keys: keys)) ?? [] where merged.summary.state == .merged {
                        print(L("Merged follow-up {id}, received {day}:", ["id": merged.summary.shortId, "day": merged.summary.receivedDay]))
                        print("  " + TerminalText.escaped(merged.report.description))
                    }
                }
                if opened.report.replyPublicKey != nil {
                    print(L("Replies: possible with her codename (resguardo reply {id} --message-file F)", ["id": String(Encoding.hex(id).prefix(12))]))
                }
                // The protection case, when there is one (issue 31).
                if let latest = try? ws.riskAssessments(id, keys: keys).max(by: { $0.day < $1.day }) {
                    print(L("Current risk: {spanish} / {level}, assessed {day} by {assessor} (resguardo cases risk history {id})",
                            ["spanish": latest.overall.spanish, "level": latest.overall.rawValue, "day": "\(latest.day)", "assessor": TerminalText.escaped(latest.assessor),
                             "id": String(Encoding.hex(id).prefix(12))]))
                }
                if let plan = try? ws.securityPlan(id, keys: keys), !plan.isEmpty {
                    print(L("Security plan: {open} open, {done} done (resguardo cases plan show {id})", ["open": "\(plan.filter { $0.measure.done == nil }.count)",
                                                                                                      "done": "\(plan.filter { $0.measure.done != nil }.count)", "id": String(Encoding.hex(id).prefix(12))]))
                }
                if let support = try? ws.supportRequests(id, keys: keys), !support.isEmpty {
                    print(L("Support requests: {count} (resguardo cases support show {id})", ["count": "\(support.count)", "id": String(Encoding.hex(id).prefix(12))]))
                }
                print(L("Audit trail:"))
                for entry in try ws.auditTrail(caseId: id, keys: keys) {
                    print("  \(entry.at)  \(entry.action)  \(TerminalText.escaped(entry.detail))")
                }
            }
        }

        struct Merge: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: L("Merge a follow-up into the case it follows (same codename), so one attack stays one case; --undo takes it back out as a new case."),
                discussion: L("""
                A follow-up is a later report sent with the same codename; `cases show` names the \
                case it follows. Merged, it is read on that case's page and is never vetted or \
                registered on its own. A follow-up that tells of a new attack should stay its own \
                case: vet it instead. The note is sealed in the audit log of the follow-up; the case \
                it joins records the merge.

                Example:
                  $ resguardo cases merge 9b41e0 --note-file motivo.txt
                  $ resguardo cases merge 9b41e0 --undo --note-file motivo.txt
                """)
            )
            @OptionGroup var workspace: WorkspaceOptions
            @Argument(help: .L("The follow-up's case id (at least 6 hex digits).")) var caseId: String
            @Flag(name: .long, help: .L("Take a merged follow-up back out, as a new case.")) var undo = false
            @Option(name: .long, help: .L("Read the note (why) from this file, or - for standard input.")) var noteFile: String

            func run() throws {
                let ws = try workspace.open()
                let note = try SecretText.read(noteFile, what: "the note")
                do {
                    let id = try ws.resolveCase(caseId)
                    let into = try ws.mergeFollowUp(id, undo: undo, note: note)
                    let values = ["id": String(Encoding.hex(id).prefix(12)), "into": String(Encoding.hex(into).prefix(12))]
                    print(undo ? L("case {id}: taken out of case {into}, new again", values) : L("case {id}: merged into case {into}", values))
                } catch {
                    throw CommandFailure(error.description, status: .dataError)
                }
            }
        }

        struct Vet: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: L("Accept (new → vetted) or reject a case, with a note for the audit log."),
                discussion: L("""
                The note is sealed in the audit log; it can name people, so give it in a file or on \
                standard input (--note-file, - for standard input) rather than on the command line, \
                which the shell history keeps.

                Example:
                  $ resguardo cases vet 3fa2c1 --decision accept --note-file -
                  confirmada con la red local
                  ^D
                """)
            )
            enum Decision: String, ExpressibleByArgument, CaseIterable { case accept, reject }
            @OptionGroup var workspace: WorkspaceOptions
            @Argument(help: .L("Case id (at least 6 hex digits).")) var caseId: String
            @Option(name: .long, help: .L("accept or reject.")) var decision: Decision
            @Option(name: .long, help: .L("Why, recorded (sealed) in the audit log (prefer --note-file).")) var note: String?
            @Option(name: .long, help: .L("Read the note from this file, or - for standard input.")) var noteFile: String?

            func validate() throws {
                guard (note == nil) != (noteFile == nil) else { throw ValidationError(L("give --note-file (or --note) to say why")) }
                if let note, note.trimmingCharacters(in: .whitespaces).isEmpty { throw ValidationError(L("--note must say why")) }
            }

            func run() throws {
                let ws = try workspace.open()
                if note != nil { SecretText.warnAboutArgument("--note", instead: "--note-file FILE or -") }
                let note = try noteFile.map { try SecretText.read($0, what: "the note") } ?? self.note ?? ""
                guard !note.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { throw CommandFailure("the note must say why", status: .usage) }
                do {
                    let id = try ws.resolveCase(caseId)
                    try ws.transition(id, to: decision == .accept ? .vetted : .rejected, note: note)
                    let values = ["id": String(Encoding.hex(id).prefix(12))]
                    print(decision == .accept ? L("case {id}: vetted", values) : L("case {id}: rejected", values))
                } catch {
                    throw CommandFailure(error.description, status: .dataError)
                }
            }
        }

        struct Quarantine: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: L("List quarantined envelopes and reports, or show one with its full reason."),
                discussion: L("""
                Example:
                  $ resguardo cases quarantine
                  $ resguardo cases quarantine 7c41e0 --out ~/revision/7c41e0.bin
                """)
            )
            @OptionGroup var workspace: WorkspaceOptions
            @Argument(help: .L("A quarantined item's id (at least 6 hex digits) to show its reason.")) var item: String?
            @Option(name: .long, help: .L("With an item: also write what was kept (the report or the raw envelope) to this file.")) var out: String?
            @OptionGroup var passphrase: PassphraseOptions

            func run() throws {
                let ws = try workspace.open()
                guard let item else {
                    let items = try ws.listQuarantine()
                    for q in items { print("\(Encoding.hex(q.id).prefix(12))  \(q.receivedDay)  \(q.reasonClass)") }
                    print(L("{count} quarantined", ["count": "\(items.count)"]))
                    return
                }
                let keys = try unlockKeys(ws, passphrase)
                let opened: (summary: QuarantineSummary, reason: String, content: [UInt8])
                do { opened = try ws.openQuarantined(item, keys: keys) } catch { throw CommandFailure(error.description, status: .dataError) }
                print(L("Quarantine: {id}", ["id": Encoding.hex(opened.summary.id)]))
                print(L("Received: {day}", ["day": opened.summary.receivedDay]))
                print(L("Class: {class}", ["class": opened.summary.reasonClass]))
                print(L("Reason: {reason}", ["reason": TerminalText.escaped(opened.reason)]))
                print(L("Kept: {count} bytes", ["count": "\(opened.content.count)"]))
                if let out {
                    do { try DurableFile.createExclusive(out, bytes: opened.content) } catch {
                        throw CommandFailure(error.description + (error.exists ? " (it already exists)" : ""), status: .cannotCreate)
                    }
                    print(L("written to {out} (mode 0600; it may hold a defender's report in the clear)", ["out": "\(out)"]))
                }
            }
        }
    }
}

/// A case as a person reads it in a terminal: Spanish label first, English after.
enum CaseRendering {
    /// The staff's language (StaffMessages) as the vocabulary names it.
    static var language: Language { StaffMessages.language == "es" ? .es : .en }

    static func sealedBy(_ summary: CaseSummary) -> String { CaseView.sealedBy(summary, language) }

    /// `CaseView`'s fields, each value in its visible form (never raw), then the description.
    static func render(_ summary: CaseSummary, _ r: Report) -> String {
        var lines: [String] = []
        for field in CaseView.fields(summary, r, language) {
            lines.append("\(field.label): \(TerminalText.escaped(field.value))")
            if let warning = field.warning { lines.append("  " + warning) }
        }
        lines.append(L("Description") + ":")
        lines.append(TerminalText.escaped(r.description, allowNewlines: true))
        return lines.joined(separator: "\n")
    }
}

extension Resguardo.CasesCommand {
    struct Due: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: L("What the open protection cases are owed: measures, follow-ups, reassessments and planned returns due, earliest first."),
            discussion: L("""
            A reassessment falls due 14 days after an assessment at extreme risk, 30 at high, 90 \
            at medium and 180 at low. Closed cases are left out.

            Example:
              $ resguardo cases due --within 7
            """)
        )
        @OptionGroup var workspace: WorkspaceOptions
        @Option(name: .long, help: .L("Also what falls due in this many days (default 0: due today or overdue).")) var within: Int = 0
        @OptionGroup var passphrase: PassphraseOptions

        func run() throws {
            let ws = try workspace.open()
            let keys = try unlockKeys(ws, passphrase)
            let today = CalendarDay.today()
            let due: [DueItem]
            do { due = try ws.dueItems(on: today, within: within, keys: keys) } catch { throw CommandFailure(error.description, status: .dataError) }
            for d in due {
                let label: String
                switch d.kind {
                case .measure: label = L("measure")
                case .followUp: label = L("follow-up")
                case .reassessment: label = L("reassessment (risk {level})", ["level": RiskLevel(rawValue: d.text)?.spanish ?? d.text])
                case .plannedReturn: label = L("planned return from {country}", ["country": d.text])
                }
                let late = d.due < today ? " " + L("OVERDUE") : ""
                let text = d.kind == .measure || d.kind == .followUp ? ": " + TerminalText.escaped(d.text) : ""
                print("\(d.due)\(late)  \(String(Encoding.hex(d.caseId).prefix(12)))  \(d.item.map { "\($0)  " } ?? "")\(label)\(text)")
            }
            print(L("{count} due", ["count": "\(due.count)"]))
        }
    }

    struct Close: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: L("Close a protection case with its outcome (risk_reduced, relocated_returned, relocated_stayed, referred_elsewhere, lost_contact, declined, deceased, other)."),
            discussion: L("Example:\n  $ resguardo cases close 3fa2c1 --outcome relocated_returned")
        )
        @OptionGroup var workspace: WorkspaceOptions
        @Argument(help: .L("Case id (at least 6 hex digits).")) var caseId: String
        @Option(name: .long, help: .L("The outcome, from the list above.")) var outcome: String
        @Option(name: .long, help: .L("The day it closed (YYYY-MM-DD; default today).")) var day: String?

        func run() throws {
            guard let result = CaseOutcome(rawValue: outcome) else {
                throw CommandFailure(L("`{outcome}` is not an outcome ({accepted})", ["outcome": TerminalText.escaped(outcome), "accepted": CaseOutcome.allCases.map(\.rawValue).joined(separator: ", ")]), status: .usage)
            }
            let closed = try day.map { try parseDay($0, flag: "--day") } ?? .today()
            let ws = try workspace.open()
            do {
                let id = try ws.resolveCase(caseId)
                try ws.closeCase(id, outcome: result, on: closed)
                print(L("case {id}: closed on {day} ({outcome})", ["id": String(Encoding.hex(id).prefix(12)), "day": "\(closed)", "outcome": result.spanish]))
            } catch {
                throw CommandFailure(error.description, status: .dataError)
            }
        }
    }

    struct Summary: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: L("The yearly casework summary: protection cases by risk level, support requested by category, relocations and the family members who moved, outcomes, days to first response."),
            discussion: L("""
            On the terminal it shows exact counts: it is internal and stays on this laptop. \
            Written to a file (--out, as html or json) it is suppressed like every report: counts \
            below 5 show as "<5", and "x" hides a count that would give another away.

            Example:
              $ resguardo cases summary --year 2026
              $ resguardo cases summary --year 2026 --format html --out /media/usb/resumen-2026.html
            """)
        )
        enum Format: String, ExpressibleByArgument, CaseIterable { case text, html, json }
        @OptionGroup var workspace: WorkspaceOptions
        @Option(name: .long, help: .L("The year (default this one).")) var year: Int?
        @Option(name: .long, help: .L("text (the terminal only), html or json.")) var format: Format = .text
        @Option(name: .long, help: .L("Write the suppressed summary to this file (must not exist).")) var out: String?
        @OptionGroup var passphrase: PassphraseOptions

        func validate() throws {
            if out != nil && format == .text { throw ValidationError(L("--out needs --format html or json")) }
            if out == nil && format != .text { throw ValidationError(L("--format {format} needs --out (a file; on the terminal the summary is internal)", ["format": format.rawValue])) }
        }

        func run() throws {
            let ws = try workspace.open()
            let keys = try unlockKeys(ws, passphrase)
            let chosen = year ?? Int(CalendarDay.today().description.prefix(4)) ?? 0
            let counts: CaseworkYear
            do { counts = try ws.caseworkYear(chosen, keys: keys) } catch { throw CommandFailure(error.description, status: .dataError) }
            let organisation = ws.keys.manifest.manifest.organisation
            guard let out else {
                let tables = CaseworkSummary.tables(counts, suppress: false)
                print(L("Casework summary {year} — {organisation} (INTERNAL: exact counts, not for publication)", ["year": "\(chosen)", "organisation": TerminalText.escaped(organisation)]))
                print(L("Protection cases: {count}", ["count": tables.headline.shown]))
                for t in tables.tables {
                    print("\n\(t.table.es) / \(t.table.en): \(t.total.shown)")
                    for (row, cell) in zip(t.table.rows, t.rows) where cell != .count(0) { print("  \(row.es) / \(row.en): \(cell.shown)") }
                }
                return
            }
            let tables = CaseworkSummary.tables(counts)
            let bytes: [UInt8]
            switch format {
            case .json: bytes = tables.json(extra: [("year", .int(chosen)), ("organisation", .string(organisation)), ("suppression_threshold", .int(5))])
            case .html, .text:
                bytes = Array(tables.html(title: "Resumen de casos \(chosen) — \(organisation)", subtitle: "Casos de protección del año \(chosen) / protection cases of \(chosen)", isInternal: false).utf8)
            }
            do { try DurableFile.createExclusive(out, bytes: bytes) } catch { throw CommandFailure(error.description, status: .cannotCreate) }
            print(L("wrote {out}: the {year} summary, suppressed (counts below 5 hidden)", ["out": out, "year": "\(chosen)"]))
        }
    }

    struct AttachmentCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "attachment",
            abstract: L("Write one attachment of a case to a folder, with its metadata stripped by mat2."),
            discussion: L("""
            The file is written with mode 0600 under a neutral name (the case, the number and the \
            extension: the sender's file name is shown by `cases show` only) and never opened by \
            resguardo. Metadata (EXIF, GPS, \
            author…) is removed with mat2 (Debian package `mat2`; another path with RESGUARDO_MAT2). \
            When it cannot be removed, resguardo says so plainly: treat that file as carrying the \
            defender's identifying metadata.

            Example:
              $ resguardo cases attachment 3fa2c1 1 --out ~/revision
              wrote ~/revision/3fa2c1…-adjunto-1.jpg (metadata removed with mat2)
            """)
        )
        @OptionGroup var workspace: WorkspaceOptions
        @Argument(help: .L("Case id (at least 6 hex digits).")) var caseId: String
        @Argument(help: .L("Attachment number, from 1.")) var number: Int
        @Option(name: .long, help: .L("Folder to write into.")) var out: String
        @OptionGroup var passphrase: PassphraseOptions

        func run() throws {
            let (ws, id, keys) = try openCaseContext(workspace, caseId, passphrase)
            let written: (path: String, mediaType: String)
            do { written = try ws.writeAttachment(id, index: number, to: out, keys: keys) } catch {
                throw CommandFailure(error.description, status: .dataError)
            }
            switch MetadataStripper.strip(written.path) {
            case .stripped:
                print(L("wrote {path} (metadata removed with mat2)", ["path": "\(written.path)"]))
            case .notStripped(let why):
                print("wrote \(written.path)")
                Console.warning(L("METADATA NOT REMOVED from {written}: {why}", ["written": "\(written.path)", "why": "\(why)"]))
                Console.warning("it may carry the device, the author or GPS coordinates: do not share it as is")
            }
        }
    }
}

extension Resguardo.CasesCommand {
    struct NoteCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "note",
            abstract: L("Add a note to a case's audit trail without changing its state (sealed: it can name people)."),
            discussion: L("""
            Give the note in a file or on standard input (- ), not on the command line, which the \
            shell history keeps. `cases show` opens it with the passphrase.

            Example:
              $ resguardo cases note 3fa2c1 --note-file -
              llamé a la compañera de la red local; confirma los hechos
              ^D
            """)
        )
        @OptionGroup var workspace: WorkspaceOptions
        @Argument(help: .L("Case id (at least 6 hex digits).")) var caseId: String
        @Option(name: .long, help: .L("Read the note from this file, or - for standard input.")) var noteFile: String

        func run() throws {
            let ws = try workspace.open()
            let note = try SecretText.read(noteFile, what: "the note")
            do {
                let id = try ws.resolveCase(caseId)
                try ws.addNote(id, note: note)
                print(L("case {id}: note added", ["id": String(Encoding.hex(id).prefix(12))]))
            } catch {
                throw CommandFailure(error.description, status: .dataError)
            }
        }
    }

    struct DeidentifyCase: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "deidentify",
            abstract: L("Show the registry record a case would become, and the redaction log, without writing anything."),
            discussion: L("Example:\n  $ resguardo cases deidentify 3fa2c1 --preview\n  $ resguardo cases deidentify 3fa2c1 --redact region")
        )
        @OptionGroup var workspace: WorkspaceOptions
        @Argument(help: .L("Case id (at least 6 hex digits).")) var caseId: String
        @Flag(name: .long, help: .L("Preview only (the only mode: `resguardo registry add` writes).")) var preview = false
        @Option(name: .long, help: .L("A field to remove or coarsen, as `registry add --redact` would (repeat for several).")) var redact: [String] = []
        @OptionGroup var passphrase: PassphraseOptions

        func run() throws {
            let chosen = try parseStaffRedactions(redact)
            let (ws, id, keys) = try openCaseContext(workspace, caseId, passphrase)
            guard let preview = try Registration(workspace: ws, keys: keys).preview([id], edits: [id: chosen]).first else { return }
            let json = RegistryExport.json([preview.record])
            print("Registro / Record (nothing written):")
            print(TerminalText.escaped(String(decoding: json, as: UTF8.self), allowNewlines: true), terminator: "")
            print("Cambios / Redaction log:")
            for r in preview.redactions { print("  \(TerminalText.escaped("\(r)"))") }
            if preview.belowK { Console.warning(L("this record's group is still below k = {k} after every generalisation step", ["k": "\(KAnonymity.k)"])) }
        }
    }
}

