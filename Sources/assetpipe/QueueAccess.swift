import ArgumentParser
import AssetCatalog
import AssetQueue
import Foundation

extension CatalogOptions {
    /// Opens (creating if needed) the catalog with the queue's tables, and the queue in it.
    func openQueue() throws -> (Catalog, SQLiteJobQueue) {
        do {
            let store = try Catalog(dataDirectory: data, migrations: SQLiteJobQueue.migrations)
            return (store, try SQLiteJobQueue(catalog: store))
        } catch let error as CatalogError {
            throw FatalError(message: error.description)
        } catch {
            throw FatalError(message: "\(error)")
        }
    }

    /// Like `openQueue`, for commands that only read: refuses a data directory without a catalog.
    func openExistingQueue() throws -> (Catalog, SQLiteJobQueue) {
        let catalogPath = (data as NSString).appendingPathComponent("catalog.sqlite")
        guard FileManager.default.fileExists(atPath: catalogPath) else {
            throw FatalError(message: "no catalog at \(catalogPath); pass the --data directory the jobs were enqueued into")
        }
        return try openQueue()
    }
}

extension Job.State: ExpressibleByArgument {}
extension JobPayload.ConflictPolicy: ExpressibleByArgument {}

extension QueueError {
    var fatal: FatalError { FatalError(message: description) }
}
