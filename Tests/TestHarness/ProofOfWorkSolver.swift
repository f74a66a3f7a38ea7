import Formats
import Intake
import TestSupport

/// Solves the intake's proof of work as a client would (the intake's own puzzle code).
public enum ProofOfWorkSolver {
    public static func solve(token: String) throws -> String { try ProofOfWorkPuzzle.solve(token: token) }

    /// A nonce that earns no work at all: a proof that must be refused.
    public static func weakNonce(token: String) throws -> String {
        guard let t = Encoding.bytes(fromBase64: token) else { throw TestFailure("bad token") }
        return Encoding.base64(try ProofOfWorkPuzzle.search(token: t) { $0 == 0 })
    }
}
