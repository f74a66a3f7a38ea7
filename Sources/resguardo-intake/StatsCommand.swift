import ArgumentParser
import CLISupport
import DurableFiles
import Formats
import Foundation
import Intake
import Sodium
import Vault

extension IntakeCommand {
    struct Stats: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: L("Counts per day, size bucket and state: all the vault knows."),
            discussion: L("""
            Example:
              $ resguardo-intake stats --vault vault.sqlite
              day         bucket  state     urgent  count
              2026-11-25  4 KiB   pending   no      12
            """)
        )

        @OptionGroup var vault: VaultOptions

        func run() async throws {
            let opened = try await vault.open()
            let rows: [StatsRow], replies: Int, binding: VaultBinding?
            do {
                rows = try await opened.administration.stats()
                replies = try await opened.administration.replyCount()
                binding = try await opened.administration.binding()
            } catch {
                await opened.close()
                throw CommandFailure(L("cannot read the vault's counts: {error}", ["error": "\(error)"]))
            }
            await opened.close()
            print(L("day         bucket   state     urgent  count"))
            for r in rows {
                let bucket = Bucket(paddedByteCount: r.bucket)?.description ?? "\(r.bucket)"
                print("\(r.day)  \(bucket.padding(toLength: 7, withPad: " ", startingAt: 0))  \(r.exported ? "exported" : "pending ")  \(r.urgent ? "yes" : "no ")     \(r.count)")
            }
            print("total: \(rows.reduce(0) { $0 + $1.count })")
            print(L("urgent waiting for export: {count}", ["count": "\(rows.filter { $0.urgent && !$0.exported }.reduce(0) { $0 + $1.count })"]))
            print(L("replies waiting in mailboxes: {count}", ["count": "\(replies)"]))
            print(binding.map { L("it belongs to {binding}", ["binding": "\($0)"]) } ?? L("not bound to a network yet: the first intake that opens it binds it to its own"))
        }
    }
}
