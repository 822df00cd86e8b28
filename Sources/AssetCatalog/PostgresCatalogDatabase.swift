import AssetPipeline
import AssetQuery
import Foundation
import Logging
import NIOCore
import PostgresNIO
import Synchronization

/// The catalog's rows on PostgreSQL, for workers on many hosts.
///
/// The catalog is called from the pipeline's threads and blocks them (as
/// SQLite does), so this driver keeps its own small pool of connections and
/// waits on their futures: the work happens on NIO's event loops, never on
/// Swift's cooperative threads, which a blocked caller could starve.
///
/// Every write transaction first takes one transaction-scoped advisory lock,
/// the catalog's write lock: writers take turns as they do in SQLite, so a
/// change reads and writes a consistent catalog (a free `name_1.jpg`, the
/// current version) and an asset's rendition files, written and removed
/// under the lock, change only with its row. A change is a few statements
/// and a file write; the pipeline's work happens before, unlocked.
public final class PostgresCatalogDatabase: CatalogDatabase {
    public let location: String
    private let connections: BlockingConnections
    private let logger: Logger

    /// The catalog write lock is an advisory lock of two keys: this constant
    /// ("apcw"; the migrations use another) and a hash of the schema, so that
    /// catalogs in different schemas of one database do not wait on each other.
    static let writeLockClass: Int32 = 0x6170_6377

    /// Connects to the database at `url` (as `PostgresJobQueue.connect`
    /// takes it) and applies the catalog's migrations.
    public static func connect(url: String, logger: Logger = Logger(label: "assetpipe.postgres")) async throws(CatalogError) -> PostgresCatalogDatabase {
        let target = try PostgresURL(url)
        do {
            let connection = try await PostgresConnection.connect(configuration: target.connectionConfiguration, id: 0, logger: logger)
            do {
                try await PostgresMigrations.apply(PostgresMigrations.catalog, inSchema: target.schema, on: connection, logger: logger)
            } catch {
                try? await connection.close()
                throw error
            }
            try? await connection.close()
        } catch {
            throw CatalogError(operation: "set up the catalog in \(target.location)", reason: PostgresFailure(error).description,
                               hint: "check that PostgreSQL is running there and the user may create tables")
        }
        let database = PostgresCatalogDatabase(target, logger: logger)
        // Rows from before the search migration: indexed now, off the
        // cooperative threads (the driver blocks), in batches.
        do {
            try await NIOThreadPool.singleton.runIfActive { try database.indexUnindexedAssets() }
        } catch {
            throw CatalogError(operation: "index the catalog in \(target.location) for search", reason: PostgresFailure(error).description,
                               hint: "check that PostgreSQL is reachable, then start again: indexing resumes where it stopped")
        }
        return database
    }

    /// Indexes, in write transactions of 500, every asset the search
    /// migration found; interrupted, the next start goes on from there.
    func indexUnindexedAssets() throws {
        while try write({ transaction in try (transaction as? PostgresCatalogTransaction)?.indexSomeUnindexed(batch: 500) ?? 0 }) > 0 {}
    }

    private init(_ target: PostgresURL, logger: Logger) {
        location = target.location
        connections = BlockingConnections(configuration: target.connectionConfiguration, logger: logger)
        self.logger = logger
    }

    public func write<T>(_ body: (any CatalogTransaction) throws -> T) throws -> T {
        try connections.withConnection { connection in
            try transaction(on: connection, begin: "BEGIN") { transaction in
                _ = try transaction.run("SELECT pg_advisory_xact_lock(\(Self.writeLockClass), hashtext(current_schema()))")
                return try body(transaction)
            }
        }
    }

    public func read<T>(_ body: (any CatalogTransaction) throws -> T) throws -> T {
        try connections.withConnection { connection in
            try transaction(on: connection, begin: "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", body)
        }
    }

    public func reason(of error: any Error) -> String { PostgresFailure(error).description }

