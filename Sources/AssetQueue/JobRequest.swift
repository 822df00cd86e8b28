/// A job to enqueue: what `JobQueue.enqueue` takes. The queue gives it an id,
/// timestamps and the `queued` state.
public struct JobRequest: Sendable, Equatable {
    /// Five attempts: with the standard backoff a transient failure (a file
    /// still arriving, a busy database) gets about 15 seconds to clear.
    public static let defaultMaxAttempts = 5
    /// Priorities a job may have: uploads are 10, deletes 5, refreshes 0.
    public static let priorities = -1000...1000
    /// Attempts a job may have: enough for any transient cause to clear,
    /// few enough that a job that always fails goes `dead` in hours, not never.
    public static let attemptCounts = 1...50

    public var kind: Job.Kind
    public var payload: JobPayload
    /// Higher is claimed first.
    public var priority: Int
    /// In `attemptCounts`.
    public var maxAttempts: Int

    /// Any values; `validated()` (which every queue applies at enqueue)
    /// refuses those out of range.
    public init(kind: Job.Kind, payload: JobPayload, priority: Int = 0, maxAttempts: Int = JobRequest.defaultMaxAttempts) {
        self.kind = kind
        self.payload = payload
        self.priority = priority
        self.maxAttempts = maxAttempts
    }

    /// Catalogue the file at `origin` as `target` (the origin's path when nil).
    public static func process(origin: String, as target: String? = nil, onConflict: JobPayload.ConflictPolicy? = nil,
                               priority: Int = 0, maxAttempts: Int = defaultMaxAttempts) -> JobRequest {
        JobRequest(kind: .process, payload: JobPayload(origin: origin, target: target, onConflict: onConflict),
                   priority: priority, maxAttempts: maxAttempts)
    }

    /// Re-read the asset from its origin and run the pipeline again.
    public static func refresh(assetID: String, priority: Int = 0, maxAttempts: Int = defaultMaxAttempts) -> JobRequest {
        JobRequest(kind: .refresh, payload: JobPayload(assetID: assetID), priority: priority, maxAttempts: maxAttempts)
    }

    /// Render the asset with `ops` (canonical render parameters) and store the
    /// result as its next version, or as a new asset at `saveAs`.
    public static func edit(assetID: String, ops: String, saveAs: String? = nil, onConflict: JobPayload.ConflictPolicy? = nil,
                            priority: Int = 10, maxAttempts: Int = defaultMaxAttempts) -> JobRequest {
        JobRequest(kind: .edit, payload: JobPayload(target: saveAs, onConflict: onConflict, assetID: assetID, ops: ops),
                   priority: priority, maxAttempts: maxAttempts)
    }

    /// Remove the asset, whose origin is gone, and its renditions.
    public static func delete(assetID: String, priority: Int = 0, maxAttempts: Int = defaultMaxAttempts) -> JobRequest {
        JobRequest(kind: .delete, payload: JobPayload(assetID: assetID), priority: priority, maxAttempts: maxAttempts)
    }

    /// The request, when its priority and attempts are in range and its
    /// payload has what its kind needs; otherwise a `.invalidRequest` error
    /// naming the field.
    public func validated() throws(QueueError) -> JobRequest {
        func refuse(_ reason: String) -> QueueError {
            QueueError(.invalidRequest, operation: "queue a \(kind.rawValue) job", reason: reason, hint: "fix the request and send it again")
        }
        guard Self.priorities.contains(priority) else {
            throw refuse("priority \(priority) is outside \(Self.priorities.lowerBound)...\(Self.priorities.upperBound)")
        }
        guard Self.attemptCounts.contains(maxAttempts) else {
            throw refuse("max_attempts \(maxAttempts) is outside \(Self.attemptCounts.lowerBound)...\(Self.attemptCounts.upperBound)")
        }
        do {
            _ = try JobWork(kind: kind, payload: payload)
        } catch {
            throw refuse(error.description)
        }
        return self
    }
}
