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
                gps_lat = \(fields.latitude), gps_lon = \(fields.longitude), hidden = \(fields.hidden), faces = \(fields.faces),
                alert_adult = \(fields.alert(.adult)), alert_violent = \(fields.alert(.violent)), alert_medical = \(fields.alert(.medical)),
                alert_racy = \(fields.alert(.racy)), alert_spoof = \(fields.alert(.spoof)),
                search_words = array_to_tsvector(\(lexemes)::TEXT[]), search_indexed = TRUE
            WHERE id = \(id)
            """)
        try removeFromIndex(id: id)
        if !fields.keywords.isEmpty {
            _ = try run("""
                INSERT INTO asset_keyword (asset_id, keyword) SELECT \(id), unnest(\(fields.keywords)::TEXT[]) ON CONFLICT DO NOTHING
                """)
        }
        try insertLabels([(id, fields)])
        if !fields.palette.isEmpty {
            _ = try run("""
                INSERT INTO asset_color (asset_id, l, a, b, weight)
                SELECT \(id), * FROM unnest(\(fields.palette.map(\.l))::FLOAT8[], \(fields.palette.map(\.a))::FLOAT8[],
                                            \(fields.palette.map(\.b))::FLOAT8[], \(fields.palette.map(\.weight))::FLOAT8[])
                """)
        }
    }

    /// Indexes the row at `path` from its stored record (rows from before search).
    func reindex(path: String) throws {
        guard let json = try run("SELECT record::TEXT FROM asset WHERE path = \(path)").first?.decode(String.self) else { return }
        try index(try AssetRecord.makeDecoder().decode(AssetRecord.self, from: Data(json.utf8)), atPath: path)
    }

    /// The tag, category and custom value rows of these assets, in two statements.
    func insertLabels(_ assets: [(id: String, fields: SearchFields)]) throws {
        var ids: [String] = [], kinds: [String] = [], names: [String] = [], removed: [Bool] = []
        func add(_ id: String, _ kind: String, _ name: String, _ isRemoved: Bool) {
            ids.append(id)
            kinds.append(kind)
            names.append(name)
            removed.append(isRemoved)
        }
        for (id, fields) in assets {
            for tag in fields.tags { add(id, "tags", tag.name, tag.removed) }
            for category in fields.categories { add(id, "categories", category, false) }
            for collection in fields.collections { add(id, "collections", collection, false) }
        }
        if !ids.isEmpty {
            _ = try run("""
                INSERT INTO asset_label (asset_id, kind, name, removed)
                SELECT * FROM unnest(\(ids)::TEXT[], \(kinds)::TEXT[], \(names)::TEXT[], \(removed)::BOOL[]) ON CONFLICT DO NOTHING
                """)
        }
        // Custom values: absent texts and numbers travel as '' and -inf, and become NULL.
        var customIDs: [String] = [], keys: [String] = [], texts: [String] = [], numbers: [Double] = []
        for (id, fields) in assets {
            for value in fields.custom {
                customIDs.append(id)
                keys.append(value.key)
                texts.append(value.text ?? "")
                numbers.append(value.number ?? -.infinity)
            }
        }
        guard !customIDs.isEmpty else { return }
        _ = try run("""
            INSERT INTO asset_custom (asset_id, key, text_value, number_value)
            SELECT asset_id, key, NULLIF(text_value, ''), NULLIF(number_value, '-infinity')
            FROM unnest(\(customIDs)::TEXT[], \(keys)::TEXT[], \(texts)::TEXT[], \(numbers)::FLOAT8[]) AS given(asset_id, key, text_value, number_value)
            """)
    }

    /// Drops the asset's keyword, tag, category and palette rows (before a delete, or a new index).
    func removeFromIndex(id: String) throws {
        _ = try run("DELETE FROM asset_keyword WHERE asset_id = \(id)")
        _ = try run("DELETE FROM asset_label WHERE asset_id = \(id)")
        _ = try run("DELETE FROM asset_custom WHERE asset_id = \(id)")
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
        var rows: [PostgresRandomAccessRow] = []
        for segment in SearchCompiler.Segment.after(request.after) where rows.count <= request.limit {
            var compiler = SearchCompiler(.postgres)
            // The sort first: a relevance join changes how its colour term is written.
            let sortValue = compiler.sortExpression(request.sort, request.query)
            let filter = compiler.condition(request.query)
            let keyset = compiler.keyset(segment, sortValue, request.sort)
            let limit = request.limit + 1 - rows.count
            let sql: String
            if try filterFirst(request, where: "\(filter) AND \(keyset)", compiler.values) {
                let direction = request.sort.descending ? "DESC" : "ASC"
                // Ids and sort values only are sorted; the page's rows are read after.
                let order = "ORDER BY sort_value \(direction) NULLS LAST, cursor_id COLLATE \"C\" \(direction)"
                sql = """
                    WITH matches AS MATERIALIZED (
                        SELECT a.id AS cursor_id, \(sortValue) AS sort_value FROM asset a \(compiler.joins) WHERE \(filter) AND \(keyset)),
                    page AS (SELECT * FROM matches \(order) LIMIT \(limit))
                    SELECT \(columns), page.cursor_id, page.sort_value FROM page JOIN asset a ON a.id = page.cursor_id \(order)
                    """
            } else {
                sql = """
                    SELECT \(columns), a.id AS cursor_id, \(sortValue) AS sort_value FROM asset a \(compiler.joins)
                    WHERE \(filter) AND \(keyset) \(compiler.orderBy("sort_value", request.sort)) LIMIT \(limit)
                    """
            }
            rows += try run(Self.query(sql, compiler.values)).map { $0.makeRandomAccess() }
        }
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
            count = try run(Self.query(counter.countSQL(filter: filter), counter.values)).first?.decode(Int.self) ?? 0
        }
        var facets: [FacetField: [(value: String, count: Int)]] = [:]
        for facet in request.facets {
            var compiler = SearchCompiler(.postgres)
            let filter = compiler.condition(request.query)
            let sql = compiler.facetSQL(facet, filter: filter, limit: SearchCompiler.facetValues)
            facets[facet] = try run(Self.query(sql, compiler.values)).map { row in
                let cells = row.makeRandomAccess()
                return (try Self.facetValue(cells["value"]), try cells["n"].decode(Int.self))
            }
        }
        return FindPage(items: items, nextCursor: next, count: count, facets: facets)
    }

    /// Whether to find every match first and sort them, rather than walk
    /// the sort's index until the page is full. PostgreSQL chooses the walk
    /// whenever the matches look common enough to meet soon, assuming the
    /// filter and the sort independent; when they are not (a range of
    /// creation dates sorted by date taken), the walk reads most of the
    /// catalog before its first match. So where the planner expects few
    /// matches (its own estimate, from one EXPLAIN), the sort is fenced off:
    /// sorting a few thousand rows costs milliseconds whatever the order.
    private func filterFirst(_ request: FindRequest, where condition: String, _ values: [SearchValue]) throws -> Bool {
        guard request.query != .all, request.sort.key != .relevance else { return false }
        let plan = try run(Self.query("EXPLAIN (FORMAT JSON) SELECT 1 FROM asset a WHERE \(condition)", values)).first?.decode(String.self)
        guard let plan, let parsed = try? JSONSerialization.jsonObject(with: Data(plan.utf8)) as? [[String: Any]],
              let rows = ((parsed.first?["Plan"] as? [String: Any])?["Plan Rows"] as? NSNumber)?.doubleValue else { return false }
        return rows < Self.fewMatches
    }

    /// Matches the planner expects few enough to sort (see `filterFirst`).
    static let fewMatches = 20_000.0

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

extension PostgresCatalogTransaction {
    /// Many new assets in four statements, whatever their number: each
    /// column an array, unnested; the search columns derived here as
    /// `index` derives them. A row whose path is taken is left as it is.
    func insertMany(_ rows: [AssetRow]) throws {
        guard !rows.isEmpty else { return }
        let fields = rows.map { SearchFields($0.record) }
        let records = rows.map(\.record)
        var bindings = PostgresBindings()
        func column<T: PostgresArrayEncodable>(_ values: [T]) throws { try bindings.append(values) }
        try column(rows.map(\.id))
        try column(records.map(\.path))
        try column(records.map { $0.origin ?? "" })
        try column(rows.map(\.version))
        try column(records.map(\.name))
        try column(records.map { $0.kind?.rawValue ?? "" })
        try column(records.map { $0.mime ?? "" })
        try column(records.map { $0.format ?? "" })
        try column(records.map { $0.size ?? -1 })
        try column(records.map { $0.sha256 ?? "" })
        try column(records.map(\.status.rawValue))
        try column(records.map { $0.error?.reason.rawValue ?? "" })
        try column(records.map { $0.error?.message ?? "" })
        try column(records.map { $0.width ?? -1 })
        try column(records.map { $0.height ?? -1 })
        try column(rows.map { $0.takenAt ?? "" })
        try column(rows.map(\.attempts))
        try column(rows.map(\.json))
        try column(rows.map(\.createdAt))
        try column(rows.map(\.updatedAt))
        try column(fields.map(\.createdMilliseconds))
        try column(fields.map(\.updatedMilliseconds))
        try column(fields.map { $0.takenMilliseconds ?? Int64.min })
        try column(fields.map { $0.duration ?? -.infinity })
        try column(fields.map { $0.orientation ?? -1 })
        try column(fields.map(\.animated))
        try column(fields.map { $0.exifMake ?? "" })
        try column(fields.map { $0.exifModel ?? "" })
        try column(fields.map { $0.exifLens ?? "" })
        try column(fields.map { $0.exifISO ?? -1 })
        try column(fields.map { $0.exifFNumber ?? -.infinity })
        try column(fields.map { $0.exifFocalLength ?? -.infinity })
        try column(fields.map { $0.latitude ?? -.infinity })
        try column(fields.map { $0.longitude ?? -.infinity })
        try column(fields.map { $0.lexemes.map { "'\($0)'" }.joined(separator: " ") })
        try column(fields.map { $0.hidden.map { $0 ? "true" : "false" } ?? "" })
        try column(fields.map { $0.faces ?? -1 })
        for category in HiddenStage.Category.allCases {
            try column(fields.map { $0.alert(category) ?? -1 })
        }
        // Absent values travel as sentinels ('' for text, -1 or -inf for
        // numbers, which no record holds) and become NULL here.
        _ = try run(PostgresQuery(unsafeSQL: """
            INSERT INTO asset (id, path, origin, version, name, kind, mime, format, size, sha256, status, error_reason, error_message,
                               width, height, taken_at, attempts, record, created_at, updated_at, search_created, search_updated,
                               search_taken, duration, orientation, animated, exif_make, exif_model, exif_lens, exif_iso, exif_f_number,
                               exif_focal_length, gps_lat, gps_lon, search_words, search_indexed, hidden, faces,
                               alert_adult, alert_violent, alert_medical, alert_racy, alert_spoof)
            SELECT id, path, NULLIF(origin, ''), version, name, NULLIF(kind, ''), NULLIF(mime, ''), NULLIF(format, ''), NULLIF(size, -1),
                   NULLIF(sha256, ''), status, NULLIF(error_reason, ''), NULLIF(error_message, ''), NULLIF(width, -1), NULLIF(height, -1),
                   NULLIF(taken_at, ''), attempts, record::JSONB, created_at, updated_at, search_created, search_updated,
                   NULLIF(search_taken, -9223372036854775808), NULLIF(duration, '-infinity'), NULLIF(orientation, -1), animated,
                   NULLIF(exif_make, ''), NULLIF(exif_model, ''), NULLIF(exif_lens, ''), NULLIF(exif_iso, -1),
                   NULLIF(exif_f_number, '-infinity'), NULLIF(exif_focal_length, '-infinity'), NULLIF(gps_lat, '-infinity'),
                   NULLIF(gps_lon, '-infinity'), words::TSVECTOR, TRUE, NULLIF(hidden, '')::BOOLEAN, NULLIF(faces, -1),
                   NULLIF(alert_adult, -1), NULLIF(alert_violent, -1), NULLIF(alert_medical, -1), NULLIF(alert_racy, -1), NULLIF(alert_spoof, -1)
            FROM unnest($1::TEXT[], $2::TEXT[], $3::TEXT[], $4::INT[], $5::TEXT[], $6::TEXT[], $7::TEXT[], $8::TEXT[], $9::INT8[],
                        $10::TEXT[], $11::TEXT[], $12::TEXT[], $13::TEXT[], $14::INT[], $15::INT[], $16::TEXT[], $17::INT[], $18::TEXT[],
                        $19::TIMESTAMPTZ[], $20::TIMESTAMPTZ[], $21::INT8[], $22::INT8[], $23::INT8[], $24::FLOAT8[], $25::INT[],
                        $26::BOOL[], $27::TEXT[], $28::TEXT[], $29::TEXT[], $30::INT[], $31::FLOAT8[], $32::FLOAT8[], $33::FLOAT8[],
                        $34::FLOAT8[], $35::TEXT[], $36::TEXT[], $37::INT[], $38::INT[], $39::INT[], $40::INT[], $41::INT[], $42::INT[])
                AS given(id, path, origin, version, name, kind, mime, format, size, sha256, status, error_reason, error_message,
                         width, height, taken_at, attempts, record, created_at, updated_at, search_created, search_updated,
                         search_taken, duration, orientation, animated, exif_make, exif_model, exif_lens, exif_iso, exif_f_number,
                         exif_focal_length, gps_lat, gps_lon, words, hidden, faces,
                         alert_adult, alert_violent, alert_medical, alert_racy, alert_spoof)
            ON CONFLICT (path) DO NOTHING
            """, binds: bindings))
        let inserted = Set(try run("SELECT id FROM asset WHERE id = ANY(\(rows.map(\.id))::TEXT[])").map { try $0.decode(String.self) })
        var keywordIDs: [String] = [], keywords: [String] = []
        var colorIDs: [String] = [], l: [Double] = [], a: [Double] = [], b: [Double] = [], weights: [Double] = []
        for (row, fields) in zip(rows, fields) where inserted.contains(row.id) {
            for keyword in fields.keywords {
                keywordIDs.append(row.id)
                keywords.append(keyword)
            }
            for color in fields.palette {
                colorIDs.append(row.id)
                l.append(color.l)
                a.append(color.a)
                b.append(color.b)
                weights.append(color.weight)
            }
        }
        _ = try run("""
            INSERT INTO asset_keyword (asset_id, keyword) SELECT * FROM unnest(\(keywordIDs)::TEXT[], \(keywords)::TEXT[])
            ON CONFLICT DO NOTHING
            """)
        try insertLabels(zip(rows, fields).filter { inserted.contains($0.0.id) }.map { ($0.0.id, $0.1) })
        _ = try run("""
            INSERT INTO asset_color (asset_id, l, a, b, weight)
            SELECT * FROM unnest(\(colorIDs)::TEXT[], \(l)::FLOAT8[], \(a)::FLOAT8[], \(b)::FLOAT8[], \(weights)::FLOAT8[])
            """)
    }
}
