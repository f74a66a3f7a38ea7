import Foundation
public import Vault
import NIOConcurrencyHelpers

/// Runs the configured command when an urgent report has been stored (DESIGN.md §4), so someone
/// looks at the vault soon. The command learns only that *an* urgent report arrived: it gets no
/// arguments of ours, an empty environment, no input, and its output goes nowhere. At most one
/// run per interval; urgent reports arriving meanwhile are announced by one run at the end of
/// it. The submission never waits for the command and never fails because of it.
public final class UrgentNotifier: Sendable {
    private struct State {
        var lastRun: Date?
        var scheduled = false
        /// Shared vault: an urgent report arrived while this intake was already taking its turn.
        var again = false
    }

    let command: [String]
    let interval: TimeInterval
    let counters: IntakeCounters
    /// Intakes sharing a vault take turns through it: one run per interval for the network.
    let shared: (any SharedIntakeState)?
    private let state = NIOLockedValueBox(State())
    static let timeoutSeconds: TimeInterval = 30

    public init?(command: [String], minIntervalSeconds: Int, counters: IntakeCounters, shared: (any SharedIntakeState)? = nil) {
        guard !command.isEmpty else { return nil }
        self.shared = shared
        self.command = command
        interval = TimeInterval(minIntervalSeconds)
        self.counters = counters
    }

    /// Called after an urgent submission is durable.
    func urgentArrived(now: Date = Date()) {
        if let shared {
            Task.detached { [self] in await sharedTurn(shared) }
            return
        }
        let wait: TimeInterval? = state.withLockedValue { s in
            if s.scheduled { return nil }  // a run is already coming: it covers this report too
            s.scheduled = true
            guard let last = s.lastRun else { return 0 }
            return max(0, interval - now.timeIntervalSince(last))
        }
        guard let wait else { return }
        Task.detached { [self] in
            if wait > 0 { try? await Task.sleep(for: .seconds(wait)) }
            state.withLockedValue { s in
                s.scheduled = false
                s.lastRun = Date()
            }
            run()
        }
    }

    /// With a shared vault: mark the report pending for the whole network, then (unless this
    /// intake is already at it) take the network's turn when it is free; whichever intake takes
    /// it announces every pending report at once. If the database cannot be reached, the command
    /// runs anyway: a second notification is better than none.
    private func sharedTurn(_ shared: any SharedIntakeState) async {
        do throws(VaultError) { try await shared.markUrgentPending() } catch {
            counters.failed("notify_shared_state")
            run()
            return
        }
        let start = state.withLockedValue { s -> Bool in
            if s.scheduled { s.again = true; return false }
            s.scheduled = true
            return true
        }
        guard start else { return }
        let poll = min(interval, 5)
        var failures = 0
        while true {
            state.withLockedValue { $0.again = false }
            do throws(VaultError) {
                let outcome = try await shared.announceUrgent(intervalSeconds: Int(interval)) { [self] in run() }
                failures = 0
                if outcome == .turnHeldElsewhere {
                    try? await Task.sleep(for: .seconds(poll))
                    continue
                }
            } catch {
                failures += 1
                counters.failed("notify_shared_state")
                if failures >= 3 {
                    failures = 0
                    run()
                } else {
                    try? await Task.sleep(for: .seconds(poll))
                    continue
                }
            }
            // Stop only if nothing arrived here meanwhile (it would otherwise wait unannounced).
            let done = state.withLockedValue { s -> Bool in
                if s.again { return false }
                s.scheduled = false
                return true
            }
            if done { return }
        }
    }

    /// Starts the command and returns at once: its end (or its timeout) is counted from callbacks,
    /// so no thread of the server ever waits for it.
    private func run() {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        process.environment = [:]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        let counters = self.counters
        // Whether it has finished, and whether the deadline stopped it: the deadline never signals
        // a process that has already ended (its pid could belong to someone else by then).
        let state = NIOLockedValueBox((finished: false, timedOut: false))
        process.terminationHandler = { finished in
            let timedOut = state.withLockedValue { s -> Bool in
                s.finished = true
                return s.timedOut
            }
            if timedOut {
                counters.failed("notify_timeout")
            } else if finished.terminationStatus == 0 && finished.terminationReason == .exit {
                counters.count("urgent_notifications_sent")
            } else {
                counters.failed("notify_exit_status")
            }
        }
        do {
            try process.run()
        } catch {
            counters.failed("notify_cannot_start")
            return
        }
        let pid = process.processIdentifier
        Task.detached {
            try? await Task.sleep(for: .seconds(Self.timeoutSeconds))
            // Still running after the deadline: stop it (SIGTERM); the handler above logs it.
            let stop = state.withLockedValue { s -> Bool in
                if s.finished { return false }
                s.timedOut = true
                return true
            }
            if stop { kill(pid, SIGTERM) }
        }
    }
}
