import DurableFiles
import ArgumentParser
import CLISupport
import Foundation
import Formats
import Sodium
import Vault

extension IntakeCommand {
    /// Brings staff replies online: a reply bundle from the air-gapped laptop goes into the mailboxes.
    struct ImportReplies: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "import-replies",
            abstract: L("Verify a reply bundle against the key manifest and put its sealed replies in their mailboxes."),
            discussion: L("""
            The bundle must be signed by the staff reply-signing key that the manifest names, and the \
            manifest by the pinned signing key (--fingerprint, or keys.fingerprint of --config); anything \
            else is refused and nothing is stored. Replies stay sealed: only the defender's codename \
            opens them. Importing the same bundle twice stores nothing twice. Replies are deleted after \
            --keep-days (default 90) whether or not anyone fetched them.

            Example:
              $ resguardo-intake import-replies --vault vault.sqlite --config intake.json /media/usb/respuestas-2026-11-25.rsgr
            """)
        )

        @OptionGroup var vault: VaultOptions
        @OptionGroup(title: L("The manifest whose reply-signing key must have signed the bundle")) var manifest: PinnedManifestOptions
        @Option(name: .long, help: .L("Delete replies stored more than this many days ago (default 90).")) var keepDays: Int = 90
        @Argument(help: .L("Reply bundle file written by `resguardo reply export`.")) var bundle: String

        func validate() throws {
            if keepDays < 1 { throw ValidationError(L("--keep-days must be 1 or more")) }
        }

        func run() async throws {
            let manifest = try self.manifest.load()
            // A reply bundle is a few replies of at most 128 KiB each; refuse to read a huge file whole.
            let size = (try? FileManager.default.attributesOfItem(atPath: bundle)[.size] as? Int) ?? nil
            guard let size else { throw CommandFailure(L("cannot read {bundle}", ["bundle": "\(bundle)"]), status: .noInput) }
            guard size <= 256 << 20 else { throw CommandFailure(L("{bundle} is {size} bytes; a reply bundle is at most 256 MiB", ["bundle": "\(bundle)", "size": "\(size)"]), status: .dataError) }
            let data: [UInt8]
            do { data = try DurableFile.read(bundle, maxBytes: 256 << 20) } catch { throw CommandFailure(error.description, status: .noInput) }
            let parsed: ReplyBundle
            do { parsed = try ReplyBundle(bytes: data, trustedKey: manifest.replySigningKey) } catch {
                throw CommandFailure(L("{bundle}: {error}", ["bundle": "\(bundle)", "error": "\(error)"]), hints: ["nothing was imported"], status: .dataError)
            }
            let opened = try await vault.open()
            let today = CalendarDay.today()
            let result: (added: Int, alreadyStored: Int), expired: Int
            do {
                result = try await opened.administration.importReplies(parsed.entries, on: today)
                expired = try await opened.administration.purgeReplies(before: today.adding(days: -keepDays))
            } catch {
                await opened.close()
                throw CommandFailure(L("import failed: {error}", ["error": "\(error)"]), hints: ["run it again: a reply already stored is not stored twice"])
            }
            await opened.close()
            print(L("imported {added} replies into {mailboxes} mailboxes ({already} already there)", ["added": "\(result.added)", "mailboxes": "\(Set(parsed.entries.map(\.mailbox)).count)", "already": "\(result.alreadyStored)"]))
            if expired > 0 { print(L("deleted {expired} replies older than {days} days", ["expired": "\(expired)", "days": "\(keepDays)"])) }
        }
    }
}
