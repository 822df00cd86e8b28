import AssetPipeline
import Foundation
import GRDB

/// The catalog of assets in a SQLite file, shared safely by several
/// processes (WAL, busy timeout). The only place that writes SQL for assets.
public final class Catalog: AssetSink, Sendable {
    /// Where the database lives.
    public let path: String
    private let pool: DatabasePool
    let renditionStore: any RenditionStore

    /// Opens (creating if needed) `catalog.sqlite` in `dataDirectory` and
    /// migrates it: the catalog's own tables, then those of `migrations`.
    public init(dataDirectory: String, migrations: [CatalogMigration] = []) throws(CatalogError) {
        do {
            try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        } catch {
            throw CatalogError(operation: "create the data directory \(dataDirectory)", underlying: error,
                               hint: "choose a writable location with --data")
        }
        path = (dataDirectory as NSString).appendingPathComponent("catalog.sqlite")
        renditionStore = LocalRenditionStore(dataDirectory: dataDirectory)
        var configuration = Configuration()
        // Another process (a second batch, a worker) may hold the write lock briefly.
        configuration.busyMode = .timeout(30)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        // One migrator for the whole file: GRDB applies, in order, what it
        // knows and has not applied, so a catalog migration added later still
        // runs on a file the queue has migrated; and it leaves alone applied
        // migrations it does not know, so `process` opens a queue's file.
        var migrator = CatalogSchema.migrator
        for migration in migrations {
            migrator.registerMigration(migration.identifier, migrate: migration.migrate)
        }
        do {
            pool = try Self.openAndMigrate(path, configuration, migrator)
        } catch {
            throw CatalogError(operation: "open the catalog \(path)", underlying: error,
                               hint: "check that the directory is writable and the file is an assetpipe catalog")
        }
    }

    /// Workers started together on a new file race to set it up: its switch
    /// to WAL fails busy at once (SQLite does not wait for that lock), and
    /// GRDB reads which migrations are applied outside their transactions, so
    /// the loser fails on a table the winner just made. A moment later, the
    /// winner's work is done and opening again succeeds.
    private static func openAndMigrate(_ path: String, _ configuration: Configuration,
                                       _ migrator: DatabaseMigrator) throws -> DatabasePool {
        var attempt = 1
        while true {
            do {
                let pool = try DatabasePool(path: path, configuration: configuration)
                try migrator.migrate(pool)
                return pool
            } catch where attempt < 5 {
                Thread.sleep(forTimeInterval: 0.02 * Double(attempt))
                attempt += 1
            }
        }
    }

    /// The catalog's database, for a module that keeps its own tables in the
    /// same file (the job queue) and registered them through `migrations`.
    /// Assets are written only through the catalog's methods.
    public var database: DatabasePool { pool }

    public func begin(path: String, name: String) throws -> String {
        do {
            return try pool.write { db in
                let now = Timestamp.format(Date())
                let id = UUID().uuidString.lowercased()
                var placeholder = AssetRecord(path: path, name: name)
                placeholder.id = id
                let json = String(decoding: try AssetRecord.makeEncoder().encode(placeholder), as: UTF8.self)
                return try String.fetchOne(db, sql: """
                    INSERT INTO asset (id, path, name, status, attempts, record, created_at, updated_at)
                    VALUES (?, ?, ?, 'processing', 0, ?, ?, ?)
                    ON CONFLICT(path) DO UPDATE SET
                        status = 'processing', record = json_set(record, '$.status', 'processing'), updated_at = excluded.updated_at
                    RETURNING id
                    """, arguments: [id, path, name, json, now, now]) ?? id
            }
        } catch {
            throw CatalogError(operation: "start \(path)", underlying: error,
                               hint: "check free disk space and that the catalog is writable")
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
        do {
            let committed = try writeChange { db in
                let existing = try StoredAsset.fetch(db, id: id)
                var final = record
                final.origin = record.origin ?? record.path
                final.version = existing?.version ?? 1
                // A placeholder from begin() is not an earlier run.
                let seenBefore = (existing?.attempts ?? 0) > 0
                final = try self.store(final, renditions: renditions, previous: existing, db)
                _ = try self.recordEvent(for: final, action: seenBefore ? .updated : .created,
                                         detail: Self.detail(of: final, previous: seenBefore ? existing?.record : nil),
                                         source: ChangeSource(actor: "process"), db)
                return final
            }
            try tidyRenditions(ofAsset: id)
            return committed
        } catch let error as CatalogError {
            throw error
        } catch {
            throw CatalogError(operation: "store \(record.path)", underlying: error,
                               hint: "check free disk space and that the data directory is writable")
        }
    }

    /// The asset with this id, or else at this absolute path.
    public func record(idOrPath key: String) throws(CatalogError) -> AssetRecord? {
        do {
            let json = try pool.read { db in
                try String.fetchOne(db, sql: "SELECT record FROM asset WHERE id = ? OR path = ? ORDER BY id = ? DESC LIMIT 1",
                                    arguments: [key, key, key])
            }
            guard let json else { return nil }
            return try AssetRecord.makeDecoder().decode(AssetRecord.self, from: Data(json.utf8))
        } catch {
            throw CatalogError(operation: "read \(key)", underlying: error, hint: "check that \(path) is an assetpipe catalog")
        }
    }

    /// The asset at this catalog path.
    public func record(atPath path: String) throws(CatalogError) -> AssetRecord? {
        do {
            return try pool.read { db in try StoredAsset.fetch(db, path: path)?.record }
        } catch {
            throw CatalogError(operation: "read \(path)", underlying: error, hint: "check that \(self.path) is an assetpipe catalog")
        }
    }

    /// Number of assets, by status.
    public func countByStatus() throws(CatalogError) -> [AssetRecord.Status: Int] {
        do {
            return try pool.read { db in
                var counts: [AssetRecord.Status: Int] = [:]
                for row in try Row.fetchAll(db, sql: "SELECT status, COUNT(*) AS n FROM asset GROUP BY status") {
                    if let status = AssetRecord.Status(rawValue: row["status"]) { counts[status] = row["n"] }
                }
                return counts
            }
        } catch {
            throw CatalogError(operation: "count assets", underlying: error, hint: "check that \(path) is an assetpipe catalog")
        }
    }
}

/// A migration that another module adds to the catalog's file, so its tables
/// live beside the assets (the job queue's). Identifiers are unique in the file.
public struct CatalogMigration: Sendable {
    public let identifier: String
    public let migrate: @Sendable (Database) throws -> Void

    public init(_ identifier: String, migrate: @escaping @Sendable (Database) throws -> Void) {
        self.identifier = identifier
        self.migrate = migrate
    }
}

/// A catalog operation that failed, with what was being done and what to try.
public struct CatalogError: Error, Sendable, CustomStringConvertible {
    public let operation: String
    public let reason: String
    public let hint: String

    init(operation: String, reason: String, hint: String) {
        self.operation = operation
        self.reason = reason
        self.hint = hint
    }

    init(operation: String, underlying: any Error, hint: String) {
        self.operation = operation
        if let database = underlying as? DatabaseError {
            reason = database.message ?? "\(database.resultCode)"
        } else {
            reason = (underlying as NSError).localizedDescription
        }
        self.hint = hint
    }

    public var description: String { "cannot \(operation): \(reason); \(hint)" }
}