    private func transaction<T>(on connection: PostgresConnection, begin: PostgresQuery,
                                _ body: (PostgresCatalogTransaction) throws -> T) throws -> T {
        let transaction = PostgresCatalogTransaction(connection: connection, logger: logger)
        _ = try transaction.run(begin)
        do {
            let result = try body(transaction)
            _ = try transaction.run("COMMIT")
            return result
        } catch {
            // A broken connection fails the ROLLBACK too; the pool then drops it.
            _ = try? transaction.run("ROLLBACK")
            throw error
        }
    }
}

/// Connections for blocking callers: one per caller at a time, made on
/// demand and kept for the next; a connection that broke is dropped.
final class BlockingConnections: Sendable {
    private let idle = Mutex<[PostgresConnection]>([])
    private let nextID = Atomic<Int>(1)
    private let configuration: PostgresConnection.Configuration
    private let logger: Logger

    init(configuration: PostgresConnection.Configuration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    deinit {
        // The closure holds each connection until its close completes: one
        // released while still open is a programming error to postgres-nio.
        for connection in idle.withLock({ $0 }) {
            connection.close().whenComplete { _ in withExtendedLifetime(connection) {} }
        }
    }

    func withConnection<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        let connection = try idle.withLock { $0.popLast() } ?? open()
        defer {
            if !connection.isClosed { idle.withLock { $0.append(connection) } }
        }
        return try body(connection)
    }

    private func open() throws -> PostgresConnection {
        try PostgresConnection.connect(on: PostgresConnection.defaultEventLoopGroup.any(), configuration: configuration,
                                       id: nextID.add(1, ordering: .relaxed).oldValue, logger: logger).wait()
    }
}

/// The catalog's row operations in SQL for PostgreSQL.
struct PostgresCatalogTransaction: CatalogTransaction {
    let connection: PostgresConnection
    let logger: Logger

    /// Runs one statement and waits for all its rows.
    func run(_ query: PostgresQuery) throws -> [PostgresRow] {
        try connection.query(query, logger: logger).wait().rows
    }

    private static let assetColumns = "id, path, version, created_at, attempts, record::TEXT AS record"

    func asset(id: String) throws -> StoredAsset? {
        try storedAsset(run("SELECT \(unescaped: Self.assetColumns) FROM asset WHERE id = \(id)"))
    }

    func asset(path: String) throws -> StoredAsset? {
        try storedAsset(run("SELECT \(unescaped: Self.assetColumns) FROM asset WHERE path = \(path)"))
    }

    func originFiles(atPaths paths: [String]) throws -> [String: StoredOrigin] {
        var found: [String: StoredOrigin] = [:]
        for start in stride(from: 0, to: paths.count, by: 1000) {
            let chunk = Array(paths[start..<min(start + 1000, paths.count)])
            for row in try run("""
                SELECT path, status, error_reason, (record->'origin_file')::TEXT AS origin_file
                FROM asset WHERE path = ANY(\(chunk))
                """) {
                let cells = row.makeRandomAccess()
                let origin = StoredOrigin.decode(signatureJSON: try cells["origin_file"].decode(String?.self),
                                                 status: try cells["status"].decode(String.self),
                                                 reason: try cells["error_reason"].decode(String?.self))
                if let origin { found[try cells["path"].decode(String.self)] = origin }
            }
        }
        return found
    }

    func asset(idOrPath key: String) throws -> StoredAsset? {
        try storedAsset(run("""
            SELECT \(unescaped: Self.assetColumns) FROM asset WHERE id = \(key) OR path = \(key)
            ORDER BY id = \(key) DESC LIMIT 1
            """))
    }

    private func storedAsset(_ rows: [PostgresRow]) throws -> StoredAsset? {
        guard let row = rows.first?.makeRandomAccess() else { return nil }
        return try StoredAsset(recordJSON: row["record"].decode(String.self), id: row["id"].decode(String.self),
                               path: row["path"].decode(String.self), version: row["version"].decode(Int.self),
                               createdAt: row["created_at"].decode(Date.self).wholeMilliseconds,
                               attempts: row["attempts"].decode(Int.self))
    }

