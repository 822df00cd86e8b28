import AssetMedia
import AssetPipeline
import AssetQuery
import Foundation
import GRDB

/// Search on SQLite: the index a record's write keeps (columns on `asset`,
/// `asset_keyword`, `asset_color`, the FTS5 table `asset_text`), and the
/// compiler from a `Query` to one statement over it.
enum SQLiteSearch {
    // MARK: - The index

    /// Brings the search index of the asset at `path` up to `record`.
    static func index(_ record: AssetRecord, atPath path: String, in db: Database) throws {
        guard let row = try Row.fetchOne(db, sql: "SELECT rowid, id FROM asset WHERE path = ?", arguments: [path]) else { return }
        let rowid: Int64 = row["rowid"], id: String = row["id"]
        let fields = SearchFields(record)
        try db.execute(sql: """
            UPDATE asset SET search_created = COALESCE(search_created, ?), search_updated = ?, search_taken = ?, duration = ?,
                orientation = ?, animated = ?, exif_make = ?, exif_model = ?, exif_lens = ?, exif_iso = ?, exif_f_number = ?,
                exif_focal_length = ?, gps_lat = ?, gps_lon = ?
            WHERE rowid = ?
            """, arguments: [fields.createdMilliseconds, fields.updatedMilliseconds, fields.takenMilliseconds, fields.duration,
                             fields.orientation, fields.animated, fields.exifMake, fields.exifModel, fields.exifLens, fields.exifISO,
                             fields.exifFNumber, fields.exifFocalLength, fields.latitude, fields.longitude, rowid])
        try removeFromIndex(rowid: rowid, id: id, in: db)
        for keyword in fields.keywords {
            try db.execute(sql: "INSERT OR IGNORE INTO asset_keyword (asset_id, keyword) VALUES (?, ?)", arguments: [id, keyword])
        }
        for color in fields.palette {
            try db.execute(sql: "INSERT INTO asset_color (asset_id, l, a, b, weight) VALUES (?, ?, ?, ?, ?)",
                           arguments: [id, color.l, color.a, color.b, color.weight])
        }
        let columns = SearchFields.SearchColumn.allCases
        try db.execute(sql: "INSERT INTO asset_text (rowid, \(columns.map(\.rawValue).joined(separator: ", "))) VALUES (?\(String(repeating: ", ?", count: columns.count)))",
                       arguments: StatementArguments([rowid] + columns.map { fields.text[$0] ?? "" }))
    }

    /// Indexes the row at `path` from its stored record (a placeholder just begun).
    static func reindex(path: String, in db: Database) throws {
        guard let json = try String.fetchOne(db, sql: "SELECT record FROM asset WHERE path = ?", arguments: [path]) else { return }
        try index(try AssetRecord.makeDecoder().decode(AssetRecord.self, from: Data(json.utf8)), atPath: path, in: db)
    }

    /// Drops the asset's keyword, palette and text rows (before a delete, or a new index).
    static func removeFromIndex(id: String, in db: Database) throws {
        guard let rowid = try Int64.fetchOne(db, sql: "SELECT rowid FROM asset WHERE id = ?", arguments: [id]) else { return }
        try removeFromIndex(rowid: rowid, id: id, in: db)
    }

    private static func removeFromIndex(rowid: Int64, id: String, in db: Database) throws {
        try db.execute(sql: "DELETE FROM asset_keyword WHERE asset_id = ?", arguments: [id])
        try db.execute(sql: "DELETE FROM asset_color WHERE asset_id = ?", arguments: [id])
        try db.execute(sql: "DELETE FROM asset_text WHERE rowid = ?", arguments: [rowid])
    }

