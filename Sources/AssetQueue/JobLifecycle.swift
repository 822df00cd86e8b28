import AssetPipeline
import Foundation

/// The job state machine, apart from storage, so that every driver moves jobs
/// the same way: a driver reads a job inside its transaction, applies one of
/// these, and writes the job back.
extension Job {
    /// A fresh job, `queued` and runnable at once.
    package init(_ request: JobRequest, id: String, now: Date) {
        let now = now.wholeMilliseconds
        self.init(id: id, kind: request.kind, payload: request.payload, priority: request.priority, state: .queued,
                  attempts: 0, maxAttempts: request.maxAttempts, generation: 0, lastError: nil, runAfter: now,
                  leaseOwner: nil, leaseExpiresAt: nil, createdAt: now, updatedAt: now, finishedAt: nil,
                  asset: Self.knownAsset(of: request))
    }

    /// The asset a job works on when the request names it: a refresh's, a
    /// delete's, an edit's that is not saved as a new asset.
    private static func knownAsset(of request: JobRequest) -> JobAsset? {
        guard let id = request.payload.assetID, !id.isEmpty else { return nil }
        switch request.kind {
        case .refresh, .delete: return JobAsset(assetID: id)
        case .edit: return request.payload.target == nil ? JobAsset(assetID: id) : nil
        case .process: return nil
        }
    }

    /// `worker` takes the job (queued, or running under an expired lease) for `lease`.
    package mutating func claim(by worker: String, lease: Duration, now: Date) {
        let now = now.wholeMilliseconds
        if state == .running {
            lastError = AssetError(.leaseExpired, "worker \(leaseOwner ?? "?") stopped renewing its lease on attempt \(attempts); claimed again")
        }
        state = .running
        attempts += 1
        leaseOwner = worker
        leaseExpiresAt = now.addingTimeInterval(lease.seconds).wholeMilliseconds
        updatedAt = now
    }

    /// A running job whose lease expired on its last attempt: `dead` with
    /// reason `crashed`, so a file that kills its workers is not run forever.
    /// Attempts are counted at claim, so a worker that dies mid-job has
    /// spent one.
    package mutating func expireOnLastAttempt(now: Date) {
        let now = now.wholeMilliseconds
        let message = "worker \(leaseOwner ?? "?") stopped renewing its lease (killed, or stuck) on the last of \(maxAttempts) attempts, "
            + "each of which ended the same way; "
            + "find why in that worker's log, then queue it again with `assetpipe jobs retry \(id)`"
        finish(.dead, error: AssetError(.crashed, message), now: now)
    }

    /// Applies a worker's outcome. `generator` draws the retry backoff.
    /// `made` is what the attempt made or changed, when it did.
    package mutating func complete(_ outcome: JobOutcome, made: JobAsset? = nil, now: Date, backoff: Backoff,
                                   using generator: inout some RandomNumberGenerator) {
        let now = now.wholeMilliseconds
        if let made { asset = made }
        switch outcome {
        case .succeeded:
            finish(.succeeded, error: lastError, now: now)
        case .failed(let error):
            finish(.failed, error: error, now: now)
        case .retry(let error) where attempts >= maxAttempts:
            finish(.dead, error: error, now: now)
        case .retry(let error):
            lastError = error
            let delay = backoff.delay(afterAttempt: attempts, using: &generator)
            requeue(after: now.addingTimeInterval(delay.seconds).wholeMilliseconds, now: now)
        case .released:
            attempts = max(attempts - 1, 0)
            requeue(after: now, now: now)
        }
    }

    /// Queues a finished, unsuccessful job again with all its attempts.
    package mutating func retry(now: Date) throws(QueueError) {
        let now = now.wholeMilliseconds
        guard [.failed, .dead, .cancelled].contains(state) else {
            throw QueueError(.invalidState(state), operation: "retry job \(id)", reason: "it is \(state.rawValue)",
                             hint: "only failed, dead and cancelled jobs can be retried")
        }
        attempts = 0
        generation += 1
        finishedAt = nil
        requeue(after: now, now: now)
    }

    /// Cancels a job that is waiting to run.
    package mutating func cancel(now: Date) throws(QueueError) {
        let now = now.wholeMilliseconds
        guard state == .queued else {
            let hint = state == .running
                ? "a running job is not interrupted; wait for it to finish, or stop its worker"
                : "only queued jobs can be cancelled"
            throw QueueError(.invalidState(state), operation: "cancel job \(id)", reason: "it is \(state.rawValue)", hint: hint)
        }
        finish(.cancelled, error: lastError, now: now)
    }

    private mutating func requeue(after runAfter: Date, now: Date) {
        state = .queued
        self.runAfter = runAfter
        leaseOwner = nil
        leaseExpiresAt = nil
        updatedAt = now
    }

    private mutating func finish(_ final: State, error: AssetError?, now: Date) {
        state = final
        lastError = error
        leaseOwner = nil
        leaseExpiresAt = nil
        updatedAt = now
        finishedAt = now
    }
}
