import AssetPipeline

/// How a worker ends its hold on a job (`JobQueue.complete`).
public enum JobOutcome: Sendable, Equatable {
    /// The job did what it was for.
    case succeeded
    /// A permanent result (corrupt, unsupported_format, too_short, exists):
    /// the job ends `failed` with this error and is not retried.
    case failed(AssetError)
    /// A transient error: the job is queued again after a backoff, or ends
    /// `dead` with this error when it has used its last attempt.
    case retry(AssetError)
    /// Handed back unfinished (the worker is shutting down): the job is
    /// queued again at once and the attempt does not count.
    case released

    /// The outcome for a job that ended in `error`: retried when the reason
    /// is transient, failed for good otherwise.
    public init(error: AssetError) {
        self = error.isTransient ? .retry(error) : .failed(error)
    }
}
