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
///
/// Adaptive (DESIGN.md §4: "difficulty raised under load"): the difficulty asked is the
/// configured floor while accepted submissions stay under `calmPerMinute`, and one bit more for
/// each doubling above it (each bit doubles a client's work), up to `maxDifficulty`. Only
/// accepted submissions count, so refused garbage cannot raise the cost for honest defenders.
public final class ProofOfWork: Sendable {
    /// The floor: asked even when all is calm (0 = no proof while calm).
    public let minimumDifficulty: Int
    public let maxDifficulty: Int
    let calmPerMinute: Int
    let lifetimeSeconds: Int
    private let macKey: SecureBytes
    private let spent = NIOLockedValueBox<[Data: UInt64]>([:])
    /// Accepted submissions in the current and the previous minute (a sliding estimate; no
    /// per-client state, no times kept).
    private let load = NIOLockedValueBox((minute: Int64(0), current: 0, previous: 0))
    static let tokenByteCount = 41
    static let maxSpent = 1_000_000

    /// `macKey`: 32 bytes shared by every intake of one vault (`pow.key_file`), so a token one
    /// issued is checked by any; nil: a random key of this process's own.
    public init(difficulty: Int, maxDifficulty: Int? = nil, calmPerMinute: Int = 120, lifetimeSeconds: Int, macKey: [UInt8]? = nil) throws {
        minimumDifficulty = difficulty
        self.maxDifficulty = max(difficulty, maxDifficulty ?? difficulty)
        self.calmPerMinute = max(1, calmPerMinute)
        self.lifetimeSeconds = lifetimeSeconds
        if let macKey {
            // Read from its file once at start-up (as the TLS key is), then kept in guarded memory.
            self.macKey = try SecureBytes(copying: macKey)
        } else {
            self.macKey = try SecureBytes.random(count: 32)
        }
    }

    /// Called once a submission has been accepted (stored and acknowledged).
    public func accepted(now: Date = Date()) {
        let minute = Int64(now.timeIntervalSince1970) / 60
        load.withLockedValue { l in
            if minute != l.minute {
                l.previous = minute == l.minute + 1 ? l.current : 0
                l.current = 0
                l.minute = minute
            }
            l.current += 1
        }
    }

    /// The difficulty a challenge asks for now.
    public func difficulty(now: Date = Date()) -> Int {
        guard maxDifficulty > minimumDifficulty else { return minimumDifficulty }
        let seconds = now.timeIntervalSince1970
        let minute = Int64(seconds) / 60
        let fraction = (seconds - Double(minute * 60)) / 60
        let rate: Double = load.withLockedValue { l in
            if minute == l.minute { return Double(l.current) + Double(l.previous) * (1 - fraction) }
            if minute == l.minute + 1 { return Double(l.current) * (1 - fraction) }
            return 0
        }
        guard rate > Double(calmPerMinute) else { return minimumDifficulty }
        let extra = Int(log2(rate / Double(calmPerMinute)).rounded(.down)) + 1
        return min(maxDifficulty, minimumDifficulty + extra)
    }

    /// A fresh challenge: `{"token": base64, "difficulty": bits}`.
    public func challenge(now: Date = Date()) throws -> (token: String, difficulty: Int) {
        let difficulty = difficulty(now: now)
        let expiry = UInt64(now.timeIntervalSince1970) + UInt64(lifetimeSeconds)
        var body: [UInt8] = [1, UInt8(difficulty)] + (0..<8).map { UInt8(truncatingIfNeeded: expiry >> (8 * UInt64($0))) }
        body += try Random.bytes(count: 15)
        body += try GenericHash.hash(body, outputByteCount: 16, key: macKey)
        return (Encoding.base64(body), difficulty)
    }

    public enum Failure: Error, Equatable {
        case missing, malformed, forged, expired, replayed, insufficient
    }

    /// A token this intake has spent: other intakes on the same vault must be told
    /// (`SharedIntakeState.spendToken`) before the submission it paid for is stored.
    public struct SpentToken: Sendable {
        public let id: [UInt8]
        public let expires: UInt64
    }

    /// Checks a proof and spends its token here. With nothing asked (difficulty 0 now and no
    /// token sent) there is nothing to check (nil); a token that is sent is always checked.
    @discardableResult
    public func verify(token: String?, proof: String?, now: Date = Date()) throws(Failure) -> SpentToken? {
        if token == nil, proof == nil, maxDifficulty == 0 || difficulty(now: now) == 0 { return nil }
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
        return SpentToken(id: Array(t[10..<25]), expires: expiry)
    }
}
