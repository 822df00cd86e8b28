import ArgumentParser
import AssetCatalog
import AssetObjectStore
import AssetSources
import AssetPipeline
import AssetQueue
import AssetWorker
import Foundation
import ServiceLifecycle

/// Where the catalog, the queue and the rendition files are: options every
/// catalog command shares.
struct CatalogOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "Data directory: holds catalog.sqlite (without --database) and, unless --store says otherwise, the rendition files. "
            + "Default: $ASSETPIPE_DATA, else ./assetpipe-data.",
        valueName: "DIR"))
    var data: String = Self.environment("ASSETPIPE_DATA") ?? "assetpipe-data"

    @Option(name: .long, help: ArgumentHelp(
        "Keep the catalog and the queue in PostgreSQL: postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?search_path=SCHEMA]. "
            + "Default: $ASSETPIPE_DATABASE_URL; without either, the SQLite file in --data.",
        valueName: "URL"))
    var database: String?

    @Option(name: .long, help: ArgumentHelp(
        "Where rendition files are written: a folder (with workers on several hosts, one they all mount at the same path) "
            + "or s3://BUCKET/PREFIX (reached with the AWS variables; workers then share only the bucket and the database). "
            + "Default: $ASSETPIPE_STORE, else --data.",
        valueName: "DIR_OR_S3_URL"))
    var store: String? = Self.environment("ASSETPIPE_STORE")

    /// A variable's value; nil when unset or empty.
    static func environment(_ name: String) -> String? {
        ProcessInfo.processInfo.environment[name].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// `--database`, else `$ASSETPIPE_DATABASE_URL`; nil for SQLite.
    var databaseURL: String? {
        let url = database ?? ProcessInfo.processInfo.environment["ASSETPIPE_DATABASE_URL"]
        return url.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Absolute, so that what is stored under it (an edit's original, say)
    /// is found again from any working directory.
    var storeDirectory: String {
        guard let store, storeBucket == nil else { return InputWalker.absolutePath(data) }
        return InputWalker.absolutePath(store)
    }

    /// `--store` when it is an `s3://` URL: renditions go to the bucket,
    /// and what stays local (render cache, edits, spool) to --data.
    var storeBucket: String? { store.flatMap { $0.hasPrefix("s3://") ? $0 : nil } }

    /// The rendition store `--store` names.
    func renditionStore() throws -> any RenditionStore {
        guard let url = storeBucket else { return LocalRenditionStore(dataDirectory: storeDirectory) }
        do {
            return try S3RenditionStore(url: url, client: Self.storeClient(), cacheDirectory: storeDirectory + "/store-cache")
        } catch {
            throw FatalError(message: "--store \(url): \(error.message)")
        }
    }

    /// Where edit jobs keep their images: `STORE/edits`, or `PREFIX/edits/`
    /// in the store's bucket, so workers that share only the bucket read
    /// each other's edits.
    func editedOriginals() throws -> any EditedOriginals {
        guard let url = storeBucket else { return EditsFolder(directory: storeDirectory + "/edits") }
        do {
            return try S3EditedOriginals(store: url, client: Self.storeClient())
        } catch {
            throw FatalError(message: "--store \(url): \(error.message)")
        }
    }

    /// A client configured by the AWS variables; failed without them, so
    /// commands that never reach the bucket still run.
    private static func storeClient() -> Result<S3Client, S3Error> {
        do throws(S3Error) {
            return .success(S3Client(configuration: try S3Configuration.fromEnvironment()))
        } catch {
            return .failure(error)
        }
    }

    /// The SQLite file used when no database URL is given.
    var catalogFile: String { (data as NSString).appendingPathComponent("catalog.sqlite") }

    /// How to run `command` on this catalog, for messages that suggest it
    /// (never with the URL itself: it may hold a password).
    func suggest(_ command: String) -> String {
        if databaseURL == nil { return "`assetpipe \(command) --data \(data)`" }
        return database == nil ? "`assetpipe \(command)` with the same ASSETPIPE_DATABASE_URL"
                               : "`assetpipe \(command) --database URL` with the same URL"
    }

    func validate() throws {
        if let url = databaseURL, !(url.hasPrefix("postgres://") || url.hasPrefix("postgresql://")) {
            throw ValidationError("--database (or ASSETPIPE_DATABASE_URL) takes a postgres:// URL; leave it out to use the SQLite catalog in --data")
        }
    }

    /// Opens (creating if needed) the catalog.
    func openCatalog() async throws -> Catalog {
        try await open(withQueue: false).0
    }

    /// Like `openCatalog`, for commands that only read: refuses a data
    /// directory without a catalog rather than making an empty one.
    func openExistingCatalog() async throws -> Catalog {
        try requireExistingFile()
        return try await openCatalog()
    }

    /// Opens (creating if needed) the catalog and the job queue beside it.
    func openQueue() async throws -> (Catalog, any JobQueue) {
        let (catalog, queue) = try await open(withQueue: true)
        return (catalog, queue!)
    }

    func openExistingQueue() async throws -> (Catalog, any JobQueue) {
        try requireExistingFile()
        return try await openQueue()
    }

    /// What must run, in the command's ServiceGroup and ahead of everything
    /// that uses the queue, while `queue` is in use: the PostgreSQL driver's
    /// connections; nothing for SQLite.
    static func services(of queue: any JobQueue) -> [any Service] {
        (queue as? PostgresJobQueue).map { [$0] } ?? []
    }

    /// Opens the catalog and the queue (an existing catalog only, with
    /// `existing`) and runs `body` with them, and with the queue's
    /// connections running beside it: for the commands that make a few
    /// queue calls and exit.
    func withQueue<T>(existing: Bool = false, isolation: isolated (any Actor)? = #isolation,
                      _ body: (Catalog, any JobQueue) async throws -> T) async throws -> T {
        let (catalog, queue) = existing ? try await openExistingQueue() : try await openQueue()
        guard let postgres = queue as? PostgresJobQueue else { return try await body(catalog, queue) }
        return try await postgres.whileRunning { try await body(catalog, queue) }
    }

    /// Refuses a data directory without a catalog; `creating` names another way to make one.
    func requireExistingFile(creating: String? = nil) throws {
        guard databaseURL == nil, !FileManager.default.fileExists(atPath: catalogFile) else { return }
        throw FatalError(message: "no catalog at \(catalogFile); pass the --data directory it is in (or --database), "
                         + "or create it with \(creating ?? "`assetpipe process` or `assetpipe enqueue`")")
    }

    private func open(withQueue: Bool) async throws -> (Catalog, (any JobQueue)?) {
        do {
            guard let url = databaseURL else {
                let database = try SQLiteCatalogDatabase(dataDirectory: data, migrations: withQueue ? SQLiteJobQueue.migrations : [])
                let catalog = Catalog(database: database, renditionStore: try renditionStore())
                return (catalog, withQueue ? try SQLiteJobQueue(catalog: catalog) : nil)
            }
            let database = try await PostgresCatalogDatabase.connect(url: url)
            let catalog = Catalog(database: database, renditionStore: try renditionStore())
            return (catalog, withQueue ? try await PostgresJobQueue.connect(url: url) : nil)
        } catch let error as CatalogError {
            throw FatalError(message: error.description)
        } catch let error as QueueError {
            throw error.fatal
        }
    }
}

extension Job.State: ExpressibleByArgument {}
extension JobPayload.ConflictPolicy: ExpressibleByArgument {}

extension QueueError {
    var fatal: FatalError { FatalError(message: description) }
}
