import DurableFiles
import Formats
import Foundation
import PostgresNIO
import Sodium
import Synchronization

extension PostgresVault: SharedIntakeState {
    public func markUrgentPending() async throws(VaultError) {
        try await guarded { [logger] client in
            try await client.query("UPDATE urgent_pending SET pending = true WHERE singleton = 1", logger: logger)
        }
    }

    /// The turn is a session advisory lock: the intake that takes it clears the pending flag, runs
    /// the command and keeps the lock for the interval, so no other intake announces meanwhile.
    /// If that intake dies, its session ends and the lock with it. On any error the connection is
    /// closed rather than returned to the pool still holding the lock.
    public func announceUrgent(intervalSeconds: Int, announce: @escaping @Sendable () -> Void) async throws(VaultError) -> UrgentAnnouncement {
        try await guarded(timeout: .seconds(Int64(intervalSeconds) + 30)) { [logger] client in
            try await client.withConnection { c in
                var held = false
                for try await got in try await c.query("SELECT pg_try_advisory_lock(\(Self.urgentTurnLock))", logger: logger).decode(Bool.self) { held = got }
                guard held else { return .turnHeldElsewhere }
                do {
                    var pending = false
                    for try await _ in try await c.query("UPDATE urgent_pending SET pending = false WHERE singleton = 1 AND pending RETURNING 1", logger: logger).decode(Int.self) {
                        pending = true
                    }
                    if pending {
                        announce()
                        try await Task.sleep(for: .seconds(intervalSeconds))
                    }
                    try await c.query("SELECT pg_advisory_unlock(\(Self.urgentTurnLock))", logger: logger)
                    return pending ? .announced : .nothingPending
                } catch {
                    try? await c.close()
                    throw error
                }
            }
        }
    }
}

/// What the intakes on one PostgreSQL vault share, with token spends gathered for a window into
/// one statement (review N2): a spend committed alone would date, to the microsecond in the WAL,
/// the submission it pays for, whatever the submissions' own commit window. The urgent turn is
/// the vault's own (a boolean and a turn, no time per report).
public final class PostgresTokenSpender: SharedIntakeState {
    public let vault: PostgresVault
    let window: Duration
    private let state = Mutex(State())
    static let maxBatch = 1000

    private struct State {
        var pending: [(id: [UInt8], expires: UInt64, waiter: CheckedContinuation<Result<Bool, VaultError>, Never>)] = []
        var running = false
    }

    public init(vault: PostgresVault, window: Duration) {
        self.vault = vault
        self.window = window
    }

    public func spendToken(_ id: [UInt8], expires: UInt64) async throws(VaultError) -> Bool {
        guard window > .zero else { return try await vault.spendToken(id, expires: expires) }
        let result: Result<Bool, VaultError> = await withCheckedContinuation { continuation in
            let start = state.withLock { s -> Bool in
                s.pending.append((id, expires, continuation))
                guard !s.running else { return false }
                s.running = true
                return true
            }
            if start { Task { await self.spendLoop() } }
        }
        return try result.get()
    }

    private func spendLoop() async {
        while true {
            if state.withLock({ $0.pending.count }) < Self.maxBatch { try? await Task.sleep(for: window) }
            let batch = state.withLock { s in
                let batch = Array(s.pending.prefix(Self.maxBatch))
                s.pending.removeFirst(batch.count)
                if batch.isEmpty { s.running = false }
                return batch
            }
            if batch.isEmpty { return }
            do throws(VaultError) {
                let fresh = try await vault.spendTokens(batch.map { ($0.id, $0.expires) })
                // The same token twice in one batch: the first is the spend, the second a replay.
                var seen = Set<[UInt8]>()
                for item in batch { item.waiter.resume(returning: .success(fresh.contains(item.id) && seen.insert(item.id).inserted)) }
            } catch {
                for item in batch { item.waiter.resume(returning: .failure(error)) }
            }
        }
    }

    public func markUrgentPending() async throws(VaultError) { try await vault.markUrgentPending() }

    public func announceUrgent(intervalSeconds: Int, announce: @escaping @Sendable () -> Void) async throws(VaultError) -> UrgentAnnouncement {
        try await vault.announceUrgent(intervalSeconds: intervalSeconds, announce: announce)
    }
}
