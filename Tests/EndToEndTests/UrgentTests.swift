import Foundation
import Testing
import TestSupport
import TestHarness
import Formats
import Sodium
import Vault

@Suite("Urgent reports", .serialized)
struct UrgentTests {
    func runs(_ log: String) -> [String] {
        ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n").filter { $0.hasPrefix("run") }.map(String.init)
    }

    func waitFor(_ count: Int, in log: String, seconds: Double = 10) async throws {
        let deadline = Date().addingTimeInterval(seconds)
        while runs(log).count < count && Date() < deadline { try await Task.sleep(for: .milliseconds(50)) }
    }

    @Test("the notification runs once per urgent report (a burst: once per interval), learns nothing; stats counts urgent reports waiting")
    func notification() async throws {
        let scratch = try IntakeProcess()
        let log = scratch.folder.appendingPathComponent("runs.log").path
        let script = scratch.folder.appendingPathComponent("avisar.sh").path
        try "#!/bin/sh\necho \"run args=$#\" >> \(log)\n/bin/date +%s.%N >> \(log)\nenv >> \(log)\n".write(toFile: script, atomically: true, encoding: .utf8)
        #expect(chmod(script, 0o755) == 0)
        let intake = try IntakeProcess(arguments: ["--notify-command", script, "--notify-interval", "2"])
        try intake.start()
        let client = try intake.client()
        defer { _ = client.shutdown() }
        let key = try intake.currentKey()
        func send(urgent: Bool) async throws -> String {
            var report = Report(language: .es, country: "HN", description: "Nos rodearon la casa de Xochitl.")
            report.urgent = urgent
            let reply = try await client.submit(try Envelope.seal(report: report.jsonBytes(), to: key, flags: urgent ? .urgent : []).bytes, to: intake.baseURL)
            #expect(reply.status == 201)
            guard case .string(let receipt)? = reply.json?["receipt"] else { return "" }
            return receipt
        }
        var receipts = [try await send(urgent: false)]
        try await Task.sleep(for: .milliseconds(700))
        #expect(runs(log).isEmpty)
        receipts.append(try await send(urgent: true))
        try await waitFor(1, in: log)
        #expect(runs(log) == ["run args=0"], "the command gets no arguments")
        try await Task.sleep(for: .milliseconds(2200))
        receipts.append(try await send(urgent: true))
        try await waitFor(2, in: log)
        #expect(runs(log).count == 2)
        // A burst: announced by one run at the end of the interval (two if a slow machine spreads
        // the burst over more than one interval), never one run per report. Sent together, so a
        // slow fsync on a busy machine cannot spread them over several intervals.
        async let a = send(urgent: true), b = send(urgent: true), c = send(urgent: true)
        receipts += try await [a, b, c]
        try await waitFor(3, in: log, seconds: 6)
        try await Task.sleep(for: .milliseconds(2500))
        #expect((3...4).contains(runs(log).count))
        // Never two runs closer than the interval.
        let times = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").compactMap { Double($0) }
        #expect(times.count == runs(log).count)
        #expect(zip(times, times.dropFirst()).allSatisfy { $1 - $0 >= 1.9 }, "\(times)")
        // Nothing about the reports or the server reached the command.
        let seen = try String(contentsOfFile: log, encoding: .utf8)
        for secret in receipts + ["Xochitl", "HN", "resguardo", "vault", "RESGUARDO"] {
            #expect(!seen.contains(secret), "\(secret) reached the notification command")
        }
        intake.kill(signal: SIGTERM)
        let stats = try runSubprocess(IntakeProcess.binaries.appendingPathComponent("resguardo-intake").path, ["stats", "--vault", intake.vaultPath])
        #expect(stats.output.contains("urgent waiting for export: 5"), "\(stats.output)")
    }

    @Test("a failing or missing notification command is logged by class and the submission is still acknowledged")
    func failingCommand() async throws {
        for command in ["/bin/false", "/nonexistent/avisar"] {
            let intake = try IntakeProcess(arguments: ["--notify-command", command, "--notify-interval", "1"])
            try intake.start()
            let client = try intake.client()
            let envelope = try Envelope.seal(report: Report(language: .es, country: "SV", description: "urgente").jsonBytes(), to: intake.currentKey(), flags: .urgent)
            #expect(try await client.submit(envelope.bytes, to: intake.baseURL).status == 201)
            try await Task.sleep(for: .milliseconds(800))
            #expect(try await client.submit(envelope.bytes, to: intake.baseURL).status == 201)
            _ = try await client.shutdown()
            intake.kill(signal: SIGTERM)
            let logText = try String(contentsOfFile: intake.logPath, encoding: .utf8)
            #expect(logText.contains(command == "/bin/false" ? "notify_exit_status" : "notify_cannot_start"), "\(logText)")
        }
    }
}
