public import Formats
public import Vault
import Logging

/// One network the intake receives reports for (DESIGN.md §9): its pinned manifest, its own
/// vault and writer, its own urgent notifications. An envelope reaches exactly one network, the
/// one whose manifest holds the envelope's key id; nothing else of the intake is per network.
///
/// A class: every request finds its network, and handing out a struct of this many fields
/// copied (retained and released) each of them per request (seen in the profile, issue 21).
public final class IntakeNetwork: Sendable {
    public let id: NetworkId
    public let name: String
    public let countries: [String]
    public let manifestJSON: [UInt8]
    public let manifest: KeyManifest
    /// The signing-key fingerprint pinned in the config: the manifest was checked against it.
    public let fingerprint: SigningKeyFingerprint
    /// The vault behind `store` (Vault chose the backend from `vaultLocation`).
    let serving: ServingVault
    public var backend: ServingVault.Backend { serving.backend }
    /// Where the vault is, for messages (never holds a password).
    public let vaultLocation: VaultLocation
    /// What the routes use of the vault, whichever it is.
    public let store: any SubmissionStore
    /// What other intakes on the same vault must see (spent tokens, urgent turns); nil for the
    /// embedded vault, whose one intake keeps both in memory.
    public let shared: (any SharedIntakeState)?
    /// Nil when no notification command is configured.
    public let notifier: UrgentNotifier?
    /// Envelope → durable submission in this network's vault → receipt.
    let acceptance: Acceptance

    /// The id the one network of a single-network intake answers to in `GET /v1/networks`.
    public static let singleId = NetworkId.single

    init(setting: NetworkSetting, shared: IntakeNetworks.Shared, storeOverride: (any SubmissionStore)? = nil) throws {
        let signed: SignedKeyManifest
        do { signed = try ManifestFile.load(path: setting.manifestPath, pinned: setting.fingerprint) } catch {
            guard case .unreadable = error else { throw NetworkLoadError(network: setting.id, underlying: error) }
            throw NetworkLoadError(network: setting.id, configuration: .missingFile(L("the key manifest of network {id} at {manifest_path}", ["id": "\(setting.id)", "manifest_path": "\(setting.manifestPath)"]), hint: L("set keys.manifest, --manifest or the network's `manifest`")))
        }
        // Clients refuse an expired manifest: serving one would turn every defender away.
        guard signed.manifest.isCurrent(on: .today()) else {
            throw NetworkLoadError(network: setting.id, configuration: .invalid(setting.manifestPath, "the key manifest of network \(setting.id) expired on \(signed.manifest.expires) (or is dated in the future, \(signed.manifest.issued)); sign it again offline with `resguardo key renew`"))
        }
        id = setting.id
        // The single network (no name in the config) is called what its manifest calls it.
        name = setting.name.isEmpty ? signed.manifest.organisation : setting.name
        countries = setting.countries
        manifestJSON = signed.serialized()
        manifest = signed.manifest
        fingerprint = setting.fingerprint
        do { vaultLocation = try VaultLocation(setting.vaultPath) } catch { throw ConfigurationError.invalid("vault", error.description) }
        let binding = VaultBinding(network: setting.id, fingerprint: setting.fingerprint)
        do {
            serving = try vaultLocation.openForServing(binding: binding, password: shared.databasePassword,
                                                       commitWindow: .milliseconds(shared.commitWindowMilliseconds))
        } catch {
            switch error {
            case .open(let e): throw e
            // Review N8: a vault made for, or first opened by, another network is refused (on an
            // intake of several networks, that network alone, as for a bad manifest).
            case .binding: throw NetworkLoadError(network: setting.id, configuration: .invalid("vault", "network \(setting.id): \(error)"))
            case .url: throw ConfigurationError.invalid("vault", error.description)
            }
        }
        store = storeOverride ?? serving.store
        self.shared = serving.shared
        notifier = UrgentNotifier(command: setting.urgentCommand, minIntervalSeconds: shared.urgentMinIntervalSeconds, counters: shared.counters,
                                  shared: self.shared)
        acceptance = Acceptance(store: store, counters: shared.counters, proofOfWork: shared.proofOfWork, notifier: notifier)
    }

    public var keyIds: [KeyId] { manifest.encryptionKeys.map(\.id) }

    /// The embedded vault, when that is what this network uses.
    public var sqliteVault: VaultDatabase? {
        guard case .sqlite(let vault, _) = backend else { return nil }
        return vault
    }

    /// Connects a shared vault's pool and brings its schema up to date (the embedded vault did
    /// both when it opened). An intake that cannot reach its database does not start serving.
    func prepare() async throws(VaultError) {
        try await serving.prepare(binding: VaultBinding(network: id, fingerprint: fingerprint))
    }

