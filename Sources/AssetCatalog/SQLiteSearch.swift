import AssetMedia
import AssetPipeline
import AssetQuery
import Foundation
import GRDB

/// Search on SQLite: the index a record's write keeps (columns on `asset`,
/// `asset_keyword`, `asset_label`, `asset_color`, the FTS5 table `asset_text`), and the
/// compiler from a `Query` to one statement over it.
enum SQLiteSearch {
    // MARK: - The index

    /// The tables an index write fills: today's, or those migration v3 made
    /// (it indexes the rows of older catalogs with what existed then; v5
    /// brings them to today's).
    enum IndexTables {
        case current
        case v3

        var textColumns: [SearchFields.SearchColumn] {
            self == .current ? SearchFields.SearchColumn.allCases : SearchFields.SearchColumn.allCases.filter { ![.tags, .categories, .custom].contains($0) }
        }
    }

    /// Brings the search index of the asset at `path` up to `record`. Cached
    /// statements: a write indexes every asset, so none is parsed twice.
    static func index(_ record: AssetRecord, atPath path: String, in db: Database, tables: IndexTables = .current) throws {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT rowid, id FROM asset WHERE path = ?"), arguments: [path]) else { return }
        let rowid: Int64 = row["rowid"], id: String = row["id"]
        let fields = SearchFields(record)
        try db.cachedStatement(sql: """
            UPDATE asset SET search_created = COALESCE(search_created, ?), search_updated = ?, search_taken = ?, duration = ?,
                orientation = ?, animated = ?, exif_make = ?, exif_model = ?, exif_lens = ?, exif_iso = ?, exif_f_number = ?,
                exif_focal_length = ?, gps_lat = ?, gps_lon = ?\(tables == .current ? ", hidden = ?, faces = ?, " + alertAssignments : "")
            WHERE rowid = ?
            """).execute(arguments: StatementArguments(
                [fields.createdMilliseconds, fields.updatedMilliseconds, fields.takenMilliseconds, fields.duration,
                 fields.orientation, fields.animated, fields.exifMake, fields.exifModel, fields.exifLens, fields.exifISO,
                 fields.exifFNumber, fields.exifFocalLength, fields.latitude, fields.longitude]
                    + (tables == .current ? [fields.hidden, fields.faces] + fields.alerts : [] as [(any DatabaseValueConvertible)?]) + [rowid]))
        try removeFromIndex(rowid: rowid, id: id, in: db, tables: tables)
        for keyword in fields.keywords {
            try db.cachedStatement(sql: "INSERT OR IGNORE INTO asset_keyword (asset_id, keyword) VALUES (?, ?)")
                .execute(arguments: [id, keyword])
        }
        if tables == .current { try insertAnnotationRows(fields, id: id, in: db) }
        for color in fields.palette {
            try db.cachedStatement(sql: "INSERT INTO asset_color (asset_id, l, a, b, weight) VALUES (?, ?, ?, ?, ?)")
                .execute(arguments: [id, color.l, color.a, color.b, color.weight])
        }
        let columns = tables.textColumns
        let placeholders = String(repeating: ", ?", count: columns.count)
        try db.cachedStatement(sql: "INSERT INTO asset_text (rowid, \(columns.map(\.rawValue).joined(separator: ", "))) VALUES (?\(placeholders))")
            .execute(arguments: StatementArguments([rowid] + columns.map { fields.text[$0] ?? "" }))
    }

    static let alertAssignments = SearchFields.alertColumns.map { "\($0) = ?" }.joined(separator: ", ")

    /// Brings the index rows annotations make (tags, categories,
    /// collections, custom values, their words) up to `asset`, and nothing else.
    static func indexAnnotations(_ asset: AnnotatedAsset, in db: Database) throws {
        guard let rowid = try Int64.fetchOne(db.cachedStatement(sql: "SELECT rowid FROM asset WHERE id = ?"), arguments: [asset.id]) else { return }
        let fields = SearchFields(asset.record)
        try db.cachedStatement(sql: "DELETE FROM asset_label WHERE asset_id = ?").execute(arguments: [asset.id])
        try db.cachedStatement(sql: "DELETE FROM asset_custom WHERE asset_id = ?").execute(arguments: [asset.id])
        try insertAnnotationRows(fields, id: asset.id, in: db)
        try db.cachedStatement(sql: "UPDATE asset SET hidden = ? WHERE rowid = ?").execute(arguments: [fields.hidden, rowid])
        try db.cachedStatement(sql: "UPDATE asset_text SET tags = ?, categories = ?, custom = ? WHERE rowid = ?")
            .execute(arguments: [fields.text[.tags] ?? "", fields.text[.categories] ?? "", fields.text[.custom] ?? "", rowid])
    }