    func pathIsTaken(_ path: String) throws -> Bool {
        try !run("SELECT 1 FROM asset WHERE path = \(path)").isEmpty
    }

    func upsert(_ row: AssetRow) throws {
        let record = row.record
        _ = try run("""
            INSERT INTO asset (id, path, origin, version, name, kind, mime, format, size, sha256, status, error_reason, error_message,
                               width, height, taken_at, attempts, record, created_at, updated_at, processed_at)
            VALUES (\(row.id), \(record.path), \(record.origin), \(row.version), \(record.name), \(record.kind?.rawValue),
                    \(record.mime), \(record.format), \(record.size), \(record.sha256), \(record.status.rawValue),
                    \(record.error?.reason.rawValue), \(record.error?.message), \(record.width), \(record.height), \(row.takenAt),
                    \(row.attempts), \(row.json)::JSONB, \(row.createdAt), \(row.updatedAt), \(record.processedAt))
            ON CONFLICT (path) DO UPDATE SET
                origin = EXCLUDED.origin, version = EXCLUDED.version, name = EXCLUDED.name, kind = EXCLUDED.kind,
                mime = EXCLUDED.mime, format = EXCLUDED.format, size = EXCLUDED.size, sha256 = EXCLUDED.sha256,
                status = EXCLUDED.status, error_reason = EXCLUDED.error_reason, error_message = EXCLUDED.error_message,
                width = EXCLUDED.width, height = EXCLUDED.height, taken_at = EXCLUDED.taken_at,
                attempts = EXCLUDED.attempts, record = EXCLUDED.record,
                updated_at = EXCLUDED.updated_at, processed_at = EXCLUDED.processed_at
            """)
        try index(record, atPath: record.path)
    }

    func beginAsset(_ placeholder: AssetRow) throws -> String {
        let rows = try run("""
            INSERT INTO asset (id, path, name, status, attempts, record, created_at, updated_at)
            VALUES (\(placeholder.id), \(placeholder.record.path), \(placeholder.record.name), 'processing', 0,
                    \(placeholder.json)::JSONB, \(placeholder.createdAt), \(placeholder.createdAt))
            ON CONFLICT (path) DO UPDATE SET
                status = 'processing', record = jsonb_set(asset.record, '{status}', '"processing"'), updated_at = EXCLUDED.updated_at
            RETURNING id
            """)
        let id = try rows.first?.decode(String.self) ?? placeholder.id
        // A new row is indexed from its placeholder; an asset already there
        // keeps its index (its status is a column) until its commit.
        if id == placeholder.id { try index(placeholder.record, atPath: placeholder.record.path) }
        return id
    }

    func deleteAsset(id: String) throws {
        try removeFromIndex(id: id)
        _ = try run("DELETE FROM asset WHERE id = \(id)")
    }

    func insert(_ event: AssetEvent) throws {
        _ = try run("""
            INSERT INTO asset_event (asset_id, version, path, at, actor, action, detail, job_id)
            VALUES (\(event.assetID), \(event.version), \(event.path), \(event.at), \(event.actor), \(event.action.rawValue),
                    \(event.detailJSON)::JSONB, \(event.jobID))
            """)
    }

    func assetID(changedUnderEffectKey key: String) throws -> String? {
        try run("SELECT asset_id FROM asset_event WHERE job_id = \(key)").first?.decode(String.self)
    }

