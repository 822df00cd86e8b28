import GRDB

/// A queue operation that failed: which one, why, and what to try.
public struct QueueError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure, for callers that act on it (the CLI's exit status, HTTP codes).
    public enum Code: Sendable, Equatable {
        /// No job has this id.
        case notFound
        /// The job's state does not allow the operation (cancelling a running
        /// job, retrying a queued one); the associated value is that state.
        case invalidState(Job.State)
        /// The calling task was cancelled, and the operation did nothing. A
        /// worker shutting down completes or hands back its jobs before its
        /// task is cancelled (on graceful shutdown), or the leases expire.
        case cancelled
        /// The store failed: locked past the busy timeout, disk full, not a catalog.
        case storage
        /// A job request out of range or missing what its kind needs; nothing was queued.
        case invalidRequest
    }

    public let code: Code
    public let operation: String
    public let reason: String
    public let hint: String

    public init(_ code: Code, operation: String, reason: String, hint: String) {
        self.code = code
        self.operation = operation
        self.reason = reason
        self.hint = hint
    }

    /// A storage failure, with SQLite's own message when there is one.
    package init(operation: String, underlying: any Error, hint: String) {
        if underlying is CancellationError {
            self.init(.cancelled, operation: operation, reason: "the task was cancelled; nothing changed",
                      hint: "complete or hand back jobs before cancelling the worker's task")
            return
        }
        let reason: String
        if let database = underlying as? DatabaseError {
            reason = database.message ?? "\(database.resultCode)"
        } else {
            reason = "\(underlying)"
        }
        self.init(.storage, operation: operation, reason: reason, hint: hint)
    }

    public var description: String { "cannot \(operation): \(reason); \(hint)" }
}
