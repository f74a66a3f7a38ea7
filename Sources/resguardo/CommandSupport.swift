import ArgumentParser
import CLISupport
import Casework
import Deidentify
import DurableFiles
import Formats
import Keys
import Foundation
import Region
import Registration
import Registry
import Sodium

/// `--workspace`, defaulting to $RESGUARDO_WORKSPACE.
struct WorkspaceOptions: ParsableArguments {
    @Option(name: .long, help: .L("The offline workspace (default: $RESGUARDO_WORKSPACE)."))
    var workspace: String?

    var path: String? { workspace ?? ProcessInfo.processInfo.environment["RESGUARDO_WORKSPACE"] }

    func open() throws -> Workspace {
        guard let path else {
            throw CommandFailure("no workspace given", hints: ["use --workspace DIR or set RESGUARDO_WORKSPACE"], status: .usage)
        }
        do {
            let ws = try Workspace(path: path)
            for warning in ws.keys.permissionWarnings() { Console.warning(warning) }
            return ws
        } catch {
            if case .missing = error {
                throw CommandFailure(error.description, hints: [L("create one with: resguardo init --workspace {path} --keys KEYDIR", ["path": "\(path)"])], status: .noInput)
            }
            if case .keys(let keyError) = error { throw keyError.commandFailure(directory: path) }
            throw CommandFailure(error.description, status: .dataError)
        }
    }
}

/// The workspace, the case a person named (by id prefix) and the unlocked keys: what every
/// command that reads one case needs, in the order that fails fastest.
func openCaseContext(_ options: WorkspaceOptions, _ caseId: String, _ passphrase: PassphraseOptions) throws -> (Workspace, [UInt8], UnlockedKeys) {
    let ws = try options.open()
    let id: [UInt8]
    do { id = try ws.resolveCase(caseId) } catch { throw CommandFailure(error.description, status: .noInput) }
    return (ws, id, try unlockKeys(ws, passphrase))
}

/// Unlocks every encryption key of the workspace's key directory, once per command.
func unlockKeys(_ workspace: Workspace, _ passphrase: PassphraseOptions) throws -> UnlockedKeys {
    let secret = try passphrase.read(prompt: "Passphrase: ")
    do { return try workspace.keys.unlockEncryptionKeys(passphrase: secret) } catch {
        throw error.commandFailure(directory: workspace.keys.path)
    }
}

/// The encryption keys and the staff reply-signing key, from one typed passphrase: what the
/// commands that open reports and sign what they write (unseal's acknowledgements, referrals) need.
func unlockKeysAndReplySigner(_ workspace: Workspace, _ passphrase: PassphraseOptions) throws -> (UnlockedKeys, SigningKey) {
    let secret = try passphrase.read(prompt: "Passphrase: ")
    do {
        return (try workspace.keys.unlockEncryptionKeys(passphrase: secret), try workspace.keys.unlockReplySigningKey(passphrase: secret))
    } catch {
        throw error.commandFailure(directory: workspace.keys.path)
    }
}

/// The regional office's folder, for the commands that run there.
struct RegionOptions: ParsableArguments {
    @Option(name: .long, help: .L("The regional office's folder (made by `resguardo region init`; default: $RESGUARDO_REGION)."))
    var region: String?

    var path: String? { region ?? ProcessInfo.processInfo.environment["RESGUARDO_REGION"] }

    func open() throws -> RegionalOffice {
        guard let path else { throw CommandFailure("no regional office folder given", hints: ["use --region DIR or set RESGUARDO_REGION"], status: .usage) }
        do { return try RegionalOffice(path: path) } catch {
            throw CommandFailure(error.description, status: error == .missing(path) ? .noInput : .dataError)
        }
    }
}

func readInput(_ path: String, maxBytes: Int, what: String) throws -> [UInt8] {
    do { return Array(try DurableFile.read(path, maxBytes: maxBytes)) } catch {
        throw CommandFailure(L("cannot read {what} {path}: {error}", ["what": "\(what)", "path": "\(path)", "error": "\(error)"]), status: .noInput)
    }
}

func regionFailure(_ error: RegionError) -> CommandFailure {
    switch error {
    case .wrongPassphrase: return CommandFailure(error.description, status: .wrongPassphrase)
    case .bundle: return CommandFailure(error.description, hints: ["nothing changed in the regional registry"], status: .dataError)
    default: return CommandFailure(error.description, status: .dataError)
    }
}

/// Argon2id cost presets a person can name.
enum KDFPreset: String, ExpressibleByArgument, CaseIterable {
    case interactive, moderate, sensitive

    var limits: KeyDerivationLimits {
        switch self {
        case .interactive: return .interactive
        case .moderate: return .moderate
        case .sensitive: return .sensitive
        }
    }
}

// MARK: - Split custody, shared by `key custody` and `region custody`

/// Whose keys a set of shares rebuilds: what a share page and the screens call it.
enum ShareHolder {
    case network
    case region

    var spanish: String { self == .network ? "de la red" : "de la oficina regional" }
    var english: String { self == .network ? "the network" : "the regional office" }
    var command: String { self == .network ? "key" : "region" }
}

/// How a recovery secret is split and handed out: the groups, and where printable pages go.
struct ShareSplitOptions: ParsableArguments {
    @Option(name: .long, help: .L("Groups as NAME:THRESHOLD/COUNT, comma-separated, e.g. \"equipo:2/3,junta:3/5\".")) var groups: String
    @Option(name: .long, help: .L("How many groups are needed (default 1).")) var groupThreshold: Int = 1
    @Option(name: .long, help: .L("Write one printable HTML page per share into this folder (a RAM disk).")) var pages: String?
    @Flag(name: .long, help: .L("Allow --pages on a disk rather than a RAM disk.")) var pagesOnDisk = false

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

