import AssetPipeline
import Foundation
import GRDB

/// The catalog of assets in a SQLite file, shared safely by several
/// processes (WAL, busy timeout). The only place that writes SQL for assets.
public final class Catalog: AssetSink, Sendable {
    /// Where the database lives.
    public let path: String
    private let pool: DatabasePool
    private let renditionStore: any RenditionStore

    /// Opens (creating if needed) `catalog.sqlite` in `dataDirectory` and migrates it.
    public init(dataDirectory: String) throws(CatalogError) {
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
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            try CatalogSchema.migrator.migrate(pool)
        } catch {
            throw CatalogError(operation: "open the catalog \(path)", underlying: error,
                               hint: "check that the directory is writable and the file is an assetpipe catalog")
        }
    }

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

    /// Stores the outcome of processing one asset: its renditions (each file
    /// replaced atomically), then its record in one transaction; then the
    /// files of earlier runs that this one no longer lists are removed.
    /// Re-processing a path updates that asset in place: it keeps its id and
    /// creation time, and its attempt count grows.
    public func commit(_ record: AssetRecord, renditions: [EncodedRendition]) throws -> AssetRecord {
        guard let id = record.id else {
            preconditionFailure("commit(_:renditions:) takes a record whose id came from begin(path:name:)")
        }
        do {
            var record = record
            let stored = try renditionStore.store(renditions, forAsset: id)
            record.renditions = stored.isEmpty ? nil : stored
            let committed = try pool.write { db in
                // The stored form (milliseconds), so the returned record equals what a read gives back.
                let now = Timestamp.parse(Timestamp.format(Date())) ?? Date()
                let existing = try Row.fetchOne(db, sql: "SELECT created_at, attempts FROM asset WHERE id = ?", arguments: [id])
                var final = record
                final.createdAt = (existing?["created_at"] as String?).flatMap(Timestamp.parse) ?? now
                final.updatedAt = now
                final.processedAt = record.status == .processing ? nil : now
                final.attempts = (existing?["attempts"] as Int? ?? 0) + 1
                try AssetRow(final).upsert(db)
                return final
            }
            try renditionStore.removeRenditions(ofAsset: id, except: Set(stored.map(\.path)))
            return committed
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

/// A catalog operation that failed, with what was being done and what to try.
public struct CatalogError: Error, Sendable, CustomStringConvertible {
    public let operation: String
    public let reason: String
    public let hint: String

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
