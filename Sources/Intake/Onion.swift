import Foundation
public import Hummingbird
import HummingbirdCore
public import Logging
import NIOConcurrencyHelpers
import NIOCore
public import Formats

/// Where the onion side listens: loopback or a Unix socket only. The local tor forwards the
/// onion service's port there (`HiddenServicePort 80 127.0.0.1:PORT`); nothing else may reach
/// it, because it is plain HTTP (Tor's circuit to the client is the encryption and the
/// `.onion` name the authentication).
public enum OnionListen: Sendable, Equatable {
    case tcp(host: String, port: Int)
    case unix(path: String)

    public init(_ text: String) throws(ConfigurationError) {
        if text.hasPrefix("unix:") {
            let path = String(text.dropFirst(5))
            guard path.hasPrefix("/") else { throw .invalid("onion.listen", L("a Unix socket needs an absolute path (unix:/run/resguardo/onion.sock)")) }
            self = .unix(path: path)
            return
        }
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else {
            throw .invalid("onion.listen", L("`{text}` is not HOST:PORT or unix:/path", ["text": "\(text)"]))
        }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard host == "127.0.0.1" || host == "::1" || host == "localhost" else {
            throw .invalid("onion.listen", L("the onion side is plain HTTP and must listen on loopback (127.0.0.1 or ::1), not {host}", ["host": "\(host)"]))
        }
        self = .tcp(host: host, port: port)
    }

    var address: BindAddress {
        switch self {
        case .tcp(let host, let port): return .hostname(host, port: port)
        case .unix(let path): return .unixDomainSocket(path: path)
        }
    }
}

/// A v3 onion name: 56 base32 characters and `.onion`.
enum OnionName {
    static func isValid(_ name: String) -> Bool {
        guard name.hasSuffix(".onion") else { return false }
        let label = name.dropLast(6)
        return label.count == 56 && label.allSatisfy { ("a"..."z").contains($0) || ("2"..."7").contains($0) }
    }

    /// `onion.address`, or the hostname file tor wrote.
    static func resolve(_ configuration: IntakeConfiguration) throws(ConfigurationError) -> String? {
        var name = configuration.onionAddress
        if name.isEmpty, !configuration.onionHostnameFile.isEmpty {
            guard let data = FileManager.default.contents(atPath: configuration.onionHostnameFile) else {
                throw .missingFile(L("tor's onion hostname file {onion_hostname_file}", ["onion_hostname_file": "\(configuration.onionHostnameFile)"]), hint: L("start tor first (scripts/onion), or set onion.address"))
            }
            name = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        guard !name.isEmpty else { return nil }
        guard isValid(name) else { throw .invalid("onion.address", L("`{name}` is not a v3 onion name (56 base32 characters and .onion)", ["name": "\(name)"])) }
        return name
    }
}

/// Whether tor is publishing the onion's descriptor: a connection to tor's control port
/// (cookie authentication) that asks whether tor holds a descriptor for the service and listens
/// for `HS_DESC UPLOADED` events. Onions that silently stop publishing are a known failure; this
/// makes it visible in `/healthz` on the onion side and, when no upload was seen for three hours,
/// in the counters' failures (the first one logged at once).
public final class OnionDescriptorMonitor: Sendable {
    struct State {
        var controlReachable = false
        var descriptorHeld = false
        var lastUpload: Date?
        var started = Date()
    }

    let endpoint: OnionListen
    let cookiePath: String
    let serviceId: String
    let counters: IntakeCounters
    private let state = NIOLockedValueBox(State())
    static let staleAfter: TimeInterval = 3 * 3600

    public init(control: String, cookie: String, onionName: String, counters: IntakeCounters) throws(ConfigurationError) {
        endpoint = try Self.controlEndpoint(control)
        cookiePath = cookie
        serviceId = String(onionName.dropLast(6))
        self.counters = counters
    }