    func events(idOrPath key: String) throws -> [AssetEvent] {
        try run("""
            SELECT asset_id, version, path, at, actor, action, detail::TEXT AS detail, job_id FROM asset_event
            WHERE asset_id = \(key) OR asset_id IN (SELECT asset_id FROM asset_event WHERE path = \(key))
            ORDER BY seq
            """).map { row in
            let cells = row.makeRandomAccess()
            return AssetEvent(assetID: try cells["asset_id"].decode(String.self), version: try cells["version"].decode(Int.self),
                              path: try cells["path"].decode(String.self), at: try cells["at"].decode(Date.self).wholeMilliseconds,
                              actor: try cells["actor"].decode(String.self),
                              action: AssetEvent.Action(rawValue: try cells["action"].decode(String.self)) ?? .updated,
                              detail: AssetEvent.detail(fromJSON: try cells["detail"].decode(String.self)),
                              jobID: try cells["job_id"].decode(String?.self))
        }
    }

    func labelCounts(_ kind: LabelKind) throws -> [(name: String, count: Int)] {
        // The counts the label triggers keep.
        try run("SELECT value, n FROM asset_facet WHERE facet = \(kind.rawValue) AND n > 0 ORDER BY n DESC, value COLLATE \"C\"")
            .map { try $0.decode((String, Int).self) }
    }

    func annotations(ofAssets ids: [String]) throws -> [AnnotatedAsset] {
        try run("""
            SELECT id, path, version, (record->'tags')::TEXT, (record->'categories')::TEXT, (record->'collections')::TEXT, (record->'custom')::TEXT,
                   (record->>'hidden')::BOOLEAN, record->>'hidden_by', (record->>'hidden_rule')::BOOLEAN
            FROM asset WHERE id = ANY(\(ids)::TEXT[])
            """).map { row in
            let (id, path, version, tags, categories, collections, custom, hidden, hiddenBy, hiddenRule)
                = try row.decode((String, String, Int, String?, String?, String?, String?, Bool?, String?, Bool?).self)
            return try AnnotatedAsset(id: id, path: path, version: version, tags: tags, categories: categories, collections: collections, custom: custom,
                                      hidden: hidden, hiddenBy: hiddenBy, hiddenRule: hiddenRule)
        }
    }

    func writeAnnotations(_ assets: [AnnotatedAsset], updatedAt: Date) throws {
        guard !assets.isEmpty else { return }
        let fields = assets.map { SearchFields($0.record) }
        let ids = assets.map(\.id)
        let patches = try assets.map { try $0.patch(updatedAt: updatedAt) }
        // The words of annotations only (`g_`, `c_`, `u_` lexemes), as array literals: lexemes are letters, digits and `_`.
        let annotationColumns: [SearchFields.SearchColumn] = [.tags, .categories, .custom]
        let words = fields.map { field in
            "{" + annotationColumns.flatMap { column in
                (field.text[column] ?? "").split(separator: " ").map { SearchFields.lexeme(column, String($0)) }
            }.joined(separator: ",") + "}"
        }
        let milliseconds = updatedAt.epochMilliseconds
        _ = try run("""
            UPDATE asset a SET record = (a.record - \(AnnotatedAsset.keys)::TEXT[]) || v.patch::JSONB, hidden = (v.patch::JSONB->>'hidden')::BOOLEAN,
                updated_at = \(updatedAt), search_updated = \(milliseconds),
                search_words = array_to_tsvector(ARRAY(SELECT l FROM unnest(tsvector_to_array(a.search_words)) l
                                                       WHERE left(l, 2) NOT IN ('g_', 'c_', 'u_')) || v.words::TEXT[])
            FROM unnest(\(ids)::TEXT[], \(patches)::TEXT[], \(words)::TEXT[]) AS v(id, patch, words) WHERE a.id = v.id
            """)
        _ = try run("DELETE FROM asset_label WHERE asset_id = ANY(\(ids)::TEXT[])")
        _ = try run("DELETE FROM asset_custom WHERE asset_id = ANY(\(ids)::TEXT[])")
        try insertLabels(Array(zip(ids, fields)))
    }

