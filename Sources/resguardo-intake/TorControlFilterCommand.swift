import ArgumentParser
import CLISupport
import Foundation
import Formats
import Intake

extension IntakeCommand {
    /// Review N12: the intake never holds tor's control cookie; this filter, run as tor's user,
    /// does, and passes on only what the descriptor monitor asks.
    struct TorControlFilterCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "tor-control-filter",
            abstract: L("Give the intake a tor control port that can only ask whether the onion is published."),
            discussion: L("""
            Run it as tor's user (deploy/resguardo-tor-control-filter.service): it reads tor's \
            control cookie, listens on a Unix socket of its own and passes on only \
            GETINFO hs/service/desc/id/… and SETEVENTS HS_DESC; anything else (SETCONF, SAVECONF, \
            SIGNAL, …) is answered 510 and never reaches tor. Point the intake's onion.control at \
            its socket and leave onion.control_cookie out: the intake then needs no access to tor.

            Example:
              $ resguardo-intake tor-control-filter --listen unix:/run/resguardo-tor-control/control.sock \\
                  --control unix:/run/tor/control --cookie /run/tor/control.authcookie
              listening on /run/resguardo-tor-control/control.sock
            """)
        )

        @Option(name: .long, help: .L("Where to listen: unix:/path (a Unix socket only).")) var listen: String
        @Option(name: .long, help: .L("tor's control port: unix:/run/tor/control or 127.0.0.1:PORT.")) var control: String
        @Option(name: .long, help: .L("tor's control_auth_cookie file.")) var cookie: String

        func run() throws {
            let filter: OnionControlFilter
            do { filter = try OnionControlFilter(listen: listen, control: control, cookie: cookie) } catch {
                throw CommandFailure(error.description, status: .usage)
            }
            guard FileManager.default.isReadableFile(atPath: cookie) else {
                throw CommandFailure(L("cannot read tor's control cookie {cookie}", ["cookie": "\(cookie)"]), hints: ["run the filter as tor's user (debian-tor)"], status: .noInput)
            }
            do {
                try filter.run {
                    FileHandle.standardOutput.write(Data("listening on \(listen.dropFirst(5))\n".utf8))
                }
            } catch {
                throw CommandFailure(error.description, status: .unavailable)
            }
        }
    }
}
