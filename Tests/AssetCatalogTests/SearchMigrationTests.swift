@testable import AssetCatalog
import AssetPipeline
import AssetQuery
import Foundation
import GRDB
import Logging
import PostgresNIO
import TestSupport
import Testing

/// Catalogs made before search existed are indexed where they are: SQLite
/// by its migration, PostgreSQL by the driver on connecting (resuming a
/// backfill that was cut off).
@Suite struct SearchMigrationTests {
    static let recordJSON = """
        {"id": "0d7e7f4e-0000-4000-8000-000000000001", "path": "/old/Café-at-night.jpg", "name": "Café-at-night.jpg",
         "status": "processed", "kind": "image", "format": "jpeg", "mime": "image/jpeg", "size": 12345, "width": 4000,
         "height": 3000, "version": 1, "attempts": 1, "keywords": ["Paris", "night"],
         "exif": {"make": "Canon", "model": "EOS R5", "taken_at": "2023-05-01T20:00:00"},
         "color": {"model": "rgb", "interpretation": "srgb", "depth": 8, "alpha": false, "bands": 3,
                   "dominant": [{"hex": "#1e88e5", "rgb": [30, 136, 229], "lab": [54.9, 7.9, -57.3], "weight": 0.6}]},
         "created_at": "2023-05-02T10:00:00.000Z", "updated_at": "2023-05-02T10:00:00.000Z"}
        """

