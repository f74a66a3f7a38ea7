import DurableFiles
public import Formats
public import Keys
import Foundation
import Sodium

/// One line of `resguardo cases list`: only the plain, non-identifying columns.
public struct CaseSummary: Sendable {
    public let id: [UInt8]
    public let receivedDay: String
    public let state: CaseState
    public let country: String
    public let urgent: Bool
    /// True when the intake sealed it (the no-JavaScript path: the intake saw it in the clear);
    /// nil for cases imported before this was kept.
    public let sealedByIntake: Bool?
    /// The overall risk of the latest assessment, and its day (nil: never assessed).
    public var risk: RiskLevel? = nil
    public var riskDay: CalendarDay? = nil
    public var shortId: String { String(Encoding.hex(id).prefix(12)) }

    /// Days since the latest assessment on `today`, nil when never assessed.
    public func daysSinceAssessment(on today: CalendarDay) -> Int? { riskDay.map { today.daysSinceEpoch - $0.daysSinceEpoch } }
}

/// How `cases list` orders: urgent first then oldest (the default), highest current risk first,
/// or longest since the last assessment first (never assessed before all).
public enum CaseListOrder: String, Sendable, CaseIterable {
    case urgency, risk, assessed
}

/// Which cases `cases list` shows.
public struct CaseFilter: Sendable {
    public var state: CaseState?
    public var urgentOnly = false
    /// Only cases whose current risk is at least this.
    public var minimumRisk: RiskLevel?
    /// Only cases last assessed before this day, or never.
    public var assessedBefore: CalendarDay?
    public var order: CaseListOrder = .urgency

    public init(state: CaseState? = nil, urgentOnly: Bool = false) {
        self.state = state
        self.urgentOnly = urgentOnly
    }
}

public struct QuarantineSummary: Sendable {
    public let id: [UInt8]
    public let receivedDay: String
    public let reasonClass: String
}

extension Workspace {
    public func listCases(state: CaseState? = nil, urgentOnly: Bool = false) throws(CaseError) -> [CaseSummary] {
        try database.cases(CaseFilter(state: state, urgentOnly: urgentOnly))
    }

    public func listCases(_ filter: CaseFilter) throws(CaseError) -> [CaseSummary] {
        try database.cases(filter)
    }

    public func listQuarantine() throws(CaseError) -> [QuarantineSummary] {
        try database.quarantineSummaries()
    }

    /// Finds a case by a hex prefix of its id (at least 6 digits), refusing an ambiguous one.
    public func resolveCase(_ prefix: String) throws(CaseError) -> [UInt8] {
        let p = prefix.lowercased()
        guard p.count >= 6, Encoding.bytes(fromHex: p.count % 2 == 0 ? p : p + "0") != nil else { throw .badId(prefix) }
        let matches = try database.caseIds(withPrefix: p)
        guard matches.count == 1, let match = matches.first else {
            throw matches.isEmpty ? .notFound(prefix) : .ambiguous(prefix, matches.count)
        }
        return match
    }

    /// Decrypts one case's report. Needs the unlocked secret keys.
    public func openCase(_ id: [UInt8], keys: UnlockedKeys) throws(CaseError) -> (summary: CaseSummary, report: Report) {
        guard let opened = try openCases([id], keys: keys).first else { throw .notFound(Encoding.hex(id)) }
        return opened
    }

    /// Decrypts many cases' reports, in the order given: one read per chunk of 4,096 cases (so
    /// memory stays bounded however many are asked for), every core, no guarded allocation per
    /// case (what `registry add` needs). Measured (scripts/bench unseal): one `openCase` per case
    /// cost ~200 µs, mostly a read transaction and a guarded allocation each.
    public func openCases(_ ids: [[UInt8]], keys unlocked: UnlockedKeys,
                          progress: (Int) -> Void = { _ in }) throws(CaseError) -> [(summary: CaseSummary, report: Report)] {
        var out: [(summary: CaseSummary, report: Report)] = []
        out.reserveCapacity(ids.count)
        // One X25519 operation per import (its data key), not per case.
        var dataKeys: [[UInt8]: DataKey] = [:]
        for start in stride(from: 0, to: ids.count, by: 4_096) {
            let chunk = Array(ids[start..<min(start + 4_096, ids.count)])
            let sealed = try database.sealedCases(chunk)
            for item in sealed where dataKeys[item.sealedKey] == nil {
                guard let key = unlocked[item.keyId] else { throw .noKey(item.keyId.description) }
                do { dataKeys[item.sealedKey] = try DataKey(opening: item.sealedKey, with: key) } catch { throw .tampered(Encoding.hex(item.summary.id)) }
            }
            let keys = dataKeys
            let opened = Parallel.map(count: sealed.count, makeState: { try? AtRest.Scratch() },
                                      progress: { progress(start + $0) }) { scratch, index -> Result<Report, CaseError> in
                let item = sealed[index]
                guard let scratch, let dataKey = keys[item.sealedKey] else { return .failure(.io(L("no guarded memory for decrypting"))) }
                do {
                    return .success(try AtRest.open(itemId: item.summary.id, nonce: item.nonce, ciphertext: item.ciphertext, dataKey: dataKey, scratch: scratch) { bytes in
                        do { return try Report.parse(bytes) } catch { throw CaseError.io(L("stored report no longer validates: {error}", ["error": "\(error)"])) }
                    })
                } catch let error as CaseError {
                    return .failure(error)
                } catch {
                    return .failure(.tampered(Encoding.hex(item.summary.id)))
                }
            }
            for (item, result) in zip(sealed, opened) {
                switch result {
                case .success(let report): out.append((item.summary, report))
                case .failure(let error): throw error
                }
            }
        }
        return out
    }

