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
        // intake it is shown to.
        if let spent, let shared = network.shared {
            let fresh: Bool
            do { fresh = try await shared.spendToken(spent.id, expires: spent.expires) } catch {
                deps.counters.failed(error.errorClass)
                throw IntakeError(.serviceUnavailable, error.errorClass, "the report could not be stored right now and was NOT received; please send it again later",
                                  retryAfterSeconds: 30)
            }
            guard fresh else { throw IntakeError(.tooManyRequests, "proof_replayed", Self.proofMessage(.replayed), retryAfterSeconds: nil) }
        }
        let id: SubmissionId
        do { id = try await network.acceptance.accept(envelope) } catch {
            guard case .notStored(let errorClass, let temporary) = error else { throw IntakeError(.internalServerError, "server_error", "the report was NOT received") }
            if temporary {
                throw IntakeError(.serviceUnavailable, errorClass, "the report could not be stored right now and was NOT received; please send it again later",
                                  retryAfterSeconds: 30)
            }
            throw IntakeError(.internalServerError, errorClass, "the report could not be stored and was NOT received")
        }
        return jsonResponse(.object([("receipt", .string(id.receipt))]), status: .created)
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
        var trimmed = Substring(value.utf8.prefix { $0 != UInt8(ascii: ";") })
        while trimmed.first == " " || trimmed.first == "\t" { trimmed = trimmed.dropFirst() }
        while trimmed.last == " " || trimmed.last == "\t" { trimmed = trimmed.dropLast() }
        return trimmed.utf8.count == type.utf8.count && trimmed.lowercased() == type
    }
}
