public import Foundation
import Formats
import NIOConcurrencyHelpers
import Sodium

/// Stateless, anonymous anti-flood (DESIGN.md §3a): the intake hands out MAC'd, expiring tokens;
/// a client must find an 8-byte nonce such that BLAKE2b-256(token ‖ nonce) starts with
/// `difficulty` zero bits. Nothing about the client is kept: only the ids of tokens already spent,
/// until they expire, so each token is good once.
///
/// Token (41 bytes): version 01 ‖ difficulty (1) ‖ expiry, seconds since 1970 (u64 LE) ‖
/// random id (15) ‖ BLAKE2b-128 MAC under a key made at start-up (16).
public final class ProofOfWork: Sendable {
    public let difficulty: Int
    let lifetimeSeconds: Int
    private let macKey: SecureBytes
    private let spent = NIOLockedValueBox<[Data: UInt64]>([:])
    static let tokenByteCount = 41
    static let maxSpent = 1_000_000

    public init(difficulty: Int, lifetimeSeconds: Int) throws {
        self.difficulty = difficulty
        self.lifetimeSeconds = lifetimeSeconds
        macKey = try SecureBytes.random(count: 32)
    }

    /// A fresh challenge: `{"token": base64, "difficulty": bits}`.
    public func challenge(now: Date = Date()) throws -> (token: String, difficulty: Int) {
        let expiry = UInt64(now.timeIntervalSince1970) + UInt64(lifetimeSeconds)
        var body: [UInt8] = [1, UInt8(difficulty)] + (0..<8).map { UInt8(truncatingIfNeeded: expiry >> (8 * UInt64($0))) }
        body += try Random.bytes(count: 15)
        body += try GenericHash.hash(body, outputByteCount: 16, key: macKey)
        return (Encoding.base64(body), difficulty)
    }

    public enum Failure: Error, Equatable {
        case missing, malformed, forged, expired, replayed, insufficient
    }

    /// Checks a proof and spends its token.
    public func verify(token: String?, proof: String?, now: Date = Date()) throws(Failure) {
        guard difficulty > 0 else { return }
        guard let token, let proof else { throw .missing }
        guard let t = Encoding.bytes(fromBase64: token), t.count == Self.tokenByteCount,
              let nonce = Encoding.bytes(fromBase64: proof), nonce.count == 8 else { throw .malformed }
        let body = Array(t[0..<25])
        guard let mac = try? GenericHash.hash(body, outputByteCount: 16, key: macKey),
              ConstantTime.equals(mac, t[25...]) else { throw .forged }
        let expiry = (0..<8).reduce(UInt64(0)) { $0 | UInt64(t[2 + $1]) << (8 * UInt64($1)) }
        let nowSeconds = UInt64(max(0, now.timeIntervalSince1970))
        guard nowSeconds <= expiry else { throw .expired }
        // The difficulty in force when the token was issued is the one that counts.
        guard let work = try? ProofOfWorkPuzzle.work(token: t, nonce: nonce), work >= Int(t[1]) else { throw .insufficient }
        let id = Data(t[10..<25])
        let fresh = spent.withLockedValue { spent -> Bool in
            if spent.count >= Self.maxSpent { spent = spent.filter { $0.value >= nowSeconds } }
            return spent.updateValue(expiry, forKey: id) == nil
        }
        guard fresh else { throw .replayed }
    }
}
