import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Testing
import TestSupport
import TestHarness
import Formats
import Sodium
import Vault

/// Live tests: the real `resguardo-intake` binary over real TLS on loopback, with a real SQLite vault.
@Suite("Intake over TLS", .serialized)
struct IntakeTests {
    @Test("a report sealed to the manifest's key is accepted over TLS 1.3 and is in the vault; TLS 1.2 is refused")
    func liveSubmission() async throws {
        let intake = try IntakeProcess()
        try intake.start()
        let client = try intake.client()
        defer { _ = client.shutdown() }

        let keys = try await client.send(.GET, intake.baseURL + "/v1/keys")
        #expect(keys.status == 200)
        let pin = try #require(SigningKeyFingerprint(text: IntakeProcess.demoFingerprint))
        let manifest = try SignedKeyManifest(json: keys.body, trust: .fingerprint(pin)).manifest
        let key = try #require(manifest.currentEncryptionKey(on: .today()))
        let report = Report(language: .es, country: "SV", description: "Nos desalojaron de la tierra comunal.")
        let envelope = try Envelope.seal(report: report.jsonBytes(), to: key.publicKey, flags: .urgent)
        let reply = try await client.submit(envelope.bytes, to: intake.baseURL)
        #expect(reply.status == 201)
        guard case .string(let receipt)? = reply.json?["receipt"] else { Issue.record("no receipt"); return }
        let id = try #require(SubmissionId(receipt: receipt))
        #expect(try await VaultDatabase(path: intake.vaultPath).contains(id))

        // Security headers on every response, errors included.
        for r in [keys, reply, try await client.send(.GET, intake.baseURL + "/nowhere")] {
            #expect(r.header("Strict-Transport-Security")?.contains("max-age") == true)
            #expect(r.header("Content-Security-Policy")?.hasPrefix("default-src 'self'") == true)
            #expect(r.header("X-Content-Type-Options") == "nosniff")
            #expect(r.header("Referrer-Policy") == "no-referrer")
            #expect(r.header("Cache-Control") == "no-store")
            #expect(r.header("Set-Cookie") == nil)
        }
        #expect(try await client.send(.GET, intake.baseURL + "/healthz").status == 200)

        let tls12 = try OpenSSL.connect(port: intake.port, version: "-tls1_2")
        #expect(!tls12.contains("Protocol  : TLSv1.2") && (tls12.contains("alert") || tls12.contains("no protocols available")), "\(tls12)")
        let tls13 = try OpenSSL.connect(port: intake.port, version: "-tls1_3")
        #expect(tls13.contains("TLSv1.3"), "\(tls13)")
    }

    @Test("an oversized body streamed with no declared length is cut off when the limit passes, and nothing is stored")
    func streamedOversize() async throws {
        let intake = try IntakeProcess()
        try intake.start()
        let client = try intake.client()
        defer { _ = client.shutdown() }
        var request = HTTPClientRequest(url: intake.baseURL + "/v1/reports")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/octet-stream")
        let chunk = ByteBuffer(bytes: [UInt8](repeating: 7, count: 1 << 20))
        request.body = .stream(SlowChunks(chunk: chunk, count: 20, pause: .milliseconds(20)), length: .unknown)
        do {
            let response = try await client.execute(request, timeout: .seconds(30))
            #expect(response.status.code == 413)
        } catch {
            // The server may close the connection as soon as it has answered 413.
        }
        let total = try await VaultDatabase(path: intake.vaultPath).stats().reduce(0) { $0 + $1.count }
        #expect(total == 0, "bad input was stored")
    }

