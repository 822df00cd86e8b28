import AssetPipeline

/// What a job does, typed: one case per kind with exactly the fields that
/// kind needs. The queue stores the flat `JobPayload` (its JSON is a public
/// form); this is how it is read, checked at enqueue (`JobRequest.validated`)
/// and again when a worker runs it, so a payload that lacks a field fails
/// the job with a reason instead of reaching code that assumed it.
public enum JobWork: Sendable, Equatable {
    case process(origin: String, target: String?, onConflict: ConflictPolicy?)
    case refresh(assetID: String)
    case delete(assetID: String)
    case edit(assetID: String, ops: String, saveAs: String?, onConflict: ConflictPolicy?)

    /// The work of a `kind` job with `payload`; what is missing or wrong otherwise.
    public init(kind: Job.Kind, payload: JobPayload) throws(JobWorkError) {
        switch kind {
        case .process:
            guard let origin = payload.origin, origin.hasPrefix("/") || origin.hasPrefix("s3://"), !origin.utf8.contains(0) else {
                throw JobWorkError("a process job needs `origin`, the file's absolute path or an object's s3:// URL")
            }
            self = .process(origin: origin, target: payload.target, onConflict: payload.onConflict)
        case .refresh, .delete:
            guard let assetID = payload.assetID, !assetID.isEmpty else {
                throw JobWorkError("a \(kind.rawValue) job needs `asset_id`")
            }
            self = kind == .refresh ? .refresh(assetID: assetID) : .delete(assetID: assetID)
        case .edit:
            guard let assetID = payload.assetID, !assetID.isEmpty, let ops = payload.ops, !ops.isEmpty else {
                throw JobWorkError("an edit job needs `asset_id` and `ops`")
            }
            self = .edit(assetID: assetID, ops: ops, saveAs: payload.target, onConflict: payload.onConflict)
        }
    }
}

/// Why a payload is not the work of its kind.
public struct JobWorkError: Error, Sendable, CustomStringConvertible {
    public let description: String

    init(_ description: String) {
        self.description = description
    }
}

extension Job {
    /// The job's work, typed.
    public var work: JobWork {
        get throws(JobWorkError) { try JobWork(kind: kind, payload: payload) }
    }
}
