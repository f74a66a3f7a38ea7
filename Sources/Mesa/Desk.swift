public import Casework
import DurableFiles
import Foundation
public import Formats
import Keys
import Sodium
import Synchronization

/// La mesa's one piece of state: the workspace and, while a person has unlocked it, the keys
/// (in guarded memory, in this process only; the page never holds a secret). Lock drops them,
/// on the button, after `idle` without a request, and when the server stops: freed guarded
/// memory is wiped (libsodium's sodium_free). An operation already running when the desk locks
/// keeps its own reference until it ends (an import finishes the bundle it was opening).
public actor Desk: DeskState {
    public let workspace: Workspace
    /// Folders to look in for bundles (the mounted USB sticks).
    let usbFolders: [String]
    let idle: Duration
    private var keys: UnlockedKeys?
    private var signer: SigningKey?
    private var lastUse = ContinuousClock.now
    /// The language of the pages; Spanish first, switched by a button (kept for the session).
    public private(set) var language: Language = .es
    /// One message for the next page (what the last change did), then gone.
    private var notice: (text: String, isError: Bool)?
    private(set) var importJob: ImportJob?

    public init(workspace path: String, usbFolders: [String], idle: Duration) throws {
        workspace = try Workspace(path: path)
        self.usbFolders = usbFolders
        self.idle = idle
    }

    public var isUnlocked: Bool { keys != nil }

    /// Opens the keys with the passphrase: the encryption keys and the staff reply-signing key
    /// (acknowledgements, replies and referrals are signed with it), as the CLI's commands do.
    func unlock(passphrase: SecureBytes) throws(KeyDirectoryError) {
        let opened = try workspace.keys.unlockEncryptionKeys(passphrase: passphrase)
        let replySigner = try workspace.keys.unlockReplySigningKey(passphrase: passphrase)
        keys = opened
        signer = replySigner
        lastUse = .now
    }

    nonisolated func isWrongPassphrase(_ error: any Error) -> Bool { (error as? KeyDirectoryError)?.isWrongPassphrase ?? false }

    public func lock() {
        keys = nil
        signer = nil
    }

    /// A request arrived: the idle time starts again.
    func touch() { lastUse = .now }

    /// Locks when nothing was asked for `idle`; true when it locked now.
    @discardableResult
    func lockIfIdle() -> Bool {
        guard keys != nil, ContinuousClock.now - lastUse >= idle else { return false }
        lock()
        return true
    }

    func setLanguage(_ language: Language) { self.language = language }

    func say(_ text: String, error: Bool = false) { notice = (text, error) }
    func takeNotice() -> (text: String, isError: Bool)? {
        defer { notice = nil }
        return notice
    }

    /// The keys, or `MesaError.locked`: every page that opens a case asks for them.
    func unlocked() throws(MesaError) -> UnlockedKeys {
        guard let keys else { throw .locked }
        return keys
    }

    func replySigner() throws(MesaError) -> SigningKey {
        guard let signer else { throw .locked }
        return signer
    }

    // MARK: - Import

    /// Starts importing one bundle in the background (the page refreshes to show progress);
    /// refused while another import runs.
    func startImport(bundle path: String, acknowledgementFolder: String?) throws(MesaError) {
        if let job = importJob, !job.isFinished { throw .busy }
        let keys = try unlocked(), signer = try replySigner()
        let job = ImportJob(bundle: path)
        importJob = job
        let workspace = self.workspace
        Task.detached { job.run(workspace: workspace, keys: keys, signer: signer, acknowledgementFolder: acknowledgementFolder) }
    }

    /// The bundles in the USB folders, newest first (name, full path).
    func bundlesOnSticks() -> [(name: String, path: String)] { filesOnSticks(endingIn: ".rsgb") }

    func filesOnSticks(endingIn suffix: String) -> [(name: String, path: String)] { files(in: usbFolders, endingIn: suffix) }
}

/// Why la mesa refused an action: said on the page, in the person's language.
enum MesaError: Error, Equatable {
    case locked
    case busy
    case badRequest(String)
    case notFound

    func text(_ language: Language) -> String {
        switch self {
        case .locked: return L("The desk is locked: unlock it with the passphrase.", in: language)
        case .busy: return L("An import is running: wait for it to finish.", in: language)
        case .badRequest(let why): return why
        case .notFound: return L("Not found.", in: language)
        }
    }
}

/// One bundle being imported, as the CLI's `unseal` does it: verified, opened, filed,
/// quarantined; its acknowledgement signed and written beside it (or into a folder).
final class ImportJob: Sendable {
    struct State: Sendable {
        var done = 0
        var total = 0
        var finished = false
        var summary: Unsealer.Summary?
        var alreadyImported = false
        var acknowledgement: String?
        var error: String?
    }

    let bundle: String
    private let state = Mutex(State())

    init(bundle: String) { self.bundle = bundle }

    var snapshot: State { state.withLock { $0 } }
    var isFinished: Bool { state.withLock { $0.finished } }

    func run(workspace: Workspace, keys: UnlockedKeys, signer: SigningKey, acknowledgementFolder: String?) {
        defer { state.withLock { $0.finished = true } }
        let ackPath = acknowledgementFolder.map { ($0 as NSString).appendingPathComponent((bundle as NSString).lastPathComponent + ".ack") } ?? bundle + ".ack"
        do {
            let data = try DurableFile.read(bundle, maxBytes: ExportBundle.maxByteCount)
            let unsealer = try Unsealer(workspace: workspace, keys: keys)
            let outcome: Result<Unsealer.Summary, UnsealError>
            do {
                outcome = .success(try unsealer.unseal(bundle: data, today: .today()) { done, total in
                    self.state.withLock { $0.done = done; $0.total = total }
                })
            } catch {
                outcome = .failure(error)
            }
            let digest: [UInt8]
            switch outcome {
            case .success(let summary):
                state.withLock { $0.summary = summary }
                digest = summary.bundleDigest
            case .failure(.replayedBundle(let hex)):
                // Imported before: nothing changes, and its acknowledgement is written again.
                state.withLock { $0.alreadyImported = true }
                digest = Encoding.bytes(fromHex: hex) ?? []
            case .failure(let error):
                throw error
            }
            let ack = try Acknowledgement.sign(bundleDigest: digest, day: .today(), with: signer)
            try AcknowledgementFile.write(ack, to: ackPath)
            state.withLock { $0.acknowledgement = ackPath }
        } catch {
            state.withLock { $0.error = "\(error)" }
        }
    }
}
