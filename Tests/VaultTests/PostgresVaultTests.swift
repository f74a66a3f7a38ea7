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
        PostgresClient.Configuration(unixSocketPath: cluster.socketDirectory + "/.s.PGSQL.\(cluster.port)", username: "postgres", password: nil, database: "postgres")
    }

    /// Runs `body` with `count` vaults (intakes) on one cluster, their pools running meanwhile.
    /// `timeout`: generous by default (a loaded two-core machine); the
    /// restart test passes the intake's own 5 s. (scripts/test runs this suite after the rest:
    /// see there.)
    func withVaults(_ cluster: PostgresCluster, count: Int = 2, timeout: Duration = .seconds(60), _ body: @Sendable ([PostgresVault]) async throws -> Void) async throws {
        let vaults = (0..<count).map { _ in PostgresVault(configuration: configuration(cluster), operationTimeout: timeout) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for v in vaults { group.addTask { await v.run() } }
            do {
                try await vaults[0].migrate()
                try await vaults[1 % count].migrate()  // a second intake starting: nothing to do, no error
                try await body(vaults)
            } catch {
                // What the server said is the one clue to a failure seen only on a loaded CI machine.
                print("PostgreSQL's log:\n" + ((try? String(contentsOf: cluster.folder.appendingPathComponent("log"), encoding: .utf8)) ?? "(none)").suffix(4000))
                group.cancelAll()
                throw error
            }
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

    @Test("review N8 and N17: a vault is bound to the first network that opens it and refused to another; a socket URL's port names the socket file")
    func bindingAndSocketPort() async throws {
        let cluster = try PostgresCluster(port: 54_329)
        let url = try PostgresVaultURL("postgres:///postgres?host=\(cluster.socketDirectory)&port=\(cluster.port)&user=postgres")
        #expect(url.socketPath == cluster.socketDirectory + "/.s.PGSQL.54329" && url.warning == nil)
        #expect(try PostgresVaultURL("postgres://a@db.example/r?sslmode=disable").warning?.contains("not encrypted on the network") == true)
        let first = try PostgresVault(url: url, password: nil, operationTimeout: .seconds(60))
        let second = try PostgresVault(url: url, password: nil, operationTimeout: .seconds(60))
        first.start()
        second.start()
        try await first.migrate()
        let mx = VaultBinding(network: try #require(NetworkId("mx")), fingerprint: try #require(SigningKeyFingerprint(text: "a036 5677 a5c6 16c5 72f4 dcd2 9f13 fed2")))
        let gt = VaultBinding(network: try #require(NetworkId("gt")), fingerprint: try #require(SigningKeyFingerprint(text: "1111 2222 3333 4444 5555 6666 7777 8888")))
        #expect(try await first.binding() == nil)
        #expect(try await first.bind(mx) == mx)
        await #expect(throws: VaultError.self) { try await second.bind(gt) }
        #expect(try await second.bind(mx) == mx, "another intake of the same network")
        let sameKeyOtherId = VaultBinding(network: try #require(NetworkId("sv")), fingerprint: mx.fingerprint)
        await #expect(throws: VaultError.self) { try await second.bind(sameKeyOtherId) }
        #expect(try await second.bind(VaultBinding(network: .single, fingerprint: mx.fingerprint)) == mx, "the single network of an intake of one")
        await first.stop()
        await second.stop()
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

    @Test("review N2: batched token spends through two intakes: each token once, the same token twice in one window refused the second time; the stored expiry is its day's end")
    func batchedSpends() async throws {
        let cluster = try PostgresCluster()
        try await withVaults(cluster) { vaults in
            let spenders = vaults.map { PostgresTokenSpender(vault: $0, window: .milliseconds(200)) }
            let tokens = try (0..<20).map { _ in try Random.bytes(count: 15) }
            let expires: UInt64 = 1_765_000_123
            let fresh = try await withThrowingTaskGroup(of: Bool.self) { group in
                // Each token shown to both intakes at once (a replay racing the spend), and one twice to the same intake.
                for (i, t) in tokens.enumerated() {
                    group.addTask { try await spenders[0].spendToken(t, expires: expires) }
                    group.addTask { try await spenders[1].spendToken(t, expires: expires) }
                    if i == 0 { group.addTask { try await spenders[0].spendToken(t, expires: expires) } }
                }
                var n = 0
                for try await ok in group where ok { n += 1 }
                return n
            }
            #expect(fresh == 20, "every token spent exactly once")
            var stored: [Int64] = []
            for try await e in try await vaults[0].client.query("SELECT DISTINCT expires FROM spent_token").decode(Int64.self) { stored.append(e) }
            #expect(stored == [Int64(1_765_065_600)], "\(stored): the end of the UTC day, no finer")
        }
    }

    @Test("two intakes exporting at once write signed bundles of disjoint envelopes that together hold every one once (FOR UPDATE SKIP LOCKED); purge by digest deletes one bundle's rows and vacuums")
    func concurrentExports() async throws {
        let cluster = try PostgresCluster()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pg-export-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let signer = try SigningKey.generate()
        try await withVaults(cluster) { vaults in
            let all = try (0..<300).map { _ in try submission(urgent: false) }
            for chunk in stride(from: 0, to: all.count, by: 50) { try await vaults[0].store(Array(all[chunk..<chunk + 50])) }
            let bundles = try await withThrowingTaskGroup(of: [ExportBundle].self) { group in
                for (n, v) in vaults.enumerated() {
                    group.addTask {
                        var bundles: [ExportBundle] = []
                        for round in 0... {
                            let path = folder.appendingPathComponent("v\(n)-\(round).rsgb").path
                            let summary = try await v.export(to: path, signer: signer, today: .today(), limit: 40)
                            let bundle = try ExportBundle(bytes: Array(try Data(contentsOf: URL(fileURLWithPath: path))), trustedKey: signer.verifyingKey)
                            #expect(bundle.entries.count == summary.count)
                            if summary.count == 0 { return bundles }
                            bundles.append(bundle)
                        }
                        return bundles
                    }
                }
                var out: [[ExportBundle]] = []
                for try await b in group { out.append(b) }
                return out
            }
            let first = bundles[0].flatMap(\.entries).map(\.submissionId), second = bundles[1].flatMap(\.entries).map(\.submissionId)
            #expect(Set(first).isDisjoint(with: Set(second)), "an envelope went into two bundles")
            #expect(Set(first + second) == Set(all.map(\.id.bytes)) && first.count + second.count == 300)
            #expect(Set((bundles[0] + bundles[1]).flatMap(\.entries).map(\.envelope)) == Set(all.map(\.envelope)))
            // Purge one bundle by its digest: only its rows go; an unknown digest is refused.
            let one = try #require(bundles[0].first)
            let purged = try await vaults[1].purge(bundleDigest: one.digest, today: .today())
            #expect(purged == one.entries.count)
            #expect(try await vaults[0].count() == 300 - purged)
            await #expect(throws: VaultError.self) { try await vaults[0].purge(bundleDigest: [UInt8](repeating: 1, count: 32), today: .today()) }
            #expect(try await vaults[0].stats().reduce(0) { $0 + $1.count } == 300 - purged)
        }
    }

    @Test("issue 30: acknowledgement and retention are one policy (PurgePolicy): the same steps on PostgreSQL and on SQLite answer the same — old unexported and unacknowledged rows kept unless named, an acknowledged bundle's rows deleted and its day recorded, an unknown digest refused")
    func purgePolicyBothBackends() async throws {
        let cluster = try PostgresCluster()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pg-purge-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let signer = try SigningKey.generate()
        let today = CalendarDay.today()
        @Sendable func old(_ n: Int) throws -> [Submission] {
            let report = Array(#"{"version":1,"language":"es","country":"HN","description":"vieja"}"#.utf8)
            return try (0..<n).map { _ in Submission(id: try SubmissionId.random(), receivedDay: today.adding(days: -100), envelope: try Envelope.seal(report: report, to: Self.key.publicKey)) }
        }
        // The same history for both: 2 old rows exported in bundle A (never acknowledged), 3 old
        // in bundle B (acknowledged), 1 old never exported, 1 recent never exported.
        typealias Steps = (store: @Sendable ([Submission]) async throws -> Void, export: @Sendable (String) async throws -> ExportSummary,
                           ack: @Sendable ([UInt8]) async throws -> Int,
                           retain: @Sendable (Bool, Bool) async throws -> PurgeByAgeSummary)
        @Sendable func play(_ steps: Steps, _ tag: String) async throws -> [String] {
            var log: [String] = []
            try await steps.store(try old(2))
            let a = try await steps.export(folder.appendingPathComponent("\(tag)-a.rsgb").path)
            try await steps.store(try old(3))
            let b = try await steps.export(folder.appendingPathComponent("\(tag)-b.rsgb").path)
            try await steps.store(try old(1) + [try submission()])
            log.append("ack B: \(try await steps.ack(b.digest))")
            let ack = steps.ack
            var outcome = "unknown digest accepted"
            do {
                let deleted = try await ack([UInt8](repeating: 7, count: 32))
                outcome += " (\(deleted) deleted)"
            } catch VaultError.unknownBundle {
                outcome = "unknown digest refused"
            }
            log.append(outcome)
            for (unacknowledged, unexported) in [(false, false), (true, false), (true, true)] {
                let r = try await steps.retain(unacknowledged, unexported)
                log.append("retain \(unacknowledged)/\(unexported): deleted \(r.deleted), acknowledged \(r.deletedAcknowledged), kept unacknowledged \(r.keptUnacknowledged) in \(r.unacknowledged.map { $0.digest == a.digest ? "A:\($0.count)" : "?" }), kept unexported \(r.keptUnexported)")
            }
            return log
        }
        let sqlite = try VaultDatabase(path: folder.appendingPathComponent("v.sqlite").path)
        let fromSQLite = try await play((store: { try sqlite.storeNow($0) }, export: { try await sqlite.export(to: $0, signer: signer, today: today) },
                                         ack: { try await sqlite.purge(bundleDigest: $0, today: today) },
                                         retain: { try await sqlite.purge(olderThan: 90, today: today, includingUnacknowledged: $0, includingUnexported: $1) }), "sqlite")
        #expect(fromSQLite == ["ack B: 3", "unknown digest refused",
                               "retain false/false: deleted 0, acknowledged 0, kept unacknowledged 2 in [\"A:2\"], kept unexported 1",
                               "retain true/false: deleted 2, acknowledged 0, kept unacknowledged 0 in [\"A:2\"], kept unexported 1",
                               "retain true/true: deleted 1, acknowledged 0, kept unacknowledged 0 in [], kept unexported 0"], "\(fromSQLite)")
        try await withVaults(cluster, count: 1) { vaults in
            let pg = vaults[0]
            let fromPostgres = try await play((store: { try await pg.store($0) }, export: { try await pg.export(to: $0, signer: signer, today: today) },
                                               ack: { try await pg.purge(bundleDigest: $0, today: today) },
                                               retain: { try await pg.purge(olderThan: 90, today: today, includingUnacknowledged: $0, includingUnexported: $1) }), "pg")
            #expect(fromPostgres == fromSQLite)
            var acknowledged: [String] = []
            for try await d in try await pg.client.query("SELECT to_char(acknowledged_day, 'YYYY-MM-DD') FROM export WHERE acknowledged_day IS NOT NULL").decode(String.self) { acknowledged.append(d) }
            #expect(acknowledged == [today.description])
            #expect(try await pg.count() == 1)
        }
    }

    @Test("PostgreSQL stopped (immediate) and started again: operations answer `unavailable` within the deadline while it is down, and the pool recovers by itself")
    func restartRecovery() async throws {
        let cluster = try PostgresCluster()
        try await withVaults(cluster, timeout: .seconds(5)) { vaults in
            try await vaults[0].store([try submission()])
            try cluster.stopImmediately()
            let clock = ContinuousClock()
            let started = clock.now
            do {
                try await vaults[0].store([try submission()])
                Issue.record("a store succeeded while the server was down")
            } catch {
                #expect((error as? VaultError)?.isTemporary == true, "\(error)")
            }
            #expect(clock.now - started < .seconds(8))
            try cluster.start()
            var recovered = false
            for _ in 0..<60 {
                if (try? await vaults[0].store([try submission()])) != nil { recovered = true; break }
                try await Task.sleep(for: .milliseconds(500))
            }
            #expect(recovered, "the pool did not reconnect within 30 s")
            #expect(try await vaults[1].count() == 2)
        }
    }

    @Test("review 2026-12-06 (also found): the same envelope sent again is one row with one id; an insert whose answer does not come back in time is `outcomeUnknown`, never \"not stored\", and its resend stores nothing twice")
    func resendStoredOnce() async throws {
        let cluster = try PostgresCluster()
        try await withVaults(cluster, timeout: .seconds(3)) { vaults in
            let report = Array(#"{"version":1,"language":"es","country":"HN","description":"otra vez"}"#.utf8)
            func submission(_ envelope: Envelope) throws -> Submission {
                Submission(id: try SubmissionId(envelope: envelope.bytes), receivedDay: .today(), envelope: envelope)
            }
            let first = try submission(try Envelope.seal(report: report, to: Self.key.publicKey, flags: []))
            try await vaults[0].store([first, first])
            try await vaults[1].store([first])
            #expect(try await vaults[0].count() == 1)
            let again = try submission(try Envelope.seal(report: report, to: Self.key.publicKey, flags: []))
            #expect(again.id != first.id, "two sealings of one text are two envelopes")

            // Another session holds a lock that blocks inserts: the INSERT is sent and its answer
            // does not come within the deadline. The caller hears "outcome unknown".
            // The async API (with a logger): the string-only `query` is the old future-returning
            // one, whose `await` waits for nothing, and the lock then raced the store.
            let logger = Logger(label: "test")
            try await vaults[1].client.withConnection { c in
                try await c.query("BEGIN", logger: logger)
                try await c.query("LOCK TABLE submission IN SHARE MODE", logger: logger)
                var held = 0
                for try await n in try await c.query("SELECT count(*)::bigint FROM pg_locks WHERE relation = 'submission'::regclass AND mode = 'ShareLock' AND granted AND pid = pg_backend_pid()", logger: logger).decode(Int.self) { held = n }
                #expect(held == 1, "the test's lock is not held")
                do {
                    try await vaults[0].store([again])
                    var rows = 0
                    for try await n in try await c.query("SELECT count(*)::bigint FROM submission", logger: logger).decode(Int.self) { rows = n }
                    Issue.record("a store answered while the table was locked (lock held: \(held), rows seen: \(rows))")
                } catch let error as VaultError {
                    guard case .outcomeUnknown = error else { Issue.record("wanted outcomeUnknown: \(error)"); return }
                    #expect(error.errorClass == "vault_outcome_unknown" && error.isTemporary)
                }
                try await c.query("COMMIT", logger: logger)
            }
            // The blocked INSERT may land now or may have been cancelled; either way the resend
            // leaves exactly one row of it.
            try await Task.sleep(for: .milliseconds(500))
            try await vaults[1].store([again])
            #expect(try await vaults[0].count() == 2)
            #expect(try await vaults[0].storedIds() == [first.id, again.id])
        }
    }
}
