import ArgumentParser
import CLISupport
import DurableFiles
import Formats
import Foundation
import Intake
import Sodium
import Vault

extension IntakeCommand {
    struct Purge: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: L("Delete envelopes the offline side has acknowledged, or old ones by age."),
            discussion: L("""
            --acknowledgement checks the file `resguardo unseal` wrote (signed by the staff \
            reply-signing key of --manifest, which must be signed by the pinned --fingerprint) and \
            deletes what that bundle carried. --bundle-digest does the same from a digest typed by \
            hand. --older-than N looks at envelopes received more than N days ago: without an \
            acknowledgement they may be the only copy of a report, so it deletes only what it is told \
            to by name: --force-unacknowledged (exported in a bundle the offline side never \
            acknowledged; each bundle is listed) and --force-unexported (never exported at all).

            Example:
              $ resguardo-intake purge --vault vault.sqlite --acknowledgement /media/usb/2026-11-25.rsgb.ack \\
                  --manifest manifest.json --fingerprint "a036 5677 a5c6 16c5 72f4 dcd2 9f13 fed2"
              $ resguardo-intake purge --vault vault.sqlite --bundle-digest 9f3c…
              $ resguardo-intake purge --vault vault.sqlite --older-than 90
              $ resguardo-intake purge --vault vault.sqlite --older-than 180 --force-unacknowledged
            """)
        )

        @OptionGroup var vault: VaultOptions
        @Option(name: .long, help: .L("Acknowledgement file written by `resguardo unseal` (BUNDLE.ack).")) var acknowledgement: String?
        @OptionGroup(title: L("With --acknowledgement: the manifest whose reply-signing key signed it")) var manifest: PinnedManifestOptions
        @Option(name: .long, help: .L("Digest (hex) of an acknowledged bundle.")) var bundleDigest: String?
        @Option(name: .long, help: .L("Look at envelopes older than this many days (deletes only what a --force flag names).")) var olderThan: Int?
        @Flag(name: .long, help: .L("With --older-than: delete envelopes of bundles that were exported but never acknowledged.")) var forceUnacknowledged = false
        @Flag(name: .long, help: .L("With --older-than: delete envelopes never exported (the only copy of those reports).")) var forceUnexported = false

        func validate() throws {
            guard [acknowledgement != nil, bundleDigest != nil, olderThan != nil].filter({ $0 }).count == 1 else {
                throw ValidationError(L("give exactly one of --acknowledgement, --bundle-digest or --older-than"))
            }
            if forceUnacknowledged || forceUnexported, olderThan == nil { throw ValidationError(L("--force-unacknowledged and --force-unexported go with --older-than")) }
            if let olderThan, olderThan < 0 { throw ValidationError(L("--older-than must be 0 or more")) }
            if let bundleDigest, Encoding.bytes(fromHex: bundleDigest)?.count != 32 {
                throw ValidationError(L("--bundle-digest must be 64 lowercase hex digits"))
            }
        }

        func run() async throws {
            let ack = try acknowledgement.map { try verifiedAcknowledgement($0) }
            let opened = try await vault.open()
            do { try await purge(opened.administration, acknowledged: ack) } catch {
                await opened.close()
                throw error
            }
            await opened.close()
        }

        func purge(_ database: any VaultAdministration, acknowledged ack: Acknowledgement?) async throws {
            if let ack {
                do {
                    let n = try await database.purge(bundleDigest: ack.bundleDigest, today: .today())
                    print(L("purged {count} envelopes of bundle {digest}, acknowledged offline on {day}", ["count": "\(n)", "digest": "\(Encoding.hex(ack.bundleDigest))", "day": "\(ack.day)"]))
                } catch VaultError.unknownBundle {
                    throw CommandFailure(L("no bundle with digest {bundle_digest} was exported from {name}", ["bundle_digest": "\(Encoding.hex(ack.bundleDigest))", "name": "\(vault.name)"]), status: .dataError)
                }
            } else if let bundleDigest, let digest = Encoding.bytes(fromHex: bundleDigest) {
                do {
                    let n = try await database.purge(bundleDigest: digest, today: .today())
                    print(L("purged {count} envelopes of bundle {digest}", ["count": "\(n)", "digest": "\(bundleDigest)"]))
                } catch VaultError.unknownBundle {
                    throw CommandFailure(L("no bundle with digest {bundle_digest} was exported from {name}", ["bundle_digest": "\(bundleDigest)", "name": "\(vault.name)"]), status: .dataError)
                }
            } else if let olderThan {
                try await purgeByAge(database, olderThan: olderThan)
            }
        }
    }
}

extension IntakeCommand.Purge {
    func purgeByAge(_ database: any VaultAdministration, olderThan: Int) async throws {
        let summary: PurgeByAgeSummary
        do {
            summary = try await database.purge(olderThan: olderThan, today: .today(), includingUnacknowledged: forceUnacknowledged,
                                               includingUnexported: forceUnexported)
        } catch {
            throw CommandFailure(L("purge failed: {error}", ["error": "\(error)"]), hints: ["nothing was deleted"])
        }
        print(L("purged {count} envelopes older than {days} days", ["count": "\(summary.deleted)", "days": "\(olderThan)"]))
        for bundle in summary.unacknowledged {
            let what = summary.deletedUnacknowledged ? L("deleted") : L("kept")
            print(L("  {what} {count} envelopes of bundle {digest}, exported but never acknowledged", ["what": "\(what)", "count": "\(bundle.count)", "digest": "\(Encoding.hex(bundle.digest))"]))
        }
        if summary.deletedUnacknowledged && summary.unacknowledgedCount > 0 {
            Console.warning(L("deleted {unacknowledged_count} envelopes whose bundle was never acknowledged: if that bundle was lost, those reports are gone", ["unacknowledged_count": "\(summary.unacknowledgedCount)"]))
        } else if summary.keptUnacknowledged > 0 {
            Console.warning(L("kept {kept_unacknowledged} envelopes of unacknowledged bundles (import the bundle offline and bring back its acknowledgement, or --force-unacknowledged)", ["kept_unacknowledged": "\(summary.keptUnacknowledged)"]))
        }
        if summary.deletedUnexported && summary.unexported > 0 {
            Console.warning(L("deleted {unexported} envelopes that were never exported: those reports are gone", ["unexported": "\(summary.unexported)"]))
        } else if summary.keptUnexported > 0 {
            Console.warning(L("kept {kept_unexported} envelopes that were never exported (export them, or --force-unexported)", ["kept_unexported": "\(summary.keptUnexported)"]))
        }
    }

    /// Checks the acknowledgement against the staff reply-signing key named in the manifest.
    func verifiedAcknowledgement(_ path: String) throws -> Acknowledgement {
        guard let data = try? DurableFile.read(path, maxBytes: 4096) else { throw CommandFailure(L("cannot read {path} (an acknowledgement is {byte_count} bytes)", ["path": "\(path)", "byte_count": "\(Acknowledgement.byteCount)"]), status: .noInput) }
        let replyKey = try manifest.load().replySigningKey
        do { return try Acknowledgement(bytes: Array(data), verifyingKey: replyKey) } catch {
            throw CommandFailure(L("{path}: {error}", ["path": "\(path)", "error": "\(error)"]), hints: ["nothing was purged"], status: .dataError)
        }
    }
}
