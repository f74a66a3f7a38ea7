import Foundation
import Testing
import TestSupport
import TestHarness
import Formats
import Keys
import Sodium
@testable import Casework

/// Issue 31 through the real `resguardo` binary: a protection case from the first report to its
/// closure and the yearly summary, every step a command with its Spanish output.
@Suite("Protection case, from the command line")
struct ProtectionCaseTests {
    @Test("assess twice (file, then flags), plan, support, relocation with two family members, follow-up, due, close, summary (internal on the terminal, suppressed in the file); every command has --help with an example")
    func lifecycle() throws {
        let t = try TestWorkspace()
        _ = try t.unseal(envelopes: [try t.seal(Array(#"{"version":1,"language":"es","country":"GT","aggression_types":["threat"],"consent":{"registry":false,"contact":true},"description":"Amenazas tras la consulta comunitaria."}"#.utf8))])
        let ws = t.scratch.path("ws"), pass = try t.scratch.write("pass", TestWorkspace.passphraseText + "\n")
        let id = try #require(try t.workspace.listCases().first).shortId
        func ok(_ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
            let outcome = try CLIRunner.run(arguments + ["--workspace", ws], environment: ["LC_ALL": "es_MX.UTF-8"])
            #expect(outcome.status == 0, "resguardo \(arguments.joined(separator: " ")): \(outcome.output)", sourceLocation: sourceLocation)
            return outcome.stdout
        }
        let first = try t.scratch.write("evaluacion.json", #"""
            {"threats": [{"text": "Llamadas amenazantes tras la audiencia", "level": "alto"}],
             "vulnerabilities": [{"text": "Vive sola cerca de la mina", "level": "medio"}],
             "capacities": [{"text": "Red comunitaria de alerta", "level": "medio"}],
             "overall": "extremo", "assessor": "Ana", "day": "\#(CalendarDay.today().adding(days: -30))"}
            """#)
        #expect(try ok(["cases", "risk", "assess", id, "--file", first]).contains("riesgo extremo"))
        _ = try ok(["cases", "risk", "assess", id, "--threat", "Vehículo sin placas=alto", "--overall", "high", "--assessor", "Ana"])
        let history = try ok(["cases", "risk", "history", id, "--passphrase-file", pass])
        #expect(history.contains("Llamadas amenazantes") && history.contains("Vehículo sin placas") && history.contains("riesgo alto"), "\(history)")
        #expect(try ok(["cases", "list", "--sort", "risk", "--risk", "alto"]).contains(id))
        let measure = try t.scratch.write("medida.txt", "Cambiar la ruta al trabajo\n")
        _ = try ok(["cases", "plan", "add", id, "--text-file", measure, "--owner", "ella", "--due", "\(CalendarDay.today().adding(days: 3))"])
        _ = try ok(["cases", "support", "add", id, "--category", "urgent_relocation", "--funder", "Fondo de emergencia", "--amount", "2300.50", "--currency", "USD"])
        let shownSupport = try ok(["cases", "support", "show", id, "--passphrase-file", pass])
        #expect(shownSupport.contains("Reubicación urgente") && shownSupport.contains("2300.50 USD"), "\(shownSupport)")
        let plan = try t.scratch.write("reubicacion.json", #"""
            {"companions": [{"relation": "child", "age_band": "under_18", "name": "Lucía"}, {"relation": "parent", "age_band": "60_69", "name": "Rosa"}],
             "host": "Casa refugio", "destination_country": "CR", "destination_place": "San José", "start": "\#(CalendarDay.today())",
             "planned_return": "\#(CalendarDay.today().adding(days: 90))", "stage": "intake"}
            """#)
        #expect(try ok(["cases", "relocation", "set", id, "--file", plan]).contains("2"))
        _ = try ok(["cases", "relocation", "stage", id, "--stage", "stay", "--passphrase-file", pass])
        #expect(try ok(["cases", "relocation", "show", id, "--passphrase-file", pass]).contains("Lucía"))
        // Referred to a coordinator, who answers back: the relocation moves to the stage she reports.
        try t.workspace.transition(try t.workspace.resolveCase(id), to: .vetted, note: "verificada")
        let casa = t.scratch.path("casa"), coordEnv = ["RESGUARDO_PASSPHRASE": "frase de la coordinadora de la casa"]
        let made = try CLIRunner.run(["key", "init", "--role", "coordinator", "--dir", casa, "--kdf", "interactive"], environment: coordEnv)
        func after(_ prefix: String) throws -> String {
            let line = try #require(made.stdout.split(separator: "\n").first { $0.contains(prefix) }, "\(made.output)")
            return String(line[line.range(of: prefix)!.upperBound...])
        }
        _ = try ok(["coordinators", "add", "Casa Refugio", "--public-key", casa + "/coordinator.pub", "--fingerprint", try after("coordinator-key fingerprint: "),
                    "--signing-key", casa + "/coordinator-signing.pub", "--signing-fingerprint", try after(", fingerprint ")])
        let answers = try t.scratch.write("respuestas.json", """
            {"urgency": "immediate", "alternatives_tried": ["local_move"], "relocation_type": "regional", "duration_weeks": 12,
             "accessibility_needs": false, "languages": ["es"], "passport": true, "transit_security": true, "work_continues": true,
             "consent_scope": "relocation_and_follow_up", "consent_expires": "\(CalendarDay.today().adding(days: 60))"}
            """)
        let referral = t.scratch.path("remision.rsgf")
        _ = try ok(["referral", "create", id, "--to", "Casa Refugio", "--answers", answers, "--out", referral, "--passphrase-file", pass])
        let coordinatorKey = try CoordinatorKeys.unlock(at: casa, passphrase: SecureBytes(copying: Array("frase de la coordinadora de la casa".utf8)))
        let sent = try ReferralFile.open(Array(Data(contentsOf: URL(fileURLWithPath: referral))), with: coordinatorKey,
                                         trustedSigner: try SigningKeyFingerprint(verifyingKey: t.keys.manifest.manifest.replySigningKey), today: .today())
        let referralId = sent.referralId
        // What the answers left out came from the relocation plan: who moves with her (age bands,
        // never names) and the window.
        #expect(sent.dependantsCount == 2 && sent.dependantsAgeBands == ["under_18", "60_69"] && sent.windowFrom == .today()
                && sent.windowTo == CalendarDay.today().adding(days: 90))
        #expect(!(try String(contentsOfFile: referral, encoding: .isoLatin1)).contains("Lucía"))
        let status = t.scratch.path("estado-1.rsgs")
        let answered = try CLIRunner.run(["referral", "update", "--keys", casa, "--referral-id", referralId, "--sequence", "1", "--stage", "exit", "--needs", "medical_psychosocial",
                                          "--manifest", t.keys.path + "/manifest.json", "--network-fingerprint", try SigningKeyFingerprint(verifyingKey: t.keys.manifest.signingKey).description,
                                          "--out", status], environment: coordEnv)
        #expect(answered.status == 0, "\(answered.output)")
        _ = try ok(["referral", "import-update", status, "--passphrase-file", pass])
        #expect(try ok(["cases", "relocation", "show", id, "--passphrase-file", pass]).contains("Etapa: salida"))

        _ = try ok(["cases", "follow-up", "add", id, "--text", "Llamar a la casa refugio", "--owner", "Marta", "--due", "\(CalendarDay.today().adding(days: 1))"])
        let due = try ok(["cases", "due", "--within", "7", "--passphrase-file", pass])
        #expect(due.contains("Llamar a la casa refugio") && due.contains("Cambiar la ruta") && due.contains("2 pendientes"), "\(due)")
        let shown = try ok(["cases", "show", id, "--passphrase-file", pass])
        #expect(shown.contains("Riesgo actual: alto") && shown.contains("Plan de seguridad: 1 pendientes"), "\(shown)")
        #expect(try ok(["cases", "close", id, "--outcome", "relocated_stayed"]).contains("cerrado"))
        #expect(try ok(["cases", "due", "--within", "365", "--passphrase-file", pass]).contains("0 pendientes"))

        let summary = try ok(["cases", "summary", "--passphrase-file", pass])
        #expect(summary.contains("INTERN") && summary.contains("Familiares reubicados con ellas / Family members relocated with them: 2"), "\(summary)")
        let out = t.scratch.path("resumen.json")
        _ = try ok(["cases", "summary", "--format", "json", "--out", out, "--passphrase-file", pass])
        let written = try String(contentsOfFile: out, encoding: .utf8)
        #expect(written.contains(#""headline":"<5""#) && !written.contains("Lucía") && !written.contains(#""count":"2""#), "\(written)")

        // An alert: refused while a field lacks her consent (nothing written), written once she agreed.
        let texts = try t.scratch.write("textos.json", #"{"what_happened": "Amenazas de muerte tras la consulta.", "demand": "protección inmediata"}"#)
        let alertFile = t.scratch.path("alerta.txt")
        let refusedAlert = try CLIRunner.run(["cases", "alert", id, "--to", "public", "--texts", texts, "--out", alertFile, "--yes", "--workspace", ws, "--passphrase-file", pass],
                                             environment: ["LC_ALL": "es_MX.UTF-8"])
        #expect(refusedAlert.status == 65 && refusedAlert.stdout.contains("[SIN CONSENTIMIENTO]") && refusedAlert.stderr.contains("what_happened"), "\(refusedAlert.output)")
        #expect(!FileManager.default.fileExists(atPath: alertFile))
        let added = try ok(["cases", "consent", "add", id, "--to", "public", "--fields", "country,aggression_types,what_happened,demand", "--given-by", "ella", "--channel", "en persona"])
        let alertId = try #require(added.firstMatch(of: /alerta ([0-9a-f]{8})/)?.1, "\(added)")
        #expect(try ok(["cases", "alert", id, "--alert", String(alertId), "--to", "public", "--texts", texts, "--out", alertFile, "--yes", "--passphrase-file", pass]).contains("[con consentimiento]"))
        let alertText = try String(contentsOfFile: alertFile, encoding: .utf8)
        #expect(alertText.contains("ALERTA — Guatemala") && alertText.contains("ALERT — Guatemala") && alertText.contains("protección inmediata"), "\(alertText)")
        #expect(try ok(["cases", "consent", "show", id, "--passphrase-file", pass]).contains("alerta pública"))

        for path in [["risk"], ["risk", "assess"], ["plan", "add"], ["support", "add"], ["relocation", "set"], ["follow-up", "add"], ["due"], ["close"], ["summary"]] {
            let help = try CLIRunner.run(["cases"] + path + ["--help"])
            #expect(help.status == 0 && (help.stdout.contains("Example:") || help.stdout.contains("Ejemplo:")), "cases \(path): \(help.stdout)")
        }
        // Bad input: a level outside the four, an amount with three decimals, a family member without an age band.
        let bad = try t.scratch.write("mala.json", #"{"threats":[{"text":"x","level":"altísimo"}],"overall":"alto","assessor":"Ana"}"#)
        let refused = try CLIRunner.run(["cases", "risk", "assess", id, "--file", bad, "--workspace", ws])
        #expect(refused.status == 65 && refused.stderr.contains("altísimo"), "\(refused.output)")
        let money = try CLIRunner.run(["cases", "support", "add", id, "--category", "legal", "--funder", "x", "--amount", "1.234", "--currency", "USD", "--workspace", ws])
        #expect(money.status == 64 && money.stderr.contains("1.234"), "\(money.output)")
    }

    @Test("coordinators remove: no new referral to her; a coordinator who left still reports on her referrals, a compromised key's update is refused and changes nothing; listed as removed; a second removal, an unknown name and her name reused are refused")
    func removeCoordinators() throws {
        let t = try TestWorkspace()
        _ = try t.unseal(envelopes: [try t.seal(Array(#"{"version":1,"language":"es","country":"HN","aggression_types":["threat"],"consent":{"registry":false,"contact":true},"description":"Amenazas tras la denuncia."}"#.utf8))])
        let ws = t.scratch.path("ws"), pass = try t.scratch.write("pass", TestWorkspace.passphraseText + "\n")
        let id = try #require(try t.workspace.listCases().first).shortId
        try t.workspace.transition(try t.workspace.resolveCase(id), to: .vetted, note: "verificada")
        func run(_ arguments: [String]) throws -> SubprocessOutcome { try CLIRunner.run(arguments + ["--workspace", ws], environment: ["LC_ALL": "es_MX.UTF-8"]) }
        func ok(_ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
            let outcome = try run(arguments)
            #expect(outcome.status == 0, "resguardo \(arguments.joined(separator: " ")): \(outcome.output)", sourceLocation: sourceLocation)
            return outcome.stdout
        }
        let answers = try t.scratch.write("respuestas.json", """
            {"urgency": "immediate", "alternatives_tried": ["local_move"], "relocation_type": "regional", "duration_weeks": 12, "dependants_count": 1, "dependants_age_bands": ["under_18"],
             "accessibility_needs": false, "languages": ["es"], "passport": true, "transit_security": true, "work_continues": true,
             "window_from": "\(CalendarDay.today())", "window_to": "\(CalendarDay.today().adding(days: 80))",
             "consent_scope": "relocation_and_follow_up", "consent_expires": "\(CalendarDay.today().adding(days: 60))"}
            """)
        // Two coordinators, each referred the case, each answering later.
        var updates: [String: String] = [:]
        for (name, folder) in [("Casa Refugio", "casa"), ("Albergue Norte", "albergue")] {
            let dir = t.scratch.path(folder), env = ["RESGUARDO_PASSPHRASE": "frase de \(folder) para la prueba"]
            let made = try CLIRunner.run(["key", "init", "--role", "coordinator", "--dir", dir, "--kdf", "interactive"], environment: env)
            func after(_ prefix: String) throws -> String {
                let line = try #require(made.stdout.split(separator: "\n").first { $0.contains(prefix) }, "\(made.output)")
                return String(line[try #require(line.range(of: prefix)).upperBound...])
            }
            _ = try ok(["coordinators", "add", name, "--public-key", dir + "/coordinator.pub", "--fingerprint", try after("coordinator-key fingerprint: "),
                        "--signing-key", dir + "/coordinator-signing.pub", "--signing-fingerprint", try after(", fingerprint ")])
            let referral = t.scratch.path("remision-\(folder).rsgf")
            _ = try ok(["referral", "create", id, "--to", name, "--answers", answers, "--out", referral, "--passphrase-file", pass])
            let key = try CoordinatorKeys.unlock(at: dir, passphrase: SecureBytes(copying: Array("frase de \(folder) para la prueba".utf8)))
            let sent = try ReferralFile.open(Array(Data(contentsOf: URL(fileURLWithPath: referral))), with: key,
                                             trustedSigner: try SigningKeyFingerprint(verifyingKey: t.keys.manifest.manifest.replySigningKey), today: .today())
            let status = t.scratch.path("estado-\(folder).rsgs")
            let answered = try CLIRunner.run(["referral", "update", "--keys", dir, "--referral-id", sent.referralId, "--sequence", "1", "--stage", "exit", "--needs", "medical_psychosocial",
                                              "--manifest", t.keys.path + "/manifest.json", "--network-fingerprint", try SigningKeyFingerprint(verifyingKey: t.keys.manifest.signingKey).description,
                                              "--out", status], environment: env)
            #expect(answered.status == 0, "\(answered.output)")
            updates[name] = status
        }
        #expect(try ok(["coordinators", "remove", "Casa Refugio", "--reason", "left"]).contains("quitada: ya no coordina"))
        #expect(try ok(["coordinators", "remove", "Albergue Norte", "--reason", "compromised"]).contains("llaves perdidas o comprometidas"))
        let listed = try ok(["coordinators", "list"])
        #expect(listed.contains("Casa Refugio") && listed.contains("QUITADA el \(CalendarDay.today()): ya no coordina") && listed.contains("2 coordinaciones"), "\(listed)")

        // No new referral to either.
        let refused = try run(["referral", "create", id, "--to", "Casa Refugio", "--answers", answers, "--out", t.scratch.path("otra.rsgf"), "--passphrase-file", pass])
        #expect(refused.status != 0 && refused.stderr.contains("se quitó el \(CalendarDay.today())"), "\(refused.output)")
        #expect(!FileManager.default.fileExists(atPath: t.scratch.path("otra.rsgf")))
        // She left: her update on the referral she holds is still imported. The compromised key's is refused.
        _ = try ok(["referral", "import-update", try #require(updates["Casa Refugio"]), "--passphrase-file", pass])
        let auditBefore = try t.workspace.auditTrail().count
        let compromised = try run(["referral", "import-update", try #require(updates["Albergue Norte"]), "--passphrase-file", pass])
        #expect(compromised.status != 0 && compromised.stderr.contains("comprometida") && compromised.stderr.contains("no cambió nada"), "\(compromised.output)")
        #expect(try t.workspace.auditTrail().count == auditBefore, "nothing changed")
        let updated = try t.workspace.relocationUpdates(try t.workspace.resolveCase(id), keys: t.secrets)
        #expect(updated.map(\.coordinator) == ["Casa Refugio"])

        // Refusals that change nothing.
        let twice = try run(["coordinators", "remove", "Casa Refugio", "--reason", "compromised"])
        #expect(twice.status == 65 && twice.stderr.contains("ya se quitó"), "\(twice.output)")
        let unknown = try run(["coordinators", "remove", "Nadie", "--reason", "left"])
        #expect(unknown.status == 65 && unknown.stderr.contains("Nadie"), "\(unknown.output)")
        let badReason = try run(["coordinators", "remove", "Casa Refugio", "--reason", "otra"])
        #expect(badReason.status == 64, "\(badReason.output)")
        #expect(try t.workspace.coordinators().first { $0.name == "Casa Refugio" }?.removed?.reason == .left)
        let reused = try run(["coordinators", "add", "Casa Refugio", "--public-key", t.scratch.path("casa") + "/coordinator.pub", "--fingerprint", try #require(try t.workspace.coordinators().first { $0.name == "Casa Refugio" }?.fingerprint)])
        #expect(reused.status == 65 && reused.stderr.contains("elija otro"), "\(reused.output)")
        let help = try CLIRunner.run(["coordinators", "remove", "--help"])
        #expect(help.status == 0 && help.stdout.contains("Example:"), "\(help.stdout)")
    }
}
