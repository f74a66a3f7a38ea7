import ArgumentParser
import Formats
import CLISupport
import Sodium

/// The online side: the HTTPS intake and the vault's admin commands.
@main
struct IntakeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resguardo-intake",
        abstract: L("The online intake: serve HTTPS, and manage the vault of sealed reports."),
        discussion: L("""
        The intake never sees a plaintext report: it stores envelopes sealed on the defender's \
        device, with only the day, the key id, the size bucket and the urgent bit.

        Exit status: 0 success; 1 failure; 64 usage; 65 malformed input; 66 missing input; \
        73 output exists; 77 wrong passphrase.

        Example:
          $ resguardo-intake vault init --vault /srv/resguardo/vault.sqlite
          $ resguardo-intake serve --config /etc/resguardo/intake.json
          $ resguardo-intake export --vault /srv/resguardo/vault.sqlite --out /media/usb/bundle-2026-11-25.rsgb
        """),
        version: "\(ResguardoVersion.number) (libsodium \(sodiumVersion()))",
        subcommands: [Serve.self, VaultCommand.self, Export.self, ImportReplies.self, Purge.self, Stats.self, OfflineFormCommand.self, TorControlFilterCommand.self]
    )

    static func main() async {
        Console.useTranslation { StaffMessages.text($0) }
        await runAsyncCommandLine(IntakeCommand.self, program: "resguardo-intake")
    }
}
