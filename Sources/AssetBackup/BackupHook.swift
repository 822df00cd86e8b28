import AssetCatalog
import AssetPipeline
import Foundation
import Logging
import Metrics

/// Backs up each new version a worker catalogues, right after its job has
/// been recorded: the worker calls it in the job's slot, so copies keep pace
/// with processing. A copy that fails is logged and counted, never retried
/// here: the version stays catalogued, and `assetpipe backup --all` copies
/// whatever the bucket lacks.
///
/// Metrics (swift-metrics; `/metrics` when `serve` runs the workers):
/// `assetpipe_backup_copies_total{result="copied"|"present"|"failed"}` and
/// `assetpipe_backup_lag_seconds`, from the version's cataloguing to its copy.
public struct BackupHook: Sendable {
    let copier: BackupCopier
    let catalog: Catalog
    let logger: Logger
    let factory: any MetricsFactory

    public init(copier: BackupCopier, catalog: Catalog, logger: Logger, factory: any MetricsFactory = MetricsSystem.factory) {
        self.copier = copier
        self.catalog = catalog
        self.logger = logger
        self.factory = factory
    }

    /// Backs up the asset's current version; `jobID` for the log.
    public func backUp(assetID: String, jobID: String) async {
        var log = logger
        log[metadataKey: "asset"] = "\(assetID)"
        log[metadataKey: "job"] = "\(jobID)"
        let record: AssetRecord
        do {
            guard let found = try catalog.record(idOrPath: assetID), found.id == assetID, found.status == .processed else { return }
            record = found
        } catch {
            count("failed")
            log.warning("backup: cannot read the asset from the catalog", metadata: ["error": "\(error)"])
            return
        }
        do {
            let outcome = try await copier.copy(record)
            count(outcome.rawValue)
            if let catalogued = record.updatedAt {
                Timer(label: "assetpipe_backup_lag_seconds", factory: factory).recordSeconds(max(0, Date().timeIntervalSince(catalogued)))
            }
            log.debug("backed up", metadata: ["backup": "\(copier.key(for: record) ?? "")", "result": "\(outcome.rawValue)"])
        } catch {
            count("failed")
            log.warning("backup failed; assetpipe backup --all copies it later", metadata: ["error": "\(error.message)"])
        }
    }

    private func count(_ result: String) {
        Counter(label: "assetpipe_backup_copies_total", dimensions: [("result", result)], factory: factory).increment()
    }
}
