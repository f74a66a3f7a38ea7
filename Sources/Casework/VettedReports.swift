public import Formats
public import Keys

/// The case store's side of registration (the `Registration` target does the rest): which
/// cases may enter the registry, and the record each became. Casework never sees the registry.
extension Workspace {
    /// The reports of these cases, opened, in the order given, after checking that each one is
    /// vetted and that the defender consented to the registry; the first case that is not
    /// refuses them all, so nothing is half-registered.
    public func vettedReports(_ caseIds: [[UInt8]], keys: UnlockedKeys) throws(CaseError) -> [Report] {
        try openCases(caseIds, keys: keys).map { (opened) throws(CaseError) -> Report in
            guard opened.summary.state == .vetted else {
                throw .io("case \(opened.summary.shortId) is \(opened.summary.state.rawValue); only vetted cases enter the registry")
            }
            guard opened.report.consent.registry else {
                throw .io("case \(opened.summary.shortId): the defender did not consent to the registry")
            }
            return opened.report
        }
    }

    /// Marks vetted cases registered, each with the record id it became and the audit detail,
    /// in one transaction; a case no longer vetted refuses them all.
    public func markRegistered(_ entries: [(caseId: [UInt8], recordId: String, detail: String)]) throws(CaseError) {
        try database.markRegistered(entries, actor: actor)
    }

    /// Undoes `markRegistered` when the registry write after it failed.
    public func unmarkRegistered(_ caseIds: [[UInt8]], reason: String) throws(CaseError) {
        try database.unmarkRegistered(caseIds, actor: actor, reason: reason)
    }
}
