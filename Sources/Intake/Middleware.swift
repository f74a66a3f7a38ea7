public import Hummingbird
import HTTPTypes
import Logging
import Foundation
import NIOConcurrencyHelpers

/// Security headers on every response, errors included (DESIGN.md §4).
public struct SecurityHeadersMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Which listener the router serves: the HTTPS side sends HSTS (and `Onion-Location` when the
    /// intake has an onion address); the onion side, plain HTTP inside Tor's end-to-end
    /// encrypted circuit, sends neither (HSTS over http:// would be ignored or break the onion).
    let side: IntakeSide
    let onionLocation: String?

    public init(side: IntakeSide = .https, onionAddress: String? = nil) {
        self.side = side
        onionLocation = side == .https ? onionAddress.map { "http://" + $0 } : nil
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as IntakeError {
            response = try error.response(from: request, context: context)
        } catch let error as any HTTPResponseError {
            // Hummingbird's own errors (404, 405, 413 from body limits…) become our JSON shape too.
            response = IntakeError.jsonResponse(status: error.status, code: Self.code(for: error.status),
                                                message: error.status.reasonPhrase.lowercased())
        }
        Self.apply(&response.headers, side: side)
        // Tor Browser offers the onion when a page says where it is; only pages need it.
        if let onionLocation, let name = HTTPField.Name("Onion-Location"), request.method == .get, !request.uri.path.hasPrefix("/v1/") {
            response.headers[name] = onionLocation + request.uri.path
        }
        return response
    }

    static func apply(_ headers: inout HTTPFields, side: IntakeSide = .https) {
        // One pass over the answer's own few fields: when none is a security header or a cookie
        // (every answer of ours), the fields are appended; replacing them by name rebuilt the
        // field list once per header, per response (seen in the profile, issue 21).
        let clash = headers.contains { field in field.name == .setCookie || SecurityHeaderFields.names.contains(field.name) }
        let fields = side == .https ? SecurityHeaderFields.all : SecurityHeaderFields.onion
        guard clash else {
            headers.append(contentsOf: fields)
            return
        }
        headers[.setCookie] = nil
        for field in fields { headers[field.name] = field.value }
    }

    static func code(for status: HTTPResponse.Status) -> String {
        switch status.code {
        case 404: return "not_found"
        case 405: return "method_not_allowed"
        case 408: return "request_timeout"
        case 413: return "body_too_large"
        case 415: return "unsupported_media_type"
        case 429: return "too_many_requests"
        case 503: return "unavailable"
        case 400..<500: return "bad_request"
        default: return "server_error"
        }
    }
}

/// Counts each request by method, route *template* and status: no line per request (a log
/// collector would timestamp it), no address, user agent or URI. `IntakeCounters` writes the
/// totals at a coarse fixed interval.
public struct CountingMiddleware<Context: RequestContext>: RouterMiddleware {
    let counters: IntakeCounters

    public init(counters: IntakeCounters) { self.counters = counters }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            let response = try await next(request, context)
            counters.request(method: request.method.rawValue, route: context.endpointPath ?? "unmatched", status: response.status.code)
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status.code ?? 500
            counters.request(method: request.method.rawValue, route: context.endpointPath ?? "unmatched", status: status)
            if let code = (error as? IntakeError)?.code { counters.count("refused." + code) }
            throw error
        }
    }
}

/// Cross-origin access for the offline form (a file opened from the phone, origin `null`) to the
/// routes it uses, and only to them: the API takes and gives only ciphertext, manifests and
/// challenges, so any origin may call it; credentials are never allowed (there are none). The
/// page, the no-JavaScript path and the assets stay same-origin. Hummingbird's own middleware does
/// the CORS work, preflight included; this only chooses where it applies.
public struct OfflineFormCORSMiddleware<Context: RequestContext>: RouterMiddleware {
    let cors: CORSMiddleware<Context>

    public init() {
        var headers: [HTTPField.Name] = [.contentType]
        for name in [HTTPField.Name.resguardoToken, .resguardoProof] { if let name { headers.append(name) } }
        cors = CORSMiddleware(allowOrigin: .all, allowHeaders: headers, allowMethods: [.get, .post, .options], allowCredentials: false, maxAge: .seconds(600))
    }

    static func isAPI(_ path: String) -> Bool {
        if path == "/v1/keys" || path == "/v1/networks" || path == "/v1/challenge" || path == "/v1/reports" { return true }
        if path.hasPrefix("/v1/mailbox/") && path.count > 12 { return true }
        // A network's manifest, for the offline form of a several-network intake (review N10).
        if path.hasPrefix("/v1/networks/") && path.hasSuffix("/keys") { return path.count > "/v1/networks//keys".count }
        return false
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard Self.isAPI(request.uri.path) else { return try await next(request, context) }
        return try await cors.handle(request, context: context, next: next)
    }
}

