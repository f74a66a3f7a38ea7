import Hummingbird
import HummingbirdCore
import HTTPTypes
import Logging
import NIOConcurrencyHelpers
import NIOCore
import Synchronization
import Formats

/// The rendezvous circuit a request came on, as tor tells the onion side when its torrc says
/// `HiddenServiceExportCircuitID haproxy` (review N13): a PROXY protocol v1 line before the
/// first byte of HTTP, `PROXY TCP6 fc00:dead:beef:4dad::HHHH:LLLL ::1 SPORT VPORT`, whose
/// source address ends in the circuit's 32-bit global id.
///
/// Why: the no-JavaScript form cannot ask the browser for a proof of work, but on the onion
/// side tor asks Tor Browser for one itself (`HiddenServicePoWDefensesEnabled`), for every new
/// circuit, when introductions flood. A circuit carries any number of streams, though, so the
/// intake gives each circuit a small no-JavaScript budget: a flood of valid junk then needs a
/// new circuit every few reports, and each new circuit is what tor's proof of work prices.
///
/// The id is tor's own counter for the circuit on this host, not an address: it names no
/// client, changes with every new circuit, and is held in memory only (`CircuitBudget`), for
/// at most its window. It is never logged or written.
public struct OnionCircuit: Hashable, Sendable, CustomStringConvertible {
    public let id: UInt32

    public var description: String { String(id) }

    /// The longest PROXY v1 line (the protocol's own bound, CRLF included).
    static let maxLineBytes = 107
    static let prefix = "fc00:dead:beef:4dad::"

    /// Parses the line without its CRLF; every way it can be wrong has its own reason.
    public static func parse(proxyLine line: some Collection<UInt8>) throws(OnionCircuitError) -> OnionCircuit {
        guard line.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }), let text = String(validating: line, as: UTF8.self) else {
            throw .notText
        }
        let fields = text.split(separator: " ", omittingEmptySubsequences: false)
        guard fields.count == 6, fields[0] == "PROXY" else { throw .notProxyLine }
        guard fields[1] == "TCP6" else { throw .notTorCircuit("protocol \(fields[1])") }
        let source = fields[2]
        guard source.hasPrefix(prefix) else { throw .notTorCircuit("source \(source)") }
        let halves = source.dropFirst(prefix.count).split(separator: ":", omittingEmptySubsequences: false)
        guard halves.count == 2, let high = hexGroup(halves[0]), let low = hexGroup(halves[1]) else {
            throw .notTorCircuit("source \(source)")
        }
        for port in fields[4...5] {
            guard let n = UInt16(port), String(n) == port else { throw .badPort(String(port)) }
        }
        return OnionCircuit(id: UInt32(high) << 16 | UInt32(low))
    }

    private static func hexGroup(_ s: Substring) -> UInt16? {
        guard (1...4).contains(s.count), s.allSatisfy(\.isHexDigit) else { return nil }
        return UInt16(s, radix: 16)
    }

    /// The header the onion side stamps on each request with its circuit (any the client sent
    /// is removed first), read by the no-JavaScript form path.
    static let header = HTTPField.Name("Resguardo-Onion-Circuit")!
}

public enum OnionCircuitError: Error, Equatable, CustomStringConvertible {
    case notText
    case notProxyLine
    case notTorCircuit(String)
    case badPort(String)
    case tooLong

    public var description: String {
        switch self {
        case .notText: return L("the connection did not start with tor's circuit line (it holds bytes that are not printable ASCII)")
        case .notProxyLine: return L("the connection did not start with tor's circuit line (PROXY TCP6 …): is HiddenServiceExportCircuitID haproxy set in the torrc?")
        case .notTorCircuit(let what): return L("the PROXY line is not one of tor's circuit lines ({what})", ["what": what])
        case .badPort(let port): return L("the PROXY line has a port that is not a number from 0 to 65535: {port}", ["port": port])
        case .tooLong: return L("the connection sent more than 107 bytes without ending tor's circuit line")
        }
    }

    var errorClass: String {
        switch self {
        case .notText: return "onion_circuit_not_text"
        case .notProxyLine: return "onion_circuit_missing"
        case .notTorCircuit: return "onion_circuit_not_tor"
        case .badPort: return "onion_circuit_bad_port"
        case .tooLong: return "onion_circuit_too_long"
        }
    }
}

/// Which circuit each open onion-side connection came on, from its first line to its close.
final class OnionCircuits: Sendable {
    private let byConnection = Mutex<[ObjectIdentifier: OnionCircuit]>([:])

    func set(_ circuit: OnionCircuit, for channel: any Channel) { byConnection.withLock { $0[ObjectIdentifier(channel)] = circuit } }
    func remove(_ channel: any Channel) { _ = byConnection.withLock { $0.removeValue(forKey: ObjectIdentifier(channel)) } }
    func circuit(of channel: any Channel) -> OnionCircuit? { byConnection.withLock { $0[ObjectIdentifier(channel)] } }
    var openConnections: Int { byConnection.withLock { $0.count } }
}

