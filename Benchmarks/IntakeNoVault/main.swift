// The intake with the vault switched off, for scripts/bench intake (issue 21): the same
// dependencies, routes, middleware, TLS and connection guard as `resguardo-intake serve`, but
// every envelope that passes the checks is dropped where the vault would store it, and the
// receipt is answered at once. Between this and the real intake lies the durable store's cost;
// between this and resguardo-http-floor, the cost of our own per-request code.
// Never a deployment: it acknowledges what it did not keep. Reached only through the package's
// `package` seam, which no flag or configuration of the real intake can touch.
// usage: resguardo-intake-novault CERT.pem KEY.pem PORT MANIFEST.json FINGERPRINT VAULT.sqlite
import Formats
import Hummingbird
import Intake
import Logging
import Vault

/// Takes every submission and keeps none.
struct DiscardingStore: SubmissionStore {
    func store(_ submission: Submission) async throws(VaultError) {}
    func replies(for mailbox: MailboxId) async throws(VaultError) -> [[UInt8]] { [] }
}

@main
struct IntakeNoVault {
    static func main() async throws {
        let arguments = CommandLine.arguments
        guard arguments.count == 7 else {
            print("usage: resguardo-intake-novault CERT.pem KEY.pem PORT MANIFEST.json FINGERPRINT VAULT.sqlite")
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
        let deps = try IntakeDependencies(configuration: settings, logger: logger, storeOverride: DiscardingStore())
        let app = try buildApplication(deps, logger: logger) { port in print("serving https://127.0.0.1:\(port) (vault switched off)") }
        try await app.runService()
        try await deps.networks.close()
    }
}
