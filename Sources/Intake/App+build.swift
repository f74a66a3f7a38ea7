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
    /// The networks it receives reports for (one, unless the config lists several).
    public let networks: IntakeNetworks
    public let proofOfWork: ProofOfWork
    public let connections: ConnectionCounter
    public let assets: WebAssets
    /// Requests, refusals and failures, counted instead of logged one by one.
    public let counters: IntakeCounters
    /// Every network's encryption key ids: an envelope sealed to another key is refused.
    public let knownKeyIds: Set<KeyId>
    /// The onion service's name (onion.address or tor's hostname file), for Onion-Location.
    public let onionName: String?
    /// The translation catalogs, and which languages may be served (issue 20).
    public let catalogs: Catalogs

    /// Loads each network's manifest, refusing one not signed by its pinned key (what the intake
    /// serves and seals the no-JavaScript reports to must be what the network published), and
    /// opens each network's vault.
    public init(configuration: IntakeConfiguration, logger: Logger = Logger(label: "resguardo-intake")) throws {
        try self.init(configuration: configuration, logger: logger, storeOverride: nil)
    }

    /// The benchmark's seam (scripts/bench intake, "vault switched off"): every network's
    /// submissions go to `storeOverride` instead of its vault. `package`, not `public`: no
    /// configuration, flag or environment variable reaches it, so a deployed intake cannot be
    /// made to acknowledge what it did not store; only a target of this package can call it.
    package init(configuration: IntakeConfiguration, logger: Logger, storeOverride: (any SubmissionStore)?) throws {
        self.configuration = configuration
        assets = try WebAssets(tweetNaClPath: configuration.tweetNaClPath)
        catalogs = try Catalogs.load(extraFolder: configuration.catalogsFolder.isEmpty ? nil : configuration.catalogsFolder)
        proofOfWork = try ProofOfWork(difficulty: configuration.powDifficulty, maxDifficulty: configuration.powMaxDifficulty,
                                      calmPerMinute: configuration.powCalmPerMinute, lifetimeSeconds: configuration.powTokenLifetimeSeconds,
                                      macKey: try configuration.proofOfWorkKey())
        connections = ConnectionCounter(limit: configuration.maxConnections)
        counters = IntakeCounters(logger: logger)
        networks = try IntakeNetworks(configuration: configuration, shared: .init(counters: counters, proofOfWork: proofOfWork,
                                                                                  urgentMinIntervalSeconds: configuration.urgentMinIntervalSeconds,
                                                                                  databasePassword: try configuration.databasePassword(),
                                                                                  commitWindowMilliseconds: configuration.vaultCommitWindowMilliseconds),
                                     storeOverride: storeOverride)
        knownKeyIds = networks.knownKeyIds
        onionName = try OnionName.resolve(configuration)
    }

    /// The network an envelope goes to: the one whose manifest holds its key id. Nil only for an
    /// id no manifest holds, which `Envelope(bytes:knownKeyIds:)` has refused already.
    func network(for envelope: Envelope) -> IntakeNetwork? { networks.network(for: envelope.keyId) }
}

import Sodium

extension IntakeDependencies {
    func page(language tag: String) -> WebPage {
        let locale = PageLocale(tag, catalogs: catalogs)
        if networks.isSingle, let only = networks.all.first {
            return WebPage(locale: locale, assets: assets, organisation: only.name, fingerprint: only.fingerprint.description, year: CalendarDay.today().year)
        }
        var page = WebPage(locale: locale, assets: assets, organisation: "", fingerprint: "", year: CalendarDay.today().year)
        page.networks = networks.all.map { .init(id: $0.id.text, name: $0.name, countries: $0.countries, fingerprint: $0.fingerprint.description) }
        return page
    }
}

/// The routes of DESIGN.md §3a, for either side: the HTTPS one (HSTS, and Onion-Location when
/// the intake has an onion name) or the onion one (neither).
public func buildRouter(_ deps: IntakeDependencies, side: IntakeSide = .https) -> Router<BasicRequestContext> {
    let router = Router()
    router.add(middleware: SecurityHeadersMiddleware(side: side, onionAddress: deps.onionName))
    router.add(middleware: CountingMiddleware(counters: deps.counters))
    router.add(middleware: OfflineFormCORSMiddleware())
    let known = KnownRoutes()
    router.add(middleware: MethodNotAllowedMiddleware(known: known))
    router.addRoutes(KeysAndMailboxRoutes(deps: deps).routes)
    router.addRoutes(SubmissionRoutes(reports: ReportsController(deps: deps), form: FormSubmission(deps: deps, side: side)).routes)
    router.addRoutes(PageRoutes(deps: deps).routes)
    known.fill(from: router)
    return router
}

/// The application, on HTTPS with TLS 1.3 only, and, when `onion.listen` is set, the onion side
/// beside it (same dependencies, its own listener; `onOnionListening` gets its address).
/// `onListening` receives the bound port (useful with port 0).
public func buildApplication(_ deps: IntakeDependencies, logger: Logger,
                             onOnionListening: @escaping @Sendable (String) async -> Void = { _ in },
                             onListening: @escaping @Sendable (Int) async -> Void = { _ in }) throws -> some ApplicationProtocol {
    var also: [any Service] = []
    if !deps.configuration.onionListen.isEmpty {
        let listen = try OnionListen(deps.configuration.onionListen)
        var monitor: OnionDescriptorMonitor?
        if !deps.configuration.onionControl.isEmpty, let name = deps.onionName {
            monitor = try OnionDescriptorMonitor(control: deps.configuration.onionControl, cookie: deps.configuration.onionControlCookie,
                                                 onionName: name, counters: deps.counters)
            monitor?.start()
        }
        also.append(buildOnionApplication(deps, listen: listen, logger: logger, onListening: onOnionListening))
        if deps.configuration.onionStatusSocket.hasPrefix("unix:") {
            also.append(buildOnionStatusApplication(path: String(deps.configuration.onionStatusSocket.dropFirst(5)), monitor: monitor, logger: logger))
        }
    }
    let configuration = deps.configuration
    let certificate = try ReloadableCertificate(certificatePath: configuration.certificatePath, keyPath: configuration.privateKeyPath, counters: deps.counters)
    let certificates = try NIOSSLCertificate.fromPEMFile(configuration.certificatePath).map { NIOSSLCertificateSource.certificate($0) }
    let key = try NIOSSLPrivateKey(file: configuration.privateKeyPath, format: .pem)
    var tls = TLSConfiguration.makeServerConfiguration(certificateChain: certificates, privateKey: .privateKey(key))
    // Each handshake takes the current pair: SIGHUP reloads it without dropping a connection.
    tls.sslContextCallback = certificate.callback
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
        services: deps.networks.all.compactMap { $0.sqliteVault.map { CheckpointService(vault: $0) as any Service } }
            + [CounterReportService(counters: deps.counters, interval: .seconds(configuration.countersIntervalSeconds)),
               CertificateReloadService(certificate: certificate)] + also,
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


/// Sizes the process's event-loop threads (the HTTP servers' and the PostgreSQL client's) before
/// anything uses them; 0 leaves one per core. Several intakes on one host may each take a share
/// of the cores, so their threads do not preempt one another. Measured with scripts/bench intake
/// --vault postgres (two intakes on two cores, one thread each against two each), the effect was
/// within this shared machine's run-to-run noise: +25% in one run, −10% in another.
public func useEventLoopThreads(_ count: Int) {
    guard count > 0 else { return }
    NIOSingletons.groupLoopCountSuggestion = count
}
