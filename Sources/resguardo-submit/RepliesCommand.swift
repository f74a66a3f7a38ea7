import ArgumentParser
import CLISupport
import DurableFiles
import Formats
import Foundation
import Sodium

extension SubmitCommand {
    struct Replies: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: L("Read the network's replies with your codename (they are opened on this computer)."),
            discussion: L("""
            The codename makes the key that opens the replies and names the mailbox they wait in; it is \
            never sent. Without --codename it is read from standard input (so it stays out of the \
            shell history). A wrong codename reads nothing, as does a mailbox with no replies yet.

            Example:
              $ resguardo-submit replies --url https://denuncias.example.org
              codename: ceniza tambor ...
            """)
        )

        @OptionGroup var intake: IntakeOptions
        @Option(name: .long, help: .L("Your codename (7 words). Without it, it is read from standard input.")) var codename: String?

        func run() async throws {
            var typed = codename
            if typed != nil { SecretText.warnAboutArgument("--codename", instead: "standard input (leave --codename out)") }
            if typed == nil {
                if isatty(0) == 1 { FileHandle.standardError.write(Data("codename / nombre clave: ".utf8)) }
                typed = readLine(strippingNewline: true)
            }
            let parsed: Codename
            do { parsed = try Codename(typed ?? "") } catch { throw CommandFailure(L("{error}", ["error": "\(error)"]), status: .dataError) }
            let keys = try parsed.replyKeys()
            let client = try IntakeClient(url: intake.url, caFile: intake.ca)
            let answer: IntakeClient.Reply
            do {
                answer = try await client.get("/v1/mailbox/\(keys.mailbox.hex)")
                await client.shutdown()
            } catch {
                await client.shutdown()
                throw CommandFailure(L("the intake could not be reached: {error}", ["error": "\((error as? IntakeClient.Unreachable)?.reason ?? "\(error)")"]), status: .unavailable)
            }
            guard answer.status == 200, case .array(let items)? = try? JSONValue.parse(answer.body)["replies"] else {
                throw CommandFailure(L("the intake answered {status}: {body}", ["status": "\(answer.status)", "body": "\(IntakeClient.message(try? JSONValue.parse(answer.body)))"]), status: .unavailable)
            }
            var opened: [Formats.Reply] = []
            var unreadable = 0
            for case .string(let text) in items {
                guard let sealed = Encoding.bytes(fromBase64: text), let reply = try? Formats.Reply.open(sealed, with: keys.secretKey) else {
                    unreadable += 1
                    continue
                }
                opened.append(reply)
            }
            if opened.isEmpty {
                print(L("No replies (yet) for this codename."))
            }
            for reply in opened {
                print("── \(reply.day) ──")
                print(reply.message)
                print("")
            }
            if unreadable > 0 { Console.warning(L("{unreadable} items in the mailbox did not open with this codename", ["unreadable": "\(unreadable)"])) }
        }
    }
}
