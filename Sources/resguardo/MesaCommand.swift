import ArgumentParser
import CLISupport
import Foundation
import Formats

extension Resguardo {
    /// `resguardo mesa`: hands over to `resguardo-mesa`, installed beside this program. The web
    /// server is a program of its own so this one, which holds the keys for every other command,
    /// links no networking code; the sibling is found next to this executable, never on $PATH.
    struct MesaLauncher: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "mesa",
            abstract: L("La mesa: the staff's offline web app (runs resguardo-mesa, installed beside resguardo)."),
            discussion: L("""
            Every option is resguardo-mesa's (see `resguardo mesa --help-mesa`).

            Example:
              $ resguardo mesa --workspace ~/caso-red --usb /media/marta/USB
            """)
        )
        @Argument(parsing: .allUnrecognized, help: .L("resguardo-mesa's options (--workspace, --usb, --idle-minutes, --url-file).")) var options: [String] = []
        @Flag(name: .customLong("help-mesa"), help: .L("Show resguardo-mesa's own help.")) var helpMesa = false

        func run() throws {
            let folder = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
            let program = folder.appendingPathComponent("resguardo-mesa").path
            guard FileManager.default.isExecutableFile(atPath: program) else {
                throw CommandFailure(L("resguardo-mesa is not installed beside resguardo ({path})", ["path": program]), status: .noInput)
            }
            let arguments = [program] + (helpMesa ? ["--help"] : options)
            var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
            execv(program, &argv)
            throw CommandFailure(L("could not start {path}: {error}", ["path": program, "error": String(cString: strerror(errno))]))
        }
    }
}
