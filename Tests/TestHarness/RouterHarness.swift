import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Intake
import NIOCore
import TestSupport
import Formats
import Sodium

/// The intake's real router, dependencies and vault (a temporary SQLite file, the demo keys
/// pinned to their fingerprint), driven in process by Hummingbird's `app.test(.router)`: for
/// what the routes decide. What needs the wire (TLS, timeouts, connection caps, signals) stays
/// with `IntakeProcess`.
public struct RouterHarness {
    public let scratch: Scratch
    public let deps: IntakeDependencies

    public init(configure: (inout IntakeConfiguration) -> Void = { _ in }) throws {
        scratch = try Scratch()
        var configuration = IntakeConfiguration()
        configuration.manifestPath = repositoryRoot.appendingPathComponent("keys-example/manifest.json").path
        configuration.signingKeyFingerprint = SigningKeyFingerprint(text: IntakeProcess.demoFingerprint)
        configuration.vaultPath = scratch.path("vault.sqlite")
        configuration.powDifficulty = 0
        configuration.powMaxDifficulty = 0
        configure(&configuration)
        deps = try IntakeDependencies(configuration: configuration)
    }

    public var vaultPath: String { deps.configuration.vaultPath }

    public func currentKey() throws -> SealPublicKey {
        guard let key = deps.networks.all.first?.manifest.currentEncryptionKey(on: .today()) else { throw TestFailure("the demo manifest has no current key") }
        return key.publicKey
    }

    /// Runs `body` against the router, with a client that answers like `HTTPClient.send`.
    public func test(_ body: @escaping @Sendable (Client) async throws -> Void) async throws {
        let app = Application(router: buildRouter(deps))
        try await app.test(.router) { client in try await body(Client(client: client)) }
    }

    public struct Client {
        public let client: any TestClientProtocol

        public func send(_ method: HTTPRequest.Method, _ path: String, body: [UInt8]? = nil, headers: [(String, String)] = []) async throws -> HTTPReply {
            var fields = HTTPFields()
            for (name, value) in headers {
                guard let field = HTTPField.Name(name) else { throw TestFailure("bad header name \(name)") }
                fields.append(HTTPField(name: field, value: value))
            }
            let response = try await client.execute(uri: path, method: method, headers: fields, body: body.map { ByteBuffer(bytes: $0) })
            return HTTPReply(status: response.status.code, headers: response.headers.map { ($0.name.rawName, $0.value) },
                             body: Array(buffer: response.body))
        }

        public func submit(_ envelope: [UInt8], headers: [(String, String)] = []) async throws -> HTTPReply {
            try await send(.post, "/v1/reports", body: envelope, headers: [("Content-Type", "application/octet-stream")] + headers)
        }
    }
}
public typealias HTTPRequestMethod = HTTPRequest.Method
