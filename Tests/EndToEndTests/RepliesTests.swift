import Foundation
import Testing
import TestSupport
import TestHarness
import Formats
import Sodium
import Vault

/// Two-way contact through the real binaries: a report with a codename goes in, staff answer
/// offline, the reply bundle goes online, and only the codename reads the answer.
@Suite("Codename replies end to end", .serialized)
struct RepliesTests {
    func tool(_ name: String, _ arguments: [String]) throws -> SubprocessOutcome {
        try runSubprocess(IntakeProcess.binaries.appendingPathComponent(name).path, arguments)
    }

    @Test("submit with a codename → export → unseal (follow-up linked) → reply → reply bundle → import-replies → the codename reads it; a wrong codename reads nothing; a foreign bundle is refused")
    func fullLoop() async throws {
        let scratch = try IntakeProcess()
        let dir = scratch.folder
        let staff = try StaffSetup(in: dir, organisation: "Red Respuestas")
        let (pass, vpass, keys, vault, workspace) = (staff.pass, staff.vpass, staff.keys, staff.vault, staff.workspace)
        let vaultFingerprint = staff.vaultFingerprint
        let show = try tool("resguardo", ["key", "show", "--dir", keys])
        let fingerprint = try #require(show.output.split(separator: "\n").compactMap { line -> String? in
            guard let r = line.range(of: "fingerprint: ") else { return nil }
            return String(line[r.upperBound...]).trimmingCharacters(in: .whitespaces)
        }.first, "\(show.output)")

        let intake = try IntakeProcess(arguments: staff.intakeArguments)
        try intake.start()
        let client = ["--url", intake.baseURL, "--ca", intake.certificatePath, "--fingerprint", fingerprint,
                      "--outbox", dir.appendingPathComponent("outbox").path, "--known-intakes", dir.appendingPathComponent("known").path]
        let first = try tool("resguardo-submit", ["submit"] + client + ["--country", "GT", "--description", "Nos amenazaron en la radio.", "--new-codename"])
        #expect(first.status == 0, "\(first.output)")
        let lines = first.output.split(separator: "\n", omittingEmptySubsequences: false)
        let index = try #require(lines.firstIndex { $0.contains("Your codename") })
        let codename = lines[(index + 1)...].first { !$0.trimmingCharacters(in: .whitespaces).isEmpty }?.trimmingCharacters(in: .whitespaces) ?? ""
        #expect((try? Codename(codename)) != nil, "\(first.output)")
        // Issue 14 item 13: secrets from files, never the command line (which warns).
        #expect(first.output.contains("warning: --description on the command line"), "\(first.output)")
        let codenameFile = dir.appendingPathComponent("nombre-clave").path, descriptionFile = dir.appendingPathComponent("texto").path
        try (codename + "\n").write(toFile: codenameFile, atomically: true, encoding: .utf8)
        try "Volvieron a pasar frente a la casa.\n".write(toFile: descriptionFile, atomically: true, encoding: .utf8)
        let followUp = try tool("resguardo-submit", ["submit"] + client + ["--country", "GT", "--description-file", descriptionFile, "--codename-file", codenameFile])
        #expect(followUp.status == 0 && !followUp.output.contains("warning: --"), "\(followUp.output)")

        // The web page makes its own codename and sends a report with it.
        let webform = repositoryRoot.appendingPathComponent("scripts/lib/webform.py").path
        let browser = try runSubprocess(debianPython, [webform, "codename", intake.baseURL, dir.appendingPathComponent("web.json").path])
        #expect(browser.status == 0, "\(browser.output)")
        let webCodename = try #require((try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("web.json"))) as? [String: Any])?["codename"] as? String)

        let bundle = dir.appendingPathComponent("b1.rsgb").path
        #expect(try tool("resguardo-intake", ["export", "--vault", vault, "--out", bundle, "--passphrase-file", vpass]).status == 0)
        #expect(try tool("resguardo", ["init", "--workspace", workspace, "--keys", keys, "--passphrase-file", pass]).status == 0)
        #expect(try tool("resguardo", ["vault", "trust", "--workspace", workspace, "--fingerprint", vaultFingerprint, "--public-key", vault + ".signing.pub"]).status == 0)
        let unseal = try tool("resguardo", ["unseal", "--workspace", workspace, bundle, "--passphrase-file", pass])
        #expect(unseal.output.contains("3 new cases") && unseal.output.contains("1 of the new cases were sent with a codename already seen"), "\(unseal.output)")
        let list = try tool("resguardo", ["cases", "list", "--workspace", workspace])
        let ids = list.output.split(separator: "\n").filter { $0.contains(" GT ") }.map { String($0.prefix(12)) }
        #expect(ids.count == 2, "\(list.output)")
        var root = ""
        for id in ids {
            let shown = try tool("resguardo", ["cases", "show", "--workspace", workspace, id, "--passphrase-file", pass])
            if shown.output.contains("Follow-ups:") { root = id }
        }
        #expect(!root.isEmpty)

        let message = "Recibimos su denuncia. Una compañera le escribirá por el canal que indicó. ¡Cuídese!"
        let messageFile = dir.appendingPathComponent("respuesta.txt").path
        try message.write(toFile: messageFile, atomically: true, encoding: .utf8)
        let queued = try tool("resguardo", ["reply", root, "--workspace", workspace, "--message-file", messageFile, "--passphrase-file", pass])
        #expect(queued.status == 0 && queued.output.contains("sealed and queued"), "\(queued.output)")
        let mexico = try #require(list.output.split(separator: "\n").first { $0.contains(" MX ") }.map { String($0.prefix(12)) })
        let webMessage = "Gracias por escribir desde la página. Estamos revisando su caso."
        try webMessage.write(toFile: messageFile, atomically: true, encoding: .utf8)
        #expect(try tool("resguardo", ["reply", mexico, "--workspace", workspace, "--message-file", messageFile, "--passphrase-file", pass]).status == 0)
        let replies = dir.appendingPathComponent("r1.rsgr").path
        let exported = try tool("resguardo", ["reply", "export", "--workspace", workspace, "--out", replies, "--passphrase-file", pass])
        #expect(exported.status == 0 && exported.output.contains("wrote 2 replies"), "\(exported.output)")
        #expect(!String(decoding: try Data(contentsOf: URL(fileURLWithPath: replies)), as: UTF8.self).contains("compañera"))
        let trail = try tool("resguardo", ["cases", "show", "--workspace", workspace, root, "--passphrase-file", pass])
        #expect(trail.output.contains("reply_queued"), "\(trail.output)")

        let imported = try tool("resguardo-intake", ["import-replies", "--vault", vault] + staff.manifestArguments + [replies])
        #expect(imported.status == 0 && imported.output.contains("imported 2 replies into 2 mailboxes"), "\(imported.output)")
        let again = try tool("resguardo-intake", ["import-replies", "--vault", vault] + staff.manifestArguments + [replies])
        #expect(again.output.contains("imported 0 replies") && again.output.contains("2 already there"), "\(again.output)")

        // A reply bundle signed by any other key is refused and stores nothing.
        let foreign = dir.appendingPathComponent("foreign.rsgr").path
        let someone = try SigningKey.generate()
        let fake = try ReplyBundle.seal(createdDay: .today(), entries: [.init(mailbox: try Codename(codename).replyKeys().mailbox,
                                        sealed: try Reply(day: .today(), message: "Venga sola mañana").seal(to: try Codename(codename).replyKeys().secretKey.publicKey))],
                                        signer: someone)
        try Data(fake).write(to: URL(fileURLWithPath: foreign))
        let refused = try tool("resguardo-intake", ["import-replies", "--vault", vault] + staff.manifestArguments + [foreign])
        #expect(refused.status == 65 && refused.output.contains("not the manifest's reply-signing key"), "\(refused.output)")

        let read = try tool("resguardo-submit", ["replies", "--url", intake.baseURL, "--ca", intake.certificatePath, "--codename", codename.uppercased()])
        #expect(read.status == 0 && read.output.contains(message) && !read.output.contains("Venga sola"), "\(read.output)")
        let wrong = try tool("resguardo-submit", ["replies", "--url", intake.baseURL, "--ca", intake.certificatePath, "--codename", try Codename.generate().text])
        #expect(wrong.status == 0 && wrong.output.contains("No replies (yet)") && !wrong.output.contains(message), "\(wrong.output)")

        // The page opens its own reply in the browser ("Consultar respuestas"), and not the other one.
        let inBrowser = try runSubprocess(debianPython, [webform, "read-replies", intake.baseURL, webCodename])
        #expect(inBrowser.status == 0 && inBrowser.output.contains(webMessage) && !inBrowser.output.contains(message), "\(inBrowser.output)")
        let wrongInBrowser = try runSubprocess(debianPython, [webform, "read-replies", intake.baseURL, codename])
        #expect(wrongInBrowser.output.contains(message) && !wrongInBrowser.output.contains(webMessage), "\(wrongInBrowser.output)")
        #expect(try tool("resguardo-intake", ["stats", "--vault", vault]).output.contains("replies waiting in mailboxes: 2"))

        // The mailbox answers in one shape whether or not it exists.
        let http = try intake.client()
        defer { _ = http.shutdown() }
        let empty = try await http.send(.GET, intake.baseURL + "/v1/mailbox/" + String(repeating: "ab", count: 16))
        #expect(empty.status == 200 && String(decoding: empty.body, as: UTF8.self) == #"{"replies":[]}"#)
        #expect(try await http.send(.GET, intake.baseURL + "/v1/mailbox/XYZ").status == 400)
        let stats = try tool("resguardo-intake", ["stats", "--vault", vault])
        #expect(stats.output.contains("replies waiting in mailboxes: 2"), "\(stats.output)")
    }
}
