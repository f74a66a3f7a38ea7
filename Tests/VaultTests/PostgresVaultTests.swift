import Foundation
import Logging
import PostgresNIO
import Testing
import TestSupport
import Formats
import Sodium
@testable import Vault

/// The PostgreSQL vault (issue 19, the vault side) against a real throwaway PostgreSQL cluster:
/// two `PostgresVault`s stand for two intakes sharing one database.
@Suite("PostgreSQL vault (a real server)", .serialized)
struct PostgresVaultTests {
    func configuration(_ cluster: PostgresCluster) -> PostgresClient.Configuration {
        PostgresClient.Configuration(unixSocketPath: cluster.socketDirectory + "/.s.PGSQL.5432", username: "postgres", password: nil, database: "postgres")
    }

    /// Runs `body` with `count` vaults (intakes) on one cluster, their pools running meanwhile.
    func withVaults(_ cluster: PostgresCluster, count: Int = 2, _ body: @Sendable ([PostgresVault]) async throws -> Void) async throws {
        let vaults = (0..<count).map { _ in PostgresVault(configuration: configuration(cluster)) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for v in vaults { group.addTask { await v.run() } }
            try await vaults[0].migrate()
            try await vaults[1 % count].migrate()  // a second intake starting: nothing to do, no error
            try await body(vaults)
            group.cancelAll()
        }
    }

    static let key = try! SealSecretKey.generate()

    func submission(urgent: Bool = false) throws -> Submission {
        let report = Array(#"{"version":1,"language":"es","country":"HN","description":"prueba"}"#.utf8)
        return Submission(id: try SubmissionId.random(), receivedDay: .today(), envelope: try Envelope.seal(report: report, to: Self.key.publicKey, flags: urgent ? .urgent : []))
    }


    @Test("submissions from two intakes land in one vault; every session commits synchronously; migrations are idempotent")
    func storeFromTwoIntakes() async throws {
        let cluster = try PostgresCluster()
        try await withVaults(cluster) { vaults in
            for i in 0..<20 { try await vaults[i % 2].store([try submission(urgent: i == 3)]) }
            #expect(try await vaults[0].count() == 20)
            var setting = ""
            for try await s in try await vaults[1].client.query("SHOW synchronous_commit").decode(String.self) { setting = s }
            #expect(setting == "on")
        }
    }

    @Test("a proof-of-work token spent through one intake is refused through the other; a reply imported through one is read through the other")
    func sharedState() async throws {
        let cluster = try PostgresCluster()
        try await withVaults(cluster) { vaults in
            let token = try Random.bytes(count: 15)
            #expect(try await vaults[0].spendToken(token, expires: 4_000_000_000))
            #expect(try await !vaults[1].spendToken(token, expires: 4_000_000_000))
            let mailbox = try #require(MailboxId(bytes: try Random.bytes(count: 16)))
            try await vaults[0].importReply(mailbox: mailbox, replyId: try Random.bytes(count: 16), sealed: [1, 2, 3], day: .today())
            #expect(try await vaults[1].replies(for: mailbox) == [[1, 2, 3]])
            #expect(try await vaults[1].replies(for: try #require(MailboxId(bytes: [UInt8](repeating: 7, count: 16)))).isEmpty)
        }
    }

    @Test("two intakes exporting at once claim disjoint sets that together hold every envelope once (FOR UPDATE SKIP LOCKED); purge deletes one export and vacuums")
    func concurrentExports() async throws {
        let cluster = try PostgresCluster()
        try await withVaults(cluster) { vaults in
            let all = try (0..<300).map { _ in try submission() }
            for chunk in stride(from: 0, to: all.count, by: 50) { try await vaults[0].store(Array(all[chunk..<chunk + 50])) }
            let claims = try await withThrowingTaskGroup(of: [[UInt8]].self) { group in
                for v in vaults {
                    group.addTask {
                        var ids: [[UInt8]] = []
                        while true {
                            let batch = try await v.claimForExport(exportId: try Random.bytes(count: 16), day: .today(), limit: 40)
                            if batch.isEmpty { return ids }
                            ids += batch.map(\.id)
                        }
                    }
                }
                var out: [[[UInt8]]] = []
                for try await ids in group { out.append(ids) }
                return out
            }
            let first = Set(claims[0]), second = Set(claims[1])
            #expect(first.isDisjoint(with: second), "an envelope went into two bundles")
            #expect(first.union(second) == Set(all.map(\.id.bytes)) && claims[0].count + claims[1].count == 300)
            // Purge one export: only its rows go.
            let export = try Random.bytes(count: 16)
            try await vaults[0].store([try submission(), try submission()])
            let claimed = try await vaults[1].claimForExport(exportId: export, day: .today(), limit: 1000)
            #expect(claimed.count == 2)
            #expect(try await vaults[0].purge(exportId: export, day: .today()) == 2)
            #expect(try await vaults[0].count() == 300)
        }
    }
}
