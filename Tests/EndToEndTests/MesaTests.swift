import Casework
import Deidentify
import Foundation
import Formats
import Keys
@testable import Mesa
import Region
import Registration
import Sodium
import Testing
import TestHarness
import TestSupport

/// La mesa (issue 32) as a person uses it: the real `resguardo mesa` binary on loopback, driven
/// by headless Chromium (scripts/lib/mesa.py), on a workspace the real tools made from the demo
/// keys and the Spanish fixture reports; what the browser did is then checked through the same
/// library the CLI uses.
@Suite("La mesa, in Chromium", .serialized)
struct MesaTests {
    static let mesaScript = repositoryRoot.appendingPathComponent("scripts/lib/mesa.py").path

    /// A demo workspace, as scripts/run --mesa makes it.
    static func setUp(_ scratch: Scratch) throws -> String {
        let folder = scratch.path("mesa")
        let made = try runSubprocess(repositoryRoot.appendingPathComponent("scripts/lib/mesa_setup.sh").path, [folder, CLIRunner.executable.deletingLastPathComponent().path])
        #expect(made.status == 0, "\(made.output)")
        return folder
    }

    /// `resguardo mesa` running, with the link it printed.
    final class Running {
        let process = Process()
        let out: String, err: String
        let url: String

        init(_ folder: String, scratch: Scratch, name: String, region: Bool = false, usb: String = "/usb") throws {
            out = scratch.path("\(name).out")
            err = scratch.path("\(name).err")
            FileManager.default.createFile(atPath: out, contents: nil)
            FileManager.default.createFile(atPath: err, contents: nil)
            let urlFile = scratch.path("\(name).url")
            process.executableURL = CLIRunner.executable
            process.arguments = region ? ["mesa", "--region", folder + "/region", "--usb", folder + "/usb-region", "--url-file", urlFile]
                : ["mesa", "--workspace", folder + "/casos", "--usb", folder + usb, "--url-file", urlFile]
            process.standardInput = FileHandle.nullDevice
            process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: out))
            process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: err))
            try process.run()
            let deadline = Date().addingTimeInterval(30)
            while (try? String(contentsOfFile: urlFile, encoding: .utf8))?.isEmpty ?? true {
                guard Date() < deadline, process.isRunning else { throw MesaTestFailure(description: "resguardo mesa did not print its link: \((try? String(contentsOfFile: err, encoding: .utf8)) ?? "")") }
                Thread.sleep(forTimeInterval: 0.1)
            }
            url = try String(contentsOfFile: urlFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        }

        /// Stops it as Ctrl-C would; returns its status and everything it wrote.
        func stop() -> (status: Int32, stdout: String, stderr: String) {
            if process.isRunning { process.interrupt() }
            // Bounded: a server that ignores Ctrl-C fails the test instead of hanging it.
            let deadline = Date().addingTimeInterval(15)
            while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.1) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
            return (process.terminationStatus, (try? String(contentsOfFile: out, encoding: .utf8)) ?? "", (try? String(contentsOfFile: err, encoding: .utf8)) ?? "")
        }
    }

    @Test("a staff day in Spanish — unlock, import, open an urgent case, vet, reply, refer, assess, de-identify with one edited redaction, register, preview the report with its map, lock — then every step checked through the library; one line printed, nothing per request")
    func staffDay() throws {
        let scratch = try Scratch()
        let folder = try Self.setUp(scratch)
        let mesa = try Running(folder, scratch: scratch, name: "day")
        #expect(mesa.url.hasPrefix("http://127.0.0.1:") && mesa.url.contains("/entrar?t="))
        let shots = ProcessInfo.processInfo.environment["RESGUARDO_WRITE_MESA_SHOTS"] != nil ? repositoryRoot.appendingPathComponent("docs").path : scratch.path("shots")
        let result = scratch.path("day.json")
        let day = try runSubprocess(debianPython, [Self.mesaScript, "day", mesa.url, folder, result, shots])
        let stopped = mesa.stop()
        #expect(day.status == 0 && day.output.contains("ok staff day"), "\(day.output)")
        #expect(stopped.status == 0, "\(stopped.stderr)")
        // The link, once; no line per request, none at all on stderr.
        #expect(stopped.stdout.split(separator: "\n").count == 1 && stopped.stderr.isEmpty, "\(stopped.stdout)\n\(stopped.stderr)")
        guard day.status == 0 else { return }

        let done = try JSONValue.parse(Array(Data(contentsOf: URL(fileURLWithPath: result))))
        guard case .string(let caseHex)? = done["case"], case .string(let referralPath)? = done["referral"], case .string(let edit)? = done["redaction"],
              let caseId = Encoding.bytes(fromHex: caseHex), let redaction = StaffRedaction(rawValue: edit) else {
            Issue.record("the browser's result is incomplete: \(done)")
            return
        }
        // What the browser did, read back by the CLI's own library calls.
        let workspace = try Workspace(path: folder + "/casos")
        let passphrase = try SecureBytes(copying: Array("resguardo-demo-only-NOT-SECRET".utf8))
        let keys = try workspace.keys.unlockEncryptionKeys(passphrase: passphrase)
        #expect(try workspace.openCase(caseId, keys: keys).summary.state == .registered)
        let trail = try workspace.auditTrail(caseId: caseId, keys: keys)
        #expect(trail.contains { $0.detail.contains("Confirmado con la red local") }, "\(trail)")
        #expect(trail.contains { $0.action.contains("referral") })
        #expect(try workspace.pendingReplyCount() == 1)
        #expect(try workspace.riskAssessments(caseId, keys: keys).first?.overall == .high)
        let coordinator = try CoordinatorKeys.unlock(at: folder + "/coordinacion", passphrase: try SecureBytes(copying: Array("frase de la casa refugio (demo)".utf8)))
        let referral = try ReferralFile.open(Array(Data(contentsOf: URL(fileURLWithPath: referralPath))), with: coordinator,
                                             trustedSigner: try SigningKeyFingerprint(verifyingKey: workspace.keys.manifest.manifest.replySigningKey), today: .today())
        #expect(referral.urgency == "immediate" && referral.transitSecurity)
        let records = try Registration.openRegistry(of: workspace).all()
        #expect(records.count == 1 && !redaction.applies(to: records[0]), "the registered record still holds \(edit)")
        #expect(records.first?.verification == "confirmed" && records.first?.stateCollusion == true, "the correction from the case page is not in the record")
        // The bundle's acknowledgement is beside it, for the intake's purge.
        #expect(FileManager.default.fileExists(atPath: try #require(FileManager.default.contentsOfDirectory(atPath: folder + "/usb").first { $0.hasSuffix(".rsgb") }.map { folder + "/usb/" + $0 + ".ack" })))
        // A step in the CLI shows in la mesa's store: the same case gets a note from the command line.
        let note = try scratch.write("nota.txt", "Nota escrita desde la línea de órdenes.")
        #expect(try CLIRunner.run(["cases", "note", String(caseHex.prefix(12)), "--workspace", folder + "/casos", "--note-file", note]).status == 0)
        #expect(try workspace.auditTrail(caseId: caseId, keys: keys).contains { $0.action == "note" && $0.detail.contains("línea de órdenes") })
        // Later she withdraws her consent: the record goes, from the case page of a new session.
        let again = try Running(folder, scratch: scratch, name: "withdraw")
        let withdrawn = try runSubprocess(debianPython, [Self.mesaScript, "withdraw", again.url, folder, caseHex])
        #expect(again.stop().status == 0)
        #expect(withdrawn.status == 0 && withdrawn.output.contains("ok withdraw"), "\(withdrawn.output)")
        #expect(try Registration.openRegistry(of: workspace).all().isEmpty)
        #expect(try workspace.auditTrail(caseId: caseId).contains { $0.action == "registry-withdraw" && $0.detail.hasSuffix(": consent") })
    }

    @Test("the rest of the casework day in Chromium — a quarantined report opened, a follow-up merged, her consent and an alert without what she did not agree to, support, the relocation plan with her family, a referral and the coordinator's signed update — then each read back through the library; every page audited for screen readers and on a tablet")
    func casework() throws {
        let scratch = try Scratch()
        let folder = try Self.setUp(scratch)
        let mesa = try Running(folder, scratch: scratch, name: "casework")
        let workspace = try Workspace(path: folder + "/casos")
        let manifest = workspace.keys.manifest.manifest
        let staffPin = try SigningKeyFingerprint(verifyingKey: manifest.replySigningKey).description
        let networkPin = try SigningKeyFingerprint(verifyingKey: workspace.keys.manifest.signingKey).description
        let shots = ProcessInfo.processInfo.environment["RESGUARDO_WRITE_MESA_SHOTS"] != nil ? repositoryRoot.appendingPathComponent("docs").path : scratch.path("shots")
        let result = scratch.path("casework.json")
        let run = try runSubprocess(debianPython, [Self.mesaScript, "casework", mesa.url, folder, CLIRunner.executable.path, staffPin, networkPin, result, shots])
        let stopped = mesa.stop()
        #expect(run.status == 0 && run.output.contains("ok casework"), "\(run.output)")
        #expect(stopped.status == 0 && stopped.stderr.isEmpty, "\(stopped.stderr)")
        guard run.status == 0 else { return }

        let done = try JSONValue.parse(Array(Data(contentsOf: URL(fileURLWithPath: result))))
        guard case .string(let caseHex)? = done["case"], case .string(let followHex)? = done["follow_up"], case .string(let alertFile)? = done["alert_file"],
              case .string(let quarantineFile)? = done["quarantine_file"], case .string(let alertHex)? = done["alert"],
              let caseId = Encoding.bytes(fromHex: caseHex), let followId = Encoding.bytes(fromHex: followHex) else {
            Issue.record("the browser's result is incomplete: \(done)")
            return
        }
        let keys = try workspace.keys.unlockEncryptionKeys(passphrase: try SecureBytes(copying: Array("resguardo-demo-only-NOT-SECRET".utf8)))
        // The merge, as the CLI sees it.
        #expect(try workspace.openCase(followId, keys: keys).summary.state == .merged)
        #expect(try workspace.followUps(of: followId).follows == caseId)
        let shown = try CLIRunner.run(["cases", "show", String(caseHex.prefix(12)), "--workspace", folder + "/casos", "--passphrase-file", folder + "/keys/passphrase.txt"])
        #expect(shown.status == 0 && shown.stdout.contains("anotamos la placa"), "\(shown.stdout)")
        // And undone from the command line: the browser's merge, taken back by the CLI.
        let why = try scratch.write("motivo.txt", "Era otra agresión: se valida aparte.")
        let undone = try CLIRunner.run(["cases", "merge", String(followHex.prefix(12)), "--undo", "--note-file", why, "--workspace", folder + "/casos"])
        #expect(undone.status == 0 && undone.stdout.contains(String(caseHex.prefix(12))), "\(undone.output)")
        #expect(try workspace.openCase(followId, keys: keys).summary.state == .new)
        let again = try CLIRunner.run(["cases", "merge", String(followHex.prefix(12)), "--undo", "--note-file", why, "--workspace", folder + "/casos"])
        #expect(again.status != 0 && again.stderr.contains("new"), "\(again.output)")
        // Support, relocation, the coordinator's update.
        let support = try workspace.supportRequests(caseId, keys: keys)
        #expect(support.count == 1 && support[0].request.status == .approved && support[0].request.amount?.description == "1500.00 USD", "\(support)")
        let plan = try #require(try workspace.relocation(caseId, keys: keys))
        #expect(plan.companions.map(\.name) == ["Sofía", "Rosa"] && plan.destinationCountry == "CR" && plan.host == "Casa Refugio")
        let updates = try workspace.relocationUpdates(caseId, keys: keys)
        #expect(updates.count == 1 && updates[0].update.stage == "stay" && updates[0].update.needs == ["medical_psychosocial"])
        #expect(try workspace.coordinators().map(\.name).sorted() == ["Casa Abrigo", "Casa Refugio"])
        #expect(try workspace.coordinators().first { $0.name == "Casa Abrigo" }?.removed?.reason == .compromised, "removed on the keys page")
        #expect(try workspace.coordinators().first { $0.name == "Casa Refugio" }?.removed == nil)
        #expect(try workspace.trustedVaultKeys().count == 2)
        // Her consent, and the alert holding only what it covers, logged by field names.
        let consents = try workspace.consents(caseId, keys: keys)
        #expect(consents.count == 1 && consents[0].consent.alert?.description == alertHex && consents[0].consent.destination == .publicAlert)
        let alert = try String(contentsOfFile: alertFile, encoding: .utf8)
        let report = try workspace.openCase(caseId, keys: keys).report
        #expect(alert.contains("Garantizar su vida") && alert.contains("amenazaron de muerte"))
        if let name = report.defender.name { #expect(!alert.contains(name), "the alert names her without her consent") }
        let trail = try workspace.auditTrail(caseId: caseId, keys: keys)
        #expect(trail.contains { $0.action == "alert_exported" && $0.detail.contains("alert \(alertHex) to public") && !$0.detail.contains("Garantizar") })
        #expect(trail.contains { $0.action == "follow-up merged" })
        // The quarantined report, written out as it was kept, mode 0600.
        let kept = try JSONValue.parse(Array(Data(contentsOf: URL(fileURLWithPath: quarantineFile))))
        #expect(kept["country"] == .string("ZZ"))
        #expect((try FileManager.default.attributesOfItem(atPath: quarantineFile)[.posixPermissions] as? Int) == 0o600)
    }

    @Test("the network's desk publishes registry bundle 1 to the regional office's stick (the passphrase asked again, a wrong one refused) and writes its report; then the office's desk — its own passphrase (the network's refused), the bundle imported and its replay refused, the regional report with its map written, custody — and the office's registry read back: every record, the network's sequence")
    func regionalOffice() throws {
        let scratch = try Scratch()
        let folder = try Self.setUp(scratch)
        let made = try runSubprocess(repositoryRoot.appendingPathComponent("scripts/lib/mesa_region_setup.sh").path, [folder, CLIRunner.executable.deletingLastPathComponent().path, "--no-publish"])
        #expect(made.status == 0, "\(made.output)")
        guard made.status == 0, let records = Int(made.output.split(separator: "\n").last.map(String.init) ?? "") else { return }
        let shots = ProcessInfo.processInfo.environment["RESGUARDO_WRITE_MESA_SHOTS"] != nil ? repositoryRoot.appendingPathComponent("docs").path : scratch.path("shots")
        // The network's desk publishes bundle 1 onto the office's stick.
        let network = try Running(folder, scratch: scratch, name: "publish", usb: "/usb-region")
        let published = try runSubprocess(debianPython, [Self.mesaScript, "publish", network.url, folder, shots])
        #expect(network.stop().status == 0)
        #expect(published.status == 0 && published.output.contains("ok publish"), "\(published.output)")
        guard published.status == 0 else { return }
        #expect(FileManager.default.fileExists(atPath: folder + "/usb-region/registro-demo-0001.json"))
        let mesa = try Running(folder, scratch: scratch, name: "region", region: true)
        let run = try runSubprocess(debianPython, [Self.mesaScript, "region", mesa.url, folder, "\(records)", shots])
        let stopped = mesa.stop()
        #expect(run.status == 0 && run.output.contains("ok region"), "\(run.output)")
        #expect(stopped.status == 0 && stopped.stderr.isEmpty && stopped.stdout.split(separator: "\n").count == 1, "\(stopped.stdout)\n\(stopped.stderr)")
        let office = try RegionalOffice(path: folder + "/region")
        #expect(try office.registry.all().count == records)
        #expect(try office.registry.pinnedNetworks().map(\.lastSequence).sorted() == [0, 1])
        // Both faces at once are refused before anything starts.
        let both = try CLIRunner.run(["mesa", "--workspace", folder + "/casos", "--region", folder + "/region"])
        #expect(both.status != 0 && both.stderr.contains("--region"), "\(both.stderr)")
    }

    @Test("an attacker: another origin's page in the same browser, DNS rebinding names, a reused link, a missing or wrong CSRF token, no cookie — each refused, and the desk unchanged")
    func attacker() throws {
        let scratch = try Scratch()
        let folder = try Self.setUp(scratch)
        let mesa = try Running(folder, scratch: scratch, name: "attack")
        let attack = try runSubprocess(debianPython, [Self.mesaScript, "attack", mesa.url, folder])
        let stopped = mesa.stop()
        #expect(attack.status == 0, "\(attack.output)")
        for line in ["ok token reuse refused", "ok rebinding Host refused", "ok CSRF refused", "ok another origin cannot read or change the desk"] {
            #expect(attack.output.contains(line), "\(attack.output)")
        }
        #expect(stopped.status == 0 && stopped.stderr.isEmpty, "\(stopped.stderr)")
    }

    @Test("the desk locks itself after its idle time, even with no request; a wrong passphrase opens nothing")
    func idleLock() async throws {
        let scratch = try Scratch()
        let folder = try Self.setUp(scratch)
        let desk = try Desk(workspace: folder + "/casos", usbFolders: [], idle: .milliseconds(300))
        await #expect(throws: KeyDirectoryError.self) { try await desk.unlock(passphrase: try SecureBytes(copying: Array("otra frase".utf8))) }
        #expect(await !desk.isUnlocked)
        try await desk.unlock(passphrase: try SecureBytes(copying: Array("resguardo-demo-only-NOT-SECRET".utf8)))
        #expect(await desk.isUnlocked)
        #expect(await !desk.lockIfIdle())
        try await Task.sleep(for: .milliseconds(400))
        #expect(await desk.lockIfIdle())
        #expect(await !desk.isUnlocked)
        await #expect(throws: MesaError.locked) { try await desk.unlocked() }
    }

    @Test("the gate: the token is good once, constant-time comparisons refuse near misses, only the exact loopback Host is answered")
    func gate() throws {
        let gate = try MesaGate()
        #expect(!gate.hostAllowed("127.0.0.1:0"))
        gate.bound(port: 41873)
        #expect(gate.hostAllowed("127.0.0.1:41873"))
        for host in ["localhost:41873", "127.0.0.1", "127.0.0.1:41874", "evil.example:41873", "[::1]:41873", nil] as [String?] { #expect(!gate.hostAllowed(host)) }
        var near = Array(gate.token)
        near[near.count - 1] = near.last == "0" ? "1" : "0"
        #expect(gate.exchange(String(near)) == nil)
        let session = try #require(gate.exchange(gate.token))
        #expect(gate.exchange(gate.token) == nil)
        #expect(gate.isSession(session) && !gate.isSession(String(session.dropLast()) + "x") && !gate.isSession(nil))
        #expect(gate.isCSRF(gate.csrfHex) && !gate.isCSRF(String(repeating: "0", count: 64)) && !gate.isCSRF(""))
    }
}

struct MesaTestFailure: Error, CustomStringConvertible { let description: String }
