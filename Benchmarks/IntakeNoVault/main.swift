// The intake with the vault switched off, for scripts/bench intake (issue 21): the same
// dependencies, routes, middleware, TLS and connection guard as `resguardo-intake serve`, but
// every envelope that passes the checks is dropped where the vault would store it, and the
// receipt is answered at once. Between this and the real intake lies the durable store's cost;
// between this and resguardo-http-floor, the cost of our own per-request code.
// Never a deployment: it acknowledges what it did not keep. Reached only through the package's
// `package` seam, which no flag or configuration of the real intake can touch.
// With `--hop`, each submission still waits for a writer thread of the vault's shape (batches
// taken under a lock, callers resumed from that thread) that writes nothing: what handing a
// request to another thread and back costs, without SQLite or fsync.
// usage: resguardo-intake-novault CERT.pem KEY.pem PORT MANIFEST.json FINGERPRINT VAULT.sqlite [--hop]
import Foundation
import Formats
import Synchronization
import Hummingbird
import Intake
import Logging
import Vault

/// Takes every submission and keeps none.
struct DiscardingStore: SubmissionStore {
    func store(_ submission: Submission) async throws(VaultError) {}
    func replies(for mailbox: MailboxId) async throws(VaultError) -> [[UInt8]] { [] }
}

/// The writer's hand-off without the write: callers wait on a continuation that a thread of
/// its own resumes, a batch at a time.
final class HopStore: SubmissionStore {
    private final class Shared: Sendable {
        let pending = Mutex<(waiters: [CheckedContinuation<Void, Never>], sleeping: Bool)>(([], false))
        let wakeUp = DispatchSemaphore(value: 0)
    }
    private let shared = Shared()

    init() {
        let shared = shared
        let thread = Thread {
            while true {
                let batch = shared.pending.withLock { p -> [CheckedContinuation<Void, Never>] in
                    let batch = p.waiters
                    p.waiters = []
                    if batch.isEmpty { p.sleeping = true }
                    return batch
                }
                if batch.isEmpty { shared.wakeUp.wait(); continue }
                for waiter in batch { waiter.resume() }
            }
        }
        thread.start()
    }

    func store(_ submission: Submission) async throws(VaultError) {
        await withCheckedContinuation { (waiter: CheckedContinuation<Void, Never>) in
            let wake = shared.pending.withLock { p -> Bool in
                p.waiters.append(waiter)
                guard p.sleeping else { return false }
                p.sleeping = false
                return true
            }
            if wake { shared.wakeUp.signal() }
        }
    }

    func replies(for mailbox: MailboxId) async throws(VaultError) -> [[UInt8]] { [] }
}

@main
struct IntakeNoVault {
    static func main() async throws {
        let arguments = CommandLine.arguments
        guard arguments.count == 7 || (arguments.count == 8 && arguments[7] == "--hop") else {
            print("usage: resguardo-intake-novault CERT.pem KEY.pem PORT MANIFEST.json FINGERPRINT VAULT.sqlite [--hop]")
            return
        }
        var settings = IntakeConfiguration()
        for (key, value) in [("tls.certificate", arguments[1]), ("tls.key", arguments[2]), ("http.port", arguments[3]),
                             ("keys.manifest", arguments[4]), ("keys.fingerprint", arguments[5]), ("vault.path", arguments[6]),
                             ("pow.difficulty", "0"), ("pow.max_difficulty", "0")] {
            try settings.set(key, text: value, flag: key)
        }
        settings = try settings.validated()
        var logger = Logger(label: "resguardo-intake-novault")
        logger.logLevel = .notice
        let deps = try IntakeDependencies(configuration: settings, logger: logger, storeOverride: arguments.count == 8 ? HopStore() : DiscardingStore())
        let app = try buildApplication(deps, logger: logger) { port in print("serving https://127.0.0.1:\(port) (vault switched off)") }
        try await app.runService()
        try await deps.networks.close()
    }
}