    /// The label and custom value rows of `fields`.
    private static func insertAnnotationRows(_ fields: SearchFields, id: String, in db: Database) throws {
        for tag in fields.tags {
            try db.cachedStatement(sql: "INSERT INTO asset_label (asset_id, kind, name, removed) VALUES (?, 'tags', ?, ?)")
                .execute(arguments: [id, tag.name, tag.removed])
        }
        for (kind, names) in [("categories", fields.categories), ("collections", fields.collections)] {
            for name in names {
                try db.cachedStatement(sql: "INSERT INTO asset_label (asset_id, kind, name) VALUES (?, ?, ?)").execute(arguments: [id, kind, name])
            }
        }
        for value in fields.custom {
            try db.cachedStatement(sql: "INSERT INTO asset_custom (asset_id, key, text_value, number_value) VALUES (?, ?, ?, ?)")
                .execute(arguments: [id, value.key, value.text, value.number])
        }
    }

    /// Indexes the row at `path` from its stored record (catalogs from before search).
    static func reindex(path: String, in db: Database, tables: IndexTables = .current) throws {
        guard let json = try String.fetchOne(db.cachedStatement(sql: "SELECT record FROM asset WHERE path = ?"), arguments: [path]) else { return }
        try index(try AssetRecord.makeDecoder().decode(AssetRecord.self, from: Data(json.utf8)), atPath: path, in: db, tables: tables)
    }

    /// Drops the asset's keyword, tag, category, palette and text rows (before a delete, or a new index).
    static func removeFromIndex(id: String, in db: Database) throws {
        guard let rowid = try Int64.fetchOne(db.cachedStatement(sql: "SELECT rowid FROM asset WHERE id = ?"), arguments: [id]) else { return }
        try removeFromIndex(rowid: rowid, id: id, in: db)
    }

    private static func removeFromIndex(rowid: Int64, id: String, in db: Database, tables: IndexTables = .current) throws {
        try db.cachedStatement(sql: "DELETE FROM asset_keyword WHERE asset_id = ?").execute(arguments: [id])
        if tables == .current {
            try db.cachedStatement(sql: "DELETE FROM asset_label WHERE asset_id = ?").execute(arguments: [id])
            try db.cachedStatement(sql: "DELETE FROM asset_custom WHERE asset_id = ?").execute(arguments: [id])
        }
        try db.cachedStatement(sql: "DELETE FROM asset_color WHERE asset_id = ?").execute(arguments: [id])
        try db.cachedStatement(sql: "DELETE FROM asset_text WHERE rowid = ?").execute(arguments: [rowid])
    }

    /// The SQL functions the compiled queries call, on every connection.
    static func registerFunctions(_ db: Database) {
        // A name's folded words, as an FTS column holds them (`SearchFields`):
        // a bulk rename rewrites the column from the record's list in SQL.
        db.add(function: DatabaseFunction("ap_words", argumentCount: 1, pure: true) { values in
            String.fromDatabaseValue(values[0]).map { SearchText.words($0).joined(separator: " ") }
        })
        db.add(function: DatabaseFunction("ap_ciede2000", argumentCount: 6, pure: true) { values in
            let numbers = values.compactMap { Double.fromDatabaseValue($0) }
            guard numbers.count == 6 else { return nil }
            return LabColor(l: numbers[0], a: numbers[1], b: numbers[2]).ciede2000(to: LabColor(l: numbers[3], a: numbers[4], b: numbers[5]))
        })
        db.add(function: DatabaseFunction("ap_geo_distance", argumentCount: 4, pure: true) { values in
            let numbers = values.compactMap { Double.fromDatabaseValue($0) }
            guard numbers.count == 4 else { return nil }
            return GeoCircle.distance(numbers[0], numbers[1], numbers[2], numbers[3])
        })
    }

    // MARK: - Finding

    static func find(_ request: FindRequest, in db: Database) throws -> FindPage<AssetRecord> {
        try find(request, in: db) { row in
            let createdText: String = row["created_at"]
            return try StoredAsset(recordJSON: row["record"], id: row["id"], path: row["path"], version: row["version"],
                                   createdAt: Timestamp.parse(createdText) ?? Date(), attempts: row["attempts"]).record
        }
    }

    /// The ids alone: no record is decoded (bulk changes over a result, tests).
    static func findIDs(_ request: FindRequest, in db: Database) throws -> FindPage<String> {
        try find(request, in: db) { row in row["id"] }
    }