    func insert(_ events: [AssetEvent]) throws {
        guard !events.isEmpty else { return }
        _ = try run("""
            INSERT INTO asset_event (asset_id, version, path, at, actor, action, detail, job_id)
            SELECT asset_id, version, path, at, actor, action, detail::JSONB, NULLIF(job_id, '')
            FROM unnest(\(events.map(\.assetID))::TEXT[], \(events.map(\.version))::INT[], \(events.map(\.path))::TEXT[],
                        \(events.map(\.at))::TIMESTAMPTZ[], \(events.map(\.actor))::TEXT[], \(events.map(\.action.rawValue))::TEXT[],
                        \(events.map(\.detailJSON))::TEXT[], \(events.map { $0.jobID ?? "" })::TEXT[])
                AS given(asset_id, version, path, at, actor, action, detail, job_id)
            """)
    }

    func collections() throws -> [(name: String, query: String?)] {
        try run("SELECT name, query FROM collection ORDER BY name COLLATE \"C\"").map { try $0.decode((String, String?).self) }
    }

    func insertCollection(name: String, query: String?) throws -> Bool {
        !(try run("INSERT INTO collection (name, query, created_at) VALUES (\(name), \(query), now()) ON CONFLICT (name) DO NOTHING RETURNING name")
            .isEmpty)
    }

    func deleteCollection(name: String) throws {
        _ = try run("DELETE FROM collection WHERE name = \(name)")
    }

    func sources() throws -> [(name: String, location: String, settings: String?)] {
        try run("SELECT name, location, settings FROM source ORDER BY name COLLATE \"C\"").map { try $0.decode((String, String, String?).self) }
    }

    func insertSource(name: String, location: String, settings: String?) throws -> Bool {
        !(try run("""
            INSERT INTO source (name, location, settings, created_at) VALUES (\(name), \(location), \(settings), now())
            ON CONFLICT (name) DO NOTHING RETURNING name
            """).isEmpty)
    }

    func deleteSource(name: String) throws -> Bool {
        !(try run("DELETE FROM source WHERE name = \(name) RETURNING name").isEmpty)
    }

    func customFields() throws -> [CustomFieldDefinition] {
        try run("SELECT definition::TEXT FROM custom_field ORDER BY key COLLATE \"C\"").map { try CustomFieldStorage.decode(try $0.decode(String.self)) }
    }

    func saveCustomField(_ definition: CustomFieldDefinition) throws {
        let json = try CustomFieldStorage.encode(definition)
        _ = try run("""
            INSERT INTO custom_field (key, definition) VALUES (\(definition.key), \(json)::JSONB)
            ON CONFLICT (key) DO UPDATE SET definition = EXCLUDED.definition
            """)
    }

    func deleteCustomField(key: String) throws {
        _ = try run("DELETE FROM custom_field WHERE key = \(key)")
    }

    func assetIDs(customKey key: String, present: Bool, after: String?, limit: Int) throws -> [String] {
        let after = after ?? ""
        let rows = present
            ? try run("""
                SELECT DISTINCT asset_id COLLATE "C" FROM asset_custom WHERE key = \(key) AND asset_id COLLATE "C" > \(after)
                ORDER BY 1 LIMIT \(limit)
                """)
            : try run("""
                SELECT id FROM asset a WHERE id COLLATE "C" > \(after)
                AND NOT EXISTS (SELECT 1 FROM asset_custom c WHERE c.asset_id = a.id AND c.key = \(key))
                ORDER BY id COLLATE "C" LIMIT \(limit)
                """)
        return try rows.map { try $0.decode(String.self) }
    }

    func countByStatus() throws -> [AssetRecord.Status: Int] {
        var counts: [AssetRecord.Status: Int] = [:]
        for row in try run("SELECT status, COUNT(*)::BIGINT FROM asset GROUP BY status") {
            let (name, count) = try row.decode((String, Int).self)
            if let status = AssetRecord.Status(rawValue: name) { counts[status] = count }
        }
        return counts
    }
}
