public import Formats
import GRDB
import PostgresNIO

/// The network a vault belongs to (review N8): its id and the fingerprint of the signing key its
/// manifest is pinned to, written once, when the vault is made (`vault init --network`) or else
/// by the first intake that opens it. A vault is then refused to any other network: mixing two
/// networks in one vault would let one network's export take the other's envelopes and its
/// acknowledgement purge them unexported, and would share their counts and urgent turns.
public struct VaultBinding: Sendable, Equatable, CustomStringConvertible {
    public let network: NetworkId
    public let fingerprint: SigningKeyFingerprint

    public init(network: NetworkId, fingerprint: SigningKeyFingerprint) {
        self.network = network
        self.fingerprint = fingerprint
    }

    /// The signing key decides; the id must match too, except the one network of a
    /// single-network intake (`NetworkId.single`), which may later be listed under a real id.
    public func admits(_ other: VaultBinding) -> Bool {
        fingerprint == other.fingerprint && (network == other.network || network == .single || other.network == .single)
    }

    public var description: String { "network \(network) (signing key \(fingerprint))" }

    init(network: String, fingerprint: String) throws(VaultError) {
        guard let id = NetworkId(network), let f = SigningKeyFingerprint(text: fingerprint) else {
            throw .corrupt(L("the vault's network binding is malformed"))
        }
        self.init(network: id, fingerprint: f)
    }

    /// The refusal: said with both networks, so the operator sees which config line is wrong.
    func mismatch(_ stored: VaultBinding) -> VaultError {
        .other("this vault belongs to \(stored), not to \(self): each network needs its own vault (check the `vault` of each network in the config)")
    }
}

extension VaultDatabase {
    /// Binds the vault to `binding` if it has none yet, and returns the binding it holds (the
    /// caller compares); one transaction, so two openers cannot both bind.
    @discardableResult
    public func bindNow(_ binding: VaultBinding) throws(VaultError) -> VaultBinding {
        let stored: VaultBinding
        do {
            stored = try writer.write { db -> VaultBinding in
                try db.execute(sql: "INSERT OR IGNORE INTO network_binding (singleton, network_id, fingerprint) VALUES (1, ?, ?)",
                               arguments: [binding.network.text, binding.fingerprint.description])
                guard let row = try Row.fetchOne(db, sql: "SELECT network_id, fingerprint FROM network_binding WHERE singleton = 1") else {
                    throw VaultError.corrupt(L("the vault's network binding did not stay written"))
                }
                return try VaultBinding(network: row["network_id"] as String, fingerprint: row["fingerprint"] as String)
            }
        } catch {
            throw VaultError(error)
        }
        guard stored.admits(binding) else { throw binding.mismatch(stored) }
        return stored
    }

    @discardableResult
    public func bind(_ binding: VaultBinding) async throws(VaultError) -> VaultBinding { try bindNow(binding) }

    /// The network this vault belongs to; nil for a vault no network opened yet.
    public func binding() async throws(VaultError) -> VaultBinding? {
        let row: Row?
        do { row = try await writer.read { db in try Row.fetchOne(db, sql: "SELECT network_id, fingerprint FROM network_binding WHERE singleton = 1") } } catch {
            throw VaultError(error)
        }
        guard let row else { return nil }
        return try VaultBinding(network: row["network_id"] as String, fingerprint: row["fingerprint"] as String)
    }
}

extension PostgresVault {
    /// As `VaultDatabase.bindNow`: binds if unbound (one statement), then refuses another network.
    @discardableResult
    public func bind(_ binding: VaultBinding) async throws(VaultError) -> VaultBinding {
        let (network, fingerprint) = (binding.network.text, binding.fingerprint.description)
        let stored = try await guarded { [logger] client -> VaultBinding? in
            try await client.query("INSERT INTO network_binding (singleton, network_id, fingerprint) VALUES (1, \(network), \(fingerprint)) ON CONFLICT (singleton) DO NOTHING", logger: logger)
            return try await Self.readBinding(client, logger: logger)
        }
        guard let stored else { throw .corrupt(L("the vault's network binding did not stay written")) }
        guard stored.admits(binding) else { throw binding.mismatch(stored) }
        return stored
    }

    public func binding() async throws(VaultError) -> VaultBinding? {
        try await guarded { [logger] client in try await Self.readBinding(client, logger: logger) }
    }

    static func readBinding(_ client: PostgresClient, logger: Logger) async throws -> VaultBinding? {
        for try await (network, fingerprint) in try await client.query("SELECT network_id, fingerprint FROM network_binding WHERE singleton = 1", logger: logger).decode((String, String).self) {
            return try VaultBinding(network: network, fingerprint: fingerprint)
        }
        return nil
    }
}
