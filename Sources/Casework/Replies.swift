import DurableFiles
public import Formats
public import Keys
import Foundation
public import Sodium

extension Workspace {
    /// Seals `message` to the reply key the case's report carries and queues it for the next
    /// reply bundle. The message is plaintext only in memory; the queue holds the sealed reply.
    public func queueReply(to caseId: [UInt8], message: String, keys: UnlockedKeys, today: CalendarDay) throws(CaseError) -> MailboxId {
        let (_, report) = try openCase(caseId, keys: keys)
        guard let replyKey = report.replyPublicKey else {
            throw .io(L("case {value} was sent without a codename: there is no way to reply through Resguardo", ["value": "\(Encoding.hex(caseId).prefix(12))"]))
        }
        let sealed: [UInt8], mailbox: MailboxId, id: [UInt8]
        do {
            sealed = try Reply(day: today, message: message).seal(to: replyKey)
            mailbox = try MailboxId(replyPublicKey: replyKey)
            id = try Random.bytes(count: 16)
        } catch let error as ReplyError {
            throw .io(error.description)
        } catch {
            throw .io("\(error)")
        }
        try database.queueReply(id: id, caseId: caseId, mailbox: mailbox, sealed: sealed, day: today, actor: actor,
                                detail: "\(message.count) characters, sealed to the defender's codename key")
        return mailbox
    }

    /// Replies queued and not yet exported.
    public func pendingReplyCount() throws(CaseError) -> Int {
        try database.pendingReplyCount()
    }

    /// Writes every pending reply into one reply bundle signed with the staff reply-signing key,
    /// then marks them exported (after the file is synced, so a crash cannot lose one).
    public func exportReplies(to path: String, signer: SigningKey, today: CalendarDay) throws(CaseError) -> Int {
        let pending = try database.pendingReplies()
        guard !pending.isEmpty else { return 0 }
        do {
            let bytes = try ReplyBundle.seal(createdDay: today, entries: pending.map(\.entry), signer: signer)
            try DurableFile.createExclusive(path, bytes: bytes, mode: 0o644)
        } catch {
            throw .io("\(error)")
        }
        try database.markRepliesExported(pending.map(\.id), day: today, actor: actor)
        return pending.count
    }

    /// The case this one follows up (same codename), and the follow-ups of this one.
    public func followUps(of caseId: [UInt8]) throws(CaseError) -> (follows: [UInt8]?, followedBy: [[UInt8]]) {
        try database.followUps(of: caseId)
    }
}
