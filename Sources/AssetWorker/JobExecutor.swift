import AssetCatalog
import AssetMedia
import AssetPipeline
import AssetQueue
import Foundation

/// What one attempt at a job came to: how to complete it, and what to log.
public struct JobResult: Sendable, Equatable {
    public var outcome: JobOutcome
    /// The asset the job made or changed, when there is one, and how.
    public var asset: JobAsset?
    /// The history action written, or why none was (`already applied`, a refusal).
    public var summary: String

    public var assetID: String? { asset?.assetID }

    public init(outcome: JobOutcome, asset: JobAsset? = nil, summary: String) {
        self.outcome = outcome
        self.asset = asset
        self.summary = summary
    }
}

/// Carries out the job kinds against a catalog: runs the pipeline on
/// the origin, then makes the job's change under its effect key, so an
/// attempt that repeats a crashed one finds the change made. Blocking (the
/// pipeline is C code): run it on its own thread.
public struct JobExecutor: Sendable {
    public let runner: Runner
    public let catalog: Catalog
    /// Who the history says made the changes, e.g. `worker host:1234`.
    public let actor: String
    /// Where edit jobs keep the images they render (each the new version's
    /// original): a folder every worker shares, or the store's bucket.
    /// Without it, edit jobs fail.
    public let edits: (any EditedOriginals)?
    /// Reads origins that are not local files (S3 objects); without one, such jobs fail.
    public let fetcher: (any OriginFetcher)?

    public init(runner: Runner, catalog: Catalog, actor: String, edits: (any EditedOriginals)? = nil, fetcher: (any OriginFetcher)? = nil) {
        self.runner = runner
        self.catalog = catalog
        self.fetcher = fetcher
        self.actor = actor
        self.edits = edits
    }

    /// Runs one attempt. `mayCommit` is asked just before the catalog is
    /// changed: false when the worker gave up on the attempt (timed out, lost
    /// its lease, shutting down), whose result then no longer matters.
    public func execute(_ job: Job, mayCommit: () -> Bool) -> JobResult {
        let source = ChangeSource(actor: actor, effectKey: job.effectKey)
        let work: JobWork
        do {
            work = try job.work
        } catch {
            return JobResult(outcome: .failed(AssetError(.internalError, "bad payload: \(error)")), summary: "bad payload")
        }
        switch work {
        case .process(let origin, let target, let onConflict):
            if let same = unchangedAsset(at: target ?? origin, origin: origin) {
                return JobResult(outcome: .succeeded, asset: JobAsset(same, change: JobAsset.unchanged), summary: "unchanged")
            }
            let processed = process(origin: origin)
            if let retry = retryUnlessLast(processed, job) { return retry }
            guard mayCommit() else { return JobResult(outcome: .released, summary: "abandoned before commit") }
            return result(of: {
                try catalog.place(processed, at: target ?? origin, origin: origin,
                                  onConflict: onConflict ?? runner.definition.onConflict, source: source)
            })
        case .refresh(let assetID):
            let existing: AssetRecord?
            do {
                existing = try catalog.record(idOrPath: assetID)
            } catch {
                return JobResult(outcome: .retry(Self.catalogUnavailable(error)), summary: "catalog error")
            }
            guard let existing, existing.id == assetID else {
                // Deleted since, perhaps after an earlier attempt of this very job refreshed it.
                return result(of: { try catalog.appliedChange(source) ?? .refused(Catalog.notFound(assetID)) })
            }
            let processed = process(origin: existing.origin ?? existing.path)
            if let retry = retryUnlessLast(processed, job) { return retry }
            guard mayCommit() else { return JobResult(outcome: .released, summary: "abandoned before commit") }
            // An origin that cannot be read says nothing about the asset: its
            // last good reading and renditions stay, marked stale, and the job fails.
            if existing.status == .processed, let error = processed.record.error, Self.unreadableOrigin.contains(error.reason) {
                let marked = result(of: { try catalog.markStale(assetID: assetID, because: error, source: source) })
                guard case .succeeded = marked.outcome else { return marked }
                return JobResult(outcome: .failed(error), asset: marked.asset, summary: "origin unreadable; kept the last reading, stale")
            }
            return result(of: { try catalog.refresh(assetID: assetID, with: processed, source: source) })
        case .delete(let assetID):
            guard mayCommit() else { return JobResult(outcome: .released, summary: "abandoned before commit") }
            return result(of: { try catalog.delete(assetID: assetID, source: source) })
        case .edit(let assetID, let ops, let saveAs, let onConflict):
            return executeEdit(job, assetID: assetID, ops: ops, saveAs: saveAs, onConflict: onConflict, source: source, mayCommit: mayCommit)
        }
    }

