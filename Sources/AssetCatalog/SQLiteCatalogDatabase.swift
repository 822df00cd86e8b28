import AssetPipeline
import AssetQuery
import Foundation
import GRDB

/// The catalog's rows in a SQLite file, `catalog.sqlite` in the data
/// directory, shared safely by several processes (WAL, busy timeout). The
/// only place that writes SQL for assets in SQLite.
public final class SQLiteCatalogDatabase: CatalogDatabase {
    /// The database file.
    public let path: String
    /// The open file, for a module that keeps its own tables in it (the job
    /// queue) and registered them through `migrations`. Assets are written
    /// only through the catalog.
    public let pool: DatabasePool

    public var location: String { path }

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
        var configuration = Configuration()
        // Another process (a second batch, a worker) may hold the write lock briefly.
        configuration.busyMode = .timeout(30)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            // A search that filters on one column and sorts on another reads
            // one row per match: at a million assets, thousands of random
            // pages. SQLite's default cache is 2 MB per connection, so each
            // was a read() call; mapped, the pages come from the OS cache
            // directly (SQLite caps the map at its build's limit, 2 GB on
            // Debian), and the cache keeps a connection's recent ones.
            try db.execute(sql: "PRAGMA mmap_size = \(Self.mappedBytes)")
            try db.execute(sql: "PRAGMA cache_size = -\(Self.cacheKibibytes)")
            SQLiteSearch.registerFunctions(db)
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
            try Self.refreshStatisticsIfStale(pool)
        } catch {
            throw CatalogError(operation: "open the catalog \(path)", reason: Self.describe(error),
                               hint: "check that the directory is writable and the file is an assetpipe catalog")
        }
    }

    /// How much of the file a connection maps, and how much it caches.
    static let mappedBytes = 2 << 30
    static let cacheKibibytes = 128 << 10

    /// The query planner's statistics (sqlite_stat1), remade when the
    /// catalog has grown past twice the size they were made at: without
    /// them SQLite takes `kind = image` for a rare value and sorts a
    /// million rows instead of walking the sort's index. A full ANALYZE (a
    /// sampled one misjudges skewed columns such as `kind`): about 0.4 s
    /// per 100,000 assets, once each time the catalog has doubled.
    static func refreshStatisticsIfStale(_ pool: DatabasePool) throws {
        let (assets, analyzed) = try pool.read { db -> (Int, Int?) in
            let assets = try Int.fetchOne(db, sql: "SELECT COALESCE(MAX(rowid), 0) FROM asset") ?? 0
            guard try db.tableExists("sqlite_stat1") else { return (assets, nil) }
            let stat = try String.fetchOne(db, sql: "SELECT stat FROM sqlite_stat1 WHERE tbl = 'asset' LIMIT 1")
            return (assets, stat.flatMap { $0.split(separator: " ").first.flatMap { Int($0) } })
        }
        guard assets >= 1000, analyzed.map({ $0 * 2 < assets }) ?? true else { return }
        try pool.write { db in try db.execute(sql: "ANALYZE") }
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

    /// An IMMEDIATE transaction: SQLite's one write lock, taken at BEGIN.
    public func write<T>(_ body: (any CatalogTransaction) throws -> T) throws -> T {
        try pool.writeWithoutTransaction { db in
            var result: T?
            try db.inTransaction(.immediate) {
                result = try body(SQLiteCatalogTransaction(db: db))
                return .commit
            }
            // Set: inTransaction either ran the body and committed, or threw.
            return result!
        }
    }

    public func read<T>(_ body: (any CatalogTransaction) throws -> T) throws -> T {
        try pool.read { db in try body(SQLiteCatalogTransaction(db: db)) }
    }

    public func reason(of error: any Error) -> String { Self.describe(error) }

    private static func describe(_ error: any Error) -> String {
        if let database = error as? DatabaseError { return database.message ?? "\(database.resultCode)" }
        return (error as NSError).localizedDescription
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

/// The catalog's row operations in SQL for SQLite. Times are stored as
/// ISO 8601 text with milliseconds (`Timestamp`).
struct SQLiteCatalogTransaction: CatalogTransaction {
    let db: Database

    private static let assetColumns = "id, path, version, created_at, attempts, record"

    func asset(id: String) throws -> StoredAsset? {
        try fetchAsset("SELECT \(Self.assetColumns) FROM asset WHERE id = ?", [id])
    }

    func asset(path: String) throws -> StoredAsset? {
        try fetchAsset("SELECT \(Self.assetColumns) FROM asset WHERE path = ?", [path])
    }

    func originFiles(atPaths paths: [String]) throws -> [String: StoredOrigin] {
        var found: [String: StoredOrigin] = [:]
        // Well within SQLite's limit of bound values per statement.
        for start in stride(from: 0, to: paths.count, by: 500) {
            let chunk = Array(paths[start..<min(start + 500, paths.count)])
            let marks = Array(repeating: "?", count: chunk.count).joined(separator: ", ")
            let rows = try Row.fetchAll(db, sql: """
                SELECT path, status, error_reason, json_extract(record, '$.origin_file') AS origin_file
                FROM asset WHERE path IN (\(marks))
                """, arguments: StatementArguments(chunk))
            for row in rows {
                let origin = StoredOrigin.decode(signatureJSON: row["origin_file"], status: row["status"], reason: row["error_reason"])
                if let origin { found[row["path"]] = origin }
            }
        }
        return found
    }

    func asset(idOrPath key: String) throws -> StoredAsset? {
        try fetchAsset("SELECT \(Self.assetColumns) FROM asset WHERE id = ?1 OR path = ?1 ORDER BY id = ?1 DESC LIMIT 1", [key])
    }

    private func fetchAsset(_ sql: String, _ arguments: StatementArguments) throws -> StoredAsset? {
        guard let row = try Row.fetchOne(db, sql: sql, arguments: arguments) else { return nil }
        let createdText: String = row["created_at"]
        return try StoredAsset(recordJSON: row["record"], id: row["id"], path: row["path"], version: row["version"],
                               createdAt: Timestamp.parse(createdText) ?? Date(), attempts: row["attempts"])
    }

    func pathIsTaken(_ path: String) throws -> Bool {
        try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM asset WHERE path = ?)", arguments: [path]) ?? false
    }

    func upsert(_ row: AssetRow) throws {
        let record = row.record
        let arguments: StatementArguments = [
            row.id, record.path, record.origin, row.version, record.name, record.kind?.rawValue, record.mime, record.format, record.size,
            record.sha256, record.status.rawValue, record.error?.reason.rawValue, record.error?.message,
            record.width, record.height, row.takenAt, row.attempts, row.json,
            Timestamp.format(row.createdAt), Timestamp.format(row.updatedAt), record.processedAt.map(Timestamp.format),
        ]
        try db.execute(sql: """
            INSERT INTO asset (id, path, origin, version, name, kind, mime, format, size, sha256, status, error_reason, error_message,
                               width, height, taken_at, attempts, record, created_at, updated_at, processed_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(path) DO UPDATE SET
                origin = excluded.origin, version = excluded.version, name = excluded.name, kind = excluded.kind, mime = excluded.mime, format = excluded.format,
                size = excluded.size, sha256 = excluded.sha256, status = excluded.status,
                error_reason = excluded.error_reason, error_message = excluded.error_message,
                width = excluded.width, height = excluded.height, taken_at = excluded.taken_at,
                attempts = excluded.attempts, record = excluded.record,
                updated_at = excluded.updated_at, processed_at = excluded.processed_at
            """, arguments: arguments)
        try SQLiteSearch.index(record, atPath: record.path, in: db)
    }

    func beginAsset(_ placeholder: AssetRow) throws -> String {
        let now = Timestamp.format(placeholder.createdAt)
        let id = try String.fetchOne(db, sql: """
            INSERT INTO asset (id, path, name, status, attempts, record, created_at, updated_at)
            VALUES (?, ?, ?, 'processing', 0, ?, ?, ?)
            ON CONFLICT(path) DO UPDATE SET
                status = 'processing', record = json_set(record, '$.status', 'processing'), updated_at = excluded.updated_at
            RETURNING id
            """, arguments: [placeholder.id, placeholder.record.path, placeholder.record.name, placeholder.json, now, now])
            ?? placeholder.id
        // A new row is indexed from its placeholder; an asset already there
        // keeps its index (its status is a column) until its commit.
        if id == placeholder.id { try SQLiteSearch.index(placeholder.record, atPath: placeholder.record.path, in: db) }
        return id
    }

    func deleteAsset(id: String) throws {
        try SQLiteSearch.removeFromIndex(id: id, in: db)
        try db.execute(sql: "DELETE FROM asset WHERE id = ?", arguments: [id])
    }

    func insertMany(_ rows: [AssetRow]) throws {
        // In-process, one statement per row costs little; the transaction is the batch.
        for row in rows where try !pathIsTaken(row.record.path) {
            try upsert(row)
        }
    }

    func find(_ request: FindRequest) throws -> FindPage<AssetRecord> {
        try SQLiteSearch.find(request, in: db)
    }

    func findIDs(_ request: FindRequest) throws -> FindPage<String> {
        try SQLiteSearch.findIDs(request, in: db)
    }

    func insert(_ event: AssetEvent) throws {
        try db.execute(sql: """
            INSERT INTO asset_event (asset_id, version, path, at, actor, action, detail, job_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [event.assetID, event.version, event.path, Timestamp.format(event.at), event.actor,
                             event.action.rawValue, event.detailJSON, event.jobID])
    }

    func assetID(changedUnderEffectKey key: String) throws -> String? {
        try String.fetchOne(db, sql: "SELECT asset_id FROM asset_event WHERE job_id = ?", arguments: [key])
    }

    func events(idOrPath key: String) throws -> [AssetEvent] {
        try Row.fetchAll(db, sql: """
            SELECT asset_id, version, path, at, actor, action, detail, job_id FROM asset_event
            WHERE asset_id = ?1 OR asset_id IN (SELECT asset_id FROM asset_event WHERE path = ?1)
            ORDER BY seq
            """, arguments: [key]).map { row in
            let actionName: String = row["action"], atText: String = row["at"]
            return AssetEvent(assetID: row["asset_id"], version: row["version"], path: row["path"],
                              at: Timestamp.parse(atText) ?? Date(timeIntervalSince1970: 0), actor: row["actor"],
                              action: AssetEvent.Action(rawValue: actionName) ?? .updated,
                              detail: AssetEvent.detail(fromJSON: row["detail"]), jobID: row["job_id"])
        }
    }

    func labelCounts(_ kind: LabelKind) throws -> [(name: String, count: Int)] {
        // The counts the label triggers keep.
        try Row.fetchAll(db, sql: "SELECT value, n FROM asset_facet WHERE facet = ? AND n > 0 ORDER BY n DESC, value",
                         arguments: [kind.rawValue]).map { ($0["value"], $0["n"]) }
    }

    func annotations(ofAssets ids: [String]) throws -> [AnnotatedAsset] {
        let list = String(decoding: try JSONEncoder().encode(ids), as: UTF8.self)
        return try Row.fetchAll(db, sql: """
            SELECT id, path, version, json_extract(record, '$.tags') AS tags, json_extract(record, '$.categories') AS categories,
                   json_extract(record, '$.collections') AS collections, json_extract(record, '$.custom') AS custom,
                   json_extract(record, '$.hidden') AS hidden, json_extract(record, '$.hidden_by') AS hidden_by,
                   json_extract(record, '$.hidden_rule') AS hidden_rule
            FROM asset WHERE id IN (SELECT value FROM json_each(?))
            """, arguments: [list]).map { row in
            try AnnotatedAsset(id: row["id"], path: row["path"], version: row["version"], tags: row["tags"], categories: row["categories"],
                               collections: row["collections"], custom: row["custom"],
                               hidden: row["hidden"], hiddenBy: row["hidden_by"], hiddenRule: row["hidden_rule"])
        }
    }

    func writeAnnotations(_ assets: [AnnotatedAsset], updatedAt: Date) throws {
        let removed = AnnotatedAsset.keys.map { "'$.\($0)'" }.joined(separator: ", ")
        let milliseconds = updatedAt.epochMilliseconds
        for asset in assets {
            try db.cachedStatement(sql: """
                UPDATE asset SET record = json_patch(json_remove(record, \(removed)), ?), updated_at = ?, search_updated = ? WHERE id = ?
                """).execute(arguments: [try asset.patch(updatedAt: updatedAt), Timestamp.format(updatedAt), milliseconds, asset.id])
            try SQLiteSearch.indexAnnotations(asset, in: db)
        }
    }

    func insert(_ events: [AssetEvent]) throws {
        for event in events { try insert(event) }
    }

    func collections() throws -> [(name: String, query: String?)] {
        try Row.fetchAll(db, sql: "SELECT name, query FROM collection ORDER BY name").map { ($0["name"], $0["query"]) }
    }

    func insertCollection(name: String, query: String?) throws -> Bool {
        try db.execute(sql: "INSERT INTO collection (name, query, created_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING",
                       arguments: [name, query, Timestamp.format(Date())])
        return db.changesCount > 0
    }

    func deleteCollection(name: String) throws {
        try db.execute(sql: "DELETE FROM collection WHERE name = ?", arguments: [name])
    }

    func sources() throws -> [(name: String, location: String, settings: String?)] {
        try Row.fetchAll(db, sql: "SELECT name, location, settings FROM source ORDER BY name").map { ($0["name"], $0["location"], $0["settings"]) }
    }

    func insertSource(name: String, location: String, settings: String?) throws -> Bool {
        try db.execute(sql: "INSERT INTO source (name, location, settings, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (name) DO NOTHING",
                       arguments: [name, location, settings, Timestamp.format(Date())])
        return db.changesCount > 0
    }

    func deleteSource(name: String) throws -> Bool {
        try db.execute(sql: "DELETE FROM source WHERE name = ?", arguments: [name])
        return db.changesCount > 0
    }

    func customFields() throws -> [CustomFieldDefinition] {
        try String.fetchAll(db, sql: "SELECT definition FROM custom_field ORDER BY key").map(CustomFieldStorage.decode)
    }

    func saveCustomField(_ definition: CustomFieldDefinition) throws {
        try db.execute(sql: "INSERT INTO custom_field (key, definition) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET definition = excluded.definition",
                       arguments: [definition.key, try CustomFieldStorage.encode(definition)])
    }

    func deleteCustomField(key: String) throws {
        try db.execute(sql: "DELETE FROM custom_field WHERE key = ?", arguments: [key])
    }

    func assetIDs(customKey key: String, present: Bool, after: String?, limit: Int) throws -> [String] {
        present
            ? try String.fetchAll(db, sql: "SELECT DISTINCT asset_id FROM asset_custom WHERE key = ? AND asset_id > ? ORDER BY asset_id LIMIT ?",
                                  arguments: [key, after ?? "", limit])
            : try String.fetchAll(db, sql: """
                SELECT id FROM asset a WHERE id > ? AND NOT EXISTS (SELECT 1 FROM asset_custom c WHERE c.asset_id = a.id AND c.key = ?)
                ORDER BY id LIMIT ?
                """, arguments: [after ?? "", key, limit])
    }

    func countByStatus() throws -> [AssetRecord.Status: Int] {
        var counts: [AssetRecord.Status: Int] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT status, COUNT(*) AS n FROM asset GROUP BY status") {
            if let status = AssetRecord.Status(rawValue: row["status"]) { counts[status] = row["n"] }
        }
        return counts
    }
}
