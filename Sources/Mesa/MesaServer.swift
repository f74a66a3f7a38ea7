import Casework
import Foundation
import Formats
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Sodium

/// How `resguardo mesa` runs.
public struct MesaConfiguration: Sendable {
    public var workspace: String
    /// The regional office's folder instead of a network's workspace: the office's own desk.
    public var region: String?
    /// Folders to look in for bundles and to write into (acknowledgements, replies, referrals).
    public var usbFolders: [String]
    public var idle: Duration
    /// 0: the kernel chooses (the default; a fixed port is for nothing but a firewall rule).
    public var port: Int

    public init(workspace: String, region: String? = nil, usbFolders: [String], idle: Duration = .seconds(600), port: Int = 0) {
        self.workspace = workspace
        self.region = region
        self.usbFolders = usbFolders
        self.idle = idle
        self.port = port
    }
}

/// The local web server of la mesa. Always 127.0.0.1 (no option to bind elsewhere), plain
/// HTTP (the bytes never leave the laptop's loopback), no log line per request (none at all
/// below `critical`: a log collector would timestamp each).
public enum MesaServer {
    public static let requestBodyLimit = 1 << 20

    /// Runs until SIGINT or SIGTERM; the desk locks on the way out. `onListening` gets the URL
    /// (with the one-time token) once the port is bound.
    public static func run(_ configuration: MesaConfiguration, onListening: @escaping @Sendable (String) -> Void) async throws {
        let gate = try MesaGate()
        let desk: any DeskState, router: Router<BasicRequestContext>
        if let region = configuration.region {
            let office = try RegionDesk(region: region, usbFolders: configuration.usbFolders, idle: configuration.idle)
            desk = office
            router = buildRouter(guarding: office, gate: gate) { RegionScreens(desk: office, gate: gate).register(on: $0) }
        } else {
            let network = try Desk(workspace: configuration.workspace, usbFolders: configuration.usbFolders, idle: configuration.idle)
            desk = network
            router = buildRouter(desk: network, gate: gate)
        }
        let logger = Logger(label: "resguardo.mesa", factory: { _ in SwiftLogNoOpLogHandler() })
        let app = Application(
            router: router,
            configuration: .init(address: .hostname("127.0.0.1", port: configuration.port), serverName: nil),
            services: [IdleLock(desk: desk)],
            onServerRunning: { channel in
                gate.bound(port: channel.localAddress?.port ?? configuration.port)
                onListening(gate.url)
            },
            logger: logger
        )
        // However the server ends, the keys go with it.
        do { try await app.runService() } catch {
            await desk.lock()
            throw error
        }
        await desk.lock()
    }

    /// The router with every screen, behind the guard. Public for the tests' in-process use.
    static func buildRouter(desk: Desk, gate: MesaGate) -> Router<BasicRequestContext> {
        buildRouter(guarding: desk, gate: gate) { Screens(desk: desk, gate: gate).register(on: $0) }
    }

    static func buildRouter(guarding desk: any DeskState, gate: MesaGate, screens: (Router<BasicRequestContext>) -> Void) -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: MesaGuard(gate: gate, desk: desk))
        screens(router)
        return router
    }
}

/// Locks the desk after its idle time even when no request comes (the person walked away).
struct IdleLock: Service {
    let desk: any DeskState

    func run() async throws {
        // Ends with the server (SIGINT/SIGTERM start a graceful shutdown, which does not cancel).
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try await Task.sleep(for: .seconds(5))
                await desk.lockIfIdle()
            }
        }
    }
}

import ServiceLifecycle

/// Every request passes here first (see `MesaGate` for why each check).
struct MesaGuard<Context: RequestContext>: RouterMiddleware {
    let gate: MesaGate
    let desk: any DeskState

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await guarded(request, context: context, next: next)
        Self.secure(&response.headers)
        return response
    }

    func guarded(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        // DNS rebinding: a page on evil.example whose name now resolves to 127.0.0.1 sends
        // `Host: evil.example:PORT`; only the exact loopback address and port are answered.
        guard gate.hostAllowed(request.head.authority) else { return Self.refusal(.misdirectedRequest, "host refused") }
        // A browser that says where a request comes from: only this origin, or a typed URL.
        if let site = request.headers[HTTPField.Name("Sec-Fetch-Site")!], site != "same-origin", site != "none" {
            return Self.refusal(.forbidden, "cross-site request refused")
        }
        let changes = request.method != .get && request.method != .head
        if changes {
            guard request.method == .post else { return Self.refusal(.methodNotAllowed, "method not allowed") }
            guard request.headers[.origin] == gate.origin else { return Self.refusal(.forbidden, "origin refused") }
        }
        let path = request.uri.path
        if path == "/estilo.css" && !changes { return try await next(request, context) }
        if path == "/entrar" && !changes {
            guard let token = request.uri.queryParameters["t"].map(String.init), let session = gate.exchange(token) else {
                return Self.refusal(.forbidden, "this link was already used or is not la mesa's: start `resguardo mesa` again for a new one")
            }
            var response = Response.redirect(to: "/")
            response.setCookie(Cookie(name: MesaGate.cookieName, value: session, path: "/", httpOnly: true, sameSite: .strict))
            return response
        }
        guard gate.isSession(request.cookies[MesaGate.cookieName]?.value) else {
            return Self.refusal(.forbidden, "no session: open la mesa with the link `resguardo mesa` printed")
        }
        var request = request
        if changes {
            let buffer = try await request.body.collect(upTo: MesaServer.requestBodyLimit)
            let form = FormBody(Array(buffer.readableBytesView))
            guard gate.isCSRF(form["csrf"]) else { return Self.refusal(.forbidden, "the form's token is missing or wrong: reload the page") }
            request.body = RequestBody(buffer: buffer)
        }
        await desk.touch()
        return try await next(request, context)
    }

    /// A refusal says why, in plain text (no page: it may be answering an attacker's page), in
    /// Spanish then English: it comes before any session, so there is no page language yet.
    /// (scripts/gen-catalog finds `refusal(.status, "…")` as it finds `L("…")`.)
    static func refusal(_ status: HTTPResponse.Status, _ why: String) -> Response {
        let text = "resguardo mesa: \(L(why, in: .es)) / \(why)\n"
        return Response(status: status, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    /// Nothing loads from elsewhere, nothing runs, nothing is cached, nothing embeds the desk;
    /// a response that set its own policy (the report preview, framed by the desk) keeps it.
    static func secure(_ headers: inout HTTPFields) {
        if headers[.contentSecurityPolicy] == nil {
            headers[.contentSecurityPolicy] = "default-src 'none'; style-src 'self'; img-src 'self' data:; frame-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
            headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
        }
        headers[.cacheControl] = "no-store"
        headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        // same-origin, not no-referrer: under no-referrer a browser sends `Origin: null` with every
        // form, and the origin check needs the real one; other origins still get no referrer.
        headers[HTTPField.Name("Referrer-Policy")!] = "same-origin"
        headers[HTTPField.Name("Cross-Origin-Opener-Policy")!] = "same-origin"
        headers[HTTPField.Name("Cross-Origin-Resource-Policy")!] = "same-origin"
        headers[HTTPField.Name("Permissions-Policy")!] = "camera=(), microphone=(), geolocation=(), usb=()"
    }
}
