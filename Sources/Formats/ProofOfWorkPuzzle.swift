public import Sodium

/// The client's side of the proof of work (docs/formats.md §8): find an 8-byte nonce such that
/// BLAKE2b-256(token ‖ nonce) starts with the token's difficulty in zero bits. The intake checks
/// with the same `leadingZeroBits`, so both sides count bits one way.
public enum ProofOfWorkPuzzle {
    /// Byte 1 of a token is the difficulty the intake asked for when it issued it.
    public static func difficulty(ofToken token: [UInt8]) -> Int? {
        token.count >= 2 ? Int(token[1]) : nil
    }

    public static func leadingZeroBits(_ bytes: [UInt8]) -> Int {
        var bits = 0
        for b in bytes {
            if b == 0 { bits += 8; continue }
            return bits + b.leadingZeroBitCount
        }
        return bits
    }

    /// How many leading zero bits `nonce` earns for `token`.
    public static func work(token: [UInt8], nonce: [UInt8]) throws(SodiumError) -> Int {
        leadingZeroBits(try GenericHash.hash(token + nonce, outputByteCount: 32))
    }

    /// The first nonce (counting up from 0, little-endian) whose work satisfies `accept`.
    public static func search(token: [UInt8], accept: (Int) -> Bool) throws(SodiumError) -> [UInt8] {
        var counter: UInt64 = 0
        while true {
            let nonce = (0..<8).map { UInt8(truncatingIfNeeded: counter >> (8 * UInt64($0))) }
            if accept(try work(token: token, nonce: nonce)) { return nonce }
            counter += 1
        }
    }

    /// Solves a base64 token; returns the base64 nonce for the `Resguardo-Proof` header.
    public static func solve(token: String) throws(ProofOfWorkPuzzleError) -> String {
        guard let t = Encoding.bytes(fromBase64: token), let difficulty = difficulty(ofToken: t), difficulty <= 32 else {
            throw .malformedToken
        }
        do { return Encoding.base64(try search(token: t) { $0 >= difficulty }) } catch { throw .crypto(error) }
    }
}

public enum ProofOfWorkPuzzleError: Error, Equatable {
    case malformedToken
    case crypto(SodiumError)
}
