import Foundation
import Hummingbird
import HTTPTypes
import NIOConcurrencyHelpers
import NIOCore
import Formats
import Sodium
import Vault

/// `POST /v1/reports/form`: the no-JavaScript path (Tor Browser "Safest"). The plain HTML form
/// arrives over TLS; the intake builds the Report, validates it, pads and seals it **in memory**
/// to the organisation's current key, and stores the envelope flagged "sealed by the intake".
/// The plaintext is never written to disk or logged; it lives in this process only for the
/// length of the request (threat-model.md says what that costs). Answers are HTML pages, in the
/// language the form was shown in. A refused submission comes back as the same form, filled in,
/// with the problems listed, so nothing the defender typed is lost.
struct FormSubmission: Sendable {
    let deps: IntakeDependencies
    let side: IntakeSide
    /// This side's pool: the HTTPS and onion sides have one each (review N13).
    let limiter: RateLimiter
    /// The onion side's per-circuit budget, when tor tells the circuits (`onion.circuit_ids`).
    let circuits: CircuitBudget?

    /// The form has no files and a description of at most 20,000 characters; percent-encoding
    /// can triple UTF-8, so this leaves room for every field at its longest.
    static let maxBodyBytes = 256 * 1024

    init(deps: IntakeDependencies, side: IntakeSide = .https) {
        self.deps = deps
        self.side = side
        let configuration = deps.configuration
        switch side {
        case .https:
            limiter = RateLimiter(perMinute: configuration.formSubmissionsPerMinute)
            circuits = nil
        case .onion:
            limiter = RateLimiter(perMinute: configuration.onionFormSubmissionsPerMinute)
            circuits = configuration.onionCircuitIds == "haproxy" ? CircuitBudget(perWindow: configuration.onionFormPerCircuit) : nil
        }
    }

    private var sideName: String { side == .onion ? "onion" : "https" }

    /// Every answer on this path closes the connection: the buffers NIO kept for it held the
    /// report in the clear, and closing frees them (and the allocator wipes what is freed)
    /// instead of keeping them for the next request of a keep-alive connection.
    func submit(_ request: Request, context: BasicRequestContext) async throws -> Response {
        var response = try await answer(request)
        response.headers[.connection] = "close"
        return response
    }

