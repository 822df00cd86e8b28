import AssetCatalog
import AssetMedia
import AssetPipeline
import AssetQueue
import AssetWorker
import Foundation
import Logging
import ServiceLifecycle

/// `work --watch`: polls a folder once a second and queues each file whose
/// size has settled, once: a new one to process, a replaced one to refresh
/// its asset, a deleted one to delete its asset. Files the catalog holds as
/// they are, or with a job waiting for them (from before a restart), are
/// left alone. Ends at the group's graceful shutdown.
struct WatchService: Service {
    let directory: String
    let settle: Double
    let symlinks: SymlinkPolicy
    let walk: WalkOptions
    let queue: any JobQueue
    let catalog: Catalog
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown { await self.watch() }
    }

    private func watch() async {
        var pending = Set<String>()
        for state in [Job.State.queued, .running] {
            for job in (try? await queue.list(state: state, limit: 1_000_000)) ?? [] {
                if let origin = job.payload.origin { pending.insert(origin) }
            }
        }
        let known = pending
        let catalog = self.catalog
        // A settled file is new work unless a job waits for it or the catalog
        // holds it as it is now (same size, time and inode).
        var watcher = DirectoryWatcher(directory: InputWalker.absolutePath(directory),
                                       settle: .milliseconds(Int64(settle * 1000)), symlinks: symlinks,
                                       hidden: walk.hidden, excludes: walk.excludes) { path in
            if known.contains(path) { return true }
            guard let stored = (try? catalog.originFiles(atPaths: [path]))?[path] else { return false }
            return stored.signature != nil && stored.signature == SourceFile(path: path).currentSignature()
        }
        logger.info("watching for new files", metadata: ["folder": "\(directory)", "settle_s": "\(settle)", "symlinks": "\(symlinks.rawValue)"])
        while !Task.isCancelled {
            do {
                let ready = try watcher.poll(now: .now)
                for link in watcher.newlyRefusedLinks {
                    logger.warning("not following a link that leads outside the watched folder (--symlinks follow to follow it)",
                                   metadata: ["link": "\(Terminal.printable(link))"])
                }
                try await queueArrivals(ready)
                try await queueDeletions(of: watcher.vanished, filesLeft: watcher.filesSeen)
            } catch {
                logger.error("watch: \(error)")
            }
            try? await Task.sleep(for: .seconds(1))
        }
    }

    /// A new file becomes a process job; a catalogued one that was replaced
    /// (new content at the same path) a refresh of its asset, which keeps its id.
    private func queueArrivals(_ paths: [String]) async throws {
        guard !paths.isEmpty else { return }
        let requests = try paths.map { path in
            if let asset = try catalog.record(atPath: path), let id = asset.id {
                return JobRequest.refresh(assetID: id, priority: 10)
            }
            return JobRequest.process(origin: path, priority: 10)
        }
        for job in try await queue.enqueue(requests) {
            let message = job.kind == .refresh ? "queued a refresh of a replaced file" : "queued a new file"
            logger.info("\(message)", metadata: ["job": "\(job.id)", "origin": "\(job.payload.origin ?? "")",
                                                 "asset": "\(job.payload.assetID ?? "")"])
        }
    }

    /// A catalogued file that is gone becomes a delete job for its asset
    /// (its history keeps a tombstone). Only when the file is really absent
    /// (ENOENT, not a folder that could not be listed this time), and never
    /// when the whole folder came up empty: an unmounted share looks like
    /// that, and must not empty the catalog.
    private func queueDeletions(of paths: [String], filesLeft: Int) async throws {
        let gone = paths.filter { SourceFile(path: $0).isAbsent }
        guard !gone.isEmpty else { return }
        guard filesLeft > 0 else {
            logger.warning("""
                the watched folder came up empty; not deleting the assets of the \(gone.count) files that were in it \
                (is it unmounted?). If they are really gone, run `assetpipe enqueue --delete` for them
                """)
            return
        }
        var requests: [JobRequest] = []
        for path in gone {
            if let asset = try catalog.record(atPath: path), let id = asset.id, (asset.origin ?? asset.path) == path {
                requests.append(.delete(assetID: id))
            }
        }
        guard !requests.isEmpty else { return }
        for job in try await queue.enqueue(requests) {
            logger.info("queued the delete of an asset whose file is gone", metadata: ["job": "\(job.id)", "asset": "\(job.payload.assetID ?? "")"])
        }
    }
}
