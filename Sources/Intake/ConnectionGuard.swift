public import NIOCore
import NIOConcurrencyHelpers
public import NIOHTTPTypes
import HTTPTypes

/// Connections open right now, shared by every connection's guard.
public final class ConnectionCounter: Sendable {
    private let value = NIOLockedValueBox(0)
    public let limit: Int

    public init(limit: Int) { self.limit = limit }

    func enter() -> Bool {
        value.withLockedValue { n in
            guard n < limit else { return false }
            n += 1
            return true
        }
    }

    func leave() { value.withLockedValue { $0 -= 1 } }

    public var current: Int { value.withLockedValue { $0 } }
}

/// Per-connection limits that Hummingbird's idle timeout alone does not give:
/// - a cap on concurrent connections (beyond it, a new connection is closed at once);
/// - a header deadline: the TLS handshake and the request head must arrive within
///   `headerTimeout` of the connection opening (or of the previous response), so a slowloris
///   client trickling header bytes cannot hold a connection;
/// - a body deadline: once the head is in, the whole body must arrive within `bodyTimeout`.
public final class ConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    public typealias InboundIn = HTTPRequestPart
    public typealias InboundOut = HTTPRequestPart
    public typealias OutboundIn = HTTPResponsePart
    public typealias OutboundOut = HTTPResponsePart

    private let counter: ConnectionCounter
    private let headerTimeout: TimeAmount
    private let bodyTimeout: TimeAmount
    private var entered = false
    /// When the connection is closed unless the awaited part has arrived; nil while the server,
    /// not the client, has the next move.
    private var deadline: NIODeadline?
    /// One timer per connection, moved only when a deadline comes earlier than it: re-arming on
    /// every request head, request end and response end cost three timer allocations and
    /// cancellations a request (measured, scripts/bench intake).
    private var timer: Scheduled<Void>?
    private var timerFiresAt: NIODeadline?
    private var closeAfterResponse = false
    /// A request head has been read and its response has not ended yet.
    private var inProgress = false
    /// Graceful shutdown has asked this connection to finish.
    private var quiescing = false
    /// The connection is being closed: nothing more may reach the application. Closing a TLS
    /// connection first sends close_notify and waits for the peer's, and a keep-alive client may
    /// send its next request in that window: passed on, it was stored in the vault and answered
    /// on a channel that could no longer write, so the defender got no receipt for a report the
    /// vault kept (and sent it again). Dropped here, it is neither stored nor answered, and the
    /// client sees the connection end without a response, which every client treats as "not sent".
    private var closing = false

    public init(counter: ConnectionCounter, headerTimeout: TimeAmount, bodyTimeout: TimeAmount) {
        self.counter = counter
        self.headerTimeout = headerTimeout
        self.bodyTimeout = bodyTimeout
    }

    public func handlerAdded(context: ChannelHandlerContext) {
        guard counter.enter() else {
            context.close(promise: nil)
            return
        }
        entered = true
        arm(context, headerTimeout)
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        stopTimer()
        if entered {
            entered = false
            counter.leave()
        }
    }

    public func channelInactive(context: ChannelHandlerContext) {
        stopTimer()
        if entered {
            entered = false
            counter.leave()
        }
        context.fireChannelInactive()
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if closing { return }
        switch unwrapInboundIn(data) {
        case .head:
            inProgress = true
            arm(context, bodyTimeout)
        case .end: disarm()
        case .body: break
        }
        context.fireChannelRead(data)
    }

    public func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent {
            quiescing = true
            // Idle now: Hummingbird closes the connection on this event; nothing read after it
            // may become a request.
            if !inProgress { closing = true }
        }
        context.fireUserInboundEventTriggered(event)
    }

    public func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        if mode != .output { closing = true }
        context.close(mode: mode, promise: promise)
    }

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(let head):
            // A response that says `Connection: close` (a 413 for a body over the limit) ends
            // the connection: otherwise the server would go on reading, and discarding, the rest
            // of an upload it has already refused.
            closeAfterResponse = head.headerFields[.connection]?.lowercased() == "close"
            context.write(data, promise: promise)
        case .body:
            context.write(data, promise: promise)
        case .end:
            inProgress = false
            // Shutting down, this was the last response this connection gives.
            if quiescing { closing = true }
            if closeAfterResponse {
                closing = true
                context.writeAndFlush(data, promise: promise)
                context.close(promise: nil)
                return
            }
            // After a response, the next request head must come within the header deadline too.
            arm(context, headerTimeout)
            context.write(data, promise: promise)
        }
    }

    private func arm(_ context: ChannelHandlerContext, _ timeout: TimeAmount) {
        let due = NIODeadline.now() + timeout
        deadline = due
        if let firesAt = timerFiresAt, firesAt <= due { return }
        schedule(context, at: due)
    }

    private func schedule(_ context: ChannelHandlerContext, at due: NIODeadline) {
        timer?.cancel()
        timerFiresAt = due
        timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: due) { [self] in
            timer = nil
            timerFiresAt = nil
            guard let deadline else { return }
            if deadline <= .now() {
                closing = true
                context.close(promise: nil)
            } else {
                schedule(context, at: deadline)
            }
        }
    }

    private func disarm() {
        deadline = nil
    }

    private func stopTimer() {
        deadline = nil
        timer?.cancel()
        timer = nil
        timerFiresAt = nil
    }
}