    private func answer(_ request: Request) async throws -> Response {
        var page = deps.page(language: "es")
        func refuse(_ status: HTTPResponse.Status, _ title: String, _ message: String, retryAfter: Int? = nil) -> Response {
            htmlResponse(page.failure(title: title, message: message), status: status, retryAfterSeconds: retryAfter)
        }
        // Only accepted submissions spend the budget: refused garbage (422, nothing stored) must
        // not lock every Tor Browser user out.
        switch limiter.take() {
        case .granted: break
        case .refused(let burstBegan):
            // A burst is counted once, when the pool first runs dry (no line per request);
            // every refusal is counted too, so the totals say how long it lasted.
            if burstBegan { deps.counters.count("form.burst_\(sideName)") }
            deps.counters.count("refused.form_pool_\(sideName)")
            var message = page.st("El servidor recibe muchas denuncias sin JavaScript a la vez. Su denuncia NO fue recibida: vuelva atrás (sus respuestas siguen en el formulario) e intente de nuevo en un minuto.")
            // The onion side has a pool of its own, and tor's own proof of work, which Tor
            // Browser does without JavaScript: during a flood here, it is the way in.
            if side == .https, let onion = deps.onionName {
                message += " " + page.st("En Tor Browser también puede usar la dirección .onion:") + " http://" + escape(onion) + "/"
            }
            return refuse(.tooManyRequests, page.t("Demasiadas denuncias en este momento"), message, retryAfter: 60)
        }
        let circuit = request.headers[OnionCircuit.header].flatMap(UInt32.init).map(OnionCircuit.init(id:))
        if side == .onion, let budget = circuits {
            // Set by the onion side from tor's circuit line, or the connection was closed.
            guard let circuit, budget.allows(circuit) else {
                deps.counters.count("refused.form_circuit")
                return refuse(.tooManyRequests, page.t("Demasiadas denuncias en este momento"),
                              page.st("Desde esta conexión de Tor ya llegaron varias denuncias sin JavaScript. Su denuncia NO fue recibida: en Tor Browser pida un circuito nuevo para este sitio (menú ≡, «Nuevo circuito de Tor para este sitio»), vuelva atrás (sus respuestas siguen en el formulario) y envíela de nuevo."),
                              retryAfter: 60)
            }
        }
        guard let contentType = request.headers[.contentType], MediaType.isType(contentType, "application/x-www-form-urlencoded") else {
            return refuse(.unsupportedMediaType, page.t("Formato no admitido"),
                          page.st("Esta dirección solo recibe el formulario de la página principal."))
        }
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: Self.maxBodyBytes)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            return refuse(.contentTooLarge, page.t("Denuncia demasiado larga"),
                          page.st("El formulario enviado es más grande de lo permitido. Su denuncia NO fue recibida."))
        }
        // The body holds the report in the clear: decoded, it is overwritten in place. (Freed
        // memory is wiped by the allocator too, `ProcessHardening.protectPlaintextMemory`;
        // this covers the window until then and storage NIO may still hold.)
        defer { Self.wipe(body) }
        guard let values = Self.decode(body.readableBytesView) else {
            return refuse(.badRequest, page.t("Formulario dañado"),
                          page.st("El formulario llegó dañado. Su denuncia NO fue recibida: vuelva atrás e intente de nuevo."))
        }
        page = deps.page(language: values.first("lang") ?? values.first("language") ?? "es")

        var report: Report
        switch FormReport.build(values, language: page.language, today: .today()) {
        case .problems(let problems):
            return htmlResponse(page.form(values: values, problems: problems.map { $0.render(page) }), status: .unprocessableContent)
        case .report(let built):
            report = built
        }
        // The country the defender chose names the network; the form offers only served ones.
        guard let network = deps.networks.network(forCountry: report.country) else {
            return htmlResponse(page.form(values: values, problems: [page.st("Ninguna red de este servidor recibe denuncias de ese país: elija otro país o busque la red de su país.")]),
                                status: .unprocessableContent)
        }
        guard let key = network.manifest.currentEncryptionKey(on: .today()) else {
            deps.counters.failed("no_current_key")
            return htmlResponse(page.form(values: values, problems: [page.st("El servidor no tiene una llave vigente: su denuncia NO fue recibida. Avise a la red por otro medio.")]),
                                status: .serviceUnavailable, retryAfterSeconds: 300)
        }
        var flags: Envelope.Flags = [.sealedByIntake]
        if report.urgent { flags.insert(.urgent) }
        let envelope: Envelope
        do {
            var plaintext = report.jsonBytes()
            defer { Self.wipe(&plaintext) }
            report = Report(language: report.language, country: "", description: "")
            envelope = try Envelope.seal(report: plaintext, to: key.publicKey, flags: flags)
        } catch {
            deps.counters.count("refused.form_" + error.code)
            return htmlResponse(page.form(values: values, problems: [page.t("La denuncia es demasiado grande para sellarla.")]),
                                status: .contentTooLarge)
        }
        let id: SubmissionId
        do { id = try await network.acceptance.accept(envelope) } catch {
            if case .outcomeUnknown = error {
                // The intake sealed this envelope with a fresh ephemeral key: sent again, the form
                // makes another envelope, so here a resend may store the report twice (staff see
                // both); that is said, and better than a report lost.
                let message = page.st("El servidor no pudo confirmar si guardó su denuncia: puede que SÍ haya llegado. Si la envía de nuevo, la red podría recibirla dos veces; es mejor eso que perderla.")
                return htmlResponse(page.form(values: values, problems: [message]), status: .serviceUnavailable, retryAfterSeconds: 30)
            }
            let temporary: Bool
            if case .notStored(_, let t) = error { temporary = t } else { temporary = false }
            let message = page.st("El servidor no pudo guardar su denuncia ahora: NO fue recibida. Sus respuestas siguen aquí; intente enviarla de nuevo en unos minutos.")
            return htmlResponse(page.form(values: values, problems: [message]), status: temporary ? .serviceUnavailable : .internalServerError,
                                retryAfterSeconds: temporary ? 30 : nil)
        }
        limiter.spend()
        if side == .onion, let circuit { circuits?.spend(circuit) }
        return htmlResponse(page.receipt(id.receipt, urgent: flags.contains(.urgent)), status: .created)
    }

    /// `application/x-www-form-urlencoded`: `+` is a space, `%XX` a byte; the result must be UTF-8.
    static func decode(_ bytes: some Collection<UInt8>) -> FormValues? {
        var values = FormValues()
        for pair in bytes.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            let parts = pair.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = percentDecode(parts[0]) else { return nil }
            guard let value = parts.count > 1 ? percentDecode(parts[1]) : "" else { return nil }
            values.fields.append((name, value))
        }
        return values
    }

    static func percentDecode(_ bytes: some Collection<UInt8>) -> String? {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = bytes.startIndex
        func hexValue(_ b: UInt8) -> UInt8? {
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return b - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return b - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): return b - UInt8(ascii: "A") + 10
            default: return nil
            }
        }
        while i != bytes.endIndex {
            let b = bytes[i]
            if b == UInt8(ascii: "+") {
                out.append(UInt8(ascii: " "))
            } else if b == UInt8(ascii: "%") {
                let h = bytes.index(after: i)
                guard h != bytes.endIndex else { return nil }
                let l = bytes.index(after: h)
                guard l != bytes.endIndex, let high = hexValue(bytes[h]), let low = hexValue(bytes[l]) else { return nil }
                out.append(high << 4 | low)
                i = l
            } else {
                out.append(b)
            }
            i = bytes.index(after: i)
        }
        defer { wipe(&out) }
        return String(validating: out, as: UTF8.self)
    }

    /// Overwrites the body's bytes where they are, even when the storage is shared with the
    /// buffer NIO decoded the request into (the request's bytes were consumed, so nobody reads
    /// them again); a copy-on-write mutation would zero a fresh copy and leave the original.
    static func wipe(_ buffer: ByteBuffer) {
        buffer.withUnsafeReadableBytes { raw in
            if let base = raw.baseAddress { memset(UnsafeMutableRawPointer(mutating: base), 0, raw.count) }
        }
    }

    /// Best effort: Swift may have copied the bytes, but the buffer we own is not left behind.
    static func wipe(_ bytes: inout [UInt8]) {
        bytes.withUnsafeMutableBytes { raw in
            if let base = raw.baseAddress { memset(base, 0, raw.count) }
        }
    }
}