/// First in the onion side's pipeline: reads tor's circuit line, then passes every byte on.
/// A connection without a well-formed line is closed before any HTTP is read (fail closed:
/// a torrc without the option would otherwise let every circuit pass as one), and counted.
final class OnionCircuitLineHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let circuits: OnionCircuits
    private let counters: IntakeCounters
    private var pending: ByteBuffer?
    private var done = false

    init(circuits: OnionCircuits, counters: IntakeCounters) {
        self.circuits = circuits
        self.counters = counters
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        if done {
            context.fireChannelRead(data)
            return
        }
        if var earlier = pending {
            earlier.writeBuffer(&bytes)
            bytes = earlier
        }
        let view = bytes.readableBytesView
        // The line without its CRLF is at most 105 bytes.
        let limit = OnionCircuit.maxLineBytes - 2
        guard let cr = view.prefix(limit + 1).firstIndex(of: UInt8(ascii: "\r")) else {
            if view.count > limit { return refuse(context, .tooLong) }
            pending = bytes
            return
        }
        guard view.index(after: cr) < view.endIndex else {
            pending = bytes
            return
        }
        guard view[view.index(after: cr)] == UInt8(ascii: "\n") else { return refuse(context, .notProxyLine) }
        let circuit: OnionCircuit
        do { circuit = try OnionCircuit.parse(proxyLine: view[view.startIndex..<cr]) } catch { return refuse(context, error) }
        circuits.set(circuit, for: context.channel)
        done = true
        pending = nil
        bytes.moveReaderIndex(forwardBy: cr - view.startIndex + 2)
        if bytes.readableBytes > 0 { context.fireChannelRead(wrapInboundOut(bytes)) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        circuits.remove(context.channel)
        context.fireChannelInactive()
    }

    private func refuse(_ context: ChannelHandlerContext, _ error: OnionCircuitError) {
        counters.failed(error.errorClass)
        pending = nil
        context.close(promise: nil)
    }
}

/// The onion side's HTTP/1 server: tor's circuit line first (when the torrc exports circuit
/// ids), and every request stamped with its circuit; a client's own `Resguardo-Onion-Circuit`
/// header is always removed, so the header the form path reads is only ever the intake's.
struct OnionHTTP1Channel: ServerChildChannel {
    typealias Value = HTTP1Channel.Value
    let inner: HTTP1Channel
    let circuits: OnionCircuits?
    let counters: IntakeCounters

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        if let circuits {
            do {
                try channel.pipeline.syncOperations.addHandler(OnionCircuitLineHandler(circuits: circuits, counters: counters), position: .first)
            } catch {
                return channel.eventLoop.makeFailedFuture(error)
            }
        }
        return inner.setup(channel: channel, logger: logger)
    }

    func handle(value: Value, logger: Logger) async { await inner.handle(value: value, logger: logger) }

    static func builder(configuration: HTTP1Channel.Configuration, circuits: OnionCircuits?, counters: IntakeCounters) -> HTTPServerBuilder {
        HTTPServerBuilder { responder in
            let stamped: HTTPChannelHandler.Responder = { request, writer, channel in
                var head = request.head
                head.headerFields[OnionCircuit.header] = nil
                if let circuit = circuits?.circuit(of: channel) { head.headerFields[OnionCircuit.header] = circuit.description }
                try await responder(Request(head: head, body: request.body), writer, channel)
            }
            return OnionHTTP1Channel(inner: HTTP1Channel(responder: stamped, configuration: configuration), circuits: circuits, counters: counters)
        }
    }
}

/// Each onion circuit's no-JavaScript submissions in a sliding window: `perWindow` accepted
/// ones, then 429 on that circuit until its window ends (a new circuit is what tor's proof of
/// work prices). Bounded: at most `capacity` circuits are remembered; when full, the oldest
/// window is forgotten first (an attacker with that many circuits at once paid for each).
final class CircuitBudget: Sendable {
    private struct Entry { var spent: Int; var since: ContinuousClock.Instant }
    private let entries = Mutex<[OnionCircuit: Entry]>([:])
    let perWindow: Int
    let window: Duration
    let capacity: Int

    init(perWindow: Int, window: Duration = .seconds(600), capacity: Int = 10_000) {
        self.perWindow = perWindow
        self.window = window
        self.capacity = capacity
    }

    func allows(_ circuit: OnionCircuit, now: ContinuousClock.Instant = .now) -> Bool {
        entries.withLock { e in
            guard let entry = e[circuit], now - entry.since < window else { return true }
            return entry.spent < perWindow
        }
    }

    func spend(_ circuit: OnionCircuit, now: ContinuousClock.Instant = .now) {
        entries.withLock { e in
            if var entry = e[circuit], now - entry.since < window {
                entry.spent += 1
                e[circuit] = entry
                return
            }
            if e.count >= capacity {
                e = e.filter { now - $0.value.since < window }
                if e.count >= capacity, let oldest = e.min(by: { $0.value.since < $1.value.since })?.key { e.removeValue(forKey: oldest) }
            }
            e[circuit] = Entry(spent: 1, since: now)
        }
    }

    var remembered: Int { entries.withLock { $0.count } }
}
