import Foundation
import Testing
import TestSupport
import TestHarness
import Formats
import Sodium
import Vault

/// What the routes decide, through the real router, dependencies and a temporary vault, in
/// process (Hummingbird's `app.test(.router)`): methods, statuses, error codes, proof of work.
/// The wire itself (TLS 1.3, timeouts, connection caps, signals) is tested in `IntakeTests`.
@Suite("Intake routes (in process)")
struct RouteTests {
    @Test("a known path asked with another method gets 405 with Allow, from the router's own routes; an unknown path 404")
    func methodNotAllowed() async throws {
        let intake = try RouterHarness()
        try await intake.test { client in
            for (method, path, allow) in [(HTTPRequestMethod.post, "/healthz", "GET"), (.get, "/v1/reports", "POST"), (.put, "/v1/mailbox/00ff", "GET"),
                                          (.delete, "/assets/form.css", "GET"), (.get, "/v1/reports/form", "POST")] {
                let reply = try await client.send(method, path)
                #expect(reply.status == 405 && reply.header("Allow") == allow && reply.errorCode == "method_not_allowed", "\(method) \(path): \(reply.status) \(reply.headers)")
            }
            #expect(try await client.send(.get, "/v1/nowhere").status == 404)
            #expect(try await client.send(.get, "/v1/mailbox/a/b").status == 404)
        }
    }

    @Test("bad input gets the right status and a JSON error, and nothing is stored")
    func badInput() async throws {
        let intake = try RouterHarness()
        let key = try intake.currentKey()
        let good = try Envelope.seal(report: Array("{}".utf8), to: key).bytes
        var wrongMagic = good
        wrongMagic[0] = UInt8(ascii: "X")
        let stranger = try Envelope.seal(report: [1], to: SealSecretKey.generate().publicKey).bytes

        let cases: [(String, [UInt8], String, Int, String)] = [
            ("wrong content type", good, "text/plain", 415, "unsupported_media_type"),
            ("empty body", [], "application/octet-stream", 400, "envelope_empty"),
            ("garbage", Array("hola, esto no es un sobre".utf8), "application/octet-stream", 422, "envelope_bad_magic"),
            ("wrong magic", wrongMagic, "application/octet-stream", 422, "envelope_bad_magic"),
            ("unknown key id", stranger, "application/octet-stream", 422, "envelope_unknown_key"),
            ("non-bucket length", good + [0], "application/octet-stream", 422, "envelope_length_not_a_bucket"),
            ("truncated", Array(good.prefix(8)), "application/octet-stream", 422, "envelope_truncated"),
        ]
        try await intake.test { client in
            for (name, body, type, status, code) in cases {
                let reply = try await client.send(.post, "/v1/reports", body: body, headers: [("Content-Type", type)])
                #expect(reply.status == status, "\(name): \(reply.status)")
                #expect(reply.errorCode == code, "\(name): \(String(decoding: reply.body, as: UTF8.self))")
                #expect(reply.json?["message"] != nil)
            }
            // Over the limit with a declared length: refused before the body is read.
            let huge = [UInt8](repeating: 0, count: Envelope.maxByteCount + 1)
            let declared = try await client.submit(huge)
            #expect(declared.status == 413 && declared.errorCode == "body_too_large")
        }
        let total = try await VaultDatabase(path: intake.vaultPath).stats().reduce(0) { $0 + $1.count }
        #expect(total == 0, "bad input was stored")
    }

    @Test("proof of work: missing, forged, insufficient and replayed proofs are refused; a valid one is accepted once")
    func proofOfWork() async throws {
        let intake = try RouterHarness { $0.powDifficulty = 10; $0.powMaxDifficulty = 16 }
        let envelope = try Envelope.seal(report: Array("{}".utf8), to: intake.currentKey()).bytes
        try await intake.test { client in
            let missing = try await client.submit(envelope)
            #expect(missing.status == 400 && missing.errorCode == "proof_missing")
            let challenge = try await client.send(.get, "/v1/challenge")
            guard case .string(let token)? = challenge.json?["token"] else { Issue.record("no token"); return }
            #expect(challenge.json?["difficulty"]?.intValue == 10)
            let proof = try ProofOfWorkSolver.solve(token: token)
            var forgedToken = Encoding.bytes(fromBase64: token) ?? []
            forgedToken[20] ^= 1
            let forged = try await client.submit(envelope, headers: [("Resguardo-Token", Encoding.base64(forgedToken)), ("Resguardo-Proof", proof)])
            #expect(forged.status == 429 && forged.errorCode == "proof_forged")
            let weak = try ProofOfWorkSolver.weakNonce(token: token)
            let insufficient = try await client.submit(envelope, headers: [("Resguardo-Token", token), ("Resguardo-Proof", weak)])
            #expect(insufficient.status == 429 && insufficient.errorCode == "proof_insufficient")
            let accepted = try await client.submit(envelope, headers: [("Resguardo-Token", token), ("Resguardo-Proof", proof)])
            #expect(accepted.status == 201)
            let replayed = try await client.submit(envelope, headers: [("Resguardo-Token", token), ("Resguardo-Proof", proof)])
            #expect(replayed.status == 429 && replayed.errorCode == "proof_replayed")
        }
    }

