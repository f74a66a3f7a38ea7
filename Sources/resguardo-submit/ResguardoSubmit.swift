import ArgumentParser
import Formats
import CLISupport
import Sodium

/// The client a partner organisation, or a defender with a laptop, uses to submit a report.
@main
struct SubmitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resguardo-submit",
        abstract: L("Seal a report on this computer and send it to a Resguardo intake."),
        discussion: L("""
        The report is sealed here, to the organisation's key from its signed key manifest, before \
        anything is sent: the intake never sees it in the clear. If sending fails, the *sealed* \
        envelope is kept in an outbox to send later; the plaintext is never written anywhere.

        Exit status: 0 sent; 1 failure; 64 usage; 65 invalid report or rejected envelope; \
        66 missing file; 69 intake unreachable (envelope kept in the outbox); \
        77 the manifest's fingerprint does not match.

        Example:
          $ resguardo-submit submit --url https://denuncias.example.org \\
              --fingerprint "a036 5677 a5c6 16c5 72f4 dcd2 9f13 fed2" --report denuncia.json
          recibo / receipt: 3f1c-09ab-…
          $ resguardo-submit networks --url https://denuncias.example.org
          $ resguardo-submit submit --url https://denuncias.example.org --country GT \
              --fingerprint "…" --description-file -      (GT's network, on an intake serving several)
        """),
        version: "\(ResguardoVersion.number) (libsodium \(sodiumVersion()))",
        subcommands: [Submit.self, Send.self, Replies.self, Networks.self]
    )

    static func main() async {
        Console.useTranslation { StaffMessages.text($0) }
        await runAsyncCommandLine(SubmitCommand.self, program: "resguardo-submit")
    }
}
