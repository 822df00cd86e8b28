import AssetCatalog
import AssetMedia
import AssetObjectStore
import AssetPipeline
import AssetQuery
import AssetQueue
import Foundation

/// What a source holds against what the catalog holds of it: objects (or
/// files) new since the last sync, changed (another ETag or size; for files,
/// another size, time or inode), and gone. `sync` turns the plan into
/// process, refresh and delete jobs.
public struct SyncPlan: Sendable, Equatable {
    /// Origins to process: `s3://bucket/key` URLs, or absolute paths.
    public var added: [String] = []
    /// Assets to refresh from their origin.
    public var changed: [String] = []
    /// Assets whose origin is gone, to delete.
    public var gone: [String] = []
    public var unchanged = 0
    /// Objects or files the source listed.
    public var listed = 0
    /// How long the listing and the catalog's side took (S3 sources; they overlap).
    public var listingSeconds: Double?
    public var catalogSeconds: Double?

    public init() {}

    /// The plan without what queued or running jobs already cover: their
    /// origins (process) and their assets (refresh, delete). A periodic
    /// sync then never queues an object twice while workers lag behind.
    public func excluding(pending jobs: [Job]) -> SyncPlan {
        let origins = Set(jobs.compactMap { $0.kind == .process ? $0.payload.origin : nil })
        let assets = Set(jobs.compactMap(\.payload.assetID))
        var plan = self
        plan.added.removeAll { origins.contains($0) }
        plan.changed.removeAll { assets.contains($0) }
        plan.gone.removeAll { assets.contains($0) }
        return plan
    }

    /// The jobs: new objects first (uploads' priority), then deletions, then refreshes.
    public var requests: [JobRequest] {
        added.map { JobRequest.process(origin: $0, priority: 10) } + gone.map { JobRequest.delete(assetID: $0, priority: 5) }
            + changed.map { JobRequest.refresh(assetID: $0) }
    }
}

public struct SyncError: Error, Sendable, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}

public enum SourceSync {
    /// The plan for any source: S3 ones with a client from the source's
    /// settings file, or the standard AWS variables.
    public static func plan(_ source: CatalogSource, catalog: Catalog,
                            environment: [String: String] = ProcessInfo.processInfo.environment) async throws(SyncError) -> SyncPlan {
        guard source.isS3 else { return try plan(folder: source, catalog: catalog) }
        let configuration: S3Configuration
        do {
            configuration = try SourceSettings.configuration(for: source, environment: environment)
        } catch {
            throw SyncError(error.message)
        }
        return try await plan(s3: source, catalog: catalog, client: S3Client(configuration: configuration))
    }

    /// The plan for an S3 source: one listing of its prefix (1,000 keys per
    /// request) against the catalogued assets under it, read 1,000 at a time.
    /// Keys ending in `/` (folder markers) are not objects.
    public static func plan(s3 source: CatalogSource, catalog: Catalog, client: S3Client) async throws(SyncError) -> SyncPlan {
        let bucket: S3Bucket
        do {
            bucket = try S3Bucket(url: source.location)
        } catch {
            throw SyncError("the source \(source.name) has the location \(source.location): \(error.message)")
        }
        let root = "s3://\(bucket.name)/"
        // The catalog is read on a thread of its own while the listing pages
        // in: a sync takes the longer of the two, not their sum.
        let started = ContinuousClock.now
        async let reading = onOwnThread { () throws(SyncError) in
            let assets = try assets(under: root + bucket.prefix, in: catalog)
            return (assets, started.duration(to: .now))
        }
        let objects: [S3Object]
        do {
            objects = try await client.listObjects(bucket: bucket.name, prefix: bucket.prefix)
        } catch {
            _ = try? await reading
            throw SyncError(error.message)
        }
        let listed = started.duration(to: .now)
        var catalogued: [String: (id: String, object: ObjectSignature?)]
        let read: Duration
        do {
            (catalogued, read) = try await reading
        } catch {
            throw error as? SyncError ?? SyncError("cannot read the catalog: \(error)")
        }
        var plan = SyncPlan()
        plan.listingSeconds = Self.seconds(listed)
        plan.catalogSeconds = Self.seconds(read)
        for object in objects where !object.key.hasSuffix("/") {
            plan.listed += 1
            let origin = root + object.key
            guard let asset = catalogued.removeValue(forKey: origin) else {
                plan.added.append(origin)
                continue
            }
            if asset.object == ObjectSignature(etag: object.etag, size: object.size) {
                plan.unchanged += 1
            } else {
                plan.changed.append(asset.id)
            }
        }
        plan.gone = catalogued.values.map(\.id).sorted()
        return plan
    }

