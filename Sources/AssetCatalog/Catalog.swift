import AssetPipeline
import AssetQuery
import Foundation

/// The catalog of assets: records, their rendition files and their history,
/// in a database (`CatalogDatabase`: the embedded SQLite file by default, or
/// PostgreSQL) with the files in a `RenditionStore`. Every change is one
/// database transaction holding the catalog's write lock, and the rendition
/// files of an asset are written and removed under that lock, so the files
/// change only with the asset's row.
public final class Catalog: AssetSink, Sendable {
    public let database: any CatalogDatabase
    /// Where the rendition files are; the server reads them through it.
    public let renditionStore: any RenditionStore

    /// Where the rows are, for messages: the SQLite file, or the PostgreSQL server and database.
    public var location: String { database.location }

    public init(database: any CatalogDatabase, renditionStore: any RenditionStore) {
        self.database = database
        self.renditionStore = renditionStore
    }

    /// The embedded catalog: `catalog.sqlite` in `dataDirectory`, opened (and
    /// created if needed) with the catalog's tables and those of
    /// `migrations`, and renditions in the same directory.
    public convenience init(dataDirectory: String, migrations: [CatalogMigration] = []) throws(CatalogError) {
        self.init(database: try SQLiteCatalogDatabase(dataDirectory: dataDirectory, migrations: migrations),
                  renditionStore: LocalRenditionStore(dataDirectory: dataDirectory))
    }

    public func begin(path: String, name: String) throws -> String {
        var placeholder = AssetRecord(path: path, name: name)
        placeholder.id = UUID().uuidString.lowercased()
        let row = try AssetRow(placeholder)
        return try run("start \(path)", hint: "check free disk space and that the catalog is writable") {
            try database.write { transaction in try transaction.beginAsset(row) }
        }
    }

    /// Stores the outcome of processing one asset: its record, its
    /// renditions and a history entry (`created`, or `updated` when the path
    /// was catalogued before), in one transaction; then the files of earlier
    /// runs that this one no longer lists are removed. Re-processing a path
    /// updates that asset in place: it keeps its id, version and creation
    /// time, and its attempt count grows.
    public func commit(_ record: AssetRecord, renditions: [EncodedRendition]) throws -> AssetRecord {
        guard let id = record.id else {
            preconditionFailure("commit(_:renditions:) takes a record whose id came from begin(path:name:)")
        }
        return try run("store \(record.path)", hint: "check free disk space and that the data directory is writable") {
            let committed = try database.write { transaction in
                let existing = try transaction.asset(id: id)
                var final = record
                final.origin = record.origin ?? record.path
                final.version = existing?.version ?? 1
                // A placeholder from begin() is not an earlier run.
                let seenBefore = (existing?.attempts ?? 0) > 0
                final = try self.store(final, renditions: renditions, previous: existing, transaction)
                _ = try self.recordEvent(for: final, action: seenBefore ? .updated : .created,
                                         detail: Self.detail(of: final, previous: seenBefore ? existing?.record : nil),
                                         source: ChangeSource(actor: "process"), transaction)
                return final
            }
            try tidyRenditions(ofAsset: id)
            return committed
        }
    }

    /// The asset with this id, or else at this path.
    public func record(idOrPath key: String) throws(CatalogError) -> AssetRecord? {
        try run("read \(key)", hint: readHint) {
            try database.read { transaction in try transaction.asset(idOrPath: key)?.record }
        }
    }

    /// The asset at this catalog path.
    public func record(atPath path: String) throws(CatalogError) -> AssetRecord? {
        try run("read \(path)", hint: readHint) {
            try database.read { transaction in try transaction.asset(path: path)?.record }
        }
    }

    /// For each of these paths that holds an asset, the file it was last read from.
    public func originFiles(atPaths paths: [String]) throws(CatalogError) -> [String: StoredOrigin] {
        try run("read \(paths.count) assets", hint: readHint) {
            try database.read { transaction in try transaction.originFiles(atPaths: paths) }
        }
    }

    /// Number of assets, by status.
    public func countByStatus() throws(CatalogError) -> [AssetRecord.Status: Int] {
        try run("count assets", hint: readHint) {
            try database.read { transaction in try transaction.countByStatus() }
        }
    }

    /// One page of the assets that match `request`, with its count and facets when asked.
    public func find(_ request: FindRequest) throws(CatalogError) -> FindPage<AssetRecord> {
        try run("search the catalog", hint: readHint) {
            try database.read { transaction in try transaction.find(request) }
        }
    }

    var readHint: String { "check that \(location) is an assetpipe catalog and reachable" }

    /// Runs `body`, turning a driver's error into a `CatalogError` that says
    /// what was being done; a `CatalogError` passes through as it is.
    func run<T>(_ operation: String, hint: String, _ body: () throws -> T) throws(CatalogError) -> T {
        do {
            return try body()
        } catch let error as CatalogError {
            throw error
        } catch {
            throw CatalogError(operation: operation, reason: database.reason(of: error), hint: hint)
        }
    }
}

/// A catalog operation that failed, with what was being done and what to try.
public struct CatalogError: Error, Sendable, CustomStringConvertible {
    public let operation: String
    public let reason: String
    public let hint: String
    /// The id or path of the asset the operation needed and did not find.
    public var missingAsset: String?
    /// The request broke a rule (a custom field's definition, a name) and
    /// was refused; nothing changed. Otherwise the database failed.
    public var refused: Bool

    public init(operation: String, reason: String, hint: String, missingAsset: String? = nil, refused: Bool = false) {
        self.operation = operation
        self.reason = reason
        self.hint = hint
        self.missingAsset = missingAsset
        self.refused = refused
    }

    /// A refusal: `error` says which rule and value.
    static func refusal(_ operation: String, _ error: AnnotationError) -> CatalogError {
        CatalogError(operation: operation, reason: error.message, hint: "nothing was changed; see `assetpipe fields list`", refused: true)
    }

    init(operation: String, underlying: any Error, hint: String) {
        self.operation = operation
        reason = (underlying as NSError).localizedDescription
        self.hint = hint
        refused = false
    }

    public var description: String { "cannot \(operation): \(reason); \(hint)" }
}
