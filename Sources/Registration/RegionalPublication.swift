public import Casework
public import Deidentify
public import Formats
public import Registry
public import Sodium

/// The national half of DESIGN.md §9: the regional office's key file comes in, registry bundles
/// go out. A bundle carries only what the registry holds (records of the registry record schema,
/// regional pseudonyms in place of the national ones) and nothing from the case store.
extension Registration {
    /// Stores the regional key file, then gives every record registered before it its regional
    /// pseudonyms (from the case each came from), so the first bundle can carry them all.
    /// Returns how many records were given pseudonyms.
    public func importRegionalKey(_ file: RegionalKeyFile) throws -> Int {
        try workspace.importRegionalKey(file, keys: keys)
        let missing = try registry.recordIdsWithoutRegionalPseudonyms()
        guard !missing.isEmpty else { return 0 }
        let cases = try workspace.caseIds(forRecords: missing)
        let ids = missing.filter { cases[$0] != nil }
        let pseudonyms = try regionalPseudonyms(reports: try workspace.openCases(ids.compactMap { cases[$0] }, keys: keys).map(\.report), recordIds: ids)
        try registry.storeRegionalPseudonyms(pseudonyms)
        return pseudonyms.count
    }

    /// Publishes the next registry bundle: made, handed to `write` (which leaves it durable on
    /// the stick, or throws), and only then recorded, so a failed write never skips a sequence
    /// number. What `registry publish` and la mesa's publish form both call.
    @discardableResult
    public func publish(full: Bool, signingKey: SigningKey, write: (RegistryBundle) throws -> Void) throws -> (bundle: RegistryBundle, pending: RegistryDatabase.PendingPublication) {
        let next = try nextBundle(full: full, signingKey: signingKey)
        try write(next.bundle)
        try published(next.pending, full: full)
        return next
    }

    /// The next registry bundle, sealed to the regional office and signed with the network's
    /// manifest-signing key (the fingerprint the office pinned). Nothing is recorded.
    func nextBundle(full: Bool, signingKey: SigningKey) throws -> (bundle: RegistryBundle, pending: RegistryDatabase.PendingPublication) {
        guard let region = try workspace.region() else { throw PublicationError.noRegion }
        let pending = try registry.pendingPublication(full: full)
        if pending.missingRegionalPseudonyms > 0 { throw PublicationError.missingPseudonyms(pending.missingRegionalPseudonyms) }
        let payload = RegistryBundlePayload(network: region.network, sequence: pending.sequence, isFull: full, additions: pending.additions,
                                            corrections: pending.corrections, withdrawals: pending.withdrawals)
        let bundle = try RegistryBundle.make(network: region.network, sequence: pending.sequence, isFull: full, payload: payload.bytes,
                                             to: region.encryptionKey, signedBy: signingKey)
        return (bundle, pending)
    }

    func published(_ pending: RegistryDatabase.PendingPublication, full: Bool) throws {
        try registry.recordPublication(pending, full: full)
        try workspace.audit(caseId: nil, action: "registry-publish",
                            detail: "bundle \(pending.sequence): \(pending.additions.count) additions, \(pending.corrections.count) corrections, \(pending.withdrawals.count) withdrawals")
    }

    /// Withdraws a record nationally (the next bundle withdraws it regionally).
    public func withdraw(_ recordId: String, reason: String) throws -> Bool {
        let cases = try workspace.caseIds(forRecords: [recordId])
        guard try registry.withdraw(recordId) else { return false }
        try workspace.audit(caseId: cases[recordId], action: "registry-withdraw", detail: "record \(recordId): \(reason)")
        return true
    }

    public func correct(_ recordId: String, verification: String?, stateCollusion: Bool?) throws -> Bool {
        let cases = try workspace.caseIds(forRecords: [recordId])
        guard try registry.correct(recordId, verification: verification, stateCollusion: stateCollusion) else { return false }
        try workspace.audit(caseId: cases[recordId], action: "registry-correct",
                            detail: "record \(recordId): " + [verification.map { "verification \($0)" }, stateCollusion.map { "state collusion \($0)" }].compactMap { $0 }.joined(separator: ", "))
        return true
    }
}

public enum PublicationError: Error, CustomStringConvertible {
    case noRegion
    case missingPseudonyms(Int)

    public var description: String {
        switch self {
        case .noRegion: return L("this network has no regional key yet: import the regional office's key file first (resguardo registry regional-key import FILE --region-fingerprint F)")
        case .missingPseudonyms(let n): return L("{n} records have no regional pseudonym (their cases are missing from this workspace); nothing was written", ["n": "\(n)"])
        }
    }
}
