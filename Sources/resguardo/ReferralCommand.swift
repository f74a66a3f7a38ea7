import DurableFiles
import ArgumentParser
import CLISupport
import Casework
import Foundation
import Formats
import Keys
import Sodium

extension Resguardo {
    struct ReferralCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "referral",
            abstract: L("Hand a vetted case to a relocation coordinator (sealed, signed, expiring), or open one."),
            discussion: L("""
            Examples:
              $ resguardo referral create 3fa2c1 --to "Casa Refugio" --answers respuestas.json --out referral.rsgf
              $ resguardo referral open referral.rsgf --keys ~/claves-coordinacion --trust-fingerprint "9c1b …"
              $ resguardo referral update --keys ~/claves-coordinacion --referral-id 5d0c… --sequence 1 --stage stay --manifest manifest.json --network-fingerprint "3f2a …" --out estado-1.rsgs
              $ resguardo referral import-update estado-1.rsgs
            """),
            subcommands: [Create.self, Open.self, Update.self, ImportUpdate.self, SigningKeyCommand.self]
        )

        struct Create: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: L("Build the minimal referral of DESIGN.md §8 for a vetted case, seal it to the coordinator and sign it."),
                discussion: L("""
                Only vetted cases whose defender consented to contact can be referred. Origin, types of \
                aggression and perpetrator, medical and psychosocial needs and the defender's pseudonym \
                come from the case; no name, contact or narrative ever goes in. The other answers come \
                from --answers (a JSON object) or are asked for one by one on a terminal. The referral \
                expires after --valid-days. Every referral is recorded in the case's audit log.

                Answers file keys: urgency, alternatives_tried, relocation_type, window_from, window_to, \
                duration_weeks, dependants_count, dependants_age_bands, accessibility_needs, languages, \
                passport, transit_security, work_continues, consent_scope, consent_expires. When the \
                case has a relocation plan (`cases relocation set`), it gives dependants_count, \
                dependants_age_bands, window_from and window_to unless the answers do.

                Example:
                  $ resguardo referral create 3fa2c1 --to "Casa Refugio" --answers respuestas.json --out /media/usb/referral.rsgf
                """)
            )
            @OptionGroup var workspace: WorkspaceOptions
            @Argument(help: .L("Case id (at least 6 hex digits).")) var caseId: String
            @Option(name: .long, help: .L("The coordinator's registered name.")) var to: String
            @Option(name: .long, help: .L("JSON file with the answers the case cannot give.")) var answers: String?
            @Option(name: .long, help: .L("Referral file to create (must not exist).")) var out: String
            @Option(name: .long, help: .L("Days until the referral expires (1 to 90, default 14).")) var validDays: Int = 14
            @OptionGroup var passphrase: PassphraseOptions

            func validate() throws {
                guard (1...90).contains(validDays) else { throw ValidationError(L("--valid-days must be 1 to 90")) }
            }

            func run() throws {
                if FileManager.default.fileExists(atPath: out) { throw CommandFailure(L("{out} already exists", ["out": "\(out)"]), status: .cannotCreate) }
                var given = ReferralAnswers(values: [:])
                if let answers {
                    guard let data = FileManager.default.contents(atPath: answers) else { throw CommandFailure(L("cannot read {answers}", ["answers": "\(answers)"]), status: .noInput) }
                    do { given = try ReferralAnswers(json: Array(data)) } catch { throw CommandFailure(L("{answers}: {error}", ["answers": "\(answers)", "error": "\(error)"]), status: .dataError) }
                }
                let ws = try workspace.open()
                let id: [UInt8]
                do { id = try ws.resolveCase(caseId) } catch { throw CommandFailure(error.description, status: .noInput) }
                // One passphrase for both: the case's keys and the staff key that signs.
                let (keys, signer) = try unlockKeysAndReplySigner(ws, passphrase)
                // The relocation plan answers what it knows; then ask for what is still missing,
                // one question at a time, when a person is at the terminal.
                do { given = try ws.completeReferralAnswers(given, caseId: id, keys: keys) } catch { throw CommandFailure(error.description, status: .dataError) }
                if !given.missing.isEmpty && isatty(0) == 1 {
                    for key in given.missing {
                        guard let q = ReferralAnswers.questions.first(where: { $0.key == key }) else { continue }
                        FileHandle.standardError.write(Data("\(q.es) / \(q.en): ".utf8))
                        if let line = readLine(strippingNewline: true), !line.isEmpty { given.values[key] = line }
                    }
                }
                guard given.missing.isEmpty else {
                    throw CommandFailure(L("answers missing: {missing}", ["missing": "\(given.missing.joined(separator: ", "))"]),
                                         hints: ["give them in --answers FILE, or run on a terminal to be asked"], status: .dataError)
                }
                let made: (bytes: [UInt8], record: ReferralRecord)
                do {
                    made = try ws.createReferral(caseId: id, to: to, answers: given, keys: keys, signer: signer, today: .today(), validDays: validDays)
                } catch {
                    throw CommandFailure(error.description, status: .dataError)
                }
                do { try DurableFile.createExclusive(out, bytes: made.bytes) } catch { throw CommandFailure(error.description, status: .cannotCreate) }
                print(L("referral {referral_id} for {to} written to {out}; it expires on {expires}", ["referral_id": "\(made.record.referralId.prefix(12))", "to": "\(to)", "out": "\(out)", "expires": "\(made.record.expires)"]))
                print(L("signed by the staff key with fingerprint {signer} (the coordinator pins it)", ["signer": "\(try SigningKeyFingerprint(verifyingKey: signer.verifyingKey))"]))
            }
        }

        struct Open: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: L("On the coordinator's machine: verify a referral (signer, signature, recipient, expiry) and print it."),
                discussion: L("""
                Example:
                  $ resguardo referral open referral.rsgf --keys ~/claves-coordinacion --trust-fingerprint "9c1b 0d4e 77aa 5b10 c2d3 e4f5 0617 2839"
                """)
            )
            @Argument(help: .L("The referral file (.rsgf).")) var file: String
            @Option(name: .long, help: .L("The coordinator's key directory (made with `key init --role coordinator`).")) var keys: String
            @Option(name: .long, help: .L("The network's staff-key fingerprint, received by another channel.")) var trustFingerprint: String
            @OptionGroup var passphrase: PassphraseOptions

            func run() throws {
                guard let pinned = SigningKeyFingerprint(text: trustFingerprint) else {
                    throw CommandFailure("--trust-fingerprint must be 32 hex digits (8 groups of 4)", status: .usage)
                }
                let size = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? nil
                guard let size else { throw CommandFailure(L("cannot read {file}", ["file": "\(file)"]), status: .noInput) }
                // A referral is one padded record: a few KiB. Anything far larger is not one.
                guard size <= 1 << 20 else { throw CommandFailure(L("{file} is {size} bytes; not a referral file", ["file": "\(file)", "size": "\(size)"]), status: .dataError) }
                guard let data = FileManager.default.contents(atPath: file) else { throw CommandFailure(L("cannot read {file}", ["file": "\(file)"]), status: .noInput) }
                let key: SealSecretKey
                do { key = try CoordinatorKeys.unlock(at: keys, passphrase: try passphrase.read(prompt: "Passphrase: ")) } catch let error as KeyDirectoryError {
                    throw error.commandFailure(directory: keys)
                }
                let record: ReferralRecord
                do { record = try ReferralFile.open(Array(data), with: key, trustedSigner: pinned, today: .today()) } catch {
                    throw CommandFailure(L("{file}: {error}", ["file": "\(file)", "error": "\(error)"]), status: .dataError)
                }
                // A referral is signed by staff, but its text began as a defender's report.
                print(TerminalText.escaped(ReferralRendering.render(record), allowNewlines: true))
            }
        }
    }
}

