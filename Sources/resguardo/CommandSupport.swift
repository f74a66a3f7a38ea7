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