    /// The processed asset at `target` when it already holds the file at
    /// `origin` (same SHA-256): the job then has nothing to do, and the
    /// pipeline need not run. Only a shortcut: `Catalog.place` makes the
    /// same check inside its transaction, so a race ends the same way. The
    /// file is hashed only when its size is the stored one, so a new version
    /// of another size is not read twice (here, then by the pipeline).
    private func unchangedAsset(at target: String, origin: String) -> AssetRecord? {
        guard let existing = try? catalog.record(atPath: target), existing.status == .processed,
              let stored = existing.sha256, let file = try? SourceFile(path: origin).open(), file.size == existing.size,
              let hash = try? file.sha256(), hash == stored else { return nil }
        return existing
    }

    /// A transient error (the file unreadable for now, a stage's time limit)
    /// is retried without touching the catalog; on the last attempt the
    /// outcome is stored like any other, so the asset says what happened.
    func retryUnlessLast(_ processed: ProcessedAsset, _ job: Job) -> JobResult? {
        guard let error = processed.record.error, error.isTransient, job.attempts < job.maxAttempts else { return nil }
        return JobResult(outcome: .retry(error), summary: "will retry")
    }

    func result(of change: () throws -> CatalogChange) -> JobResult {
        do {
            switch try change() {
            case .applied(let record, let event):
                // A transient error is stored only on the last attempt: retrying it makes the job dead.
                let outcome: JobOutcome = record.status == .errored
                    ? JobOutcome(error: record.error ?? AssetError(.internalError, "errored without a reason"))
                    : .succeeded
                return JobResult(outcome: outcome, asset: JobAsset(record, change: event.action.rawValue),
                                 summary: "\(event.action.rawValue) v\(event.version)")
            case .alreadyApplied(let record):
                let outcome: JobOutcome = record?.status == .errored
                    ? JobOutcome(error: record?.error ?? AssetError(.internalError, "errored without a reason"))
                    : .succeeded
                return JobResult(outcome: Self.final(outcome), asset: record.map { JobAsset(assetID: $0.id ?? "", path: $0.path, version: $0.version) },
                                 summary: "already applied by an earlier attempt")
            case .unchanged(let record):
                return JobResult(outcome: .succeeded, asset: JobAsset(record, change: JobAsset.unchanged), summary: "unchanged")
            case .refused(let error):
                return JobResult(outcome: .failed(error), summary: "refused")
            }
        } catch {
            let reason = (error as? CatalogError)?.description ?? "\(error)"
            return JobResult(outcome: .retry(AssetError(.catalogUnavailable, reason)), summary: "catalog error")
        }
    }

    /// Once the catalog holds the outcome, it is final: an attempt that finds
    /// a stored transient error ends the job rather than running it again.
    private static func final(_ outcome: JobOutcome) -> JobOutcome {
        if case .retry(let error) = outcome { return .failed(error) }
        return outcome
    }

    /// Refresh errors that are about reaching the origin, not its content.
    static let unreadableOrigin: Set<AssetError.Reason> = [.inaccessible, .notRegularFile]

    static func catalogUnavailable(_ error: CatalogError) -> AssetError {
        AssetError(.catalogUnavailable, error.description)
    }
}