    /// Shows each share once: on a terminal alone on a cleared screen until Enter, piped one per
    /// line; with --pages, one printable page each.
    func handOut(_ shares: [[SLIP39.Share]], groups list: [RecoveryFile.Custody.Group], organisation: String, holder: ShareHolder) throws {
        if let pages {
            try FileManager.default.createDirectory(atPath: pages, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
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
                    do {
                        try DurableFile.createExclusive(file, bytes: Array(SharePage.html(organisation: organisation, group: g, share: share, words: words, setSize: list.count,
                                                                                          groupThreshold: groupThreshold, holder: holder).utf8))
                    } catch {
                        throw CommandFailure(error.description, status: .cannotCreate)
                    }
                }
            }
        }
    }

    func printSummary(_ shares: [[SLIP39.Share]], groups list: [RecoveryFile.Custody.Group]) {
        print(L("split into {shares} shares (set {identifier}); {group_threshold} of {list} groups needed; the recovery secret was deleted", ["shares": "\(shares.joined().count)", "identifier": "\(shares.first?.first?.identifier ?? 0)", "group_threshold": "\(groupThreshold)", "list": "\(list.count)"]))
        if let pages { print(L("pages in {pages}: print them, hand each to its trustee, then delete the folder", ["pages": "\(pages)"])) }
    }
}

/// A split refused for what the custody files say, or for the groups asked.
func shareSplitFailure(_ error: any Error) -> CommandFailure {
    switch error {
    case let e as CustodyError: return CommandFailure(e.description, status: .dataError)
    case let e as SLIP39Error: return CommandFailure(e.description, status: .usage)
    case let e as KeyDirectoryError: return CommandFailure(e.description, status: .dataError)
    default: return CommandFailure("\(error)")
    }
}

/// Reads shares one at a time until they are enough, saying after each how many more are
/// needed and from which group; a mistyped share, or one of another split, is refused and asked
/// again. Nothing is written here: the shares only open the recovery file later.
func readShares(for file: RecoveryFile, from sharesFile: String?) throws -> [SLIP39.Share] {
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
        if progress.isComplete { return shares }
        let state = progress.groups.sorted { $0.key < $1.key }.map { "\(groupName($0.key)): \($0.value.have)/\($0.value.need)" }.joined(separator: ", ")
        let missing = progress.groupThreshold - progress.completeGroups
        Console.note(L("share {shares} accepted (group {group_index}, member {member_index}); {state}; {missing} more group{s} of {group_threshold} to complete", ["shares": "\(shares.count)", "group_index": "\(groupName(share.groupIndex))", "member_index": "\(share.memberIndex + 1)", "state": "\(state)", "missing": "\(missing)", "s": "\(missing == 1 ? "" : "s")", "group_threshold": "\(progress.groupThreshold)"]))
    }
}

func readRecoveryFile(_ path: String) throws -> RecoveryFile {
    let bytes = try readInput(path, maxBytes: RecoveryFile.maxByteCount, what: "recovery file")
    do { return try RecoveryFile(bytes: bytes) } catch { throw CommandFailure(L("{path}: {error}", ["path": "\(path)", "error": "\(error)"]), status: .dataError) }
}

/// The printable page a trustee keeps: the network (or the regional office), the share's place
/// in the split, the words in large type, and what to do with it, in Spanish and English.
enum SharePage {
    static func html(organisation: String, group: RecoveryFile.Custody.Group, share: SLIP39.Share, words: [String], setSize: Int, groupThreshold: Int,
                     holder: ShareHolder = .network) -> String {
        let e = Encoding.htmlEscaped
        let (es, en, tool) = (holder.spanish, holder.english, holder.command)
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
        <p>Guarde esta hoja en papel, en un sobre cerrado, en un lugar seguro lejos de la computadora \(es). No la fotografíe, no la escriba en ningún teléfono ni computadora, no la comparta. Sola no abre nada: se necesitan varias personas custodias a la vez. Quien tenga esta hoja y la de otras personas custodias podría recuperar las llaves \(es): no diga a nadie más que es custodia.</p>
        <h2>Cuándo traerlo</h2>
        <p>Solo cuando el equipo \(es) le pida, en persona, recuperar las llaves (computadora perdida o contraseña olvidada). Confirme por otro medio quién se lo pide. Escriba las palabras usted misma, solo en la computadora sin red \(es), con <code>resguardo \(tool) custody recover</code>. Puede comprobar su hoja sin revelar nada con <code>resguardo \(tool) custody verify</code>.</p>
        <h2>Keeping it</h2>
        <p>Keep this sheet on paper, in a sealed envelope, somewhere safe away from \(en)'s computer. Do not photograph it, type it into any phone or computer, or share it. On its own it opens nothing: several trustees are needed together. Whoever holds this sheet and other trustees' could recover \(en)'s keys: tell nobody else that you are a trustee.</p>
        <h2>When to bring it</h2>
        <p>Only when \(en)'s staff ask you, in person, to recover the keys (a lost computer or a forgotten passphrase). Confirm through another channel who is asking. Type the words yourself, only on \(en)'s offline computer, with <code>resguardo \(tool) custody recover</code>. You can check your sheet without revealing anything with <code>resguardo \(tool) custody verify</code>.</p>
        </body></html>
        """
    }
}
