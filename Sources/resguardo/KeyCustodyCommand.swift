import DurableFiles
import ArgumentParser
import CLISupport
import Casework
import Foundation
import Formats
import Keys
import Sodium

extension Resguardo.KeyCommand {
    struct CustodyCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "custody",
            abstract: L("Split custody of the keys (SLIP-0039): a recovery key, shares for trustees, recovery after a loss."),
            discussion: L("""
            Every secret key of the directory is sealed to a recovery key in DIR/recovery.rsgr, a \
            file that may be kept anywhere (it opens only with the recovery secret). The recovery \
            secret is split into SLIP-0039 shares (standard word lists: they combine in any \
            SLIP-0039 tool) for trustees, then deleted. A rotation later adds the new key to the \
            recovery file without any share.

            Example:
              $ resguardo key custody split --dir ~/llaves --groups "equipo:2/3,junta:3/5" --group-threshold 1
              $ resguardo key custody verify --recovery-file recovery.rsgr
              $ resguardo key custody recover --out ~/llaves-nuevas --recovery-file recovery.rsgr --fingerprint "a036 …"
            """),
            subcommands: [Init.self, Split.self, Verify.self, Recover.self]
        )

        struct Init: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: L("Make the recovery key and file for a key directory made before custody existed (key init does it itself)."),
                discussion: L("Example:\n  $ resguardo key custody init --dir ~/llaves\n  $ resguardo key custody init --dir ~/llaves --replace --workspace ~/casos")
            )
            @OptionGroup var keys: KeyDirectoryOptions
            @Flag(name: .long, help: .L("Make a new recovery key even if one exists: the old shares stop opening the new recovery file.")) var replace = false
            @Option(name: .long, help: .L("With --replace: the workspace whose pseudonym key the old recovery file holds, so the new one holds it too.")) var workspace: String?
            @Option(name: .long, help: .L("Argon2id cost of the waiting recovery-secret file.")) var kdf: KDFPreset = .moderate
            @OptionGroup var passphrase: PassphraseOptions

            func run() throws {
                let directory = try keys.open()
                let secret = try passphrase.read(prompt: "Passphrase: ")
                var pseudonym: SecureBytes?
                if let workspace {
                    var options = WorkspaceOptions()
                    options.workspace = workspace
                    let ws = try options.open()
                    let unlocked: UnlockedKeys
                    do { unlocked = try directory.unlockEncryptionKeys(passphrase: secret) } catch { throw error.commandFailure(directory: directory.path) }
                    do { pseudonym = try ws.pseudonymKey(unlocked).guardedBytes } catch { throw CommandFailure(error.description, status: .dataError) }
                }
                let file: RecoveryFile
                do { file = try directory.initCustody(passphrase: secret, limits: kdf.limits, replace: replace, pseudonym: pseudonym) } catch {
                    if case .alreadyExists = error { throw CommandFailure(L("{recovery_file_path} exists already", ["recovery_file_path": "\(directory.recoveryFilePath)"]), hints: ["--replace makes a new recovery key (the old shares stop working)"], status: .cannotCreate) }
                    throw error.commandFailure(directory: directory.path)
                }
                print(L("recovery file: {recovery_file_path} ({entries} keys sealed to the recovery key)", ["recovery_file_path": "\(directory.recoveryFilePath)", "entries": "\(file.entries.count)"]))
                if let pseudonym, let check = try? RecoveryFile.pseudonymCheck(pseudonym) {
                    print(L("pseudonym key check value: {check} (the same as in the custody record)", ["check": RecoveryFile.checkText(check)]))
                }
                print(L("next: resguardo key custody split --dir {path} --groups \"equipo:2/3\" --group-threshold 1", ["path": "\(directory.path)"]))
            }
        }

        struct Split: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: L("Split the recovery secret into SLIP-0039 shares for trustees, print each once, then delete the secret."),
                discussion: L("""
                --groups lists the groups as NAME:THRESHOLD/COUNT (at most 16 groups of at most 16); \
                --group-threshold is how many groups must bring their threshold of shares. On a \
                terminal each share is shown alone, then the screen is cleared; piped, they are printed \
                one per line (for a script: keep that output off any disk). --pages DIR writes one \
                printable page per trustee (mode 0600); DIR must be a RAM disk (tmpfs, e.g. /dev/shm) \
                unless --pages-on-disk is given: print the pages, then delete them.

                Example:
                  $ resguardo key custody split --dir ~/llaves --groups "equipo:2/3,junta:3/5" --group-threshold 1 --pages /dev/shm/hojas
                """)
            )
            @OptionGroup var keys: KeyDirectoryOptions
            @Option(name: .long, help: .L("Groups as NAME:THRESHOLD/COUNT, comma-separated, e.g. \"equipo:2/3,junta:3/5\".")) var groups: String
            @Option(name: .long, help: .L("How many groups are needed (default 1).")) var groupThreshold: Int = 1
            @Option(name: .long, help: .L("Write one printable HTML page per share into this folder (a RAM disk).")) var pages: String?
            @Flag(name: .long, help: .L("Allow --pages on a disk rather than a RAM disk.")) var pagesOnDisk = false
            @OptionGroup var passphrase: PassphraseOptions

            func parsedGroups() throws -> [RecoveryFile.Custody.Group] {
                try groups.split(separator: ",").map { item in
                    let parts = item.split(separator: ":")
                    let numbers = parts.count == 2 ? parts[1].split(separator: "/").compactMap { Int($0) } : []
                    guard parts.count == 2, !parts[0].isEmpty, parts[0].count <= 40, numbers.count == 2 else {
                        throw ValidationError(L("`{item}` is not NAME:THRESHOLD/COUNT (e.g. equipo:2/3)", ["item": "\(item)"]))
                    }
                    return RecoveryFile.Custody.Group(name: String(parts[0]), threshold: numbers[0], count: numbers[1])
                }
            }

            func validate() throws {
                let list = try parsedGroups()
                guard !list.isEmpty, (1...list.count).contains(groupThreshold) else { throw ValidationError(L("--group-threshold must be between 1 and the number of groups ({count})", ["count": "\(list.count)"])) }
                if let pages, !pagesOnDisk, !Self.isRAMDisk(pages) {
                    throw ValidationError(L("--pages {pages} is not on a RAM disk (tmpfs): a page holds a share in the clear; use /dev/shm/…, or --pages-on-disk", ["pages": "\(pages)"]))
                }
            }

            /// Whether `path` (or the folder it would be made in) is on tmpfs or ramfs: the longest
            /// mount point of /proc/self/mounts that contains it.
            static func isRAMDisk(_ path: String) -> Bool {
                let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
                guard let mounts = try? String(contentsOfFile: "/proc/self/mounts", encoding: .utf8) else { return false }
                var best: (point: String, type: String) = ("", "")
                for line in mounts.split(separator: "\n") {
                    let fields = line.split(separator: " ")
                    guard fields.count >= 3 else { continue }
                    let point = String(fields[1]), type = String(fields[2])
                    let inside = point == "/" || absolute == point || absolute.hasPrefix(point + "/")
                    if inside && point.count >= best.point.count { best = (point, type) }
                }
                return best.type == "tmpfs" || best.type == "ramfs"
            }

            func run() throws {
                let directory = try keys.open()
                let list = try parsedGroups()
                let secret = try passphrase.read(prompt: "Passphrase: ")
                let shares: [[SLIP39.Share]]
                do { shares = try directory.split(passphrase: secret, groupThreshold: groupThreshold, groups: list, today: .today()) } catch let e as KeyDirectoryError {
                    throw e.commandFailure(directory: directory.path)
                } catch let e as CustodyError {
                    throw CommandFailure(e.description, status: .dataError)
                } catch let e as SLIP39Error {
                    throw CommandFailure(e.description, status: .usage)
                }
                if let pages {
                    try FileManager.default.createDirectory(atPath: pages, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
                }
                let organisation = directory.manifest.manifest.organisation
                let terminal = isatty(STDOUT_FILENO) == 1
                if !terminal { Console.warning("the shares go to a pipe or a file: keep that output off any disk, and away from any network") }
                for (g, members) in zip(list, shares) {
                    for share in members {
                        let words = SLIP39.words(of: share)
                        let label = "share \(share.groupIndex + 1).\(share.memberIndex + 1) \(g.name)"
                        if terminal {
                            print("\u{1B}[2J\u{1B}[H", terminator: "")
                            print("Compartido / Share: grupo «\(TerminalText.escaped(g.name))» (\(share.groupIndex + 1)), miembro \(share.memberIndex + 1) de \(g.count) — \(g.threshold) de \(g.count) necesarios en el grupo\n")
                            for (i, w) in words.enumerated() { print(String(format: "%2d. %@", i + 1, w), terminator: i % 4 == 3 ? "\n" : "\t") }
                            print("\n\nEntregue estas palabras a la persona custodia y pulse Intro / Hand these words to the trustee, then press Enter.")
                            _ = Swift.readLine()
                            print("\u{1B}[2J\u{1B}[H", terminator: "")
                        } else {
                            print("\(label): \(words.joined(separator: " "))")
                        }
                        if let pages {
                            let file = "\(pages)/compartido-\(share.groupIndex + 1)-\(share.memberIndex + 1).html"
                            unlink(file)
                            do { try DurableFile.createExclusive(file, bytes: Array(SharePage.html(organisation: organisation, group: g, share: share, words: words, setSize: list.count, groupThreshold: groupThreshold).utf8)) } catch {
                                throw CommandFailure(error.description, status: .cannotCreate)
                            }
                        }
                    }
                }
                do { try directory.finishSplit() } catch { throw error.commandFailure(directory: directory.path) }
                print(L("split into {shares} shares (set {identifier}); {group_threshold} of {list} groups needed; the recovery secret was deleted", ["shares": "\(shares.joined().count)", "identifier": "\(shares.first?.first?.identifier ?? 0)", "group_threshold": "\(groupThreshold)", "list": "\(list.count)"]))
                if let pages { print(L("pages in {pages}: print them, hand each to its trustee, then delete the folder", ["pages": "\(pages)"])) }
            }
        }

        struct Verify: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: L("Check one share on its own (checksum, set, group, member) without any other share and without revealing anything."),
                discussion: L("Example:\n  $ resguardo key custody verify --recovery-file recovery.rsgr")
            )
            @Option(name: .long, help: .L("The network's recovery file: says whether the share belongs to its current split, and names the group.")) var recoveryFile: String?
            @Option(name: .long, help: .L("Read the share from this file (- for standard input) instead of the terminal.")) var sharesFile: String?

            func run() throws {
                let file = try recoveryFile.map(readRecoveryFile)
                var input = try SecretLines(file: sharesFile)
                guard let line = try input.read(prompt: "Share (not shown): ") else { throw CommandFailure("no share given", status: .usage) }
                let share: SLIP39.Share
                do { share = try SLIP39.share(from: line) } catch { throw CommandFailure(error.description, hints: ["check each word against the paper, in order"], status: .dataError) }
                var text = "valid share: \(share.description)"
                if let custody = file?.custody {
                    guard custody.set == share.identifier else {
                        throw CommandFailure(L("this share is from another split (set {identifier}), not the recovery file's current one (set {set}, split on {split_day})", ["identifier": "\(share.identifier)", "set": "\(custody.set)", "split_day": "\(custody.splitDay)"]), status: .dataError)
                    }
                    if share.groupIndex < custody.groups.count { text += "; group «\(TerminalText.escaped(custody.groups[share.groupIndex].name))»" }
                    text += "; belongs to the current split of \(custody.splitDay)"
                }
                print(text)
            }
        }

        struct Recover: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: L("Rebuild the key directory from the recovery file and the trustees' shares, under a new passphrase."),
                discussion: L("""
                The shares are typed one at a time (not shown); after each the command says how many \
                more are needed and from which group. Before anything is opened, the recovery file's \
                entry list must be signed by --fingerprint's key (anyone holding the file can seal an \
                entry to it), and the manifest (the recovery file's, or --manifest) must be signed by \
                it too; a --manifest older than the recovery file's, or missing any key it lists, is \
                refused. Every recovered key must be the manifest's before anything is written. At \
                the end it prints the pseudonym key's check value: compare it with the one \
                `resguardo init` printed and the custody record keeps.

                Example:
                  $ resguardo key custody recover --out ~/llaves --recovery-file /media/usb/recovery.rsgr --fingerprint "a036 5677 …"
                """)
            )
            @Option(name: .long, help: .L("Where to write the rebuilt key directory (must not exist, or be empty).")) var out: String
            @Option(name: .long, help: .L("The recovery file (recovery.rsgr).")) var recoveryFile: String
            @Option(name: .long, help: .L("The network's signing-key fingerprint (as published).")) var fingerprint: String
            @Option(name: .long, help: .L("A signed manifest newer than the recovery file's, from the network's own copies (it must list every key the recovery file's lists).")) var manifest: String?
            @Flag(name: .long, help: .L("Accept a recovery file written before entry lists were signed (December 2026); the pseudonym key's check value must then be compared by hand.")) var acceptUnsignedEntries = false
            @Option(name: .long, help: .L("Read the shares from this file, one per line (- for standard input), instead of the terminal.")) var sharesFile: String?
            @Option(name: .long, help: .L("Argon2id cost of the new key files.")) var kdf: KDFPreset = .moderate
            @OptionGroup var passphrase: PassphraseOptions

            func run() throws {
                guard let pin = SigningKeyFingerprint(text: fingerprint) else { throw CommandFailure(L("`{fingerprint}` is not a fingerprint", ["fingerprint": "\(fingerprint)"]), status: .usage) }
                let file = try readRecoveryFile(recoveryFile)
                let override = try manifest.map { try readInput($0, maxBytes: SignedKeyManifest.maxByteCount, what: "manifest") }
                var input = try SecretLines(file: sharesFile)
                var shares: [SLIP39.Share] = []
                let names = file.custody?.groups.map(\.name) ?? []
                func groupName(_ i: Int) -> String { i < names.count ? "«\(TerminalText.escaped(names[i]))»" : "\(i + 1)" }
                while true {
                    guard let line = try input.read(prompt: L("Share {number} (not shown): ", ["number": "\(shares.count + 1)"])) else {
                        throw CommandFailure("not enough shares were given", hints: ["nothing was written"], status: .dataError)
                    }
                    let share: SLIP39.Share
                    do { share = try SLIP39.share(from: line) } catch {
                        Console.warning(L("share {shares} refused (compartido rechazado): {error}; type it again / escríbalo de nuevo", ["shares": "\(shares.count + 1)", "error": "\(error)"]))
                        continue
                    }
                    if let custody = file.custody, custody.set != share.identifier {
                        Console.warning(L("share {shares} is from another split (set {identifier}, the recovery file's is {set}); not used", ["shares": "\(shares.count + 1)", "identifier": "\(share.identifier)", "set": "\(custody.set)"]))
                        continue
                    }
                    let progress: SLIP39.Progress
                    do { progress = try SLIP39.progress(shares + [share]) } catch {
                        Console.warning(L("share {shares} refused: {error}", ["shares": "\(shares.count + 1)", "error": "\(error)"]))
                        continue
                    }
                    shares.append(share)
                    if progress.isComplete { break }
                    let state = progress.groups.sorted { $0.key < $1.key }.map { "\(groupName($0.key)): \($0.value.have)/\($0.value.need)" }.joined(separator: ", ")
                    let missing = progress.groupThreshold - progress.completeGroups
                    Console.note(L("share {shares} accepted (group {group_index}, member {member_index}); {state}; {missing} more group{s} of {group_threshold} to complete", ["shares": "\(shares.count)", "group_index": "\(groupName(share.groupIndex))", "member_index": "\(share.memberIndex + 1)", "state": "\(state)", "missing": "\(missing)", "s": "\(missing == 1 ? "" : "s")", "group_threshold": "\(progress.groupThreshold)"]))
                }
                let secret = try passphrase.readNew()
                let recovered: KeyDirectory.Recovered
                do {
                    recovered = try KeyDirectory.recover(shares: shares, recoveryFile: file, manifest: override, pinned: pin, to: out, passphrase: secret,
                                                         limits: kdf.limits, acceptUnsigned: acceptUnsignedEntries)
                } catch RecoveryFileError.unsigned {
                    throw CommandFailure(RecoveryFileError.unsigned.description, hints: [L("if this file is the network's own copy from before December 2026, run again with --accept-unsigned-entries and compare the pseudonym check value it prints"), "nothing was written"], status: .dataError)
                } catch let e as SLIP39Error {
                    throw CommandFailure(e.description, hints: ["nothing was written"], status: .dataError)
                } catch let e as RecoveryFileError {
                    throw CommandFailure(e.description, hints: ["nothing was written"], status: .dataError)
                } catch let e as CustodyError {
                    throw CommandFailure(e.description, hints: ["nothing was written"], status: .dataError)
                } catch let e as KeyDirectoryError {
                    throw e.commandFailure(directory: out)
                }
                let directory = recovered.directory
                print(L("recovered the key directory {out} for {organisation}; signing-key fingerprint {signing_key} (matches the pinned one)", ["out": "\(out)", "organisation": "\(TerminalText.escaped(directory.manifest.manifest.organisation))", "signing_key": "\(try SigningKeyFingerprint(verifyingKey: directory.manifest.signingKey))"]))
                if let check = recovered.pseudonymCheck {
                    print(L("pseudonym key check value: {check} (compare it with the custody record; a different value means the pseudonym key is not the network's)", ["check": check]))
                }
                if recovered.entriesWereUnsigned {
                    Console.warning(L("the recovery file's entry list was not signed: it is signed now in {out}, but only the check value above says the pseudonym key is the network's", ["out": out]))
                }
                print(L("the shares still open the recovery file; to retire them: resguardo key custody init --dir {out} --replace, then split again", ["out": "\(out)"]))
            }
        }
    }

}

