public import Logging
import NIOConcurrencyHelpers
import ServiceLifecycle

/// What the intake tells its operator instead of a log line per request or per event: a log
/// collector timestamps every line, and in order such lines would date every row of the vault
/// (threat-model.md, "Logs"). Requests are counted by method, route template and status; failures
/// by class; the totals are written as one line at a coarse fixed interval and at shutdown.
public final class IntakeCounters: Sendable {
    struct RequestKey: Hashable, Comparable {
        let method: String
        let route: String
        let status: Int
        static func < (a: Self, b: Self) -> Bool { (a.route, a.method, a.status) < (b.route, b.method, b.status) }
    }

    private struct State {
        var requests: [RequestKey: Int] = [:]
        var events: [String: Int] = [:]
        /// Server-side failure classes already announced once (see `failed`).
        var announced: Set<String> = []
    }

    private let state = NIOLockedValueBox(State())
    private let logger: Logger

    public init(logger: Logger) { self.logger = logger }

    /// Methods are any token a client likes: only the standard ones get a counter of their own,
    /// so a stranger cannot grow the table (and the totals line) without bound.
    static let countedMethods: Set<String> = ["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "CONNECT", "TRACE"]

    func request(method: String, route: String, status: Int) {
        let key = RequestKey(method: Self.countedMethods.contains(method) ? method : "OTHER", route: route, status: status)
        state.withLockedValue { $0.requests[key, default: 0] += 1 }
    }

    /// Something that happened (an urgent notification sent, a proof refused): counted, never logged.
    func count(_ event: String) {
        state.withLockedValue { $0.events[event, default: 0] += 1 }
    }

    /// A failure on the server's side (the vault refusing writes, the notification command
    /// failing). The operator must hear of the first one without waiting a whole interval, so
    /// the first of each class is written at once; later ones are only counted. The number of
    /// such lines is bounded by the number of classes, never by the number of requests.
    func failed(_ errorClass: String) {
        let first = state.withLockedValue { s -> Bool in
            s.events["error." + errorClass, default: 0] += 1
            return s.announced.insert(errorClass).inserted
        }
        if first { logger.error("failure", metadata: ["class": .string(errorClass), "note": "first of its class; later ones are counted in the totals"]) }
    }

    /// Totals since start, in a stable order (a line a person can compare with the last one).
    public var totals: Logger.Metadata {
        state.withLockedValue { s in
            var metadata: Logger.Metadata = [:]
            for (key, n) in s.requests { metadata["\(key.method)_\(key.route)_\(key.status)"] = .stringConvertible(n) }
            for (event, n) in s.events { metadata[event] = .stringConvertible(n) }
            return metadata
        }
    }

    /// The request count for one route and status (tests and the shutdown line).
    func requests(route: String, status: Int) -> Int {
        state.withLockedValue { s in s.requests.filter { $0.key.route == route && $0.key.status == status }.values.reduce(0, +) }
    }

    public func report(_ message: String, extra: Logger.Metadata = [:]) {
        logger.notice("\(message)", metadata: totals.merging(extra) { $1 })
    }
}

/// Writes the counters' totals every `interval` (DESIGN.md §4: coarse and fixed, so a line's
/// timestamp says no more than the vault's day already does); the final totals are written at
/// shutdown by `serve`.
struct CounterReportService: Service {
    let counters: IntakeCounters
    let interval: Duration

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do { try await Task.sleep(for: interval) } catch { return }
                counters.report("totals since start")
            }
        }
    }
}