    /// Moves a case to `next`, recording who, what and why in the audit log, in one transaction.
    public func transition(_ id: [UInt8], to next: CaseState, note: String) throws(CaseError) {
        // The note is free text a person typed and may name people: sealed like case contents.
        let sealed: String
        do { sealed = try sealNote(note) } catch { throw .io("\(error)") }
        try database.transition(id, to: next, actor: actor, detail: sealed)
    }

    /// Folds a follow-up into the case it follows (same codename), or with `undo` takes it back
    /// out as a new case; `note` (why) is sealed in its audit trail. Returns the case it follows.
    @discardableResult
    public func mergeFollowUp(_ id: [UInt8], undo: Bool = false, note: String) throws(CaseError) -> [UInt8] {
        guard !note.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { throw .io(L("the note is empty")) }
        let sealed: String
        do { sealed = try sealNote(note) } catch { throw .io("\(error)") }
        return try database.merge(id, undo: undo, actor: actor, detail: sealed)
    }

    /// A note on a case without changing its state (a call made, a fact checked), sealed in its
    /// audit trail like a transition's note: it can name people.
    public func addNote(_ id: [UInt8], note: String) throws(CaseError) {
        guard !note.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { throw .io(L("the note is empty")) }
        guard try database.sealedCases([id]).isEmpty == false else { throw .notFound(Encoding.hex(id)) }
        let sealed: String
        do { sealed = try sealNote(note) } catch { throw .io("\(error)") }
        try database.audit(actor: actor, caseId: id, action: "note", detail: sealed)
    }

    /// The audit entries of one case (or all when nil), oldest first. Sealed notes are opened
    /// with `keys` when given, and shown as "(sealed note)" otherwise.
    public func auditTrail(caseId: [UInt8]? = nil, keys: UnlockedKeys = .none) throws(CaseError) -> [(at: String, actor: String, action: String, detail: String)] {
        try database.auditEntries(caseId: caseId).map { ($0.at, $0.actor, $0.action, openNote($0.detail, keys)) }
    }

    static let sealedNotePrefix = "sealed:"

    /// "sealed:" ‖ key id hex ‖ ":" ‖ base64(crypto_box_seal(note, organisation key)).
    func sealNote(_ note: String) throws -> String {
        guard let current = keys.manifest.manifest.encryptionKeys.last else { throw CaseError.io(L("no encryption key")) }
        let sealed = try SealedBox.seal(Array(note.utf8), to: current.publicKey)
        return Self.sealedNotePrefix + current.id.hex + ":" + Encoding.base64(sealed)
    }

    func openNote(_ detail: String, _ keys: UnlockedKeys) -> String {
        guard detail.hasPrefix(Self.sealedNotePrefix) else { return detail }
        let parts = detail.dropFirst(Self.sealedNotePrefix.count).split(separator: ":", maxSplits: 1).map(String.init)
        guard parts.count == 2, let id = KeyId(hex: parts[0]), let key = keys[id], let box = Encoding.bytes(fromBase64: parts[1]),
              let note = try? SealedBox.open(box, with: key) else { return "(sealed note)" }
        return note.withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
    }
}

public enum CaseError: Error, CustomStringConvertible {
    case badId(String)
    case notFound(String)
    case ambiguous(String, Int)
    case noKey(String)
    case tampered(String)
    case badTransition(from: CaseState, to: CaseState)
    case notFollowUp(String)
    case badMergeTarget(String, CaseState)
    case io(String)