    /// tor's control port: a Unix socket, or TCP on loopback only (review N12: the cookie, or
    /// the filter's commands, must never cross a network in clear).
    static func controlEndpoint(_ control: String) throws(ConfigurationError) -> OnionListen {
        if control.hasPrefix("unix:") {
            let path = String(control.dropFirst(5))
            guard path.hasPrefix("/") else { throw .invalid("onion.control", L("a Unix socket needs an absolute path (unix:/run/tor/control)")) }
            return .unix(path: path)
        }
        guard let colon = control.lastIndex(of: ":"), let port = Int(control[control.index(after: colon)...]), (1...65535).contains(port) else {
            throw .invalid("onion.control", L("`{control}` is not 127.0.0.1:PORT or unix:/path", ["control": "\(control)"]))
        }
        let host = String(control[..<colon])
        var address = in_addr()
        guard host == "localhost" || (inet_pton(AF_INET, host, &address) == 1 && UInt32(bigEndian: address.s_addr) >> 24 == 127) else {
            throw .invalid("onion.control", L("`{host}` is not loopback: tor's control port must be on 127.0.0.1 or a Unix socket (its cookie would cross the network in clear)", ["host": "\(host)"]))
        }
        return .tcp(host: host, port: port)
    }

    /// What `/healthz` on the onion side says.
    var status: JSONValue {
        let s = state.withLockedValue { $0 }
        var members: [(String, JSONValue)] = [("control_port", .string(s.controlReachable ? "reachable" : "unreachable")),
                                              ("descriptor_held", .bool(s.descriptorHeld))]
        if let last = s.lastUpload {
            members.append(("uploaded_minutes_ago", .int(Int(Date().timeIntervalSince(last) / 60))))
        } else {
            members.append(("uploaded_minutes_ago", .null))
        }
        return .object(members)
    }

    /// Runs on its own thread for the process's life: reconnects every 30 s when tor is away.
    public func start() {
        let thread = Thread { [self] in
            while true {
                watchOnce()
                state.withLockedValue { $0.controlReachable = false }
                checkStale()
                Thread.sleep(forTimeInterval: 30)
            }
        }
        thread.name = "onion-monitor"
        thread.start()
    }

    func checkStale() {
        let s = state.withLockedValue { $0 }
        let since = s.lastUpload ?? s.started
        if Date().timeIntervalSince(since) > Self.staleAfter { counters.failed("onion_descriptor_not_uploaded") }
    }

    /// One control connection: authenticate, ask, subscribe, then read events until it closes.
    func watchOnce() {
        // Through the filter (OnionControlFilter) there is no cookie: it authenticated to tor itself.
        let cookie: Data? = cookiePath.isEmpty ? Data() : FileManager.default.contents(atPath: cookiePath)
        guard let cookie, let connection = ControlConnection(endpoint) else { return }
        defer { connection.close() }
        connection.send(cookie.isEmpty ? "AUTHENTICATE\r\n" : "AUTHENTICATE \(Encoding.hex(Array(cookie)))\r\n")
        guard connection.readLine()?.hasPrefix("250") == true else { counters.failed("onion_control_auth"); return }
        state.withLockedValue { $0.controlReachable = true }
        connection.send("GETINFO hs/service/desc/id/\(serviceId)\r\n")
        var held = false
        while let line = connection.readLine() {
            if line.hasPrefix("250+") || line.hasPrefix("250-hs/") { held = true }
            if line == "250 OK" || line.hasPrefix("5") { break }
        }
        state.withLockedValue { $0.descriptorHeld = held }
        connection.send("SETEVENTS HS_DESC\r\n")
        guard connection.readLine()?.hasPrefix("250") == true else { return }
        while let line = connection.readLine() {
            // 650 HS_DESC UPLOADED <service id> <auth> <hsdir> …
            let parts = line.split(separator: " ")
            if parts.count >= 4, parts[0] == "650", parts[1] == "HS_DESC", parts[2] == "UPLOADED", parts[3] == serviceId {
                state.withLockedValue { $0.lastUpload = Date(); $0.descriptorHeld = true }
            }
            checkStale()
        }
    }
}

/// A blocking line-oriented socket to tor's control port (loopback or Unix socket).
final class ControlConnection: @unchecked Sendable {
    let fd: Int32
    var buffer: [UInt8] = []

    /// A connection accepted by the filter.
    init(fd: Int32) { self.fd = fd }

