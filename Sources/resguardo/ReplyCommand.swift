import ArgumentParser
import CLISupport
import Casework
import Foundation
import Formats
import Sodium

extension Resguardo {
    /// Answers to defenders who left a codename: sealed here, carried online in a signed bundle.
    struct ReplyCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "reply",
            abstract: L("Seal a reply to a defender's codename, or export the queued replies."),
            discussion: L("""
            A reply is sealed to the reply key the defender's report carries (made from her codename), \
            so only she can read it. It waits in the case store until `reply export` writes a reply \
            bundle, signed with the staff reply-signing key, for `resguardo-intake import-replies`.

            Examples:
              $ resguardo reply 3fa2c1 --message-file respuesta.txt
              $ resguardo reply export --out /media/usb/respuestas-2026-11-25.rsgr
            """),
            subcommands: [Queue.self, Export.self],
            defaultSubcommand: Queue.self
        )

        struct Queue: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "queue",
                abstract: L("Seal a reply to the case's codename key and queue it (the default: `resguardo reply CASE`)."),
                discussion: L("""
                The message file is UTF-8 text of at most 20,000 characters. Write it on this offline \
                machine; the plaintext never leaves it, only the sealed reply does.

                Example:
                  $ resguardo reply 3fa2c1 --message-file respuesta.txt
                """)
            )
            @OptionGroup var workspace: WorkspaceOptions
            @Argument(help: .L("Case id (at least 6 hex digits).")) var caseId: String
            @Option(name: .long, help: .L("UTF-8 text file with the reply.")) var messageFile: String
            @OptionGroup var passphrase: PassphraseOptions

            func run() throws {
                guard let data = FileManager.default.contents(atPath: messageFile) else {
                    throw CommandFailure(L("cannot read {message_file}", ["message_file": "\(messageFile)"]), status: .noInput)
                }
                guard let message = String(data: data, encoding: .utf8) else {
                    throw CommandFailure(L("{message_file} is not UTF-8 text", ["message_file": "\(messageFile)"]), status: .dataError)
                }
                let (ws, id, keys) = try openCaseContext(workspace, caseId, passphrase)
                let mailbox: MailboxId
                do { mailbox = try ws.queueReply(to: id, message: message, keys: keys, today: .today()) } catch {
                    throw CommandFailure(error.description, status: .dataError)
                }
                print(L("reply to case {id} sealed and queued for mailbox {mailbox}…", ["id": "\(Encoding.hex(id).prefix(12))", "mailbox": "\(mailbox.hex.prefix(8))"]))
                print(L("{pending_reply_count} replies wait for `resguardo reply export`", ["pending_reply_count": "\((try? ws.pendingReplyCount()) ?? 1)"]))
            }
        }

        struct Export: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: L("Write the queued replies into a reply bundle signed with the staff reply-signing key."),
                discussion: L("""
                Example:
                  $ resguardo reply export --out /media/usb/respuestas-2026-11-25.rsgr
                  then, online: resguardo-intake import-replies --manifest manifest.json /media/usb/respuestas-2026-11-25.rsgr
                """)
            )
            @OptionGroup var workspace: WorkspaceOptions
            @Option(name: .long, help: .L("Reply bundle file to create (must not exist).")) var out: String
            @OptionGroup var passphrase: PassphraseOptions

            func run() throws {
                let ws = try workspace.open()
                guard (try? ws.pendingReplyCount()) ?? 0 > 0 else {
                    print(L("no replies are queued; nothing written"))
                    return
                }
                if FileManager.default.fileExists(atPath: out) { throw CommandFailure(L("{out} already exists", ["out": "\(out)"]), status: .cannotCreate) }
                let secret = try passphrase.read(prompt: "Passphrase: ")
                let signer: SigningKey
                do { signer = try ws.keys.unlockReplySigningKey(passphrase: secret) } catch {
                    throw error.commandFailure(directory: ws.keys.path)
                }
                let count: Int
                do { count = try ws.exportReplies(to: out, signer: signer, today: .today()) } catch {
                    throw CommandFailure(error.description, status: .cannotCreate)
                }
                print(L("wrote {value} replies to {out}; carry it to the intake: resguardo-intake import-replies {out2}", ["value": "\(count)", "out": "\(out)", "out2": "\(out)"]))
            }
        }
    }
}
