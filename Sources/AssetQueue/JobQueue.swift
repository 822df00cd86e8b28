/// A durable job queue: the contract every driver (SQLite in the catalog's
/// file; PostgreSQL later) meets and `Tests/AssetQueueTests` checks.
///
/// Execution is at least once: a worker claims a job with a lease, renews
/// it with heartbeats while it works, and completes it. A worker that dies
/// stops renewing; once its lease expires the job is claimable again and
/// the dead worker's late heartbeats and completions are refused. Job
/// effects must therefore be idempotent.
///
/// A `worker` string names one claimer, and must be unique among the claimers
/// running at once (for example `host:pid:slot`). Times come from the queue's
/// clock. Every method is one short transaction; called from a cancelled task
/// it may throw `cancelled` and change nothing.
public protocol JobQueue: Sendable {
    /// Adds jobs, all or none, and returns them as stored, in the same order.
    func enqueue(_ requests: [JobRequest]) async throws(QueueError) -> [Job]

    /// Takes the next runnable job for `worker` and holds it for `lease`, or
    /// returns nil when none is runnable. Runnable: `queued` with `runAfter`
    /// passed, or `running` with an expired lease (its worker was killed).
    /// Highest priority first, then the order of enqueueing. Atomic: two
    /// claimers, in any processes, never get the same job. The claim counts
    /// an attempt. A job whose lease expired on its last attempt is not
    /// claimed but becomes `dead` with reason `crashed`, so a file that
    /// kills its workers is not retried forever.
    func claim(worker: String, lease: Duration) async throws(QueueError) -> Job?

    /// Extends `worker`'s lease on the job to `lease` from now. False when the
    /// worker no longer holds it (it expired and another worker claimed the
    /// job, or the job was completed): the worker should then drop the job
    /// without completing it. An expired lease that nobody took is still held.
    func heartbeat(_ id: String, worker: String, lease: Duration) async throws(QueueError) -> Bool

    /// Ends `worker`'s hold on the job with `outcome` and returns the job as
    /// it now stands; nil when the worker no longer holds it, in which case
    /// nothing changes, so a late worker never overwrites a newer holder.
    /// `made` names the asset the attempt made or changed, which the job then carries.
    func complete(_ id: String, worker: String, outcome: JobOutcome, made: JobAsset?) async throws(QueueError) -> Job?

    /// Queues a `failed`, `dead` or `cancelled` job again, with its attempts
    /// reset to zero. Throws `invalidState` for any other state, `notFound`
    /// for an unknown id.
    func retry(_ id: String) async throws(QueueError) -> Job

    /// Cancels a `queued` job. A `running` job is refused (`invalidState`),
    /// not interrupted: it finishes or fails on its own, and is retried or
    /// not like any other. Finished jobs are refused too; `notFound` for an
    /// unknown id.
    func cancel(_ id: String) async throws(QueueError) -> Job

    /// The job with this id.
    func job(_ id: String) async throws(QueueError) -> Job?

    /// Up to `limit` jobs, in `state` or in any state when nil, most recently updated first.
    func list(state: Job.State?, limit: Int) async throws(QueueError) -> [Job]

    /// How many jobs are in each state, every state present (zero included),
    /// for queue-depth gauges.
    func counts() async throws(QueueError) -> [Job.State: Int]

    /// Waits up to `timeout` for a sign that a job may be claimable, so idle
    /// workers need not poll the store tightly. True when woken by such a
    /// sign (PostgreSQL's NOTIFY on enqueue); false after the timeout. A
    /// driver without notifications just sleeps. Jobs that become due with
    /// time (backoffs, expired leases) send no sign: keep claiming now and then.
    func waitForWork(upTo timeout: Duration) async -> Bool
}

extension JobQueue {
    public func waitForWork(upTo timeout: Duration) async -> Bool {
        try? await Task.sleep(for: timeout)
        return false
    }
}

extension JobQueue {
    /// Completes a job that names no asset.
    public func complete(_ id: String, worker: String, outcome: JobOutcome) async throws(QueueError) -> Job? {
        try await complete(id, worker: worker, outcome: outcome, made: nil)
    }
}