    @Test("a vault that cannot write gets 503 with Retry-After and no receipt; it recovers once the lock is gone")
    func lockedVault() async throws {
        let intake = try RouterHarness()
        let folder = intake.scratch.url, vaultPath = intake.vaultPath
        let envelope = try Envelope.seal(report: Array("{}".utf8), to: intake.currentKey()).bytes
        try await intake.test { client in
            #expect(try await client.submit(envelope).status == 201)

            // Another process-level writer holds the lock (as a backup tool or a stuck admin would).
            let locker = try runSubprocessInBackground(debianPython, ["-c", """
                import os, sqlite3, sys, time
                c = sqlite3.connect(sys.argv[1], isolation_level=None)
                c.execute("BEGIN IMMEDIATE")
                open(sys.argv[2], "w").close()
                # Held until the test says so (at most 60 s), however slow the machine is.
                for _ in range(1200):
                    if os.path.exists(sys.argv[3]): break
                    time.sleep(0.05)
                c.execute("ROLLBACK")
                """, vaultPath, folder.appendingPathComponent("locked").path, folder.appendingPathComponent("release").path])
            // Wait for the lock itself, not a guess at how long Python takes to start on a busy machine.
            let lockedMarker = folder.appendingPathComponent("locked").path
            for _ in 0..<200 where !FileManager.default.fileExists(atPath: lockedMarker) {
                try await Task.sleep(for: .milliseconds(50))
        }
        #expect(FileManager.default.fileExists(atPath: lockedMarker))
        let refused = try await client.submit(envelope)
        #expect(refused.status == 503)
        #expect(refused.header("Retry-After") == "30")
        #expect(refused.errorCode == "vault_busy" && refused.json?["receipt"] == nil)
        _ = FileManager.default.createFile(atPath: folder.appendingPathComponent("release").path, contents: nil)
        locker.waitUntilExit()
        let accepted = try await client.submit(envelope)
        #expect(accepted.status == 201)
        }
    }

    @Test("no-JavaScript path: a refused form comes back filled in with the problems; wrong type 415; only accepted reports spend the rate; over it 429")
    func noScriptRefusals() async throws {
        // A budget of 1 a minute: the bucket refills one token in 60 s, so the check holds on a
        // machine busy enough that the requests below take tens of seconds (with 3 a minute, a
        // token came back every 20 s and a slow CI run let the fourth report through).
        let intake = try RouterHarness { $0.formSubmissionsPerMinute = 1 }
        try await intake.test { client in
            let form = [("Content-Type", "application/x-www-form-urlencoded")]
            let missing = try await client.send(.post, "/v1/reports/form",
                                                body: Array("language=es&country=MX&locality=San+Crist%C3%B3bal&description=+".utf8), headers: form)
            let html = String(decoding: missing.body, as: UTF8.self)
            #expect(missing.status == 422 && html.contains("Su denuncia NO se envió todavía") && html.contains("Cuente qué pasó"), "\(html.prefix(300))")
            #expect(html.contains("value=\"San Cristóbal\"") && html.contains("<option value=\"MX\" selected>"))
            let wrongRegion = try await client.send(.post, "/v1/reports/form",
                                                    body: Array("language=en&country=MX&region=GT-01&description=x".utf8), headers: form)
            #expect(wrongRegion.status == 422 && String(decoding: wrongRegion.body, as: UTF8.self).contains("State or department"))
            let json = try await client.send(.post, "/v1/reports/form", body: Array("{}".utf8), headers: [("Content-Type", "application/json")])
            #expect(json.status == 415)
            // Issue 14 item 10: the three refusals above spent none of the budget of 1 a minute
            // (garbage must not lock out every Tor Browser user); an accepted report does.
            let accepted = try await client.send(.post, "/v1/reports/form", body: Array("language=es&country=MX&description=x".utf8), headers: form)
            #expect(accepted.status == 201)
            let limited = try await client.send(.post, "/v1/reports/form", body: Array("language=es&country=MX&description=x".utf8), headers: form)
            #expect(limited.status == 429 && limited.header("Retry-After") == "60" && String(decoding: limited.body, as: UTF8.self).contains("NO fue recibida"))
        }
        let stored = try await VaultDatabase(path: intake.vaultPath).stats().reduce(0) { $0 + $1.count }
        #expect(stored == 1)
    }
}
