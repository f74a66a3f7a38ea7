public import Hummingbird
import ServiceLifecycle
import HummingbirdTLS
import HummingbirdCore
public import Logging
import NIOCore
import NIOSSL
import Foundation
public import Formats
public import Vault

/// What a running intake needs, loaded once at start-up.
public struct IntakeDependencies: Sendable {
    public let configuration: IntakeConfiguration
    public let manifestJSON: [UInt8]
    public let manifest: KeyManifest
    public let vault: VaultDatabase
    public let writer: SubmissionWriter
    /// What the routes use of the vault (the SQLite one here; the seam for others).
    public let store: any SubmissionStore
    /// Envelope → durable submission → receipt, for both submission routes.
    let acceptance: Acceptance
    public let proofOfWork: ProofOfWork
    public let connections: ConnectionCounter
    /// Nil when no notification command is configured.
    public let notifier: UrgentNotifier?
    public let assets: WebAssets
    /// Requests, refusals and failures, counted instead of logged one by one.
    public let counters: IntakeCounters
    /// The manifest signing key's fingerprint, shown on the page and pinned by its script.
    public let fingerprint: String
    /// The manifest's encryption key ids: an envelope sealed to another key is refused.
    public let knownKeyIds: Set<KeyId>

    /// Loads the manifest, refusing one not signed by the pinned key (what the intake serves and
    /// seals the no-JavaScript reports to must be what the network published), and opens the vault.
    public init(configuration: IntakeConfiguration, logger: Logger = Logger(label: "resguardo-intake")) throws {
        self.configuration = configuration
        guard let pinned = configuration.signingKeyFingerprint else {
            throw ConfigurationError.missing("keys.fingerprint", flag: "--fingerprint")
        }
        let signed: SignedKeyManifest
        do { signed = try ManifestFile.load(path: configuration.manifestPath, pinned: pinned) } catch {
            guard case .unreadable = error else { throw error }
            throw ConfigurationError.missingFile("the key manifest at \(configuration.manifestPath)", hint: "set keys.manifest or --manifest")
        }
        manifestJSON = signed.serialized()
        manifest = signed.manifest
        // Clients refuse an expired manifest: serving one would turn every defender away.
        guard manifest.isCurrent(on: .today()) else {
            throw ConfigurationError.invalid(configuration.manifestPath, "the key manifest expired on \(manifest.expires) (or is dated in the future, \(manifest.issued)); sign it again offline with `resguardo key renew`")
        }
        fingerprint = pinned.description
        knownKeyIds = Set(manifest.encryptionKeys.map(\.id))
        assets = try WebAssets(tweetNaClPath: configuration.tweetNaClPath)
        vault = try VaultDatabase(path: configuration.vaultPath, checkpointing: .background)
        writer = SubmissionWriter(vault: vault)
        proofOfWork = try ProofOfWork(difficulty: configuration.powDifficulty, maxDifficulty: configuration.powMaxDifficulty,
                                      calmPerMinute: configuration.powCalmPerMinute, lifetimeSeconds: configuration.powTokenLifetimeSeconds)
        connections = ConnectionCounter(limit: configuration.maxConnections)
        counters = IntakeCounters(logger: logger)
        notifier = UrgentNotifier(command: configuration.urgentCommand, minIntervalSeconds: configuration.urgentMinIntervalSeconds, counters: counters)
        store = SQLiteSubmissionStore(vault: vault, writer: writer)
        acceptance = Acceptance(store: store, counters: counters, proofOfWork: proofOfWork, notifier: notifier)
    }
}

import Sodium

extension IntakeDependencies {
    func page(language: Language) -> WebPage {
        WebPage(language: language, assets: assets, organisation: manifest.organisation, fingerprint: fingerprint, year: CalendarDay.today().year)
    }
}

/// The routes of DESIGN.md §3a.
public func buildRouter(_ deps: IntakeDependencies) -> Router<BasicRequestContext> {
    let router = Router()
    router.add(middleware: SecurityHeadersMiddleware())
    router.add(middleware: CountingMiddleware(counters: deps.counters))
    router.add(middleware: OfflineFormCORSMiddleware())
    let known = KnownRoutes()
    router.add(middleware: MethodNotAllowedMiddleware(known: known))
    router.addRoutes(KeysAndMailboxRoutes(deps: deps).routes)
    router.addRoutes(SubmissionRoutes(reports: ReportsController(deps: deps), form: FormSubmission(deps: deps)).routes)
    router.addRoutes(PageRoutes(deps: deps).routes)
    known.fill(from: router)
    return router
}

/// The application, on HTTPS with TLS 1.3 only.
/// `onListening` receives the bound port (useful with port 0).
public func buildApplication(_ deps: IntakeDependencies, logger: Logger,
                             onListening: @escaping @Sendable (Int) async -> Void = { _ in }) throws -> some ApplicationProtocol {
    let configuration = deps.configuration
    let certificates = try NIOSSLCertificate.fromPEMFile(configuration.certificatePath).map { NIOSSLCertificateSource.certificate($0) }
    let key = try NIOSSLPrivateKey(file: configuration.privateKeyPath, format: .pem)
    var tls = TLSConfiguration.makeServerConfiguration(certificateChain: certificates, privateKey: .privateKey(key))
    tls.minimumTLSVersion = .tlsv13
    tls.maximumTLSVersion = .tlsv13
    // After our close_notify, wait this long for the client's before closing the socket (NIOSSL's
    // default is 5 s). The connections we close ourselves (every no-JavaScript answer, 413s,
    // timeouts) otherwise linger, and a graceful stop waits for them.
    tls.shutdownTimeout = .seconds(1)
    let counter = deps.connections
    let header = TimeAmount.seconds(Int64(configuration.headerTimeoutSeconds))
    let body = TimeAmount.seconds(Int64(configuration.bodyTimeoutSeconds))
    let http1 = HTTP1Channel.Configuration(
        additionalChannelHandlers: [ConnectionGuard(counter: counter, headerTimeout: header, bodyTimeout: body)],
        idleTimeout: .seconds(Int64(configuration.idleTimeoutSeconds))
    )
    return Application(
        router: buildRouter(deps),
        server: try .tls(.http1(configuration: http1), tlsConfiguration: tls),
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: nil),
        services: [CheckpointService(vault: deps.vault),
                   CounterReportService(counters: deps.counters, interval: .seconds(configuration.countersIntervalSeconds))],
        onServerRunning: { channel in await onListening(channel.localAddress?.port ?? configuration.port) },
        logger: logger
    )
}

/// Runs the vault's background checkpoints for as long as the server runs.
struct CheckpointService: Service {
    let vault: VaultDatabase

    func run() async throws {
        let checkpoints = try vault.startCheckpoints()
        // Until graceful shutdown (or cancellation); then a final checkpoint.
        try? await gracefulShutdown()
        await checkpoints.stop()
    }
}

func jsonResponse(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
    Response(status: status, headers: [.contentType: "application/json; charset=utf-8"],
             body: .init(byteBuffer: ByteBuffer(bytes: value.serialized())))
}