    /// The SQL functions the compiled queries call, on every connection.
    static func registerFunctions(_ db: Database) {
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
        var compiler = SQLiteQueryCompiler()
        let filter = compiler.condition(request.query)
        let sortValue = compiler.sortExpression(request.sort, request.query)
        var keyset = "1"
        if let after = request.after {
            let id = compiler.bind(after.id)
            let less = request.sort.descending ? "<" : ">"
            switch after.value {
            case .none:
                keyset = "(\(sortValue) IS NULL AND a.id \(less) \(id))"
            case .number(let number):
                let value = compiler.bind(number)
                keyset = "(\(sortValue) \(less) \(value) OR (\(sortValue) = \(value) AND a.id \(less) \(id)) OR \(sortValue) IS NULL)"
            case .string(let string):
                let value = compiler.bind(string)
                keyset = "(\(sortValue) \(less) \(value) OR (\(sortValue) = \(value) AND a.id \(less) \(id)) OR \(sortValue) IS NULL)"
            }
        }
        let direction = request.sort.descending ? "DESC" : "ASC"
        let rows = try Row.fetchAll(db, sql: """
            SELECT a.id, a.path, a.version, a.created_at, a.attempts, a.record, \(sortValue) AS sort_value
            FROM asset a WHERE \(filter) AND \(keyset)
            ORDER BY sort_value \(direction) NULLS LAST, a.id \(direction) LIMIT \(request.limit + 1)
            """, arguments: compiler.arguments)
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
            var counter = SQLiteQueryCompiler()
            let filter = counter.condition(request.query)
            count = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM asset a WHERE \(filter)", arguments: counter.arguments) ?? 0
        }
        var facets: [FacetField: [(value: String, count: Int)]] = [:]
        for facet in request.facets {
            facets[facet] = try facetCounts(facet, request.query, in: db)
        }
        return FindPage(items: items, nextCursor: next, count: count, facets: facets)
    }

    /// The most values a facet lists.
    static let facetValues = 100

    private static func facetCounts(_ facet: FacetField, _ query: Query, in db: Database) throws -> [(value: String, count: Int)] {
        var compiler = SQLiteQueryCompiler()
        let filter = compiler.condition(query)
        let sql: String
        if facet == .keywords {
            sql = """
                SELECT k.keyword AS value, COUNT(*) AS n FROM asset_keyword k JOIN asset a ON a.id = k.asset_id
                WHERE \(filter) GROUP BY k.keyword ORDER BY n DESC, value LIMIT \(facetValues)
                """
        } else {
            let column = SQLiteQueryCompiler.facetExpression(facet)
            sql = """
                SELECT \(column) AS value, COUNT(*) AS n FROM asset a
                WHERE \(filter) AND \(column) IS NOT NULL GROUP BY 1 ORDER BY n DESC, value LIMIT \(facetValues)
                """
        }
        return try Row.fetchAll(db, sql: sql, arguments: compiler.arguments).map { row in
            let value = row["value"] as DatabaseValue
            let text: String
            switch value.storage {
            case .int64(let number) where facet == .animated || facet == .edited: text = number != 0 ? "true" : "false"
            case .int64(let number): text = String(number)
            case .double(let number): text = String(number)
            case .string(let string): text = string
            default: text = ""
            }
            return (text, row["n"])
        }
    }
}

/// A `Query` as SQLite SQL over `asset a`: every term an expression that is
/// 0 or 1, never NULL, so NOT is the exact complement. Values are bound as
/// numbered parameters, collected in `arguments`.
struct SQLiteQueryCompiler {
    private var values: [DatabaseValue] = []
    var arguments: StatementArguments { StatementArguments(values) }

    mutating func bind(_ value: some DatabaseValueConvertible) -> String {
        values.append(value.databaseValue)
        return "?\(values.count)"
    }

    mutating func condition(_ query: Query) -> String {
        switch query {
        case .all: return "1"
        case .and(let parts): return "(" + parts.map { condition($0) }.joined(separator: " AND ") + ")"
        case .or(let parts): return "(" + parts.map { condition($0) }.joined(separator: " OR ") + ")"
        case .not(let inner): return "NOT " + condition(inner)
        case .term(let term): return condition(term)
        }
    }

    static func column(_ field: QueryField) -> String? {
        switch field {
        case .name: "a.name"
        case .path: "a.path"
        case .kind: "a.kind"
        case .format: "a.format"
        case .mime: "a.mime"
        case .status: "a.status"
        case .errorReason: "a.error_reason"
        case .width: "a.width"
        case .height: "a.height"
        case .size: "a.size"
        case .duration: "a.duration"
        case .orientation: "a.orientation"
        case .animated: "a.animated"
        case .version: "a.version"
        case .createdAt: "a.search_created"
        case .updatedAt: "a.search_updated"
        case .takenAt: "a.search_taken"
        case .exifMake: "a.exif_make"
        case .exifModel: "a.exif_model"
        case .exifLens: "a.exif_lens"
        case .exifISO: "a.exif_iso"
        case .exifFNumber: "a.exif_f_number"
        case .exifFocalLength: "a.exif_focal_length"
        case .gps: "a.gps_lat"
        case .text, .keywords, .color, .edited: nil
        }
    }

    static let editedExpression = "EXISTS (SELECT 1 FROM asset_event e WHERE e.asset_id = a.id AND e.action = 'edited')"

    /// The full-text columns a `HAS` on `field` searches.
    static func textColumns(_ field: QueryField) -> [SearchFields.SearchColumn] {
        switch field {
        case .name: [.name]
        case .path: [.path]
        case .keywords: [.keywords]
        case .exifMake: [.make]
        case .exifModel: [.model]
        case .exifLens: [.lens]
        default: SearchFields.SearchColumn.allCases
        }
    }

    /// An FTS5 query: every word, in the columns of `field`.
    static func match(_ words: [SearchWord], in field: QueryField) -> String {
        let columns = textColumns(field).map(\.rawValue).joined(separator: " ")
        let terms = words.map { "\"\($0.text)\"" + ($0.isPrefix ? " *" : "") }.joined(separator: " AND ")
        return "{\(columns)} : (\(terms))"
    }

    private mutating func value(_ value: QueryValue) -> String {
        switch value {
        case .string(let string): bind(string)
        case .number(let number): bind(number)
        case .boolean(let flag): bind(flag)
        }
    }

