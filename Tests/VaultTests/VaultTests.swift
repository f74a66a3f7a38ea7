import Foundation
import GRDB
import Testing
import TestSupport
import Sodium
import Formats
@testable import Vault

@Suite("Vault")
struct VaultTests {
    let dir: URL
    let key = try! SealSecretKey.generate()
    let today = CalendarDay(year: 2026, month: 11, day: 25)!

    init() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("vault-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    func submission(_ text: String = "denuncia", urgent: Bool = false, day: CalendarDay? = nil) throws -> Submission {
        let envelope = try Envelope.seal(report: Array(text.utf8), to: key.publicKey, flags: urgent ? .urgent : [])
        return try Submission(id: .random(), receivedDay: day ?? today, envelope: envelope)
    }

    @Test("a fresh vault has the schema of DESIGN.md §5: STRICT, only its columns, the envelope last; the writer commits with synchronous=FULL")
    func schema() async throws {
        let vault = try VaultDatabase(path: dir.appendingPathComponent("v.sqlite").path)
        let columns = try await vault.writer.read { db in try db.columns(in: "submission").map(\.name) }
        #expect(columns == ["id", "received_day", "key_id", "bucket", "urgent", "sealed_by", "export_id", "envelope"])
        let sql = try await vault.writer.read { db in try String.fetchOne(db, sql: "SELECT sql FROM sqlite_master WHERE name = 'submission'") } ?? ""
        #expect(sql.contains("STRICT"))
        let journal = try await vault.writer.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") }
        #expect(journal == "wal")
        // Read back from the connection that commits: GRDB's pool sets NORMAL there by itself,
        // which a reader connection would not show.
        let sync = try await vault.writer.writeWithoutTransaction { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") }
        #expect(sync == 2) // FULL
        let readerSync = try await vault.writer.read { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") }
        #expect(readerSync == 2)
        #expect(try await vault.integrityCheck() == "ok")
    }

    @Test("a v2 vault (random-key table) migrates to v3 with every row, exported or not, intact")
    func migrationFromV2() async throws {
        let path = dir.appendingPathComponent("v.sqlite").path
        let pending = try (0..<20).map { try submission("pendiente \($0)", urgent: $0 % 5 == 0) }
        let exported = try (0..<5).map { try submission("exportada \($0)") }
        do {
            let old = try DatabaseQueue(path: path)
            try VaultDatabase.migrator.migrate(old, upTo: "v2: mailbox")
            try await old.write { db in
                try db.execute(sql: "INSERT INTO export (id, created_day, count, digest) VALUES (?, '2026-11-20', 5, ?)",
                               arguments: [Data(repeating: 7, count: 16), Data(repeating: 9, count: 32)])
                for (s, exportId) in pending.map({ ($0, nil as Data?) }) + exported.map({ ($0, Data(repeating: 7, count: 16)) }) {
                    try db.execute(sql: "INSERT INTO submission (id, received_day, key_id, bucket, urgent, sealed_by, envelope, export_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                                   arguments: [Data(s.id.bytes), s.receivedDay.description, Data(s.keyId.bytes), s.bucket.byteCount, s.urgent ? 1 : 0,
                                               s.sealedBy.rawValue, Data(s.envelope), exportId])
                }
            }
        }
        let vault = try VaultDatabase(path: path)
        #expect(try await vault.storedIds() == Set((pending + exported).map(\.id)))
        let stats = try await vault.stats()
        #expect(stats.filter(\.exported).reduce(0) { $0 + $1.count } == 5)
        #expect(stats.filter(\.urgent).reduce(0) { $0 + $1.count } == 4)
        #expect(try await vault.integrityCheck() == "ok")
        // The exported rows can be purged by their bundle digest; the pending ones export.
        #expect(try await vault.purge(bundleDigest: Array(repeating: 9, count: 32), today: today) == 5)
        let signer = try SigningKey.generate()
        let summary = try await vault.export(to: dir.appendingPathComponent("b.rsgb").path, signer: signer, today: today)
        #expect(summary.count == 20)
        let bundle = try ExportBundle(bytes: Array(Data(contentsOf: dir.appendingPathComponent("b.rsgb"))), trustedKey: signer.verifyingKey)
        #expect(Set(bundle.entries.map(\.envelope)) == Set(pending.map(\.envelope)))
    }

    @Test("concurrent submissions through the group-commit writer are all stored, each exactly once")
    func groupCommit() async throws {
        let vault = try VaultDatabase(path: dir.appendingPathComponent("v.sqlite").path)
        let writer = SubmissionWriter(vault: vault, maxBatch: 16)
        let submissions = try (0..<200).map { try submission("denuncia \($0)") }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for s in submissions { group.addTask { try await writer.store(s) } }
            try await group.waitForAll()
        }
        for s in submissions { #expect(try await vault.contains(s.id)) }
        let total = try await vault.stats().reduce(0) { $0 + $1.count }
        #expect(total == 200)
    }

    @Test("under writes with no pause the log restarts: it stays a fraction of what was written, and every row is kept")
    func logRestartsUnderSteadyLoad() async throws {
        // Given a vault whose background checkpointer asks for a restart past 64 frames (256 KiB)
        let path = dir.appendingPathComponent("v.sqlite").path
        let vault = try VaultDatabase(path: path, checkpointing: .background)
        let checkpoints = try vault.startCheckpoints(every: .milliseconds(5), restartFrames: 64)
        let envelope = try Envelope.seal(report: Array(("denuncia " + String(repeating: "x", count: 3_000)).utf8), to: key.publicKey)
        // When commits follow each other with no pause, as under load (PASSIVE checkpoints alone
        // never catch up then, and the log grew as large as everything written)
        // (on a thread of its own, like the intake's writer: the loop blocks while it commits)
        let (ids, largestLog) = try await withCheckedThrowingContinuation { (done: CheckedContinuation<(Set<SubmissionId>, Int), any Error>) in
            Thread {
                do {
                    var ids = Set<SubmissionId>()
                    var largestLog = 0
                    for _ in 0..<600 {
                        let batch = try (0..<8).map { _ in try Submission(id: .random(), receivedDay: today, envelope: envelope) }
                        try vault.storeNow(batch)
                        vault.finishCheckpointIfRequested()
                        ids.formUnion(batch.map { $0.id })
                        let log = (try? FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? NSNumber)??.intValue ?? 0
                        largestLog = max(largestLog, log)
                    }
                    done.resume(returning: (ids, largestLog))
                } catch {
                    done.resume(throwing: error)
                }
            }.start()
        }
        await checkpoints.stop()
        // Then the log stayed well below the 4,800 envelopes (~20 MB) written through it
        let written = ids.count * envelope.bytes.count
        #expect(largestLog < written / 4, "largest log \(largestLog) bytes for \(written) bytes written")
        #expect(try await vault.storedIds() == ids)
        #expect(try await vault.integrityCheck() == "ok")
    }

    @Test("a locked vault is an error the intake can answer 503 to, never an acknowledgement")
    func readOnlyVault() async throws {
        let path = dir.appendingPathComponent("v.sqlite").path
        let vault = try VaultDatabase(path: path)
        // Another connection holds the write lock: our write must fail fast and be classed as temporary.
        var lockHolder = Configuration()
        lockHolder.allowsUnsafeTransactions = true
        let blocker = try DatabaseQueue(path: path, configuration: lockHolder)
        try blocker.inDatabase { db in try db.execute(sql: "BEGIN IMMEDIATE") }
        let s = try submission()
        do {
            try vault.storeNow([s])
            Issue.record("a locked vault acknowledged a write")
        } catch {
            #expect(error.isTemporary, "\(error)")
        }
        try blocker.inDatabase { db in try db.execute(sql: "ROLLBACK") }
        try vault.storeNow([s])
        #expect(try await vault.contains(s.id))
    }

    @Test("export writes a signed bundle that verifies and carries every pending envelope; purge needs its digest")
    func exportAndPurge() async throws {
        let vault = try VaultDatabase(path: dir.appendingPathComponent("v.sqlite").path)
        let signer = try SigningKey.generate()
        let stored = try (0..<5).map { try submission("r\($0)", urgent: $0 == 2) }
        try vault.storeNow(stored)
        let out = dir.appendingPathComponent("b1.rsgb").path
        let summary = try await vault.export(to: out, signer: signer, today: today)
        #expect(summary.count == 5)
        let bytes = try Array(Data(contentsOf: URL(fileURLWithPath: out)))
        let bundle = try ExportBundle(bytes: bytes, trustedKey: signer.verifyingKey)
        #expect(Set(bundle.entries.map(\.submissionId)) == Set(stored.map(\.id.bytes)))
        #expect(bundle.digest == summary.digest)
        for entry in bundle.entries {
            let envelope = try Envelope(bytes: entry.envelope)
            _ = try envelope.open(with: key)
        }
        // Exported but not acknowledged: a second export carries nothing, and nothing was deleted.
        let again = try await vault.export(to: dir.appendingPathComponent("b2.rsgb").path, signer: signer, today: today)
        #expect(again.count == 0)
        for s in stored { #expect(try await vault.contains(s.id)) }
        // Purge by an unknown digest is refused; by the right one deletes exactly those rows.
        await #expect(throws: VaultError.self) { try await vault.purge(bundleDigest: [UInt8](repeating: 1, count: 32), today: today) }
        let newer = try submission("after export")
        try vault.storeNow([newer])
        #expect(try await vault.purge(bundleDigest: summary.digest, today: today) == 5)
        for s in stored { #expect(try await vault.contains(s.id) == false) }
        #expect(try await vault.contains(newer.id))
    }

    @Test("export --urgent-only carries the urgent envelopes alone; the others wait for the next export")
    func urgentOnlyExport() async throws {
        let vault = try VaultDatabase(path: dir.appendingPathComponent("v.sqlite").path)
        let signer = try SigningKey.generate()
        let stored = try (0..<5).map { try submission("r\($0)", urgent: $0 % 2 == 0) }
        try vault.storeNow(stored)
        let urgent = try await vault.export(to: dir.appendingPathComponent("u.rsgb").path, signer: signer, today: today, urgentOnly: true)
        #expect(urgent.count == 3 && urgent.remaining == 0)
        let bundle = try ExportBundle(bytes: Array(Data(contentsOf: dir.appendingPathComponent("u.rsgb"))), trustedKey: signer.verifyingKey)
        #expect(Set(bundle.entries.map(\.submissionId)) == Set(stored.filter(\.urgent).map(\.id.bytes)))
        let rest = try await vault.export(to: dir.appendingPathComponent("r.rsgb").path, signer: signer, today: today)
        #expect(rest.count == 2)
    }

    @Test("exports are bounded in size; what does not fit waits for the next bundle, nothing is skipped")
    func boundedExport() async throws {
        let vault = try VaultDatabase(path: dir.appendingPathComponent("v.sqlite").path)
        let signer = try SigningKey.generate()
        let big = try (0..<5).map { _ in
            try Submission(id: .random(), receivedDay: today, envelope: Envelope.seal(report: [UInt8](repeating: 1, count: 40_000), to: key.publicKey))
        }
        try vault.storeNow(big)
        // Each envelope is 61 + 64 KiB; allow two per bundle.
        var carried: [[UInt8]] = []
        for i in 0..<3 {
            let out = dir.appendingPathComponent("b\(i).rsgb").path
            let summary = try await vault.export(to: out, signer: signer, today: today, maxBytes: 140_000)
            #expect(summary.count == (i < 2 ? 2 : 1) && summary.remaining == 5 - carried.count - summary.count)
            let bundle = try ExportBundle(bytes: Array(Data(contentsOf: URL(fileURLWithPath: out))), trustedKey: signer.verifyingKey)
            carried += bundle.entries.map(\.submissionId)
        }
        #expect(Set(carried) == Set(big.map(\.id.bytes)) && carried.count == 5)
    }

    @Test("a tampered or foreign bundle fails verification with a clear error")
    func tamperedBundle() async throws {
        let signer = try SigningKey.generate()
        let entries = try (0..<3).map { i in
            ExportBundle.Entry(submissionId: try Random.bytes(count: 16), receivedDay: today,
                               envelope: try Envelope.seal(report: Array("x\(i)".utf8), to: key.publicKey).bytes)
        }
        let sealed = try ExportBundle.seal(bundleId: try Random.bytes(count: 16), createdDay: today, entries: entries, signer: signer)
        var flipped = sealed.bytes
        flipped[100] ^= 1
        #expect(throws: ExportBundleError.digestMismatch) { try ExportBundle(bytes: flipped, trustedKey: signer.verifyingKey) }
        #expect(throws: ExportBundleError.untrustedSigner) { try ExportBundle(bytes: sealed.bytes, trustedKey: try SigningKey.generate().verifyingKey) }
        #expect(throws: ExportBundleError.truncated(byteCount: 10)) { try ExportBundle(bytes: Array(sealed.bytes.prefix(10)), trustedKey: signer.verifyingKey) }
        #expect(throws: ExportBundleError.self) { try ExportBundle(bytes: Array(sealed.bytes.dropLast()), trustedKey: signer.verifyingKey) }
        var badMagic = sealed.bytes
        badMagic[0] = 0
        #expect(throws: ExportBundleError.notABundle) { try ExportBundle(bytes: badMagic, trustedKey: signer.verifyingKey) }
        #expect(ExportBundleError.digestMismatch.description.contains("altered"))
    }

    @Test("retention keeps unexported envelopes and envelopes of unacknowledged bundles unless each is asked for by name")
    func retention() async throws {
        let vault = try VaultDatabase(path: dir.appendingPathComponent("v.sqlite").path)
        let old = try submission("vieja", day: today.adding(days: -100))
        let oldExported = try submission("vieja exportada", day: today.adding(days: -100))
        let recent = try submission("reciente")
        try vault.storeNow([oldExported])
        let bundle = try await vault.export(to: dir.appendingPathComponent("b.rsgb").path, signer: SigningKey.generate(), today: today)
        try vault.storeNow([old, recent])
        // Issue 14 item 12: an exported bundle never acknowledged may be the only copy.
        let first = try await vault.purge(olderThan: 90, today: today, includingUnacknowledged: false, includingUnexported: false)
        #expect(first.deleted == 0 && first.keptUnexported == 1 && first.keptUnacknowledged == 1)
        #expect(first.unacknowledged.map(\.digest) == [bundle.digest])
        let oldKept = try await vault.contains(old.id)
        let oldExportedKept = try await vault.contains(oldExported.id)
        #expect(oldKept && oldExportedKept)
        let unacknowledged = try await vault.purge(olderThan: 90, today: today, includingUnacknowledged: true, includingUnexported: false)
        #expect(unacknowledged.deleted == 1 && unacknowledged.keptUnexported == 1)
        #expect(try await !vault.contains(oldExported.id))
        let forced = try await vault.purge(olderThan: 90, today: today, includingUnacknowledged: true, includingUnexported: true)
        #expect(forced.deleted == 1)
        #expect(try await vault.contains(recent.id))
    }

    @Test("an export that the vault cannot record (its disk full) leaves no bundle behind, and a retry to the same path works")
    func exportOnFullDiskLeavesNothing() async throws {
        // A 1 MiB tmpfs as the vault's disk (root only; CI runs as root).
        let disk = dir.appendingPathComponent("small")
        try FileManager.default.createDirectory(at: disk, withIntermediateDirectories: true)
        guard (try? runSubprocess("/bin/mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", disk.path]).status) == 0 else {
            print("note: cannot mount a tmpfs here; the full-disk export test did not run")
            return
        }
        defer { _ = try? runSubprocess("/bin/umount", ["-l", disk.path]) }
        let out = dir.appendingPathComponent("bundle.rsgb").path
        let signer = try SigningKey.generate()
        do {
            let vault = try VaultDatabase(path: disk.appendingPathComponent("v.sqlite").path)
            try vault.storeNow((0..<20).map { _ in try submission() })
            try vault.close()
        }
        let vault = try VaultDatabase(path: disk.appendingPathComponent("v.sqlite").path)
        // Fill the rest of the disk.
        _ = try runSubprocess("/bin/dd", ["if=/dev/zero", "of=\(disk.path)/filler", "bs=4096"])
        await #expect(throws: VaultError.self) { try await vault.export(to: out, signer: signer, today: today) }
        #expect(!FileManager.default.fileExists(atPath: out), "a bundle the vault never recorded was left at --out")
        try FileManager.default.removeItem(atPath: disk.path + "/filler")
        let retried = try await vault.export(to: out, signer: signer, today: today)
        #expect(retried.count == 20)
        #expect(try await vault.purge(bundleDigest: retried.digest, today: today) == 20)
    }
}