/// `405 Method Not Allowed` with an `Allow` header for a known path asked with another method
/// (Hummingbird answers 404 for those; the API contract in docs/openapi.yaml says 405). The known
/// routes are the router's own (`KnownRoutes.fill(from:)` once every route is added), never a
/// second table to keep in step.
public struct MethodNotAllowedMiddleware<Context: RequestContext>: RouterMiddleware {
    let known: KnownRoutes

    init(known: KnownRoutes) { self.known = known }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        let table = known.table
        // The common case, a known path with its own method: one hash lookup, no allocation.
        if table.exact[path]?.contains(request.method.rawValue) == true {
            return try await next(request, context)
        }
        let allowed = KnownRoutes.allowed(for: path, in: table.all)
        guard !allowed.isEmpty, !allowed.contains(request.method.rawValue) else { return try await next(request, context) }
        var response = IntakeError.jsonResponse(status: .methodNotAllowed, code: "method_not_allowed",
                                                message: "use \(allowed.joined(separator: ", ")) for \(request.uri.path)")
        response.headers[.allow] = allowed.joined(separator: ", ")
        return response
    }
}

/// The router's routes, as exact paths and, for a route ending in a parameter, a prefix ending in
/// "/" (one more path segment). Written once, after the routes are added; read on every request.
final class KnownRoutes: Sendable {
    struct Route: Sendable {
        let path: String
        let method: String
    }

    /// Every route, and the exact paths' methods by path (a request's own route is found by one
    /// hash lookup: a scan comparing strings showed in the profile, issue 21).
    struct Table: Sendable {
        var all: [Route] = []
        var exact: [String: [String]] = [:]
    }

    private let routes = NIOLockedValueBox(Table())

    var table: Table { routes.withLockedValue { $0 } }

    func fill<Context>(from router: Router<Context>) {
        var table = Table()
        for route in router.routes {
            var path = route.path.description
            // "/v1/mailbox/{id}" → "/v1/mailbox/": any one segment in its place.
            if let brace = path.lastIndex(of: "{"), path[..<brace].hasSuffix("/") { path = String(path[..<brace]) }
            table.all.append(Route(path: path, method: route.method.rawValue))
            if !path.hasSuffix("/") || path == "/" { table.exact[path, default: []].append(route.method.rawValue) }
        }
        routes.withLockedValue { $0 = table }
    }

    static func allowed(for path: String, in routes: [Route]) -> [String] {
        routes.filter { route in
            route.path == path || (route.path.hasSuffix("/") && route.path.count > 1 && path.hasPrefix(route.path) && path.count > route.path.count
                                   && !path.dropFirst(route.path.count).contains("/"))
        }.map(\.method)
    }
}

// Generic types cannot hold static stored properties; these are built once here.
/// The intake's two listeners: HTTPS (TLS 1.3) and the onion side (plain HTTP on loopback or a
/// Unix socket, reached only through the local tor).
public enum IntakeSide: Sendable { case https, onion }

enum SecurityHeaderFields {
    /// Built once: every response carries them. `media-src blob:` lets the voice recorder play
    /// back the recording it holds in memory (a blob: URL is local to the page), nothing more.
    /// `'wasm-unsafe-eval'` lets the page compile the proof of work's WebAssembly, which it
    /// fetches from this origin with its integrity hash; it allows no JavaScript eval.
    static let all: [HTTPField] = {
        var fields = [
            HTTPField(name: .strictTransportSecurity, value: "max-age=63072000; includeSubDomains"),
            HTTPField(name: .contentSecurityPolicy, value: "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; media-src 'self' blob:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"),
            HTTPField(name: .xContentTypeOptions, value: "nosniff"),
            HTTPField(name: .cacheControl, value: "no-store"),
        ]
        // Headers HTTPTypes has no constant for.
        for (name, value) in [("Referrer-Policy", "no-referrer"), ("X-Frame-Options", "DENY")] {
            if let name = HTTPField.Name(name) { fields.append(HTTPField(name: name, value: value)) }
        }
        return fields
    }()
    /// The onion side's: the same without HSTS (see `SecurityHeadersMiddleware.side`).
    static let onion: [HTTPField] = all.filter { $0.name != .strictTransportSecurity }
    static let names: [HTTPField.Name] = all.map(\.name)
}

