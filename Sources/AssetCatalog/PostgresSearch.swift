import AssetPipeline
import AssetQuery
import Foundation
import PostgresNIO

/// Search on PostgreSQL: the index a record's write keeps (columns on
/// `asset`, `asset_keyword`, `asset_color`, the `search_words` tsvector),
/// and a `Query` compiled by `SearchCompiler` run over it.
extension PostgresCatalogTransaction {
    /// Brings the search index of the asset at `path` up to `record`.
    func index(_ record: AssetRecord, atPath path: String) throws {
        guard let id = try run("SELECT id FROM asset WHERE path = \(path)").first?.decode(String.self) else { return }
        let fields = SearchFields(record)
        let lexemes = fields.lexemes
        _ = try run("""
            UPDATE asset SET search_created = COALESCE(search_created, \(fields.createdMilliseconds)), search_updated = \(fields.updatedMilliseconds),
                search_taken = \(fields.takenMilliseconds), duration = \(fields.duration), orientation = \(fields.orientation),
                animated = \(fields.animated), exif_make = \(fields.exifMake), exif_model = \(fields.exifModel), exif_lens = \(fields.exifLens),
                exif_iso = \(fields.exifISO), exif_f_number = \(fields.exifFNumber), exif_focal_length = \(fields.exifFocalLength),
                gps_lat = \(fields.latitude), gps_lon = \(fields.longitude),
                search_words = array_to_tsvector(\(lexemes)::TEXT[]), search_indexed = TRUE
            WHERE id = \(id)
            """)
        try removeFromIndex(id: id)
        if !fields.keywords.isEmpty {
            _ = try run("""
                INSERT INTO asset_keyword (asset_id, keyword) SELECT \(id), unnest(\(fields.keywords)::TEXT[]) ON CONFLICT DO NOTHING
                """)
        }
        if !fields.palette.isEmpty {
            _ = try run("""
                INSERT INTO asset_color (asset_id, l, a, b, weight)
                SELECT \(id), * FROM unnest(\(fields.palette.map(\.l))::FLOAT8[], \(fields.palette.map(\.a))::FLOAT8[],
                                            \(fields.palette.map(\.b))::FLOAT8[], \(fields.palette.map(\.weight))::FLOAT8[])
                """)
        }
    }

    /// Indexes the row at `path` from its stored record (a placeholder just begun).
    func reindex(path: String) throws {
        guard let json = try run("SELECT record::TEXT FROM asset WHERE path = \(path)").first?.decode(String.self) else { return }
        try index(try AssetRecord.makeDecoder().decode(AssetRecord.self, from: Data(json.utf8)), atPath: path)
    }

    /// Drops the asset's keyword and palette rows (before a delete, or a new index).
    func removeFromIndex(id: String) throws {
        _ = try run("DELETE FROM asset_keyword WHERE asset_id = \(id)")
        _ = try run("DELETE FROM asset_color WHERE asset_id = \(id)")
    }

    /// Indexes up to `batch` rows the migration left unindexed; how many it did.
    func indexSomeUnindexed(batch: Int) throws -> Int {
        let paths = try run("SELECT path FROM asset WHERE NOT search_indexed LIMIT \(batch)").map { try $0.decode(String.self) }
        for path in paths { try reindex(path: path) }
        return paths.count
    }

    func find(_ request: FindRequest) throws -> FindPage<AssetRecord> {
        try find(request, columns: "a.id, a.path, a.version, a.created_at, a.attempts, a.record::TEXT AS record") { cells in
            try StoredAsset(recordJSON: cells["record"].decode(String.self), id: cells["id"].decode(String.self),
                            path: cells["path"].decode(String.self), version: cells["version"].decode(Int.self),
                            createdAt: cells["created_at"].decode(Date.self).wholeMilliseconds,
                            attempts: cells["attempts"].decode(Int.self)).record
        }
    }

    func findIDs(_ request: FindRequest) throws -> FindPage<String> {
        try find(request, columns: "a.id") { cells in try cells["id"].decode(String.self) }
    }

    private func find<Item>(_ request: FindRequest, columns: String,
                            item: (PostgresRandomAccessRow) throws -> Item) throws -> FindPage<Item> {
        var compiler = SearchCompiler(.postgres)
        let filter = compiler.condition(request.query)
        let sortValue = compiler.sortExpression(request.sort, request.query)
        let keyset = compiler.keyset(after: request.after, sortValue, request.sort)
        let rows = try run(Self.query("""
            SELECT \(columns), a.id AS cursor_id, \(sortValue) AS sort_value FROM asset a
            WHERE \(filter) AND \(keyset) \(compiler.orderBy("sort_value", request.sort)) LIMIT \(request.limit + 1)
            """, compiler.values)).map { $0.makeRandomAccess() }
        let page = rows.prefix(request.limit)
        let items = try page.map(item)
        var next: String?
        if rows.count > request.limit, let last = page.last {
            next = QueryCursor(value: try Self.sortValue(last["sort_value"]), id: try last["cursor_id"].decode(String.self),
                               fingerprint: request.fingerprint).token
        }
        var count: Int?
        if request.count {
            var counter = SearchCompiler(.postgres)
            let filter = counter.condition(request.query)
            count = try run(Self.query("SELECT COUNT(*)::BIGINT FROM asset a WHERE \(filter)", counter.values)).first?.decode(Int.self) ?? 0
        }
        var facets: [FacetField: [(value: String, count: Int)]] = [:]
        for facet in request.facets {
            var compiler = SearchCompiler(.postgres)
            let filter = compiler.condition(request.query)
            let sql = compiler.facetSQL(facet, filter: filter, limit: SQLiteSearch.facetValues).replacingOccurrences(of: "COUNT(*)", with: "COUNT(*)::BIGINT")
            facets[facet] = try run(Self.query(sql, compiler.values)).map { row in
                let cells = row.makeRandomAccess()
                return (try Self.facetValue(cells["value"]), try cells["n"].decode(Int.self))
            }
        }
        return FindPage(items: items, nextCursor: next, count: count, facets: facets)
    }

    static func query(_ sql: String, _ values: [SearchValue]) -> PostgresQuery {
        var bindings = PostgresBindings()
        for value in values {
            switch value {
            case .text(let text): bindings.append(text)
            case .number(let number): bindings.append(number)
            case .integer(let number): bindings.append(number)
            case .boolean(let flag): bindings.append(flag)
            }
        }
        return PostgresQuery(unsafeSQL: sql, binds: bindings)
    }

    static func sortValue(_ cell: PostgresCell) throws -> QueryCursor.SortValue {
        guard cell.bytes != nil else { return .none }
        switch cell.dataType {
        case .text, .varchar, .name: return .string(try cell.decode(String.self))
        case .int2, .int4, .int8: return .number(Double(try cell.decode(Int64.self)))
        default: return .number(try cell.decode(Double.self))
        }
    }

    static func facetValue(_ cell: PostgresCell) throws -> String {
        switch cell.dataType {
        case .bool: return try cell.decode(Bool.self) ? "true" : "false"
        case .int2, .int4, .int8: return String(try cell.decode(Int64.self))
        case .float4, .float8: return String(try cell.decode(Double.self))
        default: return try cell.decode(String.self)
        }
    }
}
