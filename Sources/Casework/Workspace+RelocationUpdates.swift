public import Formats
public import Keys
import Foundation
public import Sodium

/// Why a coordinator's status update was not applied, beyond the file's own checks.
public enum RelocationUpdateImportError: Error, Equatable, CustomStringConvertible {
    case unknownReferral(String)
    case otherCoordinator(referral: String, signedBy: String, madeFor: String)
    case notNewer(sequence: Int, last: Int)
    case compromisedSigner(String, day: CalendarDay)

    public var description: String {
        switch self {
        case .unknownReferral(let id): return L("no referral {id} was made here (or it was made before referrals were recorded): nothing changed", ["id": String(id.prefix(12))])
        case .otherCoordinator(let id, let signer, let madeFor):
            return L("referral {id} was made for {made_for}, but the update is signed by {signer}: nothing changed", ["id": String(id.prefix(12)), "made_for": madeFor, "signer": signer])
        case .notNewer(let sequence, let last):
            return L("update {sequence} is not newer than the last one applied ({last}): a replay or an old copy; nothing changed", ["sequence": "\(sequence)", "last": "\(last)"])
        case .compromisedSigner(let name, let day):
            return L("the update is signed with {name}'s key, removed as lost or compromised on {day}: whoever holds it may not be her; nothing changed", ["name": name, "day": day.description])
        }
    }
}

extension Workspace {
    /// Verifies and applies a coordinator's status update (`referral import-update`): signed
    /// by a pinned coordinator, sealed to one of the network's keys, for a referral made here
    /// for that same coordinator, newer than the last applied. The update is kept sealed in the
    /// case; when the case has a relocation, its stage becomes the update's (a new version).
    /// A coordinator who left (`coordinators remove --reason left`) still reports on the
    /// referrals she took; a key removed as compromised is verified only to say so, and refused.
    public func importRelocationUpdate(_ bytes: [UInt8], keys unlocked: UnlockedKeys, today: CalendarDay) throws -> (caseId: [UInt8], update: RelocationUpdate, coordinator: String) {
        let pinned = try database.coordinatorSigningKeys()
        let (update, signer) = try RelocationUpdateFile.open(bytes, trusted: pinned.map(\.key), key: { unlocked[$0] })
        guard let found = pinned.first(where: { ConstantTime.equals($0.key.bytes, signer.bytes) }) else { throw RelocationUpdateError.untrustedSigner }
        if let removed = found.removed, removed.reason == .compromised { throw RelocationUpdateImportError.compromisedSigner(found.name, day: removed.day) }
        let coordinator = found.name
        guard let referral = try database.referral(id: update.referralId) else { throw RelocationUpdateImportError.unknownReferral(update.referralId) }
        guard referral.coordinator == coordinator else {
            throw RelocationUpdateImportError.otherCoordinator(referral: update.referralId, signedBy: coordinator, madeFor: referral.coordinator)
        }
        guard update.sequence > referral.lastUpdate else { throw RelocationUpdateImportError.notNewer(sequence: update.sequence, last: referral.lastUpdate) }
        var items: [(itemId: [UInt8], kind: CaseDatabase.ProtectionKind, keyId: KeyId, sealed: [UInt8])] = []
        let record = JSONValue.object([("referral_id", .string(update.referralId)), ("sequence", .int(update.sequence)), ("issued", .string(update.issued.description)),
                                       ("coordinator", .string(coordinator)), ("stage", .string(update.stage)), ("needs", .array(update.needs.map(JSONValue.string))),
                                       ("note", .string(update.note))])
        let (keyId, sealed) = try sealItem(record)
        items.append((try Self.newItemId().bytes, .coordinatorUpdate, keyId, sealed))
        if var relocation = try relocation(referral.caseId, keys: unlocked), let stage = Relocation.Stage(rawValue: update.stage), stage != relocation.stage,
           let existing = try database.protectionItems(caseId: referral.caseId, kind: .relocation).first {
            relocation.stage = stage
            let (k, s) = try sealItem(relocation.json)
            items.append((existing.itemId, .relocation, k, s))
        }
        try database.applyRelocationUpdate(referralId: update.referralId, sequence: update.sequence, caseId: referral.caseId, items: items, day: today, actor: actor,
                                           detail: "referral \(update.referralId.prefix(12)) from \(coordinator), update \(update.sequence), stage \(update.stage), \(update.needs.count) needs")
        return (referral.caseId, update, coordinator)
    }

    /// The coordinators' updates on a case, oldest first (opened).
    public func relocationUpdates(_ caseId: [UInt8], keys unlocked: UnlockedKeys) throws(CaseError) -> [(coordinator: String, update: RelocationUpdate)] {
        try currentItems(caseId, kind: .coordinatorUpdate, keys: unlocked).compactMap { item in
            guard case .string(let coordinator)? = item.value["coordinator"] else { return nil }
            var copy: [(String, JSONValue)] = [("version", .int(1))]
            if case .object(let members) = item.value { copy += members.filter { $0.0 != "coordinator" } }
            guard let update = try? RelocationUpdate.parse(JSONValue.object(copy).serialized()) else { return nil }
            return (coordinator, update)
        }
    }
}