    public var description: String {
        switch self {
        case .badId(let p): return L("`{id}` is not a case id (give at least 6 hex digits)", ["id": p])
        case .notFound(let p): return L("no case {id}", ["id": p])
        case .ambiguous(let p, let n): return L("`{id}` matches {count} cases; give more digits", ["id": p, "count": "\(n)"])
        case .noKey(let k): return L("the case is sealed to key {key}, whose secret key file is not in the key directory", ["key": "\(k)"])
        case .tampered(let id): return L("case {id} does not decrypt: the case store was altered or damaged", ["id": id])
        case .badTransition(let from, let to): return L("a {from} case cannot become {to}", ["from": from.rawValue, "to": to.rawValue])
        case .notFollowUp(let id): return L("case {id} is not a follow-up (no earlier case has its codename): there is nothing to merge it into", ["id": String(id.prefix(12))])
        case .badMergeTarget(let id, let state): return L("case {id} is {state}: a follow-up cannot be merged into it", ["id": String(id.prefix(12)), "state": state.rawValue])
        case .io(let why): return why
        }
    }
}

extension Workspace {
    /// Writes attachment `index` (1-based) of a case into `directory`, exclusively and with mode
    /// 0600, under a name that cannot escape the folder. It is never opened here.
    public func writeAttachment(_ caseId: [UInt8], index: Int, to directory: String, keys: UnlockedKeys) throws(CaseError) -> (path: String, mediaType: String) {
        let (_, report) = try openCase(caseId, keys: keys)
        guard (1...max(report.attachments.count, 1)).contains(index), index <= report.attachments.count else {
            throw .io(L("case {value} has {count} attachments; there is no number {index}", ["value": "\(Encoding.hex(caseId).prefix(12))", "count": "\(report.attachments.count)", "index": "\(index)"]))
        }
        let attachment = report.attachments[index - 1]
        // A neutral name: the one the sender's device gave can name a person or a place, and a
        // file left on this laptop (or copied from it) would carry it. Only a short extension
        // of letters and digits is kept, so the right program opens it.
        let path = directory + "/" + "\(Encoding.hex(caseId).prefix(12))-adjunto-\(index)\(Self.neutralExtension(attachment.filename))"
        guard FileManager.default.fileExists(atPath: directory) else { throw .io(L("{directory} does not exist", ["directory": "\(directory)"])) }
        do { try DurableFile.createExclusive(path, bytes: attachment.data) } catch {
            throw .io(error.description + (error.exists ? " (it already exists)" : ""))
        }
        return (path, attachment.mediaType)
    }
}

extension Workspace {
    /// `.pdf` from `Informe de María.PDF`; nothing when the name has no short alphanumeric extension.
    static func neutralExtension(_ filename: String) -> String {
        guard let dot = filename.lastIndex(of: "."), case let ext = filename[filename.index(after: dot)...],
              (1...5).contains(ext.count), ext.unicodeScalars.allSatisfy({ $0.isASCII && CharacterSet.alphanumerics.contains($0) }) else { return "" }
        return "." + ext.lowercased()
    }
}

extension Workspace {
    /// Decrypts one quarantined item: its full reason and the content kept with it (the report,
    /// or the raw envelope when it did not open).
    public func openQuarantined(_ prefix: String, keys: UnlockedKeys) throws(CaseError) -> (summary: QuarantineSummary, reason: String, content: [UInt8]) {
        let p = prefix.lowercased()
        guard p.count >= 6, p.allSatisfy(\.isHexDigit) else { throw .badId(prefix) }
        let matches = try database.sealedQuarantine(withPrefix: p)
        guard matches.count == 1, let item = matches.first else { throw matches.isEmpty ? .notFound(prefix) : .ambiguous(prefix, matches.count) }
        let id = item.summary.id
        guard let keyId = KeyId(bytes: item.keyIdBytes), let key = keys[keyId] else { throw .noKey(Encoding.hex(item.keyIdBytes)) }
        let plaintext: SecureBytes
        do { plaintext = try AtRest.open(sealedKey: item.sealedKey, itemId: id, nonce: item.nonce, ciphertext: item.ciphertext, with: key) } catch {
            throw .tampered(Encoding.hex(id))
        }
        guard let record = try? plaintext.withUnsafeBytes({ try JSONValue.parse(Array($0)) }),
              case .string(let reason)? = record["reason"], case .string(let content)? = record["content"],
              let bytes = Encoding.bytes(fromBase64: content) else {
            throw .io(L("quarantine record {value} is malformed", ["value": "\(Encoding.hex(id))"]))
        }
        return (item.summary, reason, bytes)
    }
}
