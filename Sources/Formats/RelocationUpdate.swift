public import Sodium

/// A relocation coordinator's status update on a referral (docs/formats.md §14.1): the stage the
/// relocation is at and what she needs now, sealed to the network's current encryption key and
/// signed by the coordinator's signing key, which the network pinned with `coordinators add`.
public struct RelocationUpdate: Sendable, Equatable {
    public static let stages = ["intake", "stay", "exit", "follow_up"]
    /// What the coordinator can say she needs: the support categories (§ protection cases).
    public static let needCodes = ["physical_security", "digital_security", "communications", "capacity_building", "secure_transport", "legal",
                                   "medical_psychosocial", "humanitarian_family", "urgent_relocation", "urgent_monitoring_advocacy", "other"]
    public static let maxNoteLength = 2000

    /// The referral this answers (§14's `referral_id`).
    public let referralId: String
    /// 1, 2, …: a network applies an update only when it is newer than the last it applied.
    public let sequence: Int
    public let issued: CalendarDay
    public let stage: String
    public let needs: [String]
    /// Free text from the coordinator; it may name people, so it stays sealed in the case.
    public let note: String

    public init(referralId: String, sequence: Int, issued: CalendarDay, stage: String, needs: [String], note: String) throws(RelocationUpdateError) {
        guard referralId.count == 32, referralId.allSatisfy({ $0.isHexDigit && !$0.isUppercase }) else { throw .invalid(L("`referral_id` must be 32 lowercase hex digits")) }
        guard (1...1_000_000).contains(sequence) else { throw .invalid(L("`sequence` must be between 1 and 1000000")) }
        guard Self.stages.contains(stage) else { throw .invalid(L("`stage` must be one of {stages}", ["stages": Self.stages.joined(separator: ", ")])) }
        for need in needs where !Self.needCodes.contains(need) { throw .invalid(L("`{need}` is not a need ({codes})", ["need": TerminalText.escaped(need), "codes": Self.needCodes.joined(separator: ", ")])) }
        guard note.count <= Self.maxNoteLength else { throw .invalid(L("`note` is longer than {max} characters", ["max": "\(Self.maxNoteLength)"])) }
        self.referralId = referralId
        self.sequence = sequence
        self.issued = issued
        self.stage = stage
        self.needs = needs
        self.note = note
    }

    public func jsonBytes() -> [UInt8] {
        JSONValue.object([("version", .int(1)), ("referral_id", .string(referralId)), ("sequence", .int(sequence)), ("issued", .string(issued.description)),
                          ("stage", .string(stage)), ("needs", .array(needs.map(JSONValue.string))), ("note", .string(note))]).serialized()
    }

    /// Exactly the members above; anything else is refused by name.
    public static func parse(_ bytes: [UInt8]) throws(RelocationUpdateError) -> RelocationUpdate {
        let json: JSONValue
        do { json = try JSONValue.parse(bytes) } catch { throw .invalid(L("not JSON: {error}", ["error": "\(error)"])) }
        guard case .object(let members) = json else { throw .invalid(L("an update must be a JSON object")) }
        let known: Set<String> = ["version", "referral_id", "sequence", "issued", "stage", "needs", "note"]
        if let unknown = members.first(where: { !known.contains($0.0) }) { throw .invalid(L("unknown member `{key}`", ["key": TerminalText.escaped(unknown.0)])) }
        guard json["version"]?.intValue == 1 else { throw .invalid(L("`version` must be 1")) }
        guard case .string(let id)? = json["referral_id"], let sequence = json["sequence"]?.intValue, case .string(let issuedText)? = json["issued"],
              let issued = CalendarDay(issuedText), case .string(let stage)? = json["stage"], case .array(let needItems)? = json["needs"],
              case .string(let note)? = json["note"] else {
            throw .invalid(L("an update needs referral_id, sequence, issued (YYYY-MM-DD), stage, needs and note"))
        }
        var needs: [String] = []
        for item in needItems {
            guard case .string(let code) = item else { throw .invalid(L("`needs` must be a list of codes")) }
            needs.append(code)
        }
        return try RelocationUpdate(referralId: id, sequence: sequence, issued: issued, stage: stage, needs: needs, note: note)
    }
}

