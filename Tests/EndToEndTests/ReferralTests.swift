import Foundation
import Testing
import TestHarness
import TestSupport
import Sodium
import Formats
@testable import Casework
import Keys

/// Relocation referrals through the real `resguardo` binary: a coordinator's keys on one side,
/// the network's workspace on the other.
@Suite("Relocation referrals", .serialized)
struct ReferralTests {
    static let narrative = "Me siguieron desde la mina hasta la casa de mi madre en Santa Bárbara; conocen a mis hijos."

    @Test("create → open with the coordinator's keys; unvetted, unconsented, expired, tampered, wrong-recipient and untrusted referrals fail clearly; no free text inside")
    func referralLifecycle() throws {
        let t = try TestWorkspace()
        let env = ["RESGUARDO_PASSPHRASE": TestWorkspace.passphraseText, "RESGUARDO_WORKSPACE": t.scratch.path("ws")]
        var report = Report(language: .es, country: "HN", description: Self.narrative)
        report.region = "HN-SB"
        report.locality = "Santa Bárbara"
        report.aggressionTypes = ["death_threat", "surveillance"]
        report.perpetrators = ["extractive_company", "private_security"]
        report.defender.name = "Lucía Hernández"
        report.defender.contact = "+504 3344-5566"
        report.defender.birthYear = 1988
        report.needs = ["relocation", "psychosocial"]
        report.consent = Report.Consent(registry: true, contact: true)
        var noConsent = Report(language: .es, country: "GT", description: "Sin consentimiento de contacto.")
        noConsent.consent = Report.Consent(registry: true, contact: false)
        _ = try t.unseal(envelopes: [try t.seal(report.jsonBytes()), try t.seal(noConsent.jsonBytes())])
        let cases = try t.workspace.listCases()
        let hn = try #require(cases.first { $0.country == "HN" }), gt = try #require(cases.first { $0.country == "GT" })
        let hnId = String(Encoding.hex(hn.id).prefix(12)), gtId = String(Encoding.hex(gt.id).prefix(12))

        // The coordinator makes their keys on their own machine and reads out the fingerprint.
        let coordinatorDir = t.scratch.path("coordinacion")
        let coordEnv = ["RESGUARDO_PASSPHRASE": "frase de la coordinadora"]
        let made = try CLIRunner.run(["key", "init", "--role", "coordinator", "--dir", coordinatorDir, "--kdf", "interactive"], environment: coordEnv)
        #expect(made.status == 0, "\(made.stderr)")
        let fingerprint = try #require(made.stdout.split(separator: "\n").first { $0.hasPrefix("coordinator-key fingerprint: ") }?
            .dropFirst("coordinator-key fingerprint: ".count)).description
        let pub = coordinatorDir + "/coordinator.pub"
        let wrongPin = try CLIRunner.run(["coordinators", "add", "Casa Refugio", "--public-key", pub, "--fingerprint", String(repeating: "0", count: 32)], environment: env)
        #expect(wrongPin.status == 65 && wrongPin.stderr.contains("fingerprint"), "\(wrongPin.stderr)")
        #expect(try CLIRunner.run(["coordinators", "add", "Casa Refugio", "--public-key", pub, "--fingerprint", fingerprint], environment: env).status == 0)
        #expect(try CLIRunner.run(["coordinators", "list"], environment: env).stdout.contains("Casa Refugio"))

