public import Formats
public import Sodium

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

/// What an intake shares with the other intakes of its network when they run on one vault
/// (issue 19): spent proof-of-work tokens and the spacing of urgent notifications. The embedded
/// SQLite vault has one intake, which keeps both in memory; the PostgreSQL vault keeps them in
/// the database, so every intake sees what the others did.
public protocol SharedIntakeState: Sendable {
    /// Spends a proof-of-work token for every intake: false when some intake spent it already.
    func spendToken(_ id: [UInt8], expires: UInt64) async throws(VaultError) -> Bool
    /// Notes that an urgent report is waiting to be announced (one boolean; no time is stored).
    func markUrgentPending() async throws(VaultError)
    /// Runs `announce` when an urgent report waits and no intake announced one within the last
    /// `intervalSeconds`; the intake that announces holds the network's turn for the interval.
    func announceUrgent(intervalSeconds: Int, announce: @escaping @Sendable () -> Void) async throws(VaultError) -> UrgentAnnouncement
}

public enum UrgentAnnouncement: Sendable, Equatable {
    /// This intake ran the command and has held the turn for the interval.
    case announced
    /// Nothing waits: another intake's announcement covered it.
    case nothingPending
    /// Another intake holds the turn: ask again later.
    case turnHeldElsewhere
}

/// What the admin commands (export, purge, import-replies, stats) need of a vault, whichever
/// database holds it; the bundles are the same format either way (DESIGN.md §7).
public protocol VaultAdministration: Sendable {
    func export(to path: String, signer: SigningKey, today: CalendarDay, limit: Int, maxBytes: Int, urgentOnly: Bool) async throws(VaultError) -> ExportSummary
    func purge(bundleDigest: [UInt8], today: CalendarDay) async throws(VaultError) -> Int
    func purge(olderThan days: Int, today: CalendarDay, includingUnacknowledged: Bool, includingUnexported: Bool) async throws(VaultError) -> PurgeByAgeSummary
    func importReplies(_ entries: [ReplyBundle.Entry], on day: CalendarDay) async throws(VaultError) -> (added: Int, alreadyStored: Int)
    func purgeReplies(before day: CalendarDay) async throws(VaultError) -> Int
    func stats() async throws(VaultError) -> [StatsRow]
    func replyCount() async throws(VaultError) -> Int
    /// Binds an unbound vault to a network, refuses another (VaultBinding).
    @discardableResult func bind(_ binding: VaultBinding) async throws(VaultError) -> VaultBinding
    func binding() async throws(VaultError) -> VaultBinding?
}

extension VaultDatabase: VaultAdministration {}
