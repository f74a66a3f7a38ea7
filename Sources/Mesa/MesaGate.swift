import Formats
import Sodium
import Synchronization

/// Who may talk to la mesa (DESIGN.md §13). The server listens on 127.0.0.1 only, but any page
/// the laptop's browser opens — another origin, a rebinding DNS name, a local file — can send
/// requests there. So: one random token in the URL `resguardo mesa` prints, good once, becomes
/// one random session cookie (`HttpOnly`, `SameSite=Strict`); every request must name the
/// server exactly in `Host` (a rebinding name does not); every change must come from its own
/// origin (`Origin`, and `Sec-Fetch-Site` when the browser sends it) and carry the session's
/// CSRF token. Every comparison of a secret is constant-time.
public final class MesaGate: Sendable {
    static let cookieName = "resguardo_mesa"

    struct State {
        /// Nil once exchanged: the URL is good once (a second use, e.g. from the browser's
        /// history or a shoulder-surfed terminal, is refused).
        var token: [UInt8]?
        var session: [UInt8]?
        let csrf: [UInt8]
    }

    private let state: Mutex<State>
    private let boundPort = Atomic<Int>(0)
    /// The token, hex, for the one line that prints the URL.
    public let token: String
    let csrfHex: String

    public init() throws {
        let token = try Random.bytes(count: 32), csrf = try Random.bytes(count: 32)
        self.token = Encoding.hex(token)
        csrfHex = Encoding.hex(csrf)
        state = Mutex(State(token: token, session: nil, csrf: csrf))
    }

    /// Set once the listener is bound (the port is the kernel's choice); until then every
    /// request is refused, since none can name the server.
    func bound(port: Int) { boundPort.store(port, ordering: .releasing) }
    public var port: Int { boundPort.load(ordering: .acquiring) }

    /// The only origin la mesa answers changes from.
    var origin: String { "http://127.0.0.1:\(port)" }
    public var url: String { "\(origin)/entrar?t=\(token)" }

    /// `Host` names this server exactly: not `localhost`, not a rebinding name, not another port.
    func hostAllowed(_ authority: String?) -> Bool {
        port > 0 && authority == "127.0.0.1:\(port)"
    }

    /// Exchanges the URL's token for the session cookie's value, once.
    func exchange(_ presented: String) -> String? {
        guard let bytes = Encoding.bytes(fromHex: presented) else { return nil }
        let fresh: [UInt8]
        do { fresh = try Random.bytes(count: 32) } catch { return nil }
        return state.withLock { s -> String? in
            guard let token = s.token, ConstantTime.equals(token, bytes) else { return nil }
            s.token = nil
            s.session = fresh
            return Encoding.hex(fresh)
        }
    }

    func isSession(_ cookie: String?) -> Bool {
        guard let cookie, let bytes = Encoding.bytes(fromHex: cookie) else { return false }
        return state.withLock { s in s.session.map { ConstantTime.equals($0, bytes) } ?? false }
    }

    func isCSRF(_ presented: String?) -> Bool {
        guard let presented, let bytes = Encoding.bytes(fromHex: presented) else { return false }
        return state.withLock { s in ConstantTime.equals(s.csrf, bytes) }
    }
}
