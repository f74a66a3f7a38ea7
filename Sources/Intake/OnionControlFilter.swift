import Foundation
import Formats
#if canImport(Glibc)
import Glibc
#endif

/// A filtered tor control port (review N12). The intake's descriptor monitor needs two things of
/// tor's control port: `GETINFO hs/service/desc/id/…` and `HS_DESC` events. The port itself gives
/// whoever holds the cookie everything (`SETCONF`, `SAVECONF`: turn off the onion's proof of
/// work, repoint `HiddenServicePort`, turn on logging), so the intake does not get the cookie:
/// this filter, run as tor's user (`resguardo-intake tor-control-filter`), holds it, listens on a
/// Unix socket of its own, and passes on only those two commands; everything else is answered
/// `510` without reaching tor. What it can leak (whether the descriptor was uploaded) is what the
/// onion's own status socket says already.
public final class OnionControlFilter: Sendable {
    let listenPath: String
    let control: OnionListen
    let cookiePath: String

    /// The only commands passed to tor, whole lines.
    static func allowed(_ line: String) -> Bool {
        if line == "SETEVENTS HS_DESC" { return true }
        let prefix = "GETINFO hs/service/desc/id/"
        guard line.hasPrefix(prefix) else { return false }
        let id = line.dropFirst(prefix.count)
        return id.count == 56 && id.allSatisfy { ("a"..."z").contains($0) || ("2"..."7").contains($0) }
    }

    public init(listen: String, control: String, cookie: String) throws(ConfigurationError) {
        guard listen.hasPrefix("unix:/") else { throw .invalid("--listen", "the filter listens on a Unix socket only: unix:/run/…/control.sock") }
        listenPath = String(listen.dropFirst(5))
        self.control = try OnionDescriptorMonitor.controlEndpoint(control)
        cookiePath = cookie
    }

    /// Binds the socket (a stale one left by a crash is replaced), then serves each client on a
    /// thread of its own, for the process's life.
    public func run(onListening: () -> Void = {}) throws(ConfigurationError) {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw .invalid("--listen", "cannot make a socket") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(listenPath.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { close(fd); throw .invalid("--listen", "the socket path is too long") }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in for (i, b) in bytes.enumerated() { raw[i] = b } }
        unlink(listenPath)
        let bound = withUnsafePointer(to: &address) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0, listen(fd, 16) == 0 else { close(fd); throw .invalid("--listen", "cannot listen on \(listenPath): \(String(cString: strerror(errno)))") }
        // Anyone local may connect: it passes on nothing that changes tor or says more than the
        // onion's status; the cookie, which would, stays with this process.
        chmod(listenPath, 0o666)
        onListening()
        while true {
            let client = accept(fd, nil, nil)
            if client < 0 { if errno == EINTR { continue }; break }
            let thread = Thread { [self] in serve(client) }
            thread.start()
        }
        close(fd)
    }

    func serve(_ clientFd: Int32) {
        let client = ControlConnection(fd: clientFd)
        defer { client.close() }
        guard let cookie = FileManager.default.contents(atPath: cookiePath), let tor = ControlConnection(control) else {
            client.send("551 tor's control port cannot be reached\r\n")
            return
        }
        defer { tor.close() }
        tor.send("AUTHENTICATE \(Encoding.hex(Array(cookie)))\r\n")
        guard tor.readLine()?.hasPrefix("250") == true else {
            client.send("551 the filter could not authenticate to tor\r\n")
            return
        }
        var subscribed = false
        // The relay thread's end: both descriptors are closed only after it stopped using them
        // (a closed descriptor's number is soon another connection's).
        let relayDone = DispatchSemaphore(value: 0)
        defer {
            if subscribed {
                tor.shutdown()
                relayDone.wait()
            }
        }
        while let line = client.readLine(maxBytes: 1024) {
            if line == "QUIT" { client.send("250 closing connection\r\n"); return }
            if line.hasPrefix("AUTHENTICATE") || line == "PROTOCOLINFO" || line.hasPrefix("PROTOCOLINFO ") {
                // The filter authenticated already; a client needs no secret to ask what it allows.
                client.send(line.hasPrefix("AUTHENTICATE") ? "250 OK\r\n" : "250-PROTOCOLINFO 1\r\n250-AUTH METHODS=NULL\r\n250 OK\r\n")
                continue
            }
            guard !subscribed, Self.allowed(line) else {
                client.send("510 Command filtered by resguardo-intake tor-control-filter\r\n")
                continue
            }
            tor.send(line + "\r\n")
            // The reply: `250-`/`250+` lines (a `+` one runs to a lone `.`), up to `250 ` or an error.
            var inData = false
            while let reply = tor.readLine() {
                client.send(reply + "\r\n")
                if inData { if reply == "." { inData = false }; continue }
                if reply.count >= 4, reply.dropFirst(3).first == "+" { inData = true; continue }
                if reply.count >= 4, reply.dropFirst(3).first == " " { break }
                if reply.count < 4 { break }
            }
            if line == "SETEVENTS HS_DESC" {
                subscribed = true
                // From here tor speaks first: only HS_DESC events go on, until either side closes.
                let relay = Thread {
                    while let event = tor.readLine() {
                        if event.hasPrefix("650 HS_DESC ") || event.hasPrefix("650-HS_DESC ") { client.send(event + "\r\n") }
                    }
                    client.shutdown()
                    relayDone.signal()
                }
                relay.start()
            }
        }
    }
}