extension Resguardo.ReferralCommand {
    struct Update: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: L("On the coordinator's machine: write a signed status update on a referral (stage, needs, a note), sealed to the network."),
            discussion: L("""
            The update is sealed to the network's current key, from its manifest checked against \
            the network's published signing-key fingerprint, and signed with the coordinator's \
            signing key. Number the updates of a referral 1, 2, …: the network applies only a newer \
            one. The note may name people: give it in a file (--note-file, - for standard input).

            Example:
              $ resguardo referral update --keys ~/claves-coordinacion --referral-id 5d0c9e… --sequence 1 --stage stay \\
                  --needs medical_psychosocial,legal --note-file nota.txt --manifest manifest.json --network-fingerprint "3f2a …" --out estado-1.rsgs
            """)
        )
        @Option(name: .long, help: .L("The coordinator's key directory.")) var keys: String
        @Option(name: .long, help: .L("The referral's id (referral_id, 32 hex digits, shown by referral open).")) var referralId: String
        @Option(name: .long, help: .L("This update's number for the referral: 1, 2, …")) var sequence: Int
        @Option(name: .long, help: .L("intake, stay, exit or follow_up.")) var stage: String
        @Option(name: .long, help: .L("What she needs now, as support-category codes, comma-separated.")) var needs: String = ""
        @Option(name: .long, help: .L("A note for the network, from this file or - for standard input.")) var noteFile: String?
        @Option(name: .long, help: .L("The network's manifest.json (its public keys).")) var manifest: String
        @Option(name: .long, help: .L("The network's published signing-key fingerprint.")) var networkFingerprint: String
        @Option(name: .long, help: .L("Output file (must not exist).")) var out: String
        @OptionGroup var passphrase: PassphraseOptions

        func run() throws {
            guard let pin = SigningKeyFingerprint(text: networkFingerprint) else { throw CommandFailure("--network-fingerprint must be 32 hex digits (8 groups of 4)", status: .usage) }
            let signed: SignedKeyManifest
            do { signed = try ManifestFile.load(path: manifest, pinned: pin) } catch {
                throw CommandFailure(L("{manifest}: {error}", ["manifest": manifest, "error": "\(error)"]), status: .dataError)
            }
            guard let recipient = signed.manifest.currentEncryptionKey(on: .today()) else {
                throw CommandFailure(L("{manifest} lists no key valid today", ["manifest": manifest]), status: .dataError)
            }
            let note = try noteFile.map { try SecretText.read($0, what: "the note") } ?? ""
            let update: RelocationUpdate
            do {
                update = try RelocationUpdate(referralId: referralId.lowercased(), sequence: sequence, issued: .today(), stage: stage,
                                              needs: needs.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty },
                                              note: note.trimmingCharacters(in: .whitespacesAndNewlines))
            } catch { throw CommandFailure(error.description, status: .usage) }
            let secret = try passphrase.read(prompt: "Passphrase: ")
            let signer: SigningKey
            do { signer = try CoordinatorKeys.unlockSigning(at: keys, passphrase: secret) } catch {
                if case .missingFile = error {
                    throw CommandFailure(error.description, hints: [L("a key directory made before status updates: resguardo referral signing-key --keys {keys}, then give the network its fingerprint", ["keys": keys])], status: .noInput)
                }
                throw error.commandFailure(directory: keys)
            }
            let bytes: [UInt8]
            do { bytes = try RelocationUpdateFile.seal(update, to: recipient.publicKey, signer: signer) } catch { throw CommandFailure(error.description, status: .dataError) }
            do { try DurableFile.createExclusive(out, bytes: bytes) } catch { throw CommandFailure(error.description, status: .cannotCreate) }
            print(L("wrote {out}: update {sequence} on referral {id} (stage {stage}), sealed to key {key} of {organisation}",
                    ["out": out, "sequence": "\(sequence)", "id": String(update.referralId.prefix(12)), "stage": stage, "key": recipient.id.hex,
                     "organisation": TerminalText.escaped(signed.manifest.organisation)]))
        }
    }

    struct ImportUpdate: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "import-update",
            abstract: L("Import a coordinator's status update into the case it answers (signed by a registered coordinator, newer than the last)."),
            discussion: L("""
            Refused, changing nothing: an update not signed by a coordinator registered with \
            --signing-key, altered, sealed to another network, for a referral not made here or made \
            for another coordinator, or not newer than the last one applied (a replay).

            Example:
              $ resguardo referral import-update /media/usb/estado-1.rsgs
            """)
        )
        @OptionGroup var workspace: WorkspaceOptions
        @Argument(help: .L("The update file (.rsgs).")) var file: String
        @OptionGroup var passphrase: PassphraseOptions

        func run() throws {
            let ws = try workspace.open()
            let bytes = try readInput(file, maxBytes: RelocationUpdateFile.maxByteCount, what: "update")
            let keys = try unlockKeys(ws, passphrase)
            let applied: (caseId: [UInt8], update: RelocationUpdate, coordinator: String)
            do { applied = try ws.importRelocationUpdate(bytes, keys: keys, today: .today()) } catch {
                throw CommandFailure(L("{file}: {error}", ["file": file, "error": "\(error)"]), hints: ["nothing changed"], status: .dataError)
            }
            print(L("case {id}: update {sequence} from {coordinator} (stage {stage}{needs})",
                    ["id": String(Encoding.hex(applied.caseId).prefix(12)), "sequence": "\(applied.update.sequence)", "coordinator": TerminalText.escaped(applied.coordinator),
                     "stage": applied.update.stage, "needs": applied.update.needs.isEmpty ? "" : "; " + applied.update.needs.joined(separator: ", ")]))
        }
    }

    struct SigningKeyCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "signing-key",
            abstract: L("On the coordinator's machine: add the status-update signing key to a key directory made before it existed."),
            discussion: L("Example:\n  $ resguardo referral signing-key --keys ~/claves-coordinacion")
        )
        @Option(name: .long, help: .L("The coordinator's key directory.")) var keys: String
        @OptionGroup var newKey: NewKeyOptions
        @OptionGroup var passphrase: PassphraseOptions

        func run() throws {
            let secret = try passphrase.read(prompt: "Passphrase: ")
            // The same passphrase as the directory's other key: check it opens that one first.
            do { _ = try CoordinatorKeys.unlock(at: keys, passphrase: secret) } catch { throw error.commandFailure(directory: keys) }
            let key: VerifyingKey
            do { key = try CoordinatorKeys.addSigningKey(at: keys, passphrase: secret, limits: newKey.kdf.limits) } catch { throw error.commandFailure(directory: keys) }
            print(L("status-update signing key: {dir}/{name}, fingerprint {fingerprint}", ["dir": keys, "name": CoordinatorKeys.signingPublicName,
                                                                                        "fingerprint": "\(try SigningKeyFingerprint(verifyingKey: key))"]))
        }
    }
}

