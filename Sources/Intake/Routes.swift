import Hummingbird
import NIOCore
import Formats
import Vault

/// The routes of DESIGN.md §3a, one `RouteCollection` per concern; `buildRouter` adds them after
/// the middleware, which therefore applies to every one of them.
struct KeysAndMailboxRoutes {
    let deps: IntakeDependencies

    var routes: RouteCollection<BasicRequestContext> {
        let routes = RouteCollection(context: BasicRequestContext.self)
        let deps = deps
        // The same answer on both sides: whether tor holds the descriptor, and since when, is
        // for the operator's status socket only (review N16), not for whoever reaches the onion.
        routes.get("/healthz") { _, _ in jsonResponse(.object([("status", .string("ok"))])) }
        // One network: its manifest, as always. Several: each at its own path, so a client can
        // never take one network's manifest for another's (it pins each network's fingerprint).
        routes.get("/v1/keys") { _, _ in
            guard deps.networks.isSingle, let only = deps.networks.all.first else {
                throw IntakeError(.notFound, "several_networks", "this intake serves several networks: GET /v1/networks, then /v1/networks/{id}/keys")
            }
            return manifestResponse(only)
        }
        routes.get("/v1/networks") { _, _ in
            jsonResponse(.object([("networks", .array(deps.networks.all.map { n in
                .object([("id", .string(n.id.text)), ("name", .string(n.name)), ("countries", .array(n.countries.map(JSONValue.string)))])
            }))]))
        }
        routes.get("/v1/networks/{id}/keys") { _, context in
            guard let text = context.parameters.get("id"), let id = NetworkId(text), let network = deps.networks.network(id: id) else {
                throw IntakeError(.notFound, "network_unknown", "no such network (GET /v1/networks lists them)")
            }
            return manifestResponse(network)
        }
        routes.get("/v1/challenge") { _, _ in
            let challenge = try deps.proofOfWork.challenge()
            return jsonResponse(.object([("token", .string(challenge.token)), ("difficulty", .int(challenge.difficulty))]))
        }
        // The same shape whether or not the mailbox exists: an empty list tells nobody anything.
        routes.get("/v1/mailbox/{id}") { _, context in
            guard let text = context.parameters.get("id"), let id = MailboxId(hex: text) else {
                throw IntakeError(.badRequest, "mailbox_malformed", "a mailbox id is 32 lowercase hex digits")
            }
            // A mailbox id is random and names no network: every network's vault is asked.
            var replies: [[UInt8]] = []
            do throws(VaultError) { for network in deps.networks.all { replies += try await network.store.replies(for: id) } } catch {
                throw IntakeError(.serviceUnavailable, error.errorClass, "replies cannot be read right now; try again later", retryAfterSeconds: 30)
            }
            return jsonResponse(.object([("replies", .array(replies.map { .string(Encoding.base64($0)) }))]))
        }
        return routes
    }
}

func manifestResponse(_ network: IntakeNetwork) -> Response {
    Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: network.manifestJSON)))
}

/// The two ways a report arrives: an envelope sealed on the device, and the no-JavaScript form.
struct SubmissionRoutes {
    let reports: ReportsController
    let form: FormSubmission

    var routes: RouteCollection<BasicRequestContext> {
        let routes = RouteCollection(context: BasicRequestContext.self)
        let (reports, form) = (reports, form)
        routes.post("/v1/reports") { request, context in try await reports.submit(request, context: context) }
        routes.post("/v1/reports/form") { request, context in try await form.submit(request, context: context) }
        return routes
    }
}

/// The page and its files.
struct PageRoutes {
    let deps: IntakeDependencies

    var routes: RouteCollection<BasicRequestContext> {
        let routes = RouteCollection(context: BasicRequestContext.self)
        let deps = deps
        routes.get("/") { request, _ in
            let language = deps.catalogs.choose(query: request.uri.query, acceptLanguage: request.headers[.acceptLanguage])
            return htmlResponse(deps.page(language: language).form(), language: language)
        }
        // Browsers ask for it on every visit; an empty answer keeps the console clean.
        routes.get("/favicon.ico") { _, _ in Response(status: .noContent) }
        routes.get("/assets/{name}") { request, context in
            guard let name = context.parameters.get("name"), let asset = deps.assets.byName[name] else {
                throw IntakeError(.notFound, "not_found", "no such asset")
            }
            // Gzipped for a client that takes it (every browser): a third of the bytes.
            if let packed = asset.gzipped, let accepted = request.headers[.acceptEncoding], AcceptEncoding.allowsGzip(accepted) {
                return Response(status: .ok, headers: [.contentType: asset.contentType, .contentEncoding: "gzip", .vary: "Accept-Encoding"],
                                body: .init(byteBuffer: ByteBuffer(bytes: packed)))
            }
            return Response(status: .ok, headers: [.contentType: asset.contentType, .vary: "Accept-Encoding"], body: .init(byteBuffer: ByteBuffer(bytes: asset.bytes)))
        }
        return routes
    }
}

/// `Accept-Encoding` as far as gzip goes: listed (or `*`) and not refused with `q=0`.
enum AcceptEncoding {
    static func allowsGzip(_ header: String) -> Bool {
        for part in header.split(separator: ",") {
            let fields = part.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            guard let coding = fields.first, coding == "gzip" || coding == "x-gzip" || coding == "*" else { continue }
            // An unreadable weight counts as the default, 1.
            let weight = fields.dropFirst().first { $0.hasPrefix("q=") }.flatMap { Double($0.dropFirst(2)) } ?? 1
            if weight > 0 { return true }
        }
        return false
    }
}
