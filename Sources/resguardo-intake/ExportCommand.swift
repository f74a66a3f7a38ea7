import ArgumentParser
import CLISupport
import DurableFiles
import Formats
import Foundation
import Intake
import Sodium
import Vault

extension IntakeCommand {
    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: L("Write every not-yet-exported envelope into a signed bundle for the offline laptop."),
            discussion: L("""
            The bundle is written and synced before the envelopes are marked as exported, and nothing \
            is deleted: purge only after the offline side acknowledges the bundle's digest.

            Example:
              $ resguardo-intake export --vault vault.sqlite --out /media/usb/2026-11-25.rsgb
              exported 42 envelopes (1.2 MB) to /media/usb/2026-11-25.rsgb
              $ resguardo-intake export --vault vault.sqlite --urgent-only --out /media/usb/urgentes.rsgb
              bundle digest: 9f3c…
            """)
        )

        @OptionGroup var vault: VaultOptions
        @Option(name: .long, help: .L("The bundle file to write (must not exist).")) var out: String
        @Option(name: .long, help: .L("At most this many envelopes.")) var limit: Int = ExportBundle.maxCount
        @Flag(name: .long, help: .L("Only envelopes marked urgent (the rest wait for the next export).")) var urgentOnly = false
        @OptionGroup var passphrase: PassphraseOptions

        func run() async throws {
            guard !FileManager.default.fileExists(atPath: out) else {
                throw CommandFailure(L("{out} already exists; refusing to overwrite a bundle", ["out": "\(out)"]), status: .cannotCreate)
            }
            let key = try vault.unlockSigningKey(passphrase)
            let database = try await vault.open()
            let summary: ExportSummary
            do {
                summary = try await database.administration.export(to: out, signer: key, today: .today(), limit: limit,
                                                                   maxBytes: VaultDatabase.maxBundleEnvelopeBytes, urgentOnly: urgentOnly)
            } catch {
                await database.close()
                throw CommandFailure(L("export failed: {error}", ["error": "\(error)"]), hints: ["nothing was marked exported; run export again"])
            }
            await database.close()
            print(L("exported {count}{urgent} envelopes ({bytes} bytes) to {out}", ["count": "\(summary.count)", "urgent": urgentOnly ? L(" urgent") : "", "bytes": "\(summary.byteCount)", "out": "\(out)"]))
            print(L("bundle digest: {digest}", ["digest": "\(Encoding.hex(summary.digest))"]))
            if summary.remaining > 0 {
                print(L("{remaining} envelopes did not fit this bundle (at most {mebibytes} MiB); run export again for them", ["remaining": "\(summary.remaining)", "mebibytes": "\(VaultDatabase.maxBundleEnvelopeBytes >> 20)"]))
            }
        }
    }
}
