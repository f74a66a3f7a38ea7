import ArgumentParser
import Formats
import CLISupport
import Sodium

/// The offline staff tool. It links no networking code: it runs on an air-gapped laptop.
@main
struct Resguardo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resguardo",
        abstract: L("Offline tool for Resguardo staff: keys, sealed reports, cases and the registry."),
        discussion: L("""
        Runs on the air-gapped laptop only. Secret keys never leave it.

        Exit status:
          0   success
          1   failure not covered below
          64  bad command line (usage)
          65  malformed input file (corrupt key file, manifest or report)
          66  an input file or directory is missing
          73  an output already exists (keys are never overwritten)
          77  wrong passphrase

        Example:
          $ resguardo key init --dir ~/resguardo-keys --organisation "Red Mesoamericana"
          $ resguardo key show --dir ~/resguardo-keys
        """),
        version: "\(ResguardoVersion.number) (libsodium \(sodiumVersion()))",
        subcommands: [KeyCommand.self, InitWorkspace.self, VaultTrust.self, Unseal.self, CasesCommand.self, ReplyCommand.self, CoordinatorsCommand.self, ReferralCommand.self, RegistryCommand.self, RegionCommand.self, NetworksCommand.self, MesaLauncher.self]
    )

    static func main() async {
        Console.useTranslation { StaffMessages.text($0) }
        await runAsyncCommandLine(Resguardo.self, program: "resguardo")
    }
}
