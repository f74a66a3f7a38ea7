import ArgumentParser
import CLISupport
import Casework
import DurableFiles
import Formats
import Foundation
import Sodium

extension Resguardo {
    struct Unseal: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: L("Import export bundles: verify, open every envelope, file cases and quarantine, write acknowledgements."),
            discussion: L("""
            Each bundle is verified against the trusted vault key. Valid reports become cases \
            (encrypted at rest); envelopes that do not open and reports that do not validate go to \
            quarantine with the reason. For each bundle an acknowledgement BUNDLE.ack (or \
            DIR/BUNDLE.ack with --ack-out DIR) is written and synced, signed with the staff \
            reply-signing key: carry it back so the intake may purge (`resguardo-intake purge \
            --acknowledgement`). A bundle already imported changes nothing, and its acknowledgement \
            is written again: a lost or unwritable one (a read-only stick) is never a dead end.

            Example:
              $ resguardo unseal /media/usb/2026-11-25.rsgb
              bundle 9f3c…: 42 envelopes → 40 new cases, 1 duplicate, 1 quarantined (report_unknown_code: 1)
              acknowledgement: /media/usb/2026-11-25.rsgb.ack
              $ resguardo unseal /media/usb/2026-11-25.rsgb --ack-out /media/otra-usb
              bundle 9f3c…: already imported; nothing was changed
              acknowledgement: /media/otra-usb/2026-11-25.rsgb.ack
            """)
        )

        @OptionGroup var workspace: WorkspaceOptions
        @Argument(help: .L("Bundle files (.rsgb).")) var bundles: [String]
        @Option(name: .long, help: .L("Write the acknowledgements into this folder instead of beside each bundle.")) var ackOut: String?
        @OptionGroup var passphrase: PassphraseOptions

        /// Where a bundle's acknowledgement goes.
        func acknowledgementPath(for bundle: String) -> String {
            guard let ackOut else { return bundle + ".ack" }
            return (ackOut as NSString).appendingPathComponent((bundle as NSString).lastPathComponent + ".ack")
        }

        /// Signs and durably writes (temporary file, fsync, rename, directory fsync) the
        /// acknowledgement; a failure says that the import itself stands and how to get the file.
        func writeAcknowledgement(_ digest: [UInt8], for bundle: String, with replyKey: SigningKey) throws {
            let path = acknowledgementPath(for: bundle)
            do {
                let ack = try Acknowledgement.sign(bundleDigest: digest, day: .today(), with: replyKey)
                try AcknowledgementFile.write(ack, to: path)
            } catch {
                throw CommandFailure(L("the bundle {bundle} is imported, but its acknowledgement could not be written: {error}", ["bundle": "\(bundle)", "error": "\(error)"]),
                                     hints: [L("run `resguardo unseal {bundle} --ack-out DIR` with a writable folder: an imported bundle is not imported twice, and its acknowledgement is written again", ["bundle": "\(bundle)"])],
                                     status: .cannotCreate)
            }
            print(L("acknowledgement: {path}", ["path": path]))
        }

        func run() throws {
            let ws = try workspace.open()
            guard ws.keys.manifest.manifest.encryptionKeys.isEmpty == false else { throw CommandFailure("no encryption keys") }
            let (keys, replyKey) = try unlockKeysAndReplySigner(ws, passphrase)
            let unsealer: Unsealer
            do { unsealer = try Unsealer(workspace: ws, keys: keys) } catch { throw CommandFailure(error.description) }
            let interactive = isatty(2) == 1
            var failures = 0
            for path in bundles {
                // Refused before it is read: a bundle the vault could not have made.
                let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? nil
                if let size, size > ExportBundle.maxByteCount {
                    Console.error(L("{path} is {size} bytes; an export bundle is at most {max} bytes; nothing was read", ["path": path, "size": "\(size)", "max": "\(ExportBundle.maxByteCount)"]))
                    failures += 1
                    continue
                }
                // Bounded as well: the file may have grown since it was measured.
                let data: [UInt8]
                do { data = try DurableFile.read(path, maxBytes: ExportBundle.maxByteCount) } catch {
                    Console.error(L("{error}; nothing was imported", ["error": "\(error)"]))
                    failures += 1
                    continue
                }
                do {
                    let summary = try unsealer.unseal(bundle: data, today: .today()) { done, total in
                        // Progress only on a terminal; pipes and logs stay quiet.
                        if interactive && total > 0 { Console.progress("unsealing \(path): \(done)/\(total)") }
                    }
                    if interactive { Console.progress("") }
                    let reasons = summary.quarantined.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ")
                    print(L("bundle {digest}…: {envelopes} envelopes → {new} new cases, {duplicates} duplicates, {quarantined} quarantined{reasons}",
                            ["digest": String(Encoding.hex(summary.bundleDigest).prefix(16)), "envelopes": "\(summary.envelopes)", "new": "\(summary.newCases)",
                             "duplicates": "\(summary.duplicates)", "quarantined": "\(summary.quarantinedTotal)", "reasons": reasons.isEmpty ? "" : " (\(reasons))"]))
                    if summary.followUps > 0 {
                        print(L("  {n} of the new cases were sent with a codename already seen: linked as follow-ups (see cases show)", ["n": "\(summary.followUps)"]))
                    }
                    if summary.casesWithUnknownFields > 0 {
                        print(L("  {n} cases carry fields this version does not know; they are kept (see cases show)", ["n": "\(summary.casesWithUnknownFields)"]))
                    }
                    try writeAcknowledgement(summary.bundleDigest, for: path, with: replyKey)
                } catch UnsealError.replayedBundle(let digest) {
                    print(L("bundle {digest}…: already imported; nothing was changed", ["digest": String(digest.prefix(16))]))
                    guard let bytes = Encoding.bytes(fromHex: digest) else { throw CommandFailure(L("internal: bad digest {digest}", ["digest": "\(digest)"])) }
                    try writeAcknowledgement(bytes, for: path, with: replyKey)
                } catch let error as UnsealError {
                    Console.error(L("{path}: {error}", ["path": path, "error": "\(error)"]))
                    if case .noTrustedVault = error { Console.hint(L("run `resguardo vault trust` with the key from the online server")) }
                    failures += 1
                }
            }
            if GuardedMemory.lockFailures > 0 {
                Console.warning(L("{lock_failures} guarded buffers holding reports or keys could not be locked in memory (the limit is `ulimit -l`): the system may have written them to swap", ["lock_failures": "\(GuardedMemory.lockFailures)"]))
                Console.warning("raise the limit (ulimit -l unlimited, or LimitMEMLOCK in a service) or use encrypted swap, and unseal again next time")
            }
            if failures > 0 { throw CommandFailure(L("{failures} of {bundles} bundles were not imported", ["failures": "\(failures)", "bundles": "\(bundles.count)"]), status: .dataError) }
        }
    }
}
