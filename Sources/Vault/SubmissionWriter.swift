/// Group commit: submissions that arrive while a transaction is being made durable wait and go
/// into the next one together. Each caller returns only when the transaction holding its
/// submission has committed (WAL + synchronous=FULL), so an acknowledgement always means
/// "durable", while the number of fsyncs per second stays flat under load.
public actor SubmissionWriter {
    private let vault: VaultDatabase
    private let maxBatch: Int
    private var pending: [(Submission, CheckedContinuation<Void, any Error>)] = []
    private var draining = false

    public init(vault: VaultDatabase, maxBatch: Int = 256) {
        self.vault = vault
        self.maxBatch = maxBatch
    }

    /// Stores one submission; returns once it is durable, throws if its transaction failed.
    public func store(_ submission: Submission) async throws(VaultError) {
        do {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                pending.append((submission, continuation))
                if !draining {
                    draining = true
                    Task { await self.drain() }
                }
            }
        } catch let error as VaultError {
            throw error
        } catch {
            throw VaultError(error)
        }
    }

    private func drain() async {
        while !pending.isEmpty {
            let batch = Array(pending.prefix(maxBatch))
            pending.removeFirst(batch.count)
            do {
                try await vault.store(batch.map(\.0))
                for (_, continuation) in batch { continuation.resume() }
            } catch {
                for (_, continuation) in batch { continuation.resume(throwing: error) }
            }
        }
        draining = false
    }
}