    init?(_ endpoint: OnionListen) {
        switch endpoint {
        case .unix(let path):
            fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { return nil }
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            let bytes = Array(path.utf8)
            guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { Glibc.close(fd); return nil }
            withUnsafeMutableBytes(of: &address.sun_path) { raw in for (i, b) in bytes.enumerated() { raw[i] = b } }
            let ok = withUnsafePointer(to: &address) { p in
                p.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
            guard ok == 0 else { Glibc.close(fd); return nil }
        case .tcp(let host, let port):
            fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { return nil }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            guard inet_pton(AF_INET, host == "localhost" ? "127.0.0.1" : host, &address.sin_addr) == 1 else { Glibc.close(fd); return nil }
            let ok = withUnsafePointer(to: &address) { p in
                p.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard ok == 0 else { Glibc.close(fd); return nil }
        }
    }

    func send(_ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
    }

    func readLine(maxBytes: Int = 1 << 20) -> String? {
        while true {
            if let newline = buffer.firstIndex(of: 0x0A) {
                var line = Array(buffer[..<newline])
                buffer.removeSubrange(...newline)
                if line.last == 0x0D { line.removeLast() }
                return String(decoding: line, as: UTF8.self)
            }
            // tor's lines are short; a line this long is not tor's, and is not buffered without end.
            guard buffer.count < maxBytes else { return nil }
            var chunk = [UInt8](repeating: 0, count: 4096)
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { return nil }
            buffer += chunk[0..<n]
        }
    }

    func close() { Glibc.close(fd) }

    /// Ends both directions without closing the descriptor (another thread may be reading it).
    func shutdown() { _ = Glibc.shutdown(fd, Int32(SHUT_RDWR)) }
}

/// The onion side: the same routes, limits, proof of work and vaults as the HTTPS side, on plain
/// HTTP (no HSTS, no Onion-Location).
public func buildOnionApplication(_ deps: IntakeDependencies, listen: OnionListen, logger: Logger,
                                  onListening: @escaping @Sendable (String) async -> Void = { _ in }) -> some ApplicationProtocol {
    let configuration = deps.configuration
    let header = TimeAmount.seconds(Int64(configuration.headerTimeoutSeconds))
    let body = TimeAmount.seconds(Int64(configuration.bodyTimeoutSeconds))
    let http1 = HTTP1Channel.Configuration(
        additionalChannelHandlers: [ConnectionGuard(counter: deps.connections, headerTimeout: header, bodyTimeout: body)],
        idleTimeout: .seconds(Int64(configuration.idleTimeoutSeconds))
    )
    return Application(
        router: buildRouter(deps, side: .onion),
        server: OnionHTTP1Channel.builder(configuration: http1, circuits: configuration.onionCircuitIds == "haproxy" ? OnionCircuits() : nil,
                                          counters: deps.counters),
        configuration: .init(address: listen.address, serverName: nil),
        onServerRunning: { channel in
            switch listen {
            case .unix(let path): await onListening("unix:" + path)
            case .tcp(let host, _): await onListening("http://\(host):\(channel.localAddress?.port ?? 0)")
            }
        },
        logger: logger
    )
}

/// The onion's detail (whether tor holds the descriptor, minutes since the last upload) for the
/// operator, on a Unix socket only (`onion.status_socket`): answered through the onion it told
/// anyone when the service last published, and whether its tor is reachable (review N16).
/// The socket is made owner-only once bound; a stale one from an earlier run is removed first.
func buildOnionStatusApplication(path: String, monitor: OnionDescriptorMonitor?, logger: Logger) -> some ApplicationProtocol {
    let router = Router()
    router.get("/healthz") { _, _ in
        jsonResponse(.object([("status", .string("ok")), ("side", .string("onion")),
                              ("onion", monitor?.status ?? .string("not monitored (set onion.control)"))]))
    }
    var info = stat()
    if lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFSOCK { unlink(path) }
    return Application(router: router, configuration: .init(address: .unixDomainSocket(path: path), serverName: nil),
                       onServerRunning: { _ in chmod(path, 0o600) }, logger: logger)
}