    @Test("a body that stalls is cut off by the body timeout, and the server keeps serving")
    func slowBody() async throws {
        let intake = try IntakeProcess(arguments: ["--body-timeout", "2"])
        try intake.start()
        let client = try intake.client()
        defer { _ = client.shutdown() }
        var request = HTTPClientRequest(url: intake.baseURL + "/v1/reports")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/octet-stream")
        // Thirty seconds of trickle against a 2 s body timeout. The bound is far from both: this
        // client notices the cut only at its next write, and in the full run its awaits queue
        // behind synchronous tests on a two-core machine (a CI run once took 8.5 s).
        request.body = .stream(SlowChunks(chunk: ByteBuffer(bytes: [1, 2, 3]), count: 30, pause: .seconds(1)), length: .known(Int64(4157)))
        let started = ContinuousClock.now
        await #expect(throws: (any Error).self) { _ = try await client.execute(request, timeout: .seconds(60)) }
        #expect(ContinuousClock.now - started < .seconds(20), "the server did not cut the stalled body off")
        #expect(try await client.send(.GET, intake.baseURL + "/healthz").status == 200)
    }

    @Test("no client address, user agent or time of day in the vault, its WAL or the logs")
    func noIdentifyingMetadata() async throws {
        // The server listens on 127.0.0.2; the client connects from 127.0.0.1, which must appear nowhere.
        let intake = try IntakeProcess(host: "127.0.0.2")
        try intake.start()
        let client = try intake.client()
        defer { _ = client.shutdown() }
        let agent = "DefensoraPhone/7.3 (distinctive-ua-4f9c)"
        let key = try intake.currentKey()
        for i in 0..<20 {
            let envelope = try Envelope.seal(report: Array("{\"n\":\(i)}".utf8), to: key).bytes
            let reply = try await client.submit(envelope, to: intake.baseURL, headers: [("User-Agent", agent), ("Referer", "https://referrer.example/secret-page")])
            #expect(reply.status == 201)
        }
        _ = try await client.submit([1, 2, 3], to: intake.baseURL, headers: [("User-Agent", agent)])
        // The totals reach the log at shutdown (no line per request: HardeningTests).
        intake.kill(signal: SIGTERM)
        let files = [intake.logPath, intake.vaultPath, intake.vaultPath + "-wal", intake.vaultPath + "-shm"]
        for path in files {
            guard let data = FileManager.default.contents(atPath: path) else { continue }
            let text = String(decoding: data, as: UTF8.self)
            #expect(!text.contains("127.0.0.1"), "\(path) holds the client address")
            #expect(!text.contains("distinctive-ua"), "\(path) holds the user agent")
            #expect(!text.contains("referrer.example"), "\(path) holds the referrer")
        }
        let log = (try? String(contentsOfFile: intake.logPath, encoding: .utf8)) ?? ""
        #expect(log.range(of: #"\d{2}:\d{2}:\d{2}"#, options: .regularExpression) == nil, "the log holds a time of day:\n\(log)")
        #expect(log.contains("POST_/v1/reports_201=20"), "\(log)")
    }

    @Test("every acknowledged receipt survives SIGKILL of the server mid-load")
    func durability() async throws {
        let intake = try IntakeProcess()
        try intake.start()
        let client = try intake.client()
        defer { _ = client.shutdown() }
        // Bounded: 8 submitters, at most 400 submissions each, stopped by the kill.
        // 3 s of load: under the parallel suites on 2 cores, 1.5 s once gave only 11 receipts.
        let receipts = try await submitUntilSignal(intake, client, workers: 8, perWorker: 400, signal: SIGKILL, after: .milliseconds(3000))
        #expect(receipts.count > 20, "too few submissions before the kill to mean anything")
        try intake.start()
        let vault = try VaultDatabase(path: intake.vaultPath)
        #expect(try await vault.integrityCheck() == "ok")
        let stored = try await vault.storedIds()
        let missing = receipts.filter { r in SubmissionId(receipt: r).map { !stored.contains($0) } ?? true }.count
        #expect(missing == 0, "\(missing) of \(receipts.count) acknowledged submissions were lost")
    }

