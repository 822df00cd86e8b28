import AssetPipeline
import Foundation

/// One unit of queued work: what to do (kind and payload), how urgent, and
/// where it stands. A snapshot read from a queue; only the queue changes the
/// stored job. Its JSON form (snake_case keys, absent values left out) is
/// what `jobs --json` prints.
public struct Job: Sendable, Equatable, Codable {
    /// What the job does.
    public enum Kind: String, Sendable, Codable, CaseIterable {
        /// Catalogue a file: `payload.origin`, stored as `payload.target`.
        case process
        /// Re-read asset `payload.assetID` from its origin and run the pipeline again.
        case refresh
        /// The origin of asset `payload.assetID` is gone: remove the asset and its renditions.
        case delete
        /// Render asset `payload.assetID` with `payload.ops` and store the
        /// result as its next version, or as a new asset at `payload.target`.
        case edit
    }

    /// Where a job is in its life. `succeeded`, `failed`, `dead` and
    /// `cancelled` are final until someone retries the job.
    public enum State: String, Sendable, Codable, CaseIterable {
        /// Waiting to be claimed, from `runAfter` on.
        case queued
        /// Claimed by `leaseOwner` until `leaseExpiresAt`; claimable by
        /// another worker once that has passed.
        case running
        case succeeded
        /// A permanent result (corrupt, unsupported_format, exists, ...): never retried by the queue.
        case failed
        /// Transient failures until `maxAttempts` ran out; `lastError` says the last one.
        case dead
        case cancelled
    }

    /// UUID, lowercase.
    public var id: String
    public var kind: Kind
    public var payload: JobPayload
    /// Higher is claimed first; equal priorities in the order they were enqueued.
    public var priority: Int
    public var state: State
    /// Claims so far, the running one included; a job handed back at shutdown does not count.
    public var attempts: Int
    public var maxAttempts: Int
    /// How many times `retry` has queued the job again after it ended. With
    /// the id, it names one run of the job's effects (`effectKey`): attempts
    /// after a crash repeat a run and must not repeat its effect; a retry
    /// by hand starts a new run that must.
    public var generation: Int
    /// The error of the latest attempt that failed, kept after a later
    /// success as a record of what happened.
    public var lastError: AssetError?
    /// Not claimable before this: the enqueue time, or the end of a retry's backoff.
    public var runAfter: Date
    /// The worker holding the job while it is `running`.
    public var leaseOwner: String?
    public var leaseExpiresAt: Date?
    public var createdAt: Date
    /// The last change of state (a heartbeat does not count).
    public var updatedAt: Date
    /// When the job reached a final state.
    public var finishedAt: Date?
    /// The asset the job made or changed, once known: from the enqueue for
    /// a job on an existing asset, from its completion otherwise.
    public var asset: JobAsset?

    package init(id: String, kind: Kind, payload: JobPayload, priority: Int, state: State, attempts: Int, maxAttempts: Int,
                 generation: Int, lastError: AssetError?, runAfter: Date, leaseOwner: String?, leaseExpiresAt: Date?,
                 createdAt: Date, updatedAt: Date, finishedAt: Date?, asset: JobAsset? = nil) {
        self.id = id
        self.kind = kind
        self.payload = payload
        self.priority = priority
        self.state = state
        self.attempts = attempts
        self.maxAttempts = maxAttempts
        self.generation = generation
        self.lastError = lastError
        self.runAfter = runAfter
        self.leaseOwner = leaseOwner
        self.leaseExpiresAt = leaseExpiresAt
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.finishedAt = finishedAt
        self.asset = asset
    }

    enum CodingKeys: String, CodingKey {
        case id, kind, payload, priority, state, attempts
        case maxAttempts = "max_attempts"
        case generation
        case lastError = "last_error"
        case runAfter = "run_after"
        case leaseOwner = "lease_owner"
        case leaseExpiresAt = "lease_expires_at"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
        case finishedAt = "finished_at"
    }

    /// The job's fields, then its asset's (`asset_id`, `path`, `version`,
    /// `change`) at the top level, where a client looks for them.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(kind, forKey: .kind)
        try container.encode(payload, forKey: .payload)
        try container.encode(priority, forKey: .priority)
        try container.encode(state, forKey: .state)
        try container.encode(attempts, forKey: .attempts)
        try container.encode(maxAttempts, forKey: .maxAttempts)
        try container.encode(generation, forKey: .generation)
        try container.encodeIfPresent(lastError, forKey: .lastError)
        try container.encode(runAfter, forKey: .runAfter)
        try container.encodeIfPresent(leaseOwner, forKey: .leaseOwner)
        try container.encodeIfPresent(leaseExpiresAt, forKey: .leaseExpiresAt)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(updatedAt, forKey: .updatedAt)
        try container.encodeIfPresent(finishedAt, forKey: .finishedAt)
        try asset?.encode(to: encoder)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        kind = try container.decode(Kind.self, forKey: .kind)
        payload = try container.decode(JobPayload.self, forKey: .payload)
        priority = try container.decode(Int.self, forKey: .priority)
        state = try container.decode(State.self, forKey: .state)
        attempts = try container.decode(Int.self, forKey: .attempts)
        maxAttempts = try container.decode(Int.self, forKey: .maxAttempts)
        generation = try container.decode(Int.self, forKey: .generation)
        lastError = try container.decodeIfPresent(AssetError.self, forKey: .lastError)
        runAfter = try container.decode(Date.self, forKey: .runAfter)
        leaseOwner = try container.decodeIfPresent(String.self, forKey: .leaseOwner)
        leaseExpiresAt = try container.decodeIfPresent(Date.self, forKey: .leaseExpiresAt)
        createdAt = try container.decode(Date.self, forKey: .createdAt)
        updatedAt = try container.decode(Date.self, forKey: .updatedAt)
        finishedAt = try container.decodeIfPresent(Date.self, forKey: .finishedAt)
        let asset = try JobAsset(from: decoder)
        self.asset = asset.assetID.isEmpty ? nil : asset
    }
}

extension Job {
    /// The idempotency key of this run of the job: effects recorded under
    /// it (the catalog's history rows) are applied once, however many
    /// attempts a crash or a lost lease causes.
    public var effectKey: String { generation == 0 ? id : "\(id)#\(generation)" }
}

/// What a job works on. `process` jobs have `origin`, and may name their
/// `target` and `onConflict`; `refresh` and `delete` jobs have `assetID`;
/// `edit` jobs have `assetID` and `ops`, and may name a `target` (save as).
public struct JobPayload: Sendable, Equatable, Codable {
    /// What a `process` job does when an asset already exists at its target path.
    public typealias ConflictPolicy = AssetPipeline.ConflictPolicy

    /// Absolute path of the file to read.
    public var origin: String?
    /// The asset's path in the catalog (`--as`); the origin when absent.
    public var target: String?
    /// Absent: the pipeline file's default.
    public var onConflict: ConflictPolicy?
    public var assetID: String?
    /// An edit's render parameters, in their canonical query form (`fit=cover&w=400`).
    public var ops: String?

    public init(origin: String? = nil, target: String? = nil, onConflict: ConflictPolicy? = nil, assetID: String? = nil,
                ops: String? = nil) {
        self.origin = origin
        self.target = target
        self.onConflict = onConflict
        self.assetID = assetID
        self.ops = ops
    }

    enum CodingKeys: String, CodingKey {
        case origin
        case target = "as"
        case onConflict = "on_conflict"
        case assetID = "asset_id"
        case ops
    }
}