func readRecoveryFile(_ path: String) throws -> RecoveryFile {
    let bytes = try readInput(path, maxBytes: RecoveryFile.maxByteCount, what: "recovery file")
    do { return try RecoveryFile(bytes: bytes) } catch { throw CommandFailure(L("{path}: {error}", ["path": "\(path)", "error": "\(error)"]), status: .dataError) }
}

/// The printable page a trustee keeps: the network, the share's place in the split, the words
/// in large type, and what to do with it, in Spanish and English.
enum SharePage {
    static func html(organisation: String, group: RecoveryFile.Custody.Group, share: SLIP39.Share, words: [String], setSize: Int, groupThreshold: Int) -> String {
        let e = Encoding.htmlEscaped
        let list = words.enumerated().map { "<li><span>\($0.offset + 1)</span> \(e($0.element))</li>" }.joined()
        return """
        <!doctype html>
        <html lang="es"><head><meta charset="utf-8"><title>Compartido de recuperación — \(e(organisation))</title>
        <style>
        @page { size: A4; margin: 16mm; }
        body { font-family: "DejaVu Sans", Arial, sans-serif; color: #111; max-width: 760px; margin: 20px auto; }
        h1 { font-size: 20px; margin: 0 0 4px; } .meta { color: #333; margin: 0 0 14px; }
        ol { columns: 2; list-style: none; padding: 0; font-size: 26px; font-family: "DejaVu Sans Mono", monospace; line-height: 1.6; }
        ol span { display: inline-block; width: 2.2em; color: #777; font-size: 16px; }
        .box { border: 2px solid #111; padding: 10px 14px; margin: 10px 0; } h2 { font-size: 15px; margin: 14px 0 4px; }
        p, li.i { font-size: 13px; line-height: 1.45; }
        </style></head><body>
        <h1>\(e(organisation)) — compartido de recuperación / recovery share</h1>
        <p class="meta">Grupo / group «\(e(group.name))» (\(share.groupIndex + 1) de \(setSize); grupos necesarios / groups needed: \(groupThreshold)) · miembro / member \(share.memberIndex + 1) de \(group.count) (necesarios en el grupo / needed in the group: \(group.threshold)) · conjunto / set \(share.identifier)</p>
        <div class="box"><ol>\(list)</ol></div>
        <h2>Cómo guardarlo</h2>
        <p>Guarde esta hoja en papel, en un sobre cerrado, en un lugar seguro lejos de la computadora de la red. No la fotografíe, no la escriba en ningún teléfono ni computadora, no la comparta. Sola no abre nada: se necesitan varias personas custodias a la vez. Quien tenga esta hoja y la de otras personas custodias podría recuperar las llaves de la red: no diga a nadie más que es custodia.</p>
        <h2>Cuándo traerlo</h2>
        <p>Solo cuando el equipo de la red le pida, en persona, recuperar las llaves (computadora perdida o contraseña olvidada). Confirme por otro medio quién se lo pide. Escriba las palabras usted misma, solo en la computadora sin red de la red, con <code>resguardo key custody recover</code>. Puede comprobar su hoja sin revelar nada con <code>resguardo key custody verify</code>.</p>
        <h2>Keeping it</h2>
        <p>Keep this sheet on paper, in a sealed envelope, somewhere safe away from the network's computer. Do not photograph it, type it into any phone or computer, or share it. On its own it opens nothing: several trustees are needed together. Whoever holds this sheet and other trustees' could recover the network's keys: tell nobody else that you are a trustee.</p>
        <h2>When to bring it</h2>
        <p>Only when the network's staff ask you, in person, to recover the keys (a lost computer or a forgotten passphrase). Confirm through another channel who is asking. Type the words yourself, only on the network's offline computer, with <code>resguardo key custody recover</code>. You can check your sheet without revealing anything with <code>resguardo key custody verify</code>.</p>
        </body></html>
        """
    }
}
