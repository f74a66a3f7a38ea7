public import Hummingbird
import Foundation
import Formats

/// Every error the intake answers with: `{"error": code, "message": text}` and the right status.
/// Messages name the problem, never anything about the client.
public struct IntakeError: HTTPResponseError, Sendable {
    public let status: HTTPResponse.Status
    public let code: String
    public let message: String
    public let retryAfterSeconds: Int?

    public init(_ status: HTTPResponse.Status, _ code: String, _ message: String, retryAfterSeconds: Int? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.retryAfterSeconds = retryAfterSeconds
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        Self.jsonResponse(status: status, code: code, message: message, retryAfterSeconds: retryAfterSeconds)
    }

    static func jsonResponse(status: HTTPResponse.Status, code: String, message: String, retryAfterSeconds: Int? = nil) -> Response {
        let body = JSONValue.object([("error", .string(code)), ("message", .string(message))]).serialized()
        var headers: HTTPFields = [.contentType: "application/json; charset=utf-8"]
        if let retryAfterSeconds { headers[.retryAfter] = String(retryAfterSeconds) }
        // After a body over the limit, close the connection rather than read (and discard) the
        // rest of it: a 64 MiB upload should cost the server 16 MiB of reading, not 64.
        if status == .contentTooLarge { headers[.connection] = "close" }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    static func from(_ error: EnvelopeError) -> IntakeError {
        switch error {
        case .empty: return IntakeError(.badRequest, error.code, "the body is empty; send one envelope")
        case .tooLarge: return IntakeError(.contentTooLarge, error.code, error.description)
        case .unknownKeyId: return IntakeError(.unprocessableContent, error.code, error.description + "; fetch GET /v1/keys again")
        case .lengthNotABucket, .truncated, .badMagic, .unsupportedVersion, .unknownFlags:
            return IntakeError(.unprocessableContent, error.code, error.description)
        default: return IntakeError(.badRequest, error.code, error.description)
        }
    }
}
