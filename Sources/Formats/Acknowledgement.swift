public import Sodium

/// Acknowledgement v1 (docs/formats.md §10): the offline side's signed statement that it has
/// imported a bundle, carried back to the intake so it may purge what the bundle held.
///
///     "RSGA" ‖ 01 ‖ 00 00 00 ‖ bundle digest (32) ‖ day (10, ASCII) ‖ 00 00 ‖ Ed25519 signature (64)
///
/// The signature covers every byte before it and is made with the staff reply-signing key, which
/// the intake knows from the key manifest it serves.
public struct Acknowledgement: Sendable, Equatable {
    public static let magic: [UInt8] = Array("RSGA".utf8)
    public static let byteCount = 116
    public let bundleDigest: [UInt8]
    public let day: CalendarDay
    public let bytes: [UInt8]

    public static func sign(bundleDigest: [UInt8], day: CalendarDay, with key: SigningKey) throws(SodiumError) -> Acknowledgement {
        let body = magic + [1, 0, 0, 0] + bundleDigest + Array(day.description.utf8) + [0, 0]
        let bytes = body + (try key.sign(body, in: .acknowledgement))
        return Acknowledgement(bundleDigest: bundleDigest, day: day, bytes: bytes)
    }

    private init(bundleDigest: [UInt8], day: CalendarDay, bytes: [UInt8]) {
        self.bundleDigest = bundleDigest
        self.day = day
        self.bytes = bytes
    }

    public init(bytes: [UInt8], verifyingKey: VerifyingKey) throws(AcknowledgementError) {
        guard bytes.count == Self.byteCount else { throw .wrongLength(bytes.count) }
        guard Array(bytes[0..<4]) == Self.magic else { throw .notAnAcknowledgement }
        guard bytes[4] == 1 else { throw .unsupportedVersion(bytes[4]) }
        guard bytes[5] == 0, bytes[6] == 0, bytes[7] == 0, bytes[50] == 0, bytes[51] == 0 else { throw .malformed }
        guard let day = CalendarDay(String(decoding: bytes[40..<50], as: UTF8.self)) else { throw .malformed }
        do { try verifyingKey.verify(bytes[52...], for: Array(bytes[0..<52]), in: .acknowledgement) } catch { throw .badSignature }
        self.init(bundleDigest: Array(bytes[8..<40]), day: day, bytes: bytes)
    }
}

public enum AcknowledgementError: Error, Equatable, Sendable, CustomStringConvertible {
    case wrongLength(Int)
    case notAnAcknowledgement
    case unsupportedVersion(UInt8)
    case malformed
    case badSignature

    public var description: String {
        switch self {
        case .wrongLength(let n): return L("acknowledgement is {n} bytes, expected {byte_count}", ["n": "\(n)", "byte_count": "\(Acknowledgement.byteCount)"])
        case .notAnAcknowledgement: return L("not a Resguardo acknowledgement (it does not start with \"RSGA\")")
        case .unsupportedVersion(let v): return L("acknowledgement version {v} is not supported (expected 1)", ["v": "\(v)"])
        case .malformed: return L("acknowledgement is malformed")
        case .badSignature: return L("acknowledgement signature does not verify against the staff reply-signing key in the manifest")
        }
    }
}
