import AsyncHTTPClient
import CLISupport
import Foundation
import Formats
import NIOCore
import NIOSSL
import Sodium

/// Talks to an intake over HTTPS (TLS 1.3 only), as DESIGN.md §3a describes.
struct IntakeClient {
    let baseURL: String
    let http: HTTPClient

    init(url: String, caFile: String?) throws {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.minimumTLSVersion = .tlsv13
        if let caFile {
            guard FileManager.default.fileExists(atPath: caFile) else {
                throw CommandFailure(L("CA file {ca_file} not found", ["ca_file": "\(caFile)"]), status: .noInput)
            }
            tls.trustRoots = .file(caFile)
        }
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
        configuration.timeout = .init(connect: .seconds(30), read: .seconds(120))
        configuration.redirectConfiguration = .disallow
        let base = url.hasSuffix("/") ? String(url.dropLast()) : url
        // Checked before the client exists: an HTTPClient dropped without shutdown() stops the
        // process (found by the staff pseudo-locale test, with an http:// address).
        guard base.hasPrefix("https://") else {
            throw CommandFailure("the intake URL must start with https://", status: .usage)
        }
        baseURL = base
        http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    func shutdown() async { try? await http.shutdown() }

    struct Reply {
        let status: Int
        let body: [UInt8]
    }

    func get(_ path: String) async throws -> Reply {
        try await perform(HTTPClientRequest(url: baseURL + path))
    }

    func post(_ path: String, body: [UInt8], headers: [(String, String)]) async throws -> Reply {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/octet-stream")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(bytes: body))
        return try await perform(request)
    }

    private func perform(_ request: HTTPClientRequest) async throws -> Reply {
        do {
            let response = try await http.execute(request, timeout: .seconds(180))
            let body = try await response.body.collect(upTo: 16 << 20)
            return Reply(status: Int(response.status.code), body: Array(body.readableBytesView))
        } catch {
            throw Unreachable(reason: "\(error)")
        }
    }

    /// The intake could not be reached, or the connection broke: a reason to keep the envelope.
    struct Unreachable: Error { let reason: String }

    static func manifestPath(_ network: NetworkId?) -> String {
        network.map { "/v1/networks/\($0.text)/keys" } ?? "/v1/keys"
    }

    struct NetworkEntry { let id: NetworkId; let name: String; let countries: [String] }

    /// `GET /v1/networks`; an intake from before networks (404) serves one.
    func networks() async throws -> [NetworkEntry] {
        let reply = try await get("/v1/networks")
        if reply.status == 404 { return [] }
        guard reply.status == 200, let json = try? JSONValue.parse(reply.body), case .array(let items)? = json["networks"] else {
            throw CommandFailure(L("GET /v1/networks answered {status} with no list of networks", ["status": "\(reply.status)"]), status: .dataError)
        }
        return try items.map { item in
            guard case .string(let idText)? = item["id"], let id = NetworkId(idText), case .string(let name)? = item["name"],
                  case .array(let countries)? = item["countries"] else {
                throw CommandFailure("GET /v1/networks: an entry is malformed", status: .dataError)
            }
            return NetworkEntry(id: id, name: name, countries: countries.compactMap { if case .string(let c) = $0 { return c } else { return nil } })
        }
    }

    /// Fetches and verifies the key manifest (of `network`, on a several-network intake) against the pinned fingerprint.
    func manifest(pinned: SigningKeyFingerprint, network: NetworkId?) async throws -> SignedKeyManifest {
        let path = Self.manifestPath(network)
        let reply = try await get(path)
        guard reply.status == 200 else {
            if reply.status == 404, network == nil {
                throw CommandFailure("GET /v1/keys answered 404: this intake serves several networks", hints: ["give --network ID or --country (resguardo-submit networks lists them)"], status: .usage)
            }
            throw CommandFailure(L("GET {path} answered {status}", ["path": "\(path)", "status": "\(reply.status)"]))
        }
        let verified: Result<SignedKeyManifest, KeyManifestError> = Result { () throws(KeyManifestError) in
            try SignedKeyManifest(json: reply.body, trust: .fingerprint(pinned))
        }
        switch verified {
        case .success(let signed):
            return signed
        case .failure(.untrustedSigningKey(let actual, _)):
            throw CommandFailure(L("the intake's key manifest is signed by {key}, not by the pinned fingerprint {pinned}", ["key": "\(actual.map(String.init(describing:)) ?? "an unknown key")", "pinned": "\(pinned)"]),
                                 hints: ["do NOT send anything: the server may have been taken over, or the fingerprint is wrong",
                                         "check the fingerprint with the network through another channel"],
                                 status: .wrongPassphrase)
        case .failure(let error):
            throw CommandFailure(L("the intake's key manifest is invalid: {error}", ["error": "\(error)"]), status: .dataError)
        }
    }

    /// Posts an envelope (solving the proof of work if asked) and returns the receipt.
    func send(_ envelope: [UInt8]) async throws -> String {
        let challengeReply = try await get("/v1/challenge")
        var headers: [(String, String)] = []
        if challengeReply.status == 200, let challenge = try? JSONValue.parse(challengeReply.body),
           case .string(let token)? = challenge["token"], let difficulty = challenge["difficulty"]?.intValue, difficulty > 0 {
            let proof: String
            do { proof = try ProofOfWorkPuzzle.solve(token: token) } catch { throw CommandFailure("the intake sent a malformed challenge token") }
            headers = [("Resguardo-Token", token), ("Resguardo-Proof", proof)]
        }
        let reply = try await post("/v1/reports", body: envelope, headers: headers)
        let json = try? JSONValue.parse(reply.body)
        switch reply.status {
        case 201:
            guard case .string(let receipt)? = json?["receipt"] else { throw CommandFailure("the intake answered 201 without a receipt") }
            return receipt
        case 500...599:
            throw Unreachable(reason: "the intake answered \(reply.status): \(Self.message(json))")
        default:
            throw CommandFailure(L("the intake refused the envelope ({status}): {json}", ["status": "\(reply.status)", "json": "\(Self.message(json))"]), status: .dataError)
        }
    }

    static func message(_ json: JSONValue?) -> String {
        if case .string(let m)? = json?["message"] { return m }
        return "no explanation"
    }
}
