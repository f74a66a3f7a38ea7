import DurableFiles
public import Formats
import Foundation
import GRDB
public import Sodium

/// What links reports sent with the same codename in the case store: a digest of the reply key,
/// never the key itself (the key would let anyone holding the store seal fake replies).
enum ReplyTag {
    static let domain: [UInt8] = Array("resguardo reply tag v1".utf8) + [0]

    static func of(_ key: SealPublicKey) throws -> [UInt8] {
        try GenericHash.hash(domain + key.bytes, outputByteCount: 16)
    }
}

extension Workspace {
    /// Seals `message` to the reply key the case's report carries and queues it for the next
    /// reply bundle. The message is plaintext only in memory; the queue holds the sealed reply.
    public func queueReply(to caseId: [UInt8], message: String, secretKeys: [KeyId: SealSecretKey], today: CalendarDay) throws(CaseError) -> MailboxId {
        let (_, report) = try openCase(caseId, secretKeys: secretKeys)
        guard let replyKey = report.replyPublicKey else {
            throw .io("case \(Encoding.hex(caseId).prefix(12)) was sent without a codename: there is no way to reply through Resguardo")
        }
        do {
            let sealed = try Reply(day: today, message: message).seal(to: replyKey)
            let mailbox = try MailboxId(replyPublicKey: replyKey)
            let id = try Random.bytes(count: 16)
            try database.writer.write { db in
                try db.execute(sql: "INSERT INTO reply_queue (id, case_id, mailbox_id, sealed, queued_day) VALUES (?, ?, ?, ?, ?)",
                               arguments: [Data(id), Data(caseId), Data(mailbox.bytes), Data(sealed), today.description])
                try Audit.append(db, actor: actor, caseId: caseId, action: "reply_queued", detail: "\(message.count) characters, sealed to the defender's codename key")
            }
            return mailbox
        } catch let error as ReplyError {
            throw .io(error.description)
        } catch {
            throw .io("\(error)")
        }
    }

    /// Replies queued and not yet exported.
    public func pendingReplyCount() throws(CaseError) -> Int {
        do {
            return try database.writer.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM reply_queue WHERE exported_day IS NULL") ?? 0 }
        } catch {
            throw .io("\(error)")
        }
    }

    /// Writes every pending reply into one reply bundle signed with the staff reply-signing key,
    /// then marks them exported (after the file is synced, so a crash cannot lose one).
    public func exportReplies(to path: String, signer: SigningKey, today: CalendarDay) throws(CaseError) -> Int {
        do {
            let rows = try database.writer.read { db in
                try Row.fetchAll(db, sql: "SELECT id, mailbox_id, sealed FROM reply_queue WHERE exported_day IS NULL ORDER BY queued_day, id")
            }
            guard !rows.isEmpty else { return 0 }
            let entries = rows.compactMap { row -> ReplyBundle.Entry? in
                let mailbox: Data = row["mailbox_id"], sealed: Data = row["sealed"]
                return MailboxId(bytes: mailbox).map { ReplyBundle.Entry(mailbox: $0, sealed: Array(sealed)) }
            }
            let bytes = try ReplyBundle.seal(createdDay: today, entries: entries, signer: signer)
            try DurableFile.createExclusive(path, bytes: bytes, mode: 0o644)
            try database.writer.write { db in
                for row in rows {
                    let id: Data = row["id"]
                    try db.execute(sql: "UPDATE reply_queue SET exported_day = ? WHERE id = ?", arguments: [today.description, id])
                }
                try Audit.append(db, actor: actor, caseId: nil, action: "replies_exported", detail: "\(rows.count) replies")
            }
            return rows.count
        } catch let error as CaseError {
            throw error
        } catch {
            throw .io("\(error)")
        }
    }

    /// The case this one follows up (same codename), and the follow-ups of this one.
    public func followUps(of caseId: [UInt8]) throws(CaseError) -> (follows: [UInt8]?, followedBy: [[UInt8]]) {
        do {
            return try database.writer.read { db in
                let follows = try Data.fetchOne(db, sql: #"SELECT follows FROM "case" WHERE id = ?"#, arguments: [Data(caseId)])
                let followedBy = try Data.fetchAll(db, sql: #"SELECT id FROM "case" WHERE follows = ? ORDER BY received_day, id"#, arguments: [Data(caseId)])
                return (follows.map { Array($0) }, followedBy.map { Array($0) })
            }
        } catch {
            throw .io("\(error)")
        }
    }
}
