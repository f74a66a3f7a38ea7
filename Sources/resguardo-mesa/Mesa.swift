import ArgumentParser
import CLISupport
import DurableFiles
import Foundation
import Formats
import Mesa

/// La mesa's server (`resguardo mesa` runs it): a program of its own so that `resguardo`, the
/// command line that holds keys on the air-gapped laptop, still links no networking code at
/// all; this one links a loopback HTTP server and nothing that reaches out.
@main
struct MesaCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resguardo mesa",
        abstract: L("La mesa: the staff's offline web app, served on this laptop's loopback to this browser only."),
        discussion: L("""
        Prints one link with a one-time token: open it in the laptop's browser (it becomes a \
        session cookie; the link then stops working). The server listens on 127.0.0.1 only, on a \
        random port, and answers no other name; it works with the network unplugged (`unshare -n` \
        with the loopback up). Unlock with the passphrase; the desk locks on its button, after \
        --idle-minutes without use, and when it stops (Ctrl-C). --usb names the folders where \
        bundles are looked for and where acknowledgements, reply bundles, referrals and \
        attachments are written (default: the mounted sticks under /media/$USER and /run/media/$USER).

        Example:
          $ resguardo mesa --workspace ~/caso-red --usb /media/marta/USB
          La mesa está abierta: http://127.0.0.1:41873/entrar?t=9c1b…
          $ resguardo mesa --region ~/region --usb /media/oficina/USB     (at the regional office)
        """)
    )

    @Option(name: .long, help: .L("The offline workspace (default: $RESGUARDO_WORKSPACE).")) var workspace: String?
    @Option(name: .long, help: .L("The regional office's folder instead: the office's desk (its registry, networks, regional report, custody).")) var region: String?
    @Option(name: .long, help: .L("A folder for bundles in and files out (repeat for several).")) var usb: [String] = []
    @Option(name: .long, help: .L("Lock after this many minutes without use.")) var idleMinutes: Int = 10
    @Option(name: .long, help: .L("Also write the link into this new file (mode 0600), for a script that opens the browser.")) var urlFile: String?

    static func main() async {
        Console.useTranslation { StaffMessages.text($0) }
        await runAsyncCommandLine(MesaCommand.self, program: "resguardo mesa")
    }

    func validate() throws {
        guard (1...240).contains(idleMinutes) else { throw ValidationError(L("--idle-minutes must be 1 to 240")) }
        guard workspace == nil || region == nil else { throw ValidationError(L("give --workspace (a network's desk) or --region (the regional office's), not both")) }
    }

    func run() async throws {
        guard let path = region != nil ? "" : workspace ?? ProcessInfo.processInfo.environment["RESGUARDO_WORKSPACE"] else {
            throw CommandFailure("no workspace given", hints: ["use --workspace DIR or set RESGUARDO_WORKSPACE"], status: .usage)
        }
        var folders = usb
        if folders.isEmpty {
            let user = ProcessInfo.processInfo.environment["USER"] ?? ""
            for base in ["/media/\(user)", "/run/media/\(user)"] where !user.isEmpty {
                folders += ((try? FileManager.default.contentsOfDirectory(atPath: base)) ?? []).sorted().map { base + "/" + $0 }
            }
        }
        let configuration = MesaConfiguration(workspace: path, region: region, usbFolders: folders, idle: .seconds(idleMinutes * 60))
        let urlFile = self.urlFile
        do {
            try await MesaServer.run(configuration) { url in
                // The one line la mesa writes: the link, once.
                FileHandle.standardOutput.write(Data((L("La mesa is open: {url}", ["url": url]) + "\n").utf8))
                if let urlFile { try? DurableFile.createExclusive(urlFile, bytes: Array((url + "\n").utf8)) }
            }
        } catch let error as CommandFailure {
            throw error
        } catch {
            throw CommandFailure(L("la mesa stopped: {error}", ["error": "\(error)"]))
        }
    }
}
