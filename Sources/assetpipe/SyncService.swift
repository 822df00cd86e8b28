import AssetCatalog
import AssetQueue
import AssetSources
import Foundation
import Logging
import ServiceLifecycle

/// `work --sync-every`: syncs every source of the catalog at once on start,
/// then every `interval`, queueing what changed (as `assetpipe sync` does,
/// never twice while a job for it waits). A source that cannot be listed
/// (unmounted, bad credentials) is logged and tried again next round; the
/// others go on. Ends at the group's graceful shutdown.
struct SyncService: Service {
    let interval: Duration
    let catalog: Catalog
    let queue: any JobQueue
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown { await self.loop() }
    }

    private func loop() async {
        logger.info("syncing the sources periodically", metadata: ["every_s": "\(interval.components.seconds)"])
        while !Task.isCancelled {
            await syncAll()
            try? await Task.sleep(for: interval)
        }
    }

    private func syncAll() async {
        let sources: [CatalogSource]
        do {
            sources = try catalog.sources()
        } catch {
            logger.error("sync: cannot read the sources: \(error)")
            return
        }
        for source in sources where !Task.isCancelled {
            let started = ContinuousClock.now
            do {
                let outcome = try await SourceSync.sync(source, catalog: catalog, queue: queue)
                let plan = outcome.plan
                let level: Logger.Level = outcome.queued > 0 ? .notice : .debug
                logger.log(level: level, "synced a source", metadata: [
                    "source": "\(source.name)", "listed": "\(plan.listed)", "added": "\(plan.added.count)", "changed": "\(plan.changed.count)",
                    "gone": "\(plan.gone.count)", "queued": "\(outcome.queued)", "pending": "\(outcome.pending)",
                    "seconds": "\(started.duration(to: .now).seconds)",
                ])
            } catch {
                logger.error("sync: cannot sync a source; trying again next round", metadata: ["source": "\(source.name)", "error": "\(error)"])
            }
        }
    }
}
