import Formats
import Sodium
import Vault

/// The one way an envelope becomes a receipt, for both routes (`POST /v1/reports` with an
/// envelope sealed on the device, `POST /v1/reports/form` with one the intake sealed): store it
/// durably, then and only then count it for the proof of work and announce it if urgent. Each
/// route turns the outcome into its own answer (JSON or a page).
struct Acceptance: Sendable {
    let store: any SubmissionStore
    let counters: IntakeCounters
    let proofOfWork: ProofOfWork
    let notifier: UrgentNotifier?

    enum Refusal: Error {
        /// Nothing was stored; `temporary` means "try again later" (503 with Retry-After).
        case notStored(errorClass: String, temporary: Bool)
        /// The vault may have stored it (its database did not confirm the commit): the client
        /// should send the same envelope again, which stores nothing twice (503 `vault_outcome_unknown`).
        case outcomeUnknown
    }

    func accept(_ envelope: Envelope) async throws(Refusal) -> SubmissionId {
        let id: SubmissionId
        // Derived from the envelope, so the same envelope sent again is the same row and receipt.
        do { id = try SubmissionId(envelope: envelope.bytes) } catch { throw .notStored(errorClass: "hash_unavailable", temporary: true) }
        do {
            try await store.store(Submission(id: id, receivedDay: .today(), envelope: envelope))
        } catch {
            counters.failed(error.errorClass)
            if case .outcomeUnknown = error { throw .outcomeUnknown }
            throw .notStored(errorClass: error.errorClass, temporary: error.isTemporary)
        }
        proofOfWork.accepted()
        if envelope.isUrgent { notifier?.urgentArrived() }
        return id
    }
}
