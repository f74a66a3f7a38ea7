import Foundation
public import Logging
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
    }

    let command: [String]
    let interval: TimeInterval
    let logger: Logger
    private let state = NIOLockedValueBox(State())
    static let timeoutSeconds: TimeInterval = 30

    public init?(command: [String], minIntervalSeconds: Int, logger: Logger) {
        guard !command.isEmpty else { return nil }
        self.command = command
        interval = TimeInterval(minIntervalSeconds)
        self.logger = logger
    }

    /// Called after an urgent submission is durable.
    func urgentArrived(now: Date = Date()) {
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

    private func run() {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        process.environment = [:]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            logger.error("urgent notification failed", metadata: ["class": "notify_cannot_start"])
            return
        }
        let deadline = Date().addingTimeInterval(Self.timeoutSeconds)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning {
            process.terminate()
            logger.error("urgent notification failed", metadata: ["class": "notify_timeout"])
            return
        }
        if process.terminationStatus == 0 {
            logger.notice("urgent notification sent")
        } else {
            logger.error("urgent notification failed", metadata: ["class": "notify_exit_status"])
        }
    }
}
