public import Casework
public import Deidentify
import Formats
public import Keys
public import Registry
import Sodium

/// The one step that spans two stores (DESIGN.md §2): vetted cases of the case store →
/// de-identified records → the registry. Casework hands over the reports of vetted cases and
/// records which record each case became; Deidentify turns reports into records and runs the
/// k-check; Registry stores them and counts the groups the k-check needs. A command makes one
/// `Registration`, so the registry is opened (and migrated) once per command.
public struct Registration {
    public let workspace: Workspace
    public let registry: RegistryDatabase
    /// The encryption keys, for what opens cases (preview, register, the regional key's
    /// pseudonyms); nil for what only reads and changes the registry (publish, withdraw,
    /// correct), which then costs no key derivation.
    let unlocked: UnlockedKeys?

    /// One record as `registry add` would write it, with every change made to get there.
    public struct Preview: Sendable {
        public let record: RegistryRecord
        public let redactions: [Redaction]
        /// The record's group is still below k after every generalisation step.
        public let belowK: Bool
    }

    public init(workspace: Workspace, keys: UnlockedKeys) throws {
        self.workspace = workspace
        self.registry = try Self.openRegistry(of: workspace)
        self.unlocked = keys
    }

    /// Without keys: publish (which needs only the manifest-signing key, given to
    /// `nextBundle`), withdraw and correct.
    public init(withoutKeys workspace: Workspace) throws {
        self.workspace = workspace
        self.registry = try Self.openRegistry(of: workspace)
        self.unlocked = nil
    }

    var keys: UnlockedKeys {
        get throws(RegistrationError) {
            guard let unlocked else { throw .keysNeeded }
            return unlocked
        }
    }

    /// The workspace's registry, for the commands that read it without keys (export, report).
    public static func openRegistry(of workspace: Workspace) throws -> RegistryDatabase {
        try RegistryDatabase(path: workspace.path + "/registry.sqlite")
    }

    /// What `registry add` would write for these cases (of any state), without writing, with
    /// the staff's own redactions (`edits`, by case) applied before the k-check.
    public func preview(_ caseIds: [[UInt8]], edits: [[UInt8]: Set<StaffRedaction>] = [:]) throws -> [Preview] {
        try preview(workspace.openCases(caseIds, keys: keys).map(\.report), edits: caseIds.map { edits[$0] ?? [] })
    }

    /// Loads vetted cases whose consent allows it into the registry, once each; returns the
    /// number of records written. The case store changes first (state, case → record map,
    /// audit), so a case can never be loaded twice; if the registry write then fails, that
    /// change is undone.
    public func register(_ caseIds: [[UInt8]], edits: [[UInt8]: Set<StaffRedaction>] = [:]) throws -> Int {
        let reports = try workspace.vettedReports(caseIds, keys: keys)
        let previews = try preview(reports, edits: caseIds.map { edits[$0] ?? [] })
        try workspace.markRegistered(zip(caseIds, previews).map { id, preview in
            (id, preview.record.recordId, "\(preview.redactions.count) redactions\(preview.belowK ? ", still below k after generalisation" : "")")
        })
        do {
            // The reports opened for the preview give the regional pseudonyms too: no case is decrypted twice.
            try registry.insert(previews.map(\.record), regional: try regionalPseudonyms(reports: reports, recordIds: previews.map(\.record.recordId)))
        } catch {
            do { try workspace.unmarkRegistered(caseIds, reason: "registry write failed; undone") } catch let undo {
                throw RegistrationError.undoFailed(registry: "\(error)", undo: undo.description)
            }
            throw error
        }
        return previews.count
    }

    /// The regional pseudonyms of these records (record id → pseudonyms), from their cases'
    /// reports; empty while the network has no regional key.
    func regionalPseudonyms(reports: [Report], recordIds: [String]) throws -> [String: RegionalPseudonyms] {
        guard let regionalKey = try workspace.regionalPseudonymKey(keys) else { return [:] }
        let deidentifier = try workspace.deidentifier(keys)
        var out: [String: RegionalPseudonyms] = [:]
        for (report, recordId) in zip(reports, recordIds) {
            let p = try deidentifier.regionalPseudonyms(for: report, key: regionalKey)
            out[recordId] = RegionalPseudonyms(defender: p.defender, organisation: p.organisation)
        }
        return out
    }

    /// De-identifies the reports, then runs the k-check against the registry's group counts.
    private func preview(_ reports: [Report], edits: [Set<StaffRedaction>]) throws -> [Preview] {
        let deidentifier = try workspace.deidentifier(keys)
        var records: [RegistryRecord] = []
        var logs: [String: [Redaction]] = [:]
        for (report, chosen) in zip(reports, edits) {
            var (record, log) = try deidentifier.record(from: report, recordId: Encoding.hex(try Random.bytes(count: 16)))
            log += StaffRedaction.apply(chosen, to: &record)
            records.append(record)
            logs[record.recordId] = log
        }
        let existing = try registry.existingGroups(forDefenders: Set(records.map(\.defenderPid)))
        let outcome = KAnonymity.enforce(records, existing: existing)
        return outcome.records.map { r in
            Preview(record: r, redactions: (logs[r.recordId] ?? []) + (outcome.redactions[r.recordId] ?? []), belowK: outcome.belowK.contains(r.recordId))
        }
    }
}

public enum RegistrationError: Error, CustomStringConvertible {
    /// The registry refused the records and the case store could not be put back: the cases
    /// are marked registered without records. Said in full so a person can repair it.
    case undoFailed(registry: String, undo: String)
    /// A step that opens cases was asked of a `Registration` made without keys (a bug).
    case keysNeeded

    public var description: String {
        switch self {
        case .undoFailed(let registry, let undo):
            return L("the registry write failed ({registry}) and undoing the cases' state failed too ({undo}): the cases are marked registered but have no records; restore the case store from its backup or mark them vetted again", ["registry": "\(registry)", "undo": "\(undo)"])
        case .keysNeeded:
            return L("internal: this registry step opens cases and was started without the keys")
        }
    }
}