    @Test("an independent Python client (PyNaCl + ssl + http.client) submits from the spec alone")
    func pythonClient() async throws {
        let intake = try IntakeProcess(arguments: ["--pow-difficulty", "6"])
        try intake.start()
        let outcome = try runSubprocess(debianPython, [repositoryRoot.appendingPathComponent("scripts/lib/python_client.py").path,
                                                       intake.baseURL, intake.certificatePath, IntakeProcess.demoFingerprint])
        #expect(outcome.status == 0, "\(outcome.output)")
        let receipt = outcome.output.split(separator: "\n").first { $0.hasPrefix("receipt: ") }.map { String($0.dropFirst(9)) }
        let id = try #require(receipt.flatMap(SubmissionId.init(receipt:)), "\(outcome.output)")
        #expect(try await VaultDatabase(path: intake.vaultPath).contains(id))
    }
}

/// Submits from `workers` concurrent clients while, after `after`, the server gets `signal`;
/// returns the receipts the server acknowledged before it went away.
func submitUntilSignal(_ intake: IntakeProcess, _ client: HTTPClient, workers: Int, perWorker: Int,
                       signal: Int32, after: Duration) async throws -> [String] {
    let key = try intake.currentKey()
    let acknowledged = Receipts()
    try await withThrowingTaskGroup(of: Void.self) { group in
        for worker in 0..<workers {
            group.addTask {
                for i in 0..<perWorker {
                    let envelope = try Envelope.seal(report: Array("{\"w\":\(worker),\"i\":\(i)}".utf8), to: key).bytes
                    guard let reply = try? await client.submit(envelope, to: intake.baseURL) else { return }
                    if reply.status == 201, case .string(let r)? = reply.json?["receipt"] { await acknowledged.add(r) }
                }
            }
        }
        group.addTask {
            try await Task.sleep(for: after)
            intake.kill(signal: signal)
        }
        try await group.waitForAll()
    }
    return await acknowledged.all
}

actor Receipts {
    private(set) var all: [String] = []
    func add(_ r: String) { all.append(r) }
}

/// Yields `count` copies of `chunk`, pausing between them: a slow uploader.
struct SlowChunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let chunk: ByteBuffer
    let count: Int
    let pause: Duration

    struct AsyncIterator: AsyncIteratorProtocol {
        let source: SlowChunks
        var sent = 0
        mutating func next() async throws -> ByteBuffer? {
            guard sent < source.count else { return nil }
            if sent > 0 { try await Task.sleep(for: source.pause) }
            sent += 1
            return source.chunk
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(source: self) }
}

enum OpenSSL {
    static func connect(port: Int, version: String) throws -> String {
        try runSubprocess("/usr/bin/openssl", ["s_client", version, "-connect", "127.0.0.1:\(port)", "-brief"]).output
    }
}

@Suite("Intake under pressure", .serialized)
struct IntakePressureTests {
    @Test("connections beyond the cap are closed at once")
    func connectionCap() async throws {
        let intake = try IntakeProcess(arguments: ["--max-connections", "3"])
        try intake.start()
        let outcome = try runSubprocess(debianPython, [repositoryRoot.appendingPathComponent("scripts/lib/connection_cap.py").path,
                                                       "127.0.0.1", String(intake.port), "5"])
        let states = outcome.output.split(separator: "\n").map(String.init)
        #expect(states == ["open", "open", "open", "closed", "closed"], "\(outcome.output)")
    }

    @Test("SIGTERM stops gracefully: exit 0, and every acknowledged submission is in the vault")
    func gracefulShutdown() async throws {
        let intake = try IntakeProcess()
        try intake.start()
        let client = try intake.client()
        defer { _ = client.shutdown() }
        let receipts = try await submitUntilSignal(intake, client, workers: 4, perWorker: 200, signal: SIGTERM, after: .milliseconds(700))
        #expect(intake.lastExitStatus == 0)
        let vault = try VaultDatabase(path: intake.vaultPath)
        for r in receipts {
            let id = try #require(SubmissionId(receipt: r))
            #expect(try await vault.contains(id))
        }
        #expect(try await vault.integrityCheck() == "ok")
    }
}