    private mutating func condition(_ term: QueryTerm) -> String {
        let field = term.field
        switch term.condition {
        case .has(let words):
            return "a.rowid IN (SELECT rowid FROM asset_text WHERE asset_text MATCH \(bind(Self.match(words, in: field))))"
        case .exists:
            switch field {
            case .keywords: return "EXISTS (SELECT 1 FROM asset_keyword k WHERE k.asset_id = a.id)"
            case .color: return "EXISTS (SELECT 1 FROM asset_color c WHERE c.asset_id = a.id)"
            default: return "\(Self.column(field) ?? "NULL") IS NOT NULL"
            }
        case .under(let folder):
            let prefix = folder == "/" ? "/" : folder + "/"
            let upper = String(prefix.dropLast()) + "0"
            return "(a.path = \(bind(folder)) OR (a.path >= \(bind(prefix)) AND a.path < \(bind(upper))))"
        case .near(let circle):
            let band = circle.radius / GeoCircle.earthRadius * 180 / .pi * 1.01
            return "(a.gps_lat IS NOT NULL AND a.gps_lat BETWEEN \(bind(circle.latitude - band)) AND \(bind(circle.latitude + band)) "
                + "AND ap_geo_distance(a.gps_lat, a.gps_lon, \(bind(circle.latitude)), \(bind(circle.longitude))) <= \(bind(circle.radius)))"
        case .color(let match):
            return "EXISTS (SELECT 1 FROM asset_color c WHERE c.asset_id = a.id AND \(colorCondition(match)))"
        case .compare(let op, let operand):
            if field == .keywords {
                let exists = "EXISTS (SELECT 1 FROM asset_keyword k WHERE k.asset_id = a.id AND k.keyword = \(value(operand)))"
                return op == .notEqual ? "NOT " + exists : exists
            }
            if field == .edited, case .boolean(let flag) = operand {
                return (flag == (op == .equal)) ? Self.editedExpression : "NOT " + Self.editedExpression
            }
            let column = Self.column(field) ?? "NULL"
            if op == .notEqual { return "(\(column) IS NULL OR \(column) != \(value(operand)))" }
            return "(\(column) IS NOT NULL AND \(column) \(op.rawValue) \(value(operand)))"
        case .oneOf(let operands, let negated):
            let list = operands.map { value($0) }.joined(separator: ", ")
            if field == .keywords {
                let exists = "EXISTS (SELECT 1 FROM asset_keyword k WHERE k.asset_id = a.id AND k.keyword IN (\(list)))"
                return negated ? "NOT " + exists : exists
            }
            let column = Self.column(field) ?? "NULL"
            return negated ? "(\(column) IS NULL OR \(column) NOT IN (\(list)))" : "(\(column) IS NOT NULL AND \(column) IN (\(list)))"
        }
    }

    /// A palette row `c` within the match's distance (and weight). The L
    /// band is a prefilter that never drops a match: CIEDE2000 is at least
    /// |ΔL| / SL, and SL is at most 1.75.
    private mutating func colorCondition(_ match: ColorMatch) -> String {
        let band = match.within * 1.75
        var condition = "c.l BETWEEN \(bind(match.lab.l - band)) AND \(bind(match.lab.l + band))"
        if let weight = match.minimumWeight { condition += " AND c.weight >= \(bind(weight))" }
        return condition + " AND \(distance(to: match)) <= \(bind(match.within))"
    }

    private mutating func distance(to match: ColorMatch) -> String {
        "ap_ciede2000(c.l, c.a, c.b, \(bind(match.lab.l)), \(bind(match.lab.a)), \(bind(match.lab.b)))"
    }

    /// The value a result is ordered by: a column, or for `relevance` the
    /// closest colour's distance or the bm25 of the first HAS (smaller is better).
    mutating func sortExpression(_ sort: QuerySort, _ query: Query) -> String {
        switch sort.key {
        case .createdAt: return "a.search_created"
        case .updatedAt: return "a.search_updated"
        case .size: return "a.size"
        case .name: return "a.name"
        case .takenAt: return "a.search_taken"
        case .width: return "a.width"
        case .height: return "a.height"
        case .duration: return "a.duration"
        case .relevance:
            for term in query.terms {
                if case .color(let match) = term.condition {
                    let weight = match.minimumWeight.map { " AND c.weight >= \(bind($0))" } ?? ""
                    return "(SELECT MIN(\(distance(to: match))) FROM asset_color c WHERE c.asset_id = a.id\(weight))"
                }
            }
            for term in query.terms {
                if case .has(let words) = term.condition {
                    return "(SELECT bm25(asset_text) FROM asset_text WHERE asset_text MATCH \(bind(Self.match(words, in: term.field))) "
                        + "AND asset_text.rowid = a.rowid)"
                }
            }
            return "a.search_created"
        }
    }

    static func facetExpression(_ facet: FacetField) -> String {
        switch facet {
        case .format: "a.format"
        case .kind: "a.kind"
        case .mime: "a.mime"
        case .status: "a.status"
        case .errorReason: "a.error_reason"
        case .exifMake: "a.exif_make"
        case .exifModel: "a.exif_model"
        case .exifLens: "a.exif_lens"
        case .orientation: "a.orientation"
        case .animated: "a.animated"
        case .edited: editedExpression
        case .keywords: "NULL"
        }
    }
}