    /// The plan for a local folder: its files (as `process` walks them,
    /// junk and hidden names left out) against the assets under it. A
    /// folder in which no file is found deletes nothing: it may be unmounted.
    public static func plan(folder source: CatalogSource, catalog: Catalog) throws(SyncError) -> SyncPlan {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: source.location, isDirectory: &isFolder), isFolder.boolValue else {
            throw SyncError("the source \(source.name) is the folder \(source.location), which is not there (unmounted?)")
        }
        let walked = InputWalker.walk([source.location], symlinks: .within, hidden: false, excludes: [])
        var catalogued = try assets(under: source.location, in: catalog)
        let stored: [String: StoredOrigin]
        do {
            stored = try catalog.originFiles(atPaths: walked.files.map(\.displayPath))
        } catch {
            throw SyncError("\(error)")
        }
        var plan = SyncPlan()
        for file in walked.files {
            plan.listed += 1
            let path = file.displayPath
            guard let asset = catalogued.removeValue(forKey: path) else {
                plan.added.append(path)
                continue
            }
            if let origin = stored[path], let signature = file.currentSignature(), origin.signature == signature {
                plan.unchanged += 1
            } else {
                plan.changed.append(asset.id)
            }
        }
        // Only what is really gone (ENOENT), and never everything of a folder that came up empty.
        if !walked.files.isEmpty {
            plan.gone = catalogued.filter { SourceFile(path: $0.key).isAbsent }.map(\.value.id).sorted()
        }
        return plan
    }

    /// What one sync found and did.
    public struct Outcome: Sendable {
        public var plan: SyncPlan
        /// Jobs queued.
        public var queued = 0
        /// Changes of the plan a queued or running job already covers.
        public var pending = 0
    }

    /// Plans `source`, and queues what no queued or running job covers
    /// already (nothing with `dryRun`): what `sync` and `work --sync-every` do.
    public static func sync(_ source: CatalogSource, catalog: Catalog, queue: any JobQueue, dryRun: Bool = false) async throws -> Outcome {
        let plan = try await plan(source, catalog: catalog)
        var waiting: [Job] = []
        if !plan.added.isEmpty || !plan.changed.isEmpty || !plan.gone.isEmpty {
            for state in [Job.State.queued, .running] { waiting += try await queue.list(state: state, limit: 10_000_000) }
        }
        let fresh = plan.excluding(pending: waiting)
        var outcome = Outcome(plan: plan)
        outcome.pending = plan.requests.count - fresh.requests.count
        if !dryRun { outcome.queued = try await enqueue(fresh, into: queue) }
        return outcome
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    /// Runs blocking work (catalog reads) on a thread of its own, off the
    /// concurrency pool.
    static func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () throws(SyncError) -> T) async throws(SyncError) -> T {
        let result: Result<T, SyncError> = await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                do throws(SyncError) {
                    continuation.resume(returning: .success(try body()))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
        }
        return try result.get()
    }

    /// Queues the plan's jobs, 1,000 per call.
    public static func enqueue(_ plan: SyncPlan, into queue: any JobQueue) async throws -> Int {
        let requests = plan.requests
        for start in stride(from: 0, to: requests.count, by: 1000) {
            _ = try await queue.enqueue(Array(requests[start..<min(start + 1000, requests.count)]))
        }
        return requests.count
    }

    /// The assets whose path is `folder` or under it, by path: id and the
    /// object's signature as catalogued.
    static func assets(under folder: String, in catalog: Catalog) throws(SyncError) -> [String: (id: String, object: ObjectSignature?)] {
        var found: [String: (id: String, object: ObjectSignature?)] = [:]
        var cursor: String?
        repeat {
            let page: FindPage<AssetRecord>
            do {
                let request = try FindRequest(q: "path : \(QueryParser.quoted(folder))", sort: "created_at", limit: FindRequest.maximumLimit,
                                              cursor: cursor)
                page = try catalog.find(request)
            } catch {
                throw SyncError("cannot read the catalog: \(error)")
            }
            for record in page.items {
                guard let id = record.id else { continue }
                found[record.path] = (id, record.originObject)
            }
            cursor = page.nextCursor
        } while cursor != nil
        return found
    }
}