    static let queries = ["cafe", "keywords = night", #"exif.make = "Canon""#, ##"color NEAR "#1e88e5" WITHIN 3"##,
                          #"taken_at < "2023-06-01""#, #"path : "/old""#, "width >= 4000"]

    @Test func aSQLiteCatalogFromBeforeSearchIsIndexedByItsMigration() throws {
        let directory = try Package.temporaryDirectory("search-migration")
        // The catalog as the release before search left it: migrations up to v2, one asset.
        do {
            let pool = try DatabasePool(path: directory + "/catalog.sqlite")
            try CatalogSchema.migrator.migrate(pool, upTo: "v2: versions, origins and history")
            try pool.write { db in
                try db.execute(sql: """
                    INSERT INTO asset (id, path, name, kind, mime, format, size, status, width, height, taken_at, attempts, record,
                                       created_at, updated_at)
                    VALUES ('0d7e7f4e-0000-4000-8000-000000000001', '/old/Café-at-night.jpg', 'Café-at-night.jpg', 'image',
                            'image/jpeg', 'jpeg', 12345, 'processed', 4000, 3000, '2023-05-01T20:00:00', 1, ?,
                            '2023-05-02 10:00:00.000', '2023-05-02 10:00:00.000')
                    """, arguments: [Self.recordJSON])
            }
        }
        let database = try SQLiteCatalogDatabase(dataDirectory: directory)
        // Migration v5 makes the keywords embedded tags, searchable as tags.
        for text in Self.queries + ["tags = night", "tags HAS paris", "text HAS paris"] {
            let page = try database.read { try $0.findIDs(try FindRequest(q: text)) }
            #expect(page.items == ["0d7e7f4e-0000-4000-8000-000000000001"], "\(text)")
        }
        let record = try #require(try database.read { try $0.asset(id: "0d7e7f4e-0000-4000-8000-000000000001") }?.record)
        #expect(record.tags?.map(\.name).sorted() == ["Paris", "night"])
        #expect(record.tags?.allSatisfy { $0.source == .embedded && !$0.removed } == true)
        let tagCounts = try database.read { try $0.labelCounts(.tags) }
        #expect(tagCounts.map { "\($0.name)=\($0.count)" } == ["Paris=1", "night=1"])
        try Self.expectWholeCatalogCounts(database)
    }

    /// The counts the triggers keep, made for the rows already there.
    static func expectWholeCatalogCounts(_ database: any CatalogDatabase) throws {
        let page = try database.read { try $0.find(try FindRequest(q: "", count: true, facets: ["format,exif.make,keywords"])) }
        #expect(page.count == 1)
        #expect(page.facets[.format]?.map { "\($0.value)=\($0.count)" } == ["jpeg=1"])
        #expect(page.facets[.exifMake]?.map { "\($0.value)=\($0.count)" } == ["Canon=1"])
        #expect(page.facets[.keywords]?.isEmpty == false)
    }

    @Test(.enabled(if: CatalogDriver.postgresURL != nil))
    func aPostgreSQLCatalogLeftUnindexedIsIndexedOnConnecting() async throws {
        let url = try #require(CatalogDriver.postgresURL)
        let schema = "migrate_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16)
        let schemaURL = url + (url.contains("?") ? "&" : "?") + "search_path=\(schema)"
        let record = try AssetRecord.makeDecoder().decode(AssetRecord.self, from: Data(Self.recordJSON.utf8))
        let first = try await PostgresCatalogDatabase.connect(url: schemaURL)
        try first.write { try $0.upsert(try AssetRow(record)) }
        // As the migration leaves rows from before it (or a backfill cut off): unindexed.
        try first.write { transaction in
            guard let transaction = transaction as? PostgresCatalogTransaction else { return }
            _ = try transaction.run("""
                UPDATE asset SET search_indexed = FALSE, search_words = ''::TSVECTOR, search_created = NULL, exif_make = NULL,
                    search_taken = NULL
                """)
            _ = try transaction.run("DELETE FROM asset_keyword")
            _ = try transaction.run("DELETE FROM asset_color")
        }
        #expect(try first.read { try $0.findIDs(try FindRequest(q: "keywords = night")) }.items.isEmpty)
        let second = try await PostgresCatalogDatabase.connect(url: schemaURL)
        for text in Self.queries {
            let page = try second.read { try $0.findIDs(try FindRequest(q: text)) }
            #expect(page.items == ["0d7e7f4e-0000-4000-8000-000000000001"], "\(text)")
        }
        try Self.expectWholeCatalogCounts(second)
    }

    /// A PostgreSQL catalog from before tags (migrations up to v4): its
    /// keywords become embedded tags, indexed on connecting.
    @Test(.enabled(if: CatalogDriver.postgresURL != nil))
    func aPostgreSQLCatalogFromBeforeTagsHasItsKeywordsAsTags() async throws {
        let url = try #require(CatalogDriver.postgresURL)
        let schema = "tags_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16)
        let schemaURL = url + (url.contains("?") ? "&" : "?") + "search_path=\(schema)"
        let target = try PostgresURL(schemaURL)
        let logger = Logger(label: "test")
        let connection = try await PostgresConnection.connect(configuration: target.connectionConfiguration, id: 1, logger: logger)
        try await PostgresMigrations.apply(Array(PostgresMigrations.catalog.prefix(4)), inSchema: target.schema, on: connection, logger: logger)
        let id = "0d7e7f4e-0000-4000-8000-000000000001"
        let json = Self.recordJSON
        let now = Date()
        // The row and keywords as the catalog before tags wrote them.
        _ = try await connection.query("""
            INSERT INTO asset (id, path, name, status, attempts, record, created_at, updated_at, search_indexed)
            VALUES (\(id), '/old/Café-at-night.jpg', 'Café-at-night.jpg', 'processed', 1, \(json)::JSONB, \(now), \(now), TRUE)
            """, logger: logger)
        _ = try await connection.query("INSERT INTO asset_keyword (asset_id, keyword) VALUES (\(id), 'Paris'), (\(id), 'night')", logger: logger)
        try await connection.close()

        let database = try await PostgresCatalogDatabase.connect(url: schemaURL)
        for text in ["tags = night", "tags HAS paris", "text HAS paris"] {
            #expect(try database.read { try $0.findIDs(try FindRequest(q: text)) }.items == [id], "\(text)")
        }
        let record = try #require(try database.read { try $0.asset(id: id) }?.record)
        #expect(record.tags == [AssetTag(name: "Paris", source: .embedded), AssetTag(name: "night", source: .embedded)])
        #expect(try database.read { try $0.labelCounts(.tags) }.map { "\($0.name)=\($0.count)" } == ["Paris=1", "night=1"])
    }
}