        let answers = try t.scratch.write("respuestas.json", """
            {"urgency": "within_days", "alternatives_tried": ["protection_mechanism", "local_move"], "relocation_type": "in_country",
             "window_from": "\(CalendarDay.today())", "window_to": "\(CalendarDay.today().adding(days: 30))", "duration_weeks": 12,
             "dependants_count": 2, "dependants_age_bands": ["under_18", "under_18"], "accessibility_needs": false, "languages": ["es"],
             "passport": false, "transit_security": true, "work_continues": true, "consent_scope": "relocation_only",
             "consent_expires": "\(CalendarDay.today().adding(days: 60))"}
            """)
        let out = t.scratch.path("remision.rsgf")
        let create = { (id: String, file: String) in try CLIRunner.run(["referral", "create", id, "--to", "Casa Refugio", "--answers", answers, "--out", file], environment: env) }
        let unvetted = try create(hnId, out)
        #expect(unvetted.status == 65 && unvetted.stderr.contains("only vetted cases"), "\(unvetted.stderr)")
        try t.workspace.transition(hn.id, to: .vetted, note: "verificada")
        try t.workspace.transition(gt.id, to: .vetted, note: "verificada")
        let noContact = try create(gtId, t.scratch.path("gt.rsgf"))
        #expect(noContact.status == 65 && noContact.stderr.contains("consent"), "\(noContact.stderr)")
        let partial = try t.scratch.write("parcial.json", #"{"urgency": "immediate"}"#)
        let missing = try CLIRunner.run(["referral", "create", hnId, "--to", "Casa Refugio", "--answers", partial, "--out", t.scratch.path("p.rsgf")], environment: env)
        #expect(missing.status == 65 && missing.stderr.contains("answers missing: alternatives_tried"), "\(missing.stderr)")

        let created = try create(hnId, out)
        #expect(created.status == 0, "\(created.stderr)")
        let staffFingerprint = try #require(created.stdout.split(separator: "\n").first { $0.contains("fingerprint ") }.map {
            String($0[$0.range(of: "fingerprint ")!.upperBound...]).components(separatedBy: " (")[0]
        })
        let bytes = try Array(Data(contentsOf: URL(fileURLWithPath: out)))
        let text = String(decoding: bytes, as: UTF8.self)
        for secret in ["Lucía", "Hernández", "3344", "Santa Bárbara", "siguieron", "mina", "1988"] { #expect(!text.contains(secret)) }
        let trail = try t.workspace.auditTrail(caseId: hn.id)
        #expect(trail.contains { $0.action == "referral_created" && $0.detail.contains("Casa Refugio") })

        // The coordinator opens it.
        let open = try CLIRunner.run(["referral", "open", out, "--keys", coordinatorDir, "--trust-fingerprint", staffFingerprint], environment: coordEnv)
        #expect(open.status == 0, "\(open.stderr)")
        #expect(open.stdout.contains("Death threat") && open.stdout.contains("Santa Bárbara (HN-SB)") && open.stdout.contains("Dependants: 2"))
        #expect(open.stdout.contains("Psychosocial needs: yes"))
        // A Spanish-speaking coordinator reads it in Spanish (LANG), vocabulary included.
        let abierta = try CLIRunner.run(["referral", "open", out, "--keys", coordinatorDir, "--trust-fingerprint", staffFingerprint],
                                        environment: coordEnv.merging(["LANG": "es_MX.UTF-8"]) { $1 })
        #expect(abierta.stdout.contains("Amenaza de muerte") && !abierta.stdout.contains("Death threat") && abierta.stdout.contains("Dependientes: 2"), "\(abierta.stdout)")
        #expect(abierta.stdout.contains("Necesidades psicosociales: sí"))
        for secret in ["Lucía", "3344", "siguieron", "1988"] { #expect(!open.stdout.contains(secret)) }
        // The same open in the library, to check every field made the trip.
        let key = try CoordinatorKeys.unlock(at: coordinatorDir, passphrase: SecureBytes(copying: Array("frase de la coordinadora".utf8)))
        let pinned = try #require(SigningKeyFingerprint(text: staffFingerprint))
        let record = try ReferralFile.open(bytes, with: key, trustedSigner: pinned, today: .today())
        #expect(record.originCountry == "HN" && record.languages == ["es"] && record.transitSecurity && !record.passport && record.durationWeeks == 12)

        // Failures, each with its own message.
        #expect(throws: ReferralError.expired(record.expires)) { try ReferralFile.open(bytes, with: key, trustedSigner: pinned, today: record.expires.adding(days: 1)) }
        var tampered = bytes
        tampered[100] ^= 1
        #expect(throws: ReferralError.badSignature) { try ReferralFile.open(tampered, with: key, trustedSigner: pinned, today: .today()) }
        let otherKey = try SealSecretKey.generate()
        #expect(throws: ReferralError.wrongRecipient) { try ReferralFile.open(bytes, with: otherKey, trustedSigner: pinned, today: .today()) }
        let stranger = try SigningKeyFingerprint(verifyingKey: SigningKey.generate().verifyingKey)
        #expect(throws: ReferralError.untrustedSigner) { try ReferralFile.open(bytes, with: key, trustedSigner: stranger, today: .today()) }
        let cliTampered = t.scratch.path("alterada.rsgf")
        try Data(tampered).write(to: URL(fileURLWithPath: cliTampered))
        let refused = try CLIRunner.run(["referral", "open", cliTampered, "--keys", coordinatorDir, "--trust-fingerprint", staffFingerprint], environment: coordEnv)
        #expect(refused.status == 65 && refused.stderr.contains("altered or damaged"), "\(refused.stderr)")
    }

    @Test("issue 31: the coordinator answers back — a signed, sealed status update imported into the case (relocation stage, needs, note sealed); a replay, an altered file, an unregistered signer and a coordinator the referral was not made for are refused, changing nothing")
    func coordinatorAnswersBack() throws {
        let t = try TestWorkspace()
        let env = ["RESGUARDO_PASSPHRASE": TestWorkspace.passphraseText, "RESGUARDO_WORKSPACE": t.scratch.path("ws")]
        var report = Report(language: .es, country: "HN", description: Self.narrative)
        report.consent = Report.Consent(registry: true, contact: true)
        _ = try t.unseal(envelopes: [try t.seal(report.jsonBytes())])
        let hn = try #require(try t.workspace.listCases().first)
        try t.workspace.transition(hn.id, to: .vetted, note: "verificada")
        try t.workspace.setRelocation(hn.id, try Relocation(companions: [try Companion(relation: .child, ageBand: "under_18", name: "Ana")], host: "Casa Refugio",
                                                            destinationCountry: "CR", destinationPlace: "", travelPlan: "", start: .today(), plannedReturn: nil,
                                                            returnPlan: "", stage: .intake), today: .today())

        func coordinator(_ dir: String, _ name: String) throws -> [String: String] {
            let coordEnv = ["RESGUARDO_PASSPHRASE": "frase de la coordinadora \(name)"]
            let made = try CLIRunner.run(["key", "init", "--role", "coordinator", "--dir", dir, "--kdf", "interactive"], environment: coordEnv)
            #expect(made.status == 0, "\(made.stderr)")
            func value(_ prefix: String) throws -> String {
                let line = try #require(made.stdout.split(separator: "\n").first { $0.contains(prefix) }, "\(made.stdout)")
                return String(line[line.range(of: prefix)!.upperBound...])
            }
            let added = try CLIRunner.run(["coordinators", "add", name, "--public-key", dir + "/coordinator.pub", "--fingerprint", try value("coordinator-key fingerprint: "),
                                           "--signing-key", dir + "/coordinator-signing.pub", "--signing-fingerprint", try value("fingerprint ")], environment: env)
            #expect(added.status == 0, "\(added.output)")
            return coordEnv
        }
        let casa = t.scratch.path("casa"), otra = t.scratch.path("otra")
        let casaEnv = try coordinator(casa, "Casa Refugio"), otraEnv = try coordinator(otra, "Otra Casa")
        let answers = try t.scratch.write("respuestas.json", """
            {"urgency": "within_days", "alternatives_tried": ["local_move"], "relocation_type": "regional",
             "window_from": "\(CalendarDay.today())", "window_to": "\(CalendarDay.today().adding(days: 30))", "duration_weeks": 12,
             "dependants_count": 1, "dependants_age_bands": ["under_18"], "accessibility_needs": false, "languages": ["es"],
             "passport": true, "transit_security": true, "work_continues": true, "consent_scope": "relocation_and_follow_up",
             "consent_expires": "\(CalendarDay.today().adding(days: 60))"}
            """)
        let referral = t.scratch.path("remision.rsgf")
        #expect(try CLIRunner.run(["referral", "create", String(Encoding.hex(hn.id).prefix(12)), "--to", "Casa Refugio", "--answers", answers, "--out", referral], environment: env).status == 0)
        let staffPin = try SigningKeyFingerprint(verifyingKey: t.keys.manifest.manifest.replySigningKey)
        let key = try CoordinatorKeys.unlock(at: casa, passphrase: SecureBytes(copying: Array("frase de la coordinadora Casa Refugio".utf8)))
        let referralId = try ReferralFile.open(Array(Data(contentsOf: URL(fileURLWithPath: referral))), with: key, trustedSigner: staffPin, today: .today()).referralId

        let networkPin = try SigningKeyFingerprint(verifyingKey: t.keys.manifest.signingKey).description
        let note = try t.scratch.write("nota.txt", "Llegó con su hijo; necesita acompañamiento psicológico.\n")
        func update(_ dir: String, _ coordEnv: [String: String], sequence: Int, out: String) throws -> SubprocessOutcome {
            try CLIRunner.run(["referral", "update", "--keys", dir, "--referral-id", referralId, "--sequence", "\(sequence)", "--stage", "stay",
                               "--needs", "medical_psychosocial,legal", "--note-file", note, "--manifest", t.keys.path + "/manifest.json",
                               "--network-fingerprint", networkPin, "--out", out], environment: coordEnv)
        }
        let first = t.scratch.path("estado-1.rsgs")
        let wrote = try update(casa, casaEnv, sequence: 1, out: first)
        #expect(wrote.status == 0, "\(wrote.output)")
        #expect(!String(decoding: try Data(contentsOf: URL(fileURLWithPath: first)), as: UTF8.self).contains("psicológico"))
        let imported = try CLIRunner.run(["referral", "import-update", first], environment: env)
        #expect(imported.status == 0 && imported.stdout.contains("update 1 from Casa Refugio (stage stay; medical_psychosocial, legal)"), "\(imported.output)")
        #expect(try t.workspace.relocation(hn.id, keys: t.secrets)?.stage == .stay)
        let updates = try t.workspace.relocationUpdates(hn.id, keys: t.secrets)
        #expect(updates.count == 1 && updates[0].coordinator == "Casa Refugio" && updates[0].update.note.contains("psicológico"))
        #expect(try t.workspace.auditTrail(caseId: hn.id).contains { $0.action == "relocation_update_imported" && !$0.detail.contains("psicológico") })

        let replay = try CLIRunner.run(["referral", "import-update", first], environment: env)
        #expect(replay.status == 65 && replay.stderr.contains("not newer"), "\(replay.output)")
        var altered = Array(try Data(contentsOf: URL(fileURLWithPath: first)))
        altered[40] ^= 1
        let alteredFile = t.scratch.path("alterado.rsgs")
        try Data(altered).write(to: URL(fileURLWithPath: alteredFile))
        let badSignature = try CLIRunner.run(["referral", "import-update", alteredFile], environment: env)
        #expect(badSignature.status == 65 && badSignature.stderr.contains("altered or damaged"), "\(badSignature.output)")
        // Another registered coordinator cannot speak for a referral not made for it.
        let foreign = t.scratch.path("otra-2.rsgs")
        #expect(try update(otra, otraEnv, sequence: 2, out: foreign).status == 0)
        let other = try CLIRunner.run(["referral", "import-update", foreign], environment: env)
        #expect(other.status == 65 && other.stderr.contains("made for Casa Refugio"), "\(other.output)")
        // A signer nobody registered.
        let strangerDir = t.scratch.path("extrana")
        #expect(try CLIRunner.run(["key", "init", "--role", "coordinator", "--dir", strangerDir, "--kdf", "interactive"], environment: otraEnv).status == 0)
        let strangerFile = t.scratch.path("extrana.rsgs")
        #expect(try update(strangerDir, otraEnv, sequence: 3, out: strangerFile).status == 0)
        let stranger = try CLIRunner.run(["referral", "import-update", strangerFile], environment: env)
        #expect(stranger.status == 65 && stranger.stderr.contains("not signed by any coordinator registered"), "\(stranger.output)")
        #expect(try t.workspace.relocationUpdates(hn.id, keys: t.secrets).count == 1)
        for path in [["update"], ["import-update"], ["signing-key"]] {
            #expect(try CLIRunner.run(["referral"] + path + ["--help"]).stdout.contains("Example"))
        }
    }
}
