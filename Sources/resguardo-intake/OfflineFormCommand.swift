import DurableFiles
import ArgumentParser
import CLISupport
import Foundation
import Formats
import Intake
import Sodium

extension IntakeCommand {
    /// The way out of "the page authenticates itself": one HTML file the network hands out through
    /// its own channels (in person, a messaging group, a USB stick), with the pinned fingerprint, the
    /// day's manifest and every script inside. Opened from the phone, it seals there and posts the
    /// envelope to the intake, or saves the sealed file when the intake cannot be reached.
    struct OfflineFormCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "offline-form",
            abstract: L("Write the self-contained offline form: one HTML file that seals on the phone, for the network to hand out."),
            discussion: L("""
            Make it on a computer you trust, from the manifest the offline laptop signed and the \
            fingerprint the network publishes (the manifest must be signed by that key). It carries \
            the manifest, so it seals even when the intake is unreachable (then it saves the sealed \
            report to a file), and it refuses keys older than that manifest. Publish the SHA-256 this \
            prints next to the fingerprint, so anyone can check the file they were given. Make a new \
            one after each key rotation.

            Example:
              $ resguardo-intake offline-form --manifest manifest.json --fingerprint "a036 5677 a5c6 16c5 72f4 dcd2 9f13 fed2" \\
                  --url https://denuncias.example.org --out formulario-denuncia.html
              wrote formulario-denuncia.html (Spanish, 131 KB)
              SHA-256: 5d1c…

            On an intake that serves several networks, give its config and the network: the form \
            is that network's (its countries, its manifest at /v1/networks/ID/keys):
              $ resguardo-intake offline-form --config intake.json --network gt \\
                  --url https://denuncias.example.org --out formulario-gt.html
            """)
        )

        @OptionGroup var manifest: PinnedManifestOptions
        @Option(name: .long, help: .L("The intake's address the form sends to (https://… or http://….onion).")) var url: String
        @Option(name: .long, help: .L("The page's language: es, en, or another served catalog's tag.")) var language: String = "es"
        @Option(name: .long, help: .L("Output file (must not exist).")) var out: String
        @Option(name: .long, help: .L("tweetnacl file to put inside (default from Debian's node-tweetnacl).")) var tweetnacl: String = WebAssets.defaultTweetNaClPath

        func validate() throws {
            guard let parsed = URL(string: url), let scheme = parsed.scheme, let host = parsed.host, parsed.path.isEmpty || parsed.path == "/",
                  scheme == "https" || (scheme == "http" && host.hasSuffix(".onion")) else {
                throw ValidationError(L("--url must be https://HOST[:PORT] (or http://….onion), with no path"))
            }
            guard Language(rawValue: language) != nil else { throw ValidationError(L("--language must be es or en")) }
        }

        func run() throws {
            let signed = try manifest.loadSigned()
            guard let pinned = try manifest.pinnedFingerprint() else { throw CommandFailure("no fingerprint", status: .usage) }
            guard signed.manifest.isCurrent(on: .today()) else {
                throw CommandFailure(L("the manifest expired on {expires}", ["expires": "\(signed.manifest.expires)"]), hints: ["renew it offline first: resguardo key renew"], status: .dataError)
            }
            let network = try manifest.chosenNetwork()
            let html: String
            do {
                html = try OfflineForm.html(language: language, manifest: signed, fingerprint: pinned,
                                            intakeURL: url.hasSuffix("/") ? String(url.dropLast()) : url, network: network, tweetNaClPath: tweetnacl)
            } catch {
                throw CommandFailure(error.description, status: .dataError)
            }
            let bytes = Array(html.utf8)
            // Readable by others: it holds nothing secret, and it is made to be handed out.
            do { try DurableFile.createExclusive(out, bytes: bytes, mode: 0o644) } catch {
                throw CommandFailure(error.description + (error.exists ? " (it already exists)" : ""), status: .cannotCreate)
            }
            let digest = (try? SHA256.hash(bytes)).map { Encoding.hex($0) } ?? "unavailable"
            print("wrote \(out) (\(language == "es" ? "Spanish" : "English"), \(bytes.count / 1024) KB), for \(signed.manifest.organisation)\(network.map { " (network \($0.id.text))" } ?? ""), keys of \(signed.manifest.issued)")
            print("SHA-256: \(digest)")
        }
    }
}
