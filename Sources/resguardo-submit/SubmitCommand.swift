import DurableFiles
import ArgumentParser
import CLISupport
import Foundation
import Formats
import Sodium

extension SubmitCommand {
    struct Submit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: L("Build a report, seal it on this computer, and send it."),
            discussion: L("""
            The report comes from a Report v1 JSON file (docs/formats.md §6) or from flags. It is \
            validated before sealing, so mistakes are caught here rather than lost later.

            Example:
              $ resguardo-submit submit --url https://127.0.0.1:8443 --ca .resguardo-dev/cert.pem \\
                  --fingerprint "a036 5677 a5c6 16c5 72f4 dcd2 9f13 fed2" \\
                  --country MX --region MX-OAX --description-file - --urgent
              Me amenazaron frente a mi casa.
              ^D
            """)
        )

        @OptionGroup var intake: IntakeOptions
        @Option(name: .long, help: .L("A Report v1 JSON file.")) var report: String?
        @Option(name: .long, help: .L("ISO 3166-1 country code (MX, GT, HN, SV, NI).")) var country: String?
        @Option(name: .long, help: .L("ISO 3166-2 region, e.g. MX-OAX.")) var region: String?
        @Option(name: .long, help: .L("What happened (prefer --description-file: the command line is visible to other programs and kept in the shell history).")) var description: String?
        @Option(name: .long, help: .L("Read what happened from this file, or - for standard input.")) var descriptionFile: String?
        @Option(name: .long, help: .L("es or en.")) var language: String = "es"
        @Flag(name: .long, help: .L("Ask for urgent attention (this one bit travels unencrypted).")) var urgent = false
        @Flag(name: .long, help: .L("Make a codename so the network can answer you; it is shown once: write it down.")) var newCodename = false
        @Option(name: .long, help: .L("The codename of an earlier report (prefer --codename-file).")) var codename: String?
        @Option(name: .long, help: .L("Read the codename of an earlier report from this file, or - for standard input: links this report to it and gets replies in the same mailbox.")) var codenameFile: String?

        func validate() throws {
            if report == nil && (country == nil || (description == nil && descriptionFile == nil)) {
                throw ValidationError(L("give --report FILE, or at least --country and --description-file"))
            }
            if description != nil && descriptionFile != nil { throw ValidationError(L("give --description or --description-file, not both")) }
            if codename != nil && codenameFile != nil { throw ValidationError(L("give --codename or --codename-file, not both")) }
            if newCodename && (codename != nil || codenameFile != nil) { throw ValidationError(L("give --new-codename or --codename-file, not both")) }
            if codenameFile == "-" && descriptionFile == "-" { throw ValidationError(L("only one of --codename-file and --description-file can be standard input")) }
        }

        /// The codename to attach, made here or read from --codename.
        func chosenCodename() throws -> Codename? {
            if newCodename { return try Codename.generate() }
            var typed = codename
            if typed != nil { SecretText.warnAboutArgument("--codename", instead: "--codename-file FILE or -") }
            if let codenameFile { typed = try SecretText.read(codenameFile, what: "the codename") }
            guard let typed else { return nil }
            do { return try Codename(typed) } catch {
                throw CommandFailure(L("--codename: {error}", ["error": "\(error)"]), hints: ["nothing was sent"], status: .dataError)
            }
        }

        func run() async throws {
            let codename = try chosenCodename()
            let reportBytes = try buildReport(replyKey: codename?.replyKeys().secretKey.publicKey)
            if newCodename, let codename {
                print(L("""
                Your codename:

                    {codename}

                Write it down on paper and keep it in a safe place: with it you can read the network's \
                replies (resguardo-submit replies) and send more about the same case. If you lose it, \
                nobody can recover it.

                """, ["codename": codename.text]))
            }
            let client = try IntakeClient(url: intake.url, caFile: intake.ca)
            do {
                let parsed = try Report.parse(reportBytes)
                let manifest = try await intake.verifiedManifest(client: client, network: try await intake.chooseNetwork(client: client, country: parsed.country),
                                                                 country: parsed.country)
                guard let key = manifest.currentEncryptionKey(on: .today()) else {
                    throw CommandFailure("the intake's key manifest has no key valid today; the network must renew it", status: .dataError)
                }
                let envelope = try Envelope.seal(report: reportBytes, to: key.publicKey, flags: parsed.urgent ? .urgent : [])
                try await Outbox(path: intake.outboxPath).send(envelope.bytes, with: client)
            } catch {
                await client.shutdown()
                throw error
            }
            await client.shutdown()
        }

        /// The report as Report v1 bytes, validated.
        func buildReport(replyKey: SealPublicKey? = nil) throws -> [UInt8] {
            let bytes: [UInt8]
            if let report {
                guard let data = FileManager.default.contents(atPath: report) else {
                    throw CommandFailure(L("cannot read report file {report}", ["report": "\(report)"]), status: .noInput)
                }
                bytes = Array(data)
            } else {
                guard let lang = Language(rawValue: language) else { throw CommandFailure("--language must be es or en", status: .usage) }
                var text = description ?? ""
                if description != nil { SecretText.warnAboutArgument("--description", instead: "--description-file FILE or -") }
                if let descriptionFile { text = try SecretText.read(descriptionFile, what: "the description") }
                var r = Report(language: lang, country: country ?? "", description: text)
                r.region = region
                r.urgent = urgent
                bytes = r.jsonBytes()
            }
            do {
                var parsed = try Report.parse(bytes)
                if (urgent && !parsed.urgent) || replyKey != nil {
                    parsed.urgent = parsed.urgent || urgent
                    if let replyKey { parsed.replyPublicKey = replyKey }
                    return parsed.jsonBytes()
                }
                return bytes
            } catch {
                throw CommandFailure(L("the report is not valid: {error}", ["error": "\(error)"]), hints: ["fix it and run again; nothing was sent"], status: .dataError)
            }
        }
    }
}
