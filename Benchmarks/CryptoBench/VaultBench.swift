// `resguardo-crypto-bench vault N BATCH DIR`: the vault's write path on real SQLite files, next to
// Benchmarks/vault_anchor.c (raw sqlite3, the same schema, pragmas and row shape) in the same run.
import Foundation
import Formats
import Sodium
import Vault

func vaultBenchmark(count: Int, batch: Int, dir: String) throws {
    let key = try SealSecretKey.generate()
    // One real 4 KiB-bucket envelope, stored `count` times under fresh ids (as the intake does).
    let envelope = try Envelope.seal(report: Array(String(repeating: "carga de prueba ", count: 100).utf8), to: key.publicKey)
    let day = CalendarDay.today()
    func submissions(_ n: Int) throws -> [Submission] {
        try (0..<n).map { _ in try Submission(id: .random(), receivedDay: day, envelope: envelope) }
    }
    let clock = ContinuousClock()
    func rate(_ n: Int, _ elapsed: Duration) -> Double {
        let (s, atto) = elapsed.components
        return Double(n) / (Double(s) + Double(atto) / 1e18)
    }

    // 1. Batches of `batch` rows, one durable transaction each: the same work as the C anchor.
    let direct = try VaultDatabase(path: dir + "/direct.sqlite")
    let prepared = try submissions(count)
    let directTime = try clock.measure {
        for start in stride(from: 0, to: count, by: batch) {
            try direct.storeNow(Array(prepared[start..<min(start + batch, count)]))
        }
    }
    print("swift\tvault-batches\t\(count)\t\(rate(count, directTime))")

    // 2. The intake's path: `batch` concurrent producers, each waiting for its own durable commit
    // through the group-commit writer (its thread, its continuations), with background checkpoints.
    let vault = try VaultDatabase(path: dir + "/writer.sqlite", checkpointing: .background)
    let writer = SubmissionWriter(vault: vault)
    let checkpoints = try vault.startCheckpoints()
    let perProducer = count / batch
    let producers = try (0..<batch).map { _ in try submissions(perProducer) }
    let semaphore = DispatchSemaphore(value: 0)
    let start = clock.now
    Task {
        await withTaskGroup(of: Void.self) { group in
            for mine in producers {
                group.addTask { for s in mine { try? await writer.store(s) } }
            }
        }
        semaphore.signal()
    }
    semaphore.wait()
    let writerTime = clock.now - start
    Task {
        await checkpoints.stop()
        semaphore.signal()
    }
    semaphore.wait()
    let totals = writer.totals
    print("swift\tvault-writer\t\(totals.submissions)\t\(rate(totals.submissions, writerTime))\t\(Double(totals.submissions) / Double(max(totals.commits, 1)))")
}
