public import Formats

/// What the intake needs of a vault, and all it gets (DESIGN.md §2): store a submission durably,
/// read a mailbox. The embedded SQLite vault implements it with its group-commit writer; a
/// shared PostgreSQL vault will implement the same seam, so the intake's controllers do not
/// change with the vault behind them.
public protocol SubmissionStore: Sendable {
    /// Returns once the submission is durable; throws when its transaction failed (nothing stored).
    func store(_ submission: Submission) async throws(VaultError)
    /// The sealed replies waiting in a mailbox (an empty list for an unknown one).
    func replies(for mailbox: MailboxId) async throws(VaultError) -> [[UInt8]]
}

/// The SQLite vault as a `SubmissionStore`: writes through group commit, reads through the pool.
public struct SQLiteSubmissionStore: SubmissionStore {
    public let vault: VaultDatabase
    public let writer: SubmissionWriter

    public init(vault: VaultDatabase, writer: SubmissionWriter) {
        self.vault = vault
        self.writer = writer
    }

    public func store(_ submission: Submission) async throws(VaultError) { try await writer.store(submission) }
    public func replies(for mailbox: MailboxId) async throws(VaultError) -> [[UInt8]] { try await vault.replies(for: mailbox) }
}
