import Dispatch
import Foundation

/// Work spread over every core for the long offline loops (opening a bundle's envelopes,
/// decrypting cases for the registry). Each worker gets state of its own (guarded scratch
/// memory is not shared between threads); results come back in input order; progress is
/// reported between blocks, on the calling thread, so a terminal progress line needs no lock.
enum Parallel {
    static var workerCount: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }

    /// `body(state, index)` for every index in `0..<count`. Measured (scripts/bench unseal,
    /// 2 cores): one worker per core, blocks of 256 items a worker, keeps both cores busy with
    /// progress still updated several times a second.
    static func map<State, Result>(
        count: Int,
        workers: Int = workerCount,
        makeState: () throws -> State,
        progress: (Int) -> Void = { _ in },
        _ body: (State, Int) -> Result
    ) rethrows -> [Result] {
        let workers = max(1, min(workers, count))
        let states = try (0..<workers).map { _ in try makeState() }
        var results: [Result?] = Array(repeating: nil, count: count)
        let block = 256 * workers
        var start = 0
        withoutActuallyEscaping(body) { body in
            while start < count {
                let (first, end) = (start, min(start + block, count))
                results.withUnsafeMutableBufferPointer { buffer in
                    // Unchecked, and why that holds: worker w touches only states[w] and the
                    // slots i ≡ w (mod workers) of `out`; `body` only reads what it captured
                    // (the callers pass immutable bundles, keys and settings); all of it lives
                    // until concurrentPerform returns.
                    let shared = UncheckedSendable((out: buffer, states: states, body: body))
                    DispatchQueue.concurrentPerform(iterations: workers) { w in
                        var i = first + w
                        while i < end {
                            shared.value.out[i] = shared.value.body(shared.value.states[w], i)
                            i += workers
                        }
                    }
                }
                start = end
                progress(start)
            }
        }
        // Every slot was written above; compactMap only spares a force-unwrap.
        return results.compactMap { $0 }
    }
}

/// Tells the compiler that a value crosses threads safely; every use says why beside it
/// (`Parallel.map`).
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
