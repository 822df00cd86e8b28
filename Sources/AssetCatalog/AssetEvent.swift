import AssetPipeline
import Foundation

/// One entry of an asset's history: what happened to which version, when,
/// and who did it. Deleting an asset keeps its events and adds a `deleted`
/// one, the tombstone. Its JSON form is what `history --json` prints.
public struct AssetEvent: Sendable, Equatable, Codable {
    public enum Action: String, Sendable, Codable, CaseIterable {
        /// The asset entered the catalog (version 1).
        case created
        /// The same path was processed again in place (`assetpipe process`).
        case updated
        /// A new file became the asset's next version (conflict policy `version`).
        case versioned
        /// The asset was read again from its origin and its derived data replaced.
        case refreshed
        /// The origin is gone and the asset with its renditions was removed.
        case deleted
        /// A saved edit made a new version.
        case edited
        /// Tags or categories were added, removed or renamed (`annotate`,
        /// `tags rename`...); the detail says which, as JSON lists.
        case annotated
    }

    public var assetID: String
    public var version: Int
    /// The asset's path when this happened.
    public var path: String
    public var at: Date
    /// Who made the change: `process`, or `worker HOST:PID` for a queued job.
    public var actor: String
    public var action: Action
    /// What changed, as text: `sha256` (of this version's bytes),
    /// `previous_sha256`, `status`, `reason`, `renamed_from`, `origin`.
    public var detail: [String: String]
    /// The queued job's effect key when a job made the change.
    public var jobID: String?

    public init(assetID: String, version: Int, path: String, at: Date, actor: String, action: Action,
                detail: [String: String], jobID: String?) {
        self.assetID = assetID
        self.version = version
        self.path = path
        self.at = at
        self.actor = actor
        self.action = action
        self.detail = detail
        self.jobID = jobID
    }

    enum CodingKeys: String, CodingKey {
        case assetID = "asset_id"
        case version, path, at, actor, action, detail
        case jobID = "job_id"
    }
}

/// Who is changing the catalog, for its history; and, for a queued job, the
/// key under which the change is made at most once.
public struct ChangeSource: Sendable, Equatable {
    public var actor: String
    /// A job run's effect key: a second change under the same key is not made
    /// again but reported as `alreadyApplied`.
    public var effectKey: String?

    public init(actor: String, effectKey: String? = nil) {
        self.actor = actor
        self.effectKey = effectKey
    }
}

/// What a change to the catalog came to.
public enum CatalogChange: Sendable, Equatable {
    /// Made now: the record as stored, and the history entry written.
    case applied(AssetRecord, AssetEvent)
    /// An earlier attempt under the same effect key made it; the asset as it
    /// stands now (nil when it has been deleted).
    case alreadyApplied(AssetRecord?)
    /// Nothing to do: the asset at the target path already holds this very
    /// file (same SHA-256), so nothing was versioned, renamed or written.
    case unchanged(AssetRecord)
    /// Refused, and nothing changed: `exists`, `not_found`, or the new
    /// file's own error when it would have replaced a good version.
    case refused(AssetError)
}
