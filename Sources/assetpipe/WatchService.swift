import AssetCatalog
import AssetPipeline
import AssetQueue
import AssetWorker
import Foundation
import Logging
import ServiceLifecycle

/// `work --watch`: polls a folder once a second and queues each file whose
/// size has settled, once. Files with an asset at their path or a job
/// waiting for them (from before a restart) are left alone. Ends at the
/// group's graceful shutdown.
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
        var watcher = DirectoryWatcher(directory: InputWalker.absolutePath(directory),
                                       settle: .milliseconds(Int64(settle * 1000)), symlinks: symlinks,
                                       hidden: walk.hidden, excludes: walk.excludes) { path in
            known.contains(path) || ((try? catalog.record(atPath: path)) ?? nil) != nil
        }
        logger.info("watching for new files", metadata: ["folder": "\(directory)", "settle_s": "\(settle)", "symlinks": "\(symlinks.rawValue)"])
        while !Task.isCancelled {
            do {
                let ready = try watcher.poll(now: .now)
                for link in watcher.newlyRefusedLinks {
                    logger.warning("not following a link that leads outside the watched folder (--symlinks follow to follow it)",
                                   metadata: ["link": "\(Terminal.printable(link))"])
                }
                if !ready.isEmpty {
                    let jobs = try await queue.enqueue(ready.map { JobRequest.process(origin: $0, priority: 10) })
                    for job in jobs {
                        logger.info("queued a new file", metadata: ["job": "\(job.id)", "origin": "\(job.payload.origin ?? "")"])
                    }
                }
            } catch {
                logger.error("watch: \(error)")
            }
            try? await Task.sleep(for: .seconds(1))
        }
    }
}