/// A process-wide token bucket: the no-JavaScript path costs the intake a sealing per report
/// and cannot ask for a proof of work, so its rate is capped for all clients together (no
/// per-client state: that would mean keeping addresses).
final class RateLimiter: Sendable {
    private struct State { var tokens: Double; var last: Date; var dry = false }
    private let state: NIOLockedValueBox<State>
    private let perSecond: Double
    private let capacity: Double

    init(perMinute: Int) {
        capacity = Double(perMinute)
        perSecond = Double(perMinute) / 60
        state = NIOLockedValueBox(State(tokens: Double(perMinute), last: Date()))
    }

    enum Decision: Equatable {
        case granted
        /// `burstBegan`: the first refusal since the pool last had a token (review N13: bursts
        /// are detected and counted once each, whatever their length).
        case refused(burstBegan: Bool)
    }

    /// Whether a submission may be attempted now.
    func take(now: Date = Date()) -> Decision {
        state.withLockedValue { s in
            refill(&s, now)
            if s.tokens >= 1 {
                s.dry = false
                return .granted
            }
            defer { s.dry = true }
            return .refused(burstBegan: !s.dry)
        }
    }

    /// Spends one token for an accepted submission. Requests checked at the same moment may
    /// overdraw by the number in flight; the debt is repaid before the next one is let in.
    func spend(now: Date = Date()) {
        state.withLockedValue { s in
            refill(&s, now)
            s.tokens -= 1
        }
    }

    private func refill(_ s: inout State, _ now: Date) {
        s.tokens = min(capacity, s.tokens + max(0, now.timeIntervalSince(s.last)) * perSecond)
        s.last = now
    }
}

func htmlResponse(_ html: String, status: HTTPResponse.Status = .ok, language: String? = nil, retryAfterSeconds: Int? = nil) -> Response {
    var headers: HTTPFields = [.contentType: "text/html; charset=utf-8"]
    if let retryAfterSeconds { headers[.retryAfter] = String(retryAfterSeconds) }
    if let language { headers[.contentLanguage] = language }
    return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
}
