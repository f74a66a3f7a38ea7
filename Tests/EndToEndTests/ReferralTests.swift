import Foundation
import Testing
import TestHarness
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
}