/// A referral as a coordinator reads it, in the staff language (LANG): labels from the staff
/// catalog, vocabulary terms in the same language, codes kept where a term is unknown.
enum ReferralRendering {
    static func render(_ r: ReferralRecord) -> String {
        let spanish = StaffMessages.language == "es"
        func yes(_ b: Bool) -> String { b ? L("yes") : L("no") }
        func terms(_ codes: [String], _ vocabulary: Vocabulary) -> String {
            codes.isEmpty ? "—" : codes.map { code in vocabulary.term(code).map { spanish ? $0.es : $0.en } ?? code }.joined(separator: "; ")
        }
        let region = r.originRegion.map { "\(Regions.name(of: $0) ?? $0) (\($0))" } ?? "—"
        let country = Vocabulary.countries.term(r.originCountry).map { spanish ? $0.es : $0.en } ?? r.originCountry
        let lines: [(String, String)] = [
            (L("Defender (pseudonym)"), r.defenderPid),
            (L("Vetted by"), "\(r.vettedBy), \(r.vettedDay)"),
            (L("Origin"), "\(country), \(region)"),
            (L("Aggressions"), terms(r.aggressionTypes, .aggressionTypes)),
            (L("Perpetrators"), terms(r.perpetrators, .perpetrators)),
            (L("Urgency"), r.urgency),
            (L("Alternatives tried"), r.alternativesTried.joined(separator: ", ")),
            (L("Relocation type"), r.relocationType),
            (L("Window"), L("{from} … {to}, {weeks} weeks", ["from": "\(r.windowFrom)", "to": "\(r.windowTo)", "weeks": "\(r.durationWeeks)"])),
            (L("Dependants"), "\(r.dependantsCount) (\(terms(r.dependantsAgeBands, .ageBands)))"),
            (L("Medical needs"), yes(r.medicalNeeds)),
            (L("Psychosocial needs"), yes(r.psychosocialNeeds)),
            (L("Accessibility"), yes(r.accessibilityNeeds)),
            (L("Languages"), r.languages.joined(separator: ", ")),
            (L("Passport"), yes(r.passport)),
            (L("Transit security"), yes(r.transitSecurity)),
            (L("Work continues"), yes(r.workContinues)),
            (L("Consent"), L("{scope}, expires {day}", ["scope": r.consentScope, "day": "\(r.consentExpires)"])),
            (L("This referral expires"), "\(r.expires)"),
        ]
        return ([L("Referral {id}", ["id": "\(r.referralId)"])] + lines.map { "  \($0.0): \($0.1)" }
                + [L("Name and contact come by another channel, with her consent.")]).joined(separator: "\n")
    }
}