    private static func find<Item>(_ request: FindRequest, in db: Database, item: (Row) throws -> Item) throws -> FindPage<Item> {
        var rows: [Row] = []
        // Nulls last is not an order any SQLite index gives: an ascending
        // first page reads the assets with a value, then those without.
        let segments = SearchCompiler.Segment.after(request.after, nullsApart: !request.sort.descending)
        for segment in segments where rows.count <= request.limit {
            var compiler = SearchCompiler(.sqlite)
            // The sort first: a relevance join changes how its colour term is written.
            let sortValue = compiler.sortExpression(request.sort, request.query)
            let filter = compiler.condition(request.query)
            let keyset = compiler.keyset(segment, sortValue, request.sort)
            let walk = try sortIndexToWalk(request, in: db).map { "INDEXED BY \($0)" } ?? ""
            // Ids and sort values are sorted; the page's records are read after.
            let direction = request.sort.descending ? "DESC" : "ASC"
            rows += try Row.fetchAll(db, sql: """
                SELECT a.id, a.path, a.version, a.created_at, a.attempts, a.record, page.sort_value
                FROM (SELECT a.id AS page_id, \(sortValue) AS sort_value FROM asset a \(walk) \(compiler.joins)
                      WHERE \(filter) AND \(keyset) \(compiler.orderBy("sort_value", request.sort, within: segment)) LIMIT \(request.limit + 1 - rows.count)) page
                JOIN asset a ON a.id = page.page_id ORDER BY page.sort_value \(direction) NULLS LAST, a.id \(direction)
                """, arguments: arguments(compiler.values))
        }
        let items = try rows.prefix(request.limit).map(item)
        var next: String?
        if rows.count > request.limit, let last = rows.prefix(request.limit).last {
            let value: QueryCursor.SortValue
            switch (last["sort_value"] as DatabaseValue).storage {
            case .int64(let number): value = .number(Double(number))
            case .double(let number): value = .number(number)
            case .string(let string): value = .string(string)
            default: value = .none
            }
            next = QueryCursor(value: value, id: last["id"], fingerprint: request.fingerprint).token
        }
        var count: Int?
        if request.count {
            var counter = SearchCompiler(.sqlite)
            let filter = counter.condition(request.query)
            count = try Int.fetchOne(db, sql: counter.countSQL(filter: filter), arguments: arguments(counter.values)) ?? 0
        }
        var facets: [FacetField: [(value: String, count: Int)]] = [:]
        for facet in request.facets {
            var compiler = SearchCompiler(.sqlite)
            let filter = compiler.condition(request.query)
            let rows = try Row.fetchAll(db, sql: compiler.facetSQL(facet, filter: filter, limit: SearchCompiler.facetValues),
                                        arguments: arguments(compiler.values))
            facets[facet] = rows.map { row in
                let text: String
                switch (row["value"] as DatabaseValue).storage {
                case .int64(let number) where facet == .animated || facet == .edited: text = number != 0 ? "true" : "false"
                case .int64(let number): text = String(number)
                case .double(let number): text = String(number)
                case .string(let string): text = string
                default: text = ""
                }
                return (text, row["n"])
            }
        }
        return FindPage(items: items, nextCursor: next, count: count, facets: facets)
    }

    /// The index of a descending sort, when its walk should be forced.
    /// SQLite's planner prefers an index on the filter and then sorts what
    /// it found, even when a hundred thousand assets match (a camera make)
    /// and walking the sort's index meets fifty of them in a few hundred
    /// rows. So when the filter matches at least `commonMatches` assets
    /// (counted, up to that many), the walk is forced; with fewer, the
    /// planner's way (find, then sort a few thousand) is the fast one.
    /// An ascending sort puts nulls last, which no SQLite index gives in
    /// order, so it is left to the planner.
    private static func sortIndexToWalk(_ request: FindRequest, in db: Database) throws -> String? {
        guard request.query != .all, request.sort.descending, let index = sortIndexes[request.sort.key] else { return nil }
        var probe = SearchCompiler(.sqlite)
        let filter = probe.condition(request.query)
        let found = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM (SELECT 1 FROM asset a WHERE \(filter) LIMIT \(commonMatches))",
                                     arguments: arguments(probe.values)) ?? 0
        return found >= commonMatches ? index : nil
    }

    static let commonMatches = 1_000

    static let sortIndexes: [SortKey: String] = [
        .createdAt: "asset_by_created", .updatedAt: "asset_by_updated", .takenAt: "asset_by_taken", .size: "asset_by_size",
        .name: "asset_by_name", .width: "asset_by_width", .height: "asset_by_height", .duration: "asset_by_duration",
    ]

    private static func arguments(_ values: [SearchValue]) -> StatementArguments {
        StatementArguments(values.map { value -> DatabaseValue in
            switch value {
            case .text(let text): text.databaseValue
            case .number(let number): number.databaseValue
            case .integer(let number): number.databaseValue
            case .boolean(let flag): flag.databaseValue
            }
        })
    }
}