/// The update file (`.rsgs`):
///
///     "RSGS" ‖ 01 00 00 00 ‖ issued (10 ASCII) ‖ recipient key id (8, §4.1)
///     ‖ sealed length (u32 LE) ‖ crypto_box_seal(sodium_pad(update JSON, 4096), network pk)
///     ‖ signer public key (32) ‖ Ed25519 signature (64), domain `relocation update`, over every byte before the signer key
public enum RelocationUpdateFile {
    public static let magic: [UInt8] = Array("RSGS".utf8)
    static let headerByteCount = 30
    static let block = 4096
    public static let maxByteCount = 64 * 1024

    public static func seal(_ update: RelocationUpdate, to network: SealPublicKey, signer: SigningKey) throws(RelocationUpdateError) -> [UInt8] {
        do {
            let sealed = try SealedBox.seal(try Padding.pad(update.jsonBytes(), blockSize: block), to: network)
            let body = magic + [1, 0, 0, 0] + Array(update.issued.description.utf8) + (try KeyId(publicKey: network)).bytes + ExportBundle.uint32(sealed.count) + sealed
            return body + signer.verifyingKey.bytes + (try signer.sign(body, in: .relocationUpdate))
        } catch {
            throw .crypto("\(error)")
        }
    }

    /// Checks, in order: the framing, the signer is one of `trusted` (the pinned coordinators'
    /// keys, compared in constant time) and the signature holds, the recipient is one of the
    /// network's keys (`key(for:)`), then opens and parses; the sealed `issued` must be the
    /// header's. Returns the update and which trusted key signed it.
    public static func open(_ bytes: [UInt8], trusted: [VerifyingKey], key: (KeyId) -> SealSecretKey?) throws(RelocationUpdateError) -> (update: RelocationUpdate, signer: VerifyingKey) {
        guard bytes.count <= maxByteCount else { throw .invalid(L("larger than 64 KiB: not an update file")) }
        guard bytes.count >= headerByteCount + 48 + 96 else { throw .invalid(L("truncated ({n} bytes)", ["n": "\(bytes.count)"])) }
        guard Array(bytes[0..<4]) == magic else { throw .invalid(L("not a relocation update file (bad magic)")) }
        guard bytes[4] == 1, bytes[5] == 0, bytes[6] == 0, bytes[7] == 0 else { throw .invalid(L("update version {v} is not supported", ["v": "\(bytes[4])"])) }
        let trailer = bytes.count - 96
        let signerBytes = Array(bytes[trailer..<trailer + 32])
        guard let signer = trusted.first(where: { ConstantTime.equals($0.bytes, signerBytes) }) else { throw .untrustedSigner }
        do { try signer.verify(bytes[(trailer + 32)...], for: bytes[0..<trailer], in: .relocationUpdate) } catch { throw .badSignature }
        guard let issued = CalendarDay(String(decoding: bytes[8..<18], as: UTF8.self)) else { throw .invalid(L("bad issue date")) }
        guard let keyId = KeyId(bytes: bytes[18..<26]), let secret = key(keyId) else { throw .wrongRecipient }
        guard Int(ExportBundle.readUInt32(bytes, at: 26)) == trailer - headerByteCount else { throw .invalid(L("sealed length does not match the file")) }
        let json: [UInt8]
        do {
            let padded = try SealedBox.open(bytes[headerByteCount..<trailer], with: secret)
            json = try padded.withUnsafeBytes { (raw) throws(SodiumError) in Array(raw.prefix(try Padding.unpaddedLength(of: raw, blockSize: block))) }
        } catch {
            throw .wrongRecipient
        }
        let update = try RelocationUpdate.parse(json)
        guard update.issued == issued else { throw .invalid(L("the sealed issue date differs from the signed header")) }
        return (update, signer)
    }
}

public enum RelocationUpdateError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalid(String)
    case untrustedSigner
    case badSignature
    case wrongRecipient
    case crypto(String)

    public var description: String {
        switch self {
        case .invalid(let why): return L("relocation update: {why}", ["why": why])
        case .untrustedSigner: return L("the update is not signed by any coordinator registered here with a signing key (coordinators add --signing-key)")
        case .badSignature: return L("the update's signature does not verify: it was altered or damaged")
        case .wrongRecipient: return L("the update was sealed to a key this network does not hold")
        case .crypto(let why): return L("cryptography failed: {why}", ["why": why])
        }
    }
}