    /// After the last request: closes the embedded vault (its log is folded in) or ends the pool.
    func close() async throws(VaultError) { try await serving.close() }
}

/// A manifest that did not load (unreadable, not signed by the pin, malformed, expired), said
/// with the network it belongs to. On an intake of several networks it refuses that network
/// alone (review N9); on a single-network intake, the start.
public struct NetworkLoadError: Error, CustomStringConvertible {
    public let network: NetworkId
    public let underlying: ManifestFileError?
    public let configuration: ConfigurationError?

    init(network: NetworkId, underlying: ManifestFileError) {
        self.network = network
        self.underlying = underlying
        configuration = nil
    }

    init(network: NetworkId, configuration: ConfigurationError) {
        self.network = network
        underlying = nil
        self.configuration = configuration
    }

    public var description: String {
        if let configuration { return configuration.description }
        return L("network {network}: {error}", ["network": "\(network)", "error": underlying.map { "\($0)" } ?? ""])
    }
    public var isUntrustedKey: Bool { underlying?.isUntrustedKey ?? false }
}

/// The networks of one intake, and the two ways to find one: by an envelope's key id (the only
/// thing the intake can see of a sealed report) and by the country the no-JavaScript form names.
public struct IntakeNetworks: Sendable {
    public let all: [IntakeNetwork]
    /// Networks of the config whose manifest did not load: not served, said at start and counted
    /// (`error.network_refused`), while the others serve (review N9).
    public let refused: [NetworkLoadError]
    /// The spent-token stores of every network with a shared vault (none for the embedded one),
    /// gathered once: each proof-of-work token is spent in all of them.
    public let sharedStates: [any SharedIntakeState]
    /// One network configured by `keys.*` and `vault.path`, as before networks existed.
    public let isSingle: Bool
    private let byKeyId: [KeyId: Int]
    private let byCountry: [String: Int]

    struct Shared {
        let counters: IntakeCounters
        let proofOfWork: ProofOfWork
        let urgentMinIntervalSeconds: Int
        let databasePassword: String?
        var commitWindowMilliseconds = 0
    }

    init(configuration: IntakeConfiguration, shared: Shared, storeOverride: (any SubmissionStore)? = nil) throws {
        let settings: [NetworkSetting]
        if configuration.networks.isEmpty {
            guard let pinned = configuration.signingKeyFingerprint else { throw ConfigurationError.missing("keys.fingerprint", flag: "--fingerprint") }
            settings = [NetworkSetting(id: IntakeNetwork.singleId, name: "", countries: Vocabulary.countries.codes, manifestPath: configuration.manifestPath,
                                       fingerprint: pinned, vaultPath: configuration.vaultURL.isEmpty ? configuration.vaultPath : configuration.vaultURL,
                                       urgentCommand: configuration.urgentCommand)]
        } else {
            settings = configuration.networks
        }
        var loaded: [IntakeNetwork] = []
        var refused: [NetworkLoadError] = []
        var byKeyId: [KeyId: Int] = [:], byCountry: [String: Int] = [:]
        for setting in settings {
            let network: IntakeNetwork
            do { network = try IntakeNetwork(setting: setting, shared: shared, storeOverride: storeOverride) } catch let error as NetworkLoadError where !configuration.networks.isEmpty {
                // One network's swapped or stale manifest must not silence the others: it alone
                // is not served (its countries get no network), and the operator hears of it.
                refused.append(error)
                shared.counters.failed("network_refused")
                continue
            }
            for keyId in network.keyIds {
                // Routing is by key id: one id in two manifests would make the route ambiguous.
                if let other = byKeyId[keyId] {
                    throw ConfigurationError.invalid("networks", "networks \(loaded[other].id) and \(network.id) both list encryption key \(keyId)")
                }
                byKeyId[keyId] = loaded.count
            }
            for country in network.countries { byCountry[country] = loaded.count }
            loaded.append(network)
        }
        if loaded.isEmpty, let first = refused.first { throw first }
        all = loaded
        sharedStates = loaded.compactMap(\.shared)
        self.refused = refused
        isSingle = configuration.networks.isEmpty
        self.byKeyId = byKeyId
        self.byCountry = byCountry
    }


    /// Every key id an envelope may carry: another is refused before anything is stored.
    public var knownKeyIds: Set<KeyId> { Set(byKeyId.keys) }

    public func network(for keyId: KeyId) -> IntakeNetwork? { byKeyId[keyId].map { all[$0] } }
    public func network(forCountry country: String) -> IntakeNetwork? { byCountry[country].map { all[$0] } }
    public func network(id: NetworkId) -> IntakeNetwork? { all.first { $0.id == id } }

    /// Connects and migrates every shared vault before the intake listens.
    public func prepare() async throws(VaultError) { for network in all { try await network.prepare() } }

    public func close() async throws(VaultError) { for network in all { try await network.close() } }
}
