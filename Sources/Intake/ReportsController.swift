import Hummingbird
import HTTPTypes
import NIOCore
import Formats
import Vault

/// `POST /v1/reports`: checks everything that can be checked without a secret key, stores the
/// envelope, and acknowledges only once it is durable.
struct ReportsController: Sendable {
    let deps: IntakeDependencies

    func submit(_ request: Request, context: BasicRequestContext) async throws -> Response {
        let limit = deps.configuration.maxBodyBytes
        guard let contentType = request.headers[.contentType], MediaType.isOctetStream(contentType) else {
            throw IntakeError(.unsupportedMediaType, "unsupported_media_type", "send the envelope as application/octet-stream")
        }
        // A declared length over the limit is refused before a single body byte is read.
        if let declared = request.headers[.contentLength].flatMap({ Int($0) }), declared > limit {
            throw IntakeError(.contentTooLarge, "body_too_large", "the body is \(declared) bytes; the limit is \(limit)")
        }
        let spent: ProofOfWork.SpentToken?
        do {
            spent = try deps.proofOfWork.verify(token: Self.header(request, .resguardoToken), proof: Self.header(request, .resguardoProof))
        } catch {
            throw IntakeError(error == .missing ? .badRequest : .tooManyRequests, "proof_\(error)",
                              Self.proofMessage(error), retryAfterSeconds: nil)
        }
        // Streaming collect: stops and throws 413 as soon as the limit is passed, without buffering the rest.
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: limit)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw IntakeError(.contentTooLarge, "body_too_large", "the body is larger than \(limit) bytes")
        }
        let envelope: Envelope
        do {
            envelope = try Envelope(bytes: Array(buffer.readableBytesView), knownKeyIds: deps.knownKeyIds)
        } catch {
            throw IntakeError.from(error)
        }
        // Only devices seal from this route; the no-JavaScript form path sets this bit itself.
        if envelope.flags.contains(.sealedByIntake) {
            throw IntakeError(.unprocessableContent, "envelope_unknown_flags", "the sealed-by-intake flag may only be set by the intake")
        }
        // The key id names the network (the parse above refused ids no manifest holds).
        guard let network = deps.network(for: envelope) else { throw IntakeError.from(EnvelopeError.unknownKeyId(envelope.keyId)) }
        // Intakes sharing a vault share the spent tokens: one token, one submission, whichever
        // intake it is shown to. A token is spent in every shared vault of this intake, not only
        // the one of the network it paid for (review N17): another intake with the same
        // proof-of-work key would otherwise take it once more for each other network.
        let spenders = deps.networks.sharedStates
        if let spent, !spenders.isEmpty {
            let fresh: Bool
            do {
                fresh = try await withThrowingTaskGroup(of: Bool.self) { group in
                    for shared in spenders { group.addTask { try await shared.spendToken(spent.id, expires: spent.expires) } }
                    var all = true
                    for try await f in group { all = all && f }
                    return all
                }
            } catch let error as VaultError {
                deps.counters.failed(error.errorClass)
                throw IntakeError(.serviceUnavailable, error.errorClass, "the report could not be stored right now and was NOT received; please send it again later",
                                  retryAfterSeconds: 30)
            }
            guard fresh else { throw IntakeError(.tooManyRequests, "proof_replayed", Self.proofMessage(.replayed), retryAfterSeconds: nil) }
        }
        let id: SubmissionId
        do { id = try await network.acceptance.accept(envelope) } catch {
            if case .outcomeUnknown = error {
                throw IntakeError(.serviceUnavailable, "vault_outcome_unknown",
                                  "the vault did not confirm whether the report was stored; send the same envelope again: it will not be stored twice",
                                  retryAfterSeconds: 30)
            }
            guard case .notStored(let errorClass, let temporary) = error else { throw IntakeError(.internalServerError, "server_error", "the report was NOT received") }
            if temporary {
                throw IntakeError(.serviceUnavailable, errorClass, "the report could not be stored right now and was NOT received; please send it again later",
                                  retryAfterSeconds: 30)
            }
            throw IntakeError(.internalServerError, errorClass, "the report could not be stored and was NOT received")
        }
        return Self.receiptResponse(id)
    }

    /// `{"receipt":"…"}`, written directly: a receipt is hex digits and dashes, nothing to escape,
    /// and building a JSON value to serialize it cost more than the rest of the answer.
    static func receiptResponse(_ id: SubmissionId) -> Response {
        Response(status: .created, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: receiptJSON(id)))
    }

    static func receiptJSON(_ id: SubmissionId) -> ByteBuffer {
        var body = ByteBuffer()
        body.reserveCapacity(64)
        body.writeString(#"{"receipt":""#)
        body.writeString(id.receipt)
        body.writeString(#""}"#)
        return body
    }

    static func header(_ request: Request, _ name: HTTPField.Name?) -> String? {
        name.flatMap { request.headers[$0] }
    }

    static func proofMessage(_ error: ProofOfWork.Failure) -> String {
        switch error {
        case .missing: return "a proof of work is required: GET /v1/challenge, then send Resguardo-Token and Resguardo-Proof"
        case .malformed: return "the proof-of-work headers are malformed"
        case .forged: return "the challenge token was not issued by this intake"
        case .expired: return "the challenge token has expired; fetch a new one"
        case .replayed: return "the challenge token was already used; fetch a new one"
        case .insufficient: return "the proof of work does not meet the token's difficulty"
        }
    }
}

extension HTTPField.Name {
    // Built once (valid tokens, so never nil) instead of comparing every header's name per request.
    static let resguardoToken = HTTPField.Name("Resguardo-Token")
    static let resguardoProof = HTTPField.Name("Resguardo-Proof")
}

/// `Content-Type` checks without Foundation's string machinery (it showed up in the profile).
enum MediaType {
    /// `application/octet-stream`, any case, with or without parameters.
    static func isOctetStream(_ value: String) -> Bool { isType(value, "application/octet-stream") }

    /// `type` (lowercase), any case, with or without parameters.
    static func isType(_ value: String, _ type: String) -> Bool {
        var value = value, type = type
        // On the two strings' bytes, folding ASCII case as it compares: no lowercased copy and
        // no generic iteration per request.
        return value.withUTF8 { v in
            type.withUTF8 { t in
                var end = v.firstIndex(of: UInt8(ascii: ";")) ?? v.count
                var start = 0
                while start < end, v[start] == UInt8(ascii: " ") || v[start] == UInt8(ascii: "\t") { start += 1 }
                while end > start, v[end - 1] == UInt8(ascii: " ") || v[end - 1] == UInt8(ascii: "\t") { end -= 1 }
                guard end - start == t.count else { return false }
                for i in 0..<t.count {
                    let c = v[start + i]
                    if (c >= 0x41 && c <= 0x5A ? c | 0x20 : c) != t[i] { return false }
                }
                return true
            }
        }
    }
}
