public import Formats
import GRDB
import Foundation
import Sodium

extension VaultDatabase {
    /// Stores the sealed replies of a verified reply bundle. Returns how many were new; a reply
    /// already stored (the same bundle imported twice) is counted, not duplicated.
    public func importReplies(_ entries: [ReplyBundle.Entry], on day: CalendarDay) async throws(VaultError) -> (added: Int, alreadyStored: Int) {
        do {
            return try await writer.write { db in
                let insert = try db.cachedStatement(sql: "INSERT OR IGNORE INTO mailbox (mailbox_id, reply_id, sealed, created_day) VALUES (?, ?, ?, ?)")
                var added = 0
                for entry in entries {
                    let replyId = try GenericHash.hash(entry.sealed, outputByteCount: 16)
                    try insert.execute(arguments: [Data(entry.mailbox.bytes), Data(replyId), Data(entry.sealed), day.description])
                    added += db.changesCount
                }
                return (added, entries.count - added)
            }
        } catch {
            throw VaultError(error)
        }
    }

    /// The sealed replies in one mailbox, oldest day first; empty when there is no such mailbox.
    public func replies(for mailbox: MailboxId) async throws(VaultError) -> [[UInt8]] {
        do {
            return try await writer.read { db in
                try Data.fetchAll(db, sql: "SELECT sealed FROM mailbox WHERE mailbox_id = ? ORDER BY created_day, reply_id",
                                  arguments: [Data(mailbox.bytes)]).map { Array($0) }
            }
        } catch {
            throw VaultError(error)
        }
    }

    /// Deletes replies stored before `day` (retention: a reply nobody fetched does not wait forever).
    public func purgeReplies(before day: CalendarDay) async throws(VaultError) -> Int {
        do {
            return try await writer.write { db in
                try db.execute(sql: "DELETE FROM mailbox WHERE created_day < ?", arguments: [day.description])
                return db.changesCount
            }
        } catch {
            throw VaultError(error)
        }
    }

    /// How many replies wait, for `stats`.
    public func replyCount() async throws(VaultError) -> Int {
        do {
            return try await writer.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM mailbox") ?? 0 }
        } catch {
            throw VaultError(error)
        }
    }
}
