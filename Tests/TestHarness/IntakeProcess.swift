import AsyncHTTPClient
import Foundation
import TestSupport
import NIOCore
import NIOHTTP1
import NIOSSL
import Formats
import Sodium

/// A real `resguardo-intake serve` process on a loopback port, in its own temporary folder with
/// a fresh self-signed certificate (`--dev`) and the demo keys.
public final class IntakeProcess: @unchecked Sendable {
    public static let repository = repositoryRoot
    public static let binaries = builtExecutable("resguardo-intake").deletingLastPathComponent()
    public static let demoFingerprint = "a036 5677 a5c6 16c5 72f4 dcd2 9f13 fed2"

    public let folder: URL
    public let host: String
    public private(set) var port = 0
    private var process: Process?
    public var processIdentifier: Int32? { process?.processIdentifier }
    public let extraArguments: [String]
    public let extraEnvironment: [String: String]

    public var logPath: String { folder.appendingPathComponent("intake.log").path }
    public var vaultPath: String { folder.appendingPathComponent(".resguardo-dev/vault.sqlite").path }
    public var certificatePath: String { folder.appendingPathComponent(".resguardo-dev/cert.pem").path }
    public var baseURL: String { "https://\(host):\(port)" }

    public init(host: String = "127.0.0.1", arguments: [String] = [], environment: [String: String] = [:]) throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("intake-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("keys-example"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: Self.repository.appendingPathComponent("keys-example/manifest.json"),
                                         to: folder.appendingPathComponent("keys-example/manifest.json"))
        self.host = host
        extraArguments = arguments
        extraEnvironment = environment
    }

    deinit {
        process?.terminate()
        try? FileManager.default.removeItem(at: folder)
    }

    /// Starts the server (again, on the same port and vault after a kill) and waits until it listens.
    public func start() throws {
        let p = Process()
        p.executableURL = Self.binaries.appendingPathComponent("resguardo-intake")
        p.currentDirectoryURL = folder
        p.arguments = ["serve", "--dev", "--host", host, "--port", String(port)] + extraArguments
        if !extraEnvironment.isEmpty { p.environment = ProcessInfo.processInfo.environment.merging(extraEnvironment) { $1 } }
        if !FileManager.default.fileExists(atPath: logPath) { FileManager.default.createFile(atPath: logPath, contents: nil) }
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        log.seekToEndOfFile()
        p.standardOutput = log
        p.standardError = log
        try p.run()
        process = p
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
            if let range = text.range(of: "serving https://\(host):", options: .backwards) {
                let digits = text[range.upperBound...].prefix { $0.isNumber }
                if let n = Int(digits), n > 0 { port = n; return }
            }
            guard p.isRunning else { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw TestFailure("intake did not start:\n" + ((try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""))
    }

    public private(set) var lastExitStatus: Int32?

    public func kill(signal: Int32 = SIGKILL) {
        guard let process else { return }
        Foundation.kill(process.processIdentifier, signal)
        process.waitUntilExit()
        lastExitStatus = process.terminationReason == .exit ? process.terminationStatus : -1
        self.process = nil
    }

    public func client() throws -> HTTPClient {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.minimumTLSVersion = .tlsv13
        tls.trustRoots = .file(certificatePath)
        tls.certificateVerification = .noHostnameVerification
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(tlsConfiguration: tls))
    }

    /// The demo encryption key the manifest names as current.
    public func currentKey() throws -> SealPublicKey {
        let json = try Array(Data(contentsOf: folder.appendingPathComponent("keys-example/manifest.json")))
        guard let pin = SigningKeyFingerprint(text: Self.demoFingerprint),
              let key = try SignedKeyManifest(json: json, trust: .fingerprint(pin)).manifest.currentEncryptionKey(on: .today()) else {
            throw TestFailure("demo manifest has no current key")
        }
        return key.publicKey
    }
}

public struct TestFailure: Error, CustomStringConvertible {
    public let description: String
    public init(_ d: String) { description = d }
}

public struct HTTPReply {
    public let status: Int
    public let headers: [(String, String)]
    public let body: [UInt8]
    public var json: JSONValue? { try? JSONValue.parse(body) }
    public var errorCode: String? { if case .string(let c)? = json?["error"] { return c }; return nil }
    public func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
}

extension HTTPClient {
    public func send(_ method: HTTPMethod, _ url: String, body: [UInt8]? = nil, headers: [(String, String)] = []) async throws -> HTTPReply {
        var request = HTTPClientRequest(url: url)
        request.method = method
        for (n, v) in headers { request.headers.add(name: n, value: v) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let response = try await execute(request, timeout: .seconds(30))
        let collected = try await response.body.collect(upTo: 1 << 20)
        return HTTPReply(status: Int(response.status.code), headers: response.headers.map { ($0.name, $0.value) },
                         body: Array(collected.readableBytesView))
    }

    public func submit(_ envelope: [UInt8], to base: String, headers: [(String, String)] = []) async throws -> HTTPReply {
        try await send(.POST, base + "/v1/reports", body: envelope, headers: [("Content-Type", "application/octet-stream")] + headers)
    }
}
