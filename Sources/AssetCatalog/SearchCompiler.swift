import AssetMedia
import AssetQuery
import Foundation

/// The two SQL dialects a query is compiled to. Where they differ (the
/// full-text search, booleans, string order, parameters), the compiler
/// writes both side by side; everything else is one text for both.
enum SearchDialect {
    /// FTS5 over folded words; `?N` parameters; booleans as 0 and 1.
    case sqlite
    /// A tsvector of `column_word` lexemes with GIN; `$N` parameters;
    /// strings ordered by bytes (`COLLATE "C"`), as SQLite does.
    case postgres
}

/// A bound value, turned into each driver's own bindings by the caller.
enum SearchValue: Sendable, Equatable {
    case text(String)
    case number(Double)
    case integer(Int64)
    case boolean(Bool)
}

/// A `Query` as SQL over `asset a`: every term an expression that is true
/// or false, never NULL, so NOT is the exact complement and an asset
/// without the field is handled once, here. Values are bound as numbered
/// parameters, collected in `values`.
struct SearchCompiler {
    let dialect: SearchDialect
    private(set) var values: [SearchValue] = []

    init(_ dialect: SearchDialect) {
        self.dialect = dialect
    }

    mutating func bind(_ value: SearchValue) -> String {
        values.append(value)
        return dialect == .sqlite ? "?\(values.count)" : "$\(values.count)"
    }

    mutating func bind(_ text: String) -> String { bind(.text(text)) }
    mutating func bind(_ number: Double) -> String {
        let placeholder = bind(.number(number))
        // PostgreSQL infers a parameter's type from its first use; say it.
        return dialect == .postgres ? placeholder + "::float8" : placeholder
    }

    /// The most values a facet lists.
    static let facetValues = 100

    /// A string column compared by bytes in both databases.
    func bytewise(_ column: String) -> String {
        dialect == .sqlite ? column : "\(column) COLLATE \"C\""
    }

    var alwaysTrue: String { dialect == .sqlite ? "1" : "TRUE" }

    mutating func condition(_ query: Query) -> String {
        switch query {
        case .all: return alwaysTrue
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
        case .hidden: "a.hidden"
        case .faces: "a.faces"
        case .alertAdult: "a.alert_adult"
        case .alertViolent: "a.alert_violent"
        case .alertMedical: "a.alert_medical"
        case .alertRacy: "a.alert_racy"
        case .alertSpoof: "a.alert_spoof"
        case .text, .keywords, .tags, .categories, .collection, .color, .edited: nil
        }
    }

    /// Where a many-valued field's values are, as rows `k`: keywords in
    /// `asset_keyword`, tags (those not removed) and categories in `asset_label`.
    struct Members {
        let table: String
        let value: String
        /// What else a row must be, after `k.asset_id = a.id`.
        let scope: String

        static func of(_ field: QueryField) -> Members? {
            switch field {
            case .keywords: Members(table: "asset_keyword", value: "keyword", scope: "")
            case .tags: Members(table: "asset_label", value: "name", scope: " AND k.kind = 'tags' AND NOT k.removed")
            case .categories: Members(table: "asset_label", value: "name", scope: " AND k.kind = 'categories'")
            case .collection: Members(table: "asset_label", value: "name", scope: " AND k.kind = 'collections'")
            default: nil
            }
        }

        /// Whether the asset has a value for which `test` holds (`= ?1`,
        /// `IN (...)`), or any value when there is no test. Written as
        /// membership of the set of assets that do, not as a correlated
        /// EXISTS, so that the planner may start from the value's index
        /// (a rare tag: its few assets, then sorted) as well as from the
        /// sort's (a common one: walked until the page is full).
        func exist(_ test: String? = nil) -> String {
            "a.id IN (SELECT k.asset_id FROM \(table) k WHERE TRUE\(scope)" + (test.map { " AND k.\(value) \($0)" } ?? "") + ")"
        }
    }

    static let editedExpression = "EXISTS (SELECT 1 FROM asset_event e WHERE e.asset_id = a.id AND e.action = 'edited')"

    /// The full-text columns a `HAS` on `field` searches.
    static func textColumns(_ field: QueryField) -> [SearchFields.SearchColumn] {
        switch field {
        case .name: [.name]
        case .path: [.path]
        case .keywords: [.keywords]
        case .tags: [.tags]
        case .categories: [.categories]
        case .exifMake: [.make]
        case .exifModel: [.model]
        case .exifLens: [.lens]
        default: SearchFields.SearchColumn.allCases
        }
    }

    /// The full-text query for every word in the columns of `field`: FTS5's
    /// MATCH syntax, or a tsquery over `column_word` lexemes. Words are
    /// folded letters and digits only, so quoting them is safe.
    func textQuery(_ words: [SearchWord], in field: QueryField) -> String {
        let columns = Self.textColumns(field)
        switch dialect {
        case .sqlite:
            let terms = words.map { "\"\($0.text)\"" + ($0.isPrefix ? " *" : "") }.joined(separator: " AND ")
            return "{\(columns.map(\.rawValue).joined(separator: " "))} : (\(terms))"
        case .postgres:
            return words.map { word in
                "(" + columns.map { "'\(SearchFields.lexeme($0, word.text))'" + (word.isPrefix ? ":*" : "") }.joined(separator: " | ") + ")"
            }.joined(separator: " & ")
        }
    }

    private mutating func textMatch(_ words: [SearchWord], in field: QueryField) -> String {
        let query = bind(textQuery(words, in: field))
        switch dialect {
        case .sqlite: return "a.rowid IN (SELECT rowid FROM asset_text WHERE asset_text MATCH \(query))"
        case .postgres: return "a.search_words @@ \(query)::tsquery"
        }
    }

    /// Columns of whole numbers (instants in milliseconds among them).
    static let integerFields: Set<QueryField> = [.width, .height, .size, .orientation, .version, .exifISO, .createdAt, .updatedAt, .takenAt]

    private mutating func value(_ value: QueryValue, for field: QueryField) -> String {
        switch value {
        case .string(let string): return bind(string)
        case .number(let number):
            // A float8 parameter would make PostgreSQL cast the integer
            // column, and its index could not serve the range.
            if dialect == .postgres, Self.integerFields.contains(field), number == number.rounded(),
               let whole = Int64(exactly: number) {
                return bind(.integer(whole)) + "::int8"
            }
            return bind(number)
        case .boolean(let flag): return bind(.boolean(flag))
        }
    }

    private mutating func condition(_ term: QueryTerm) -> String {
        if let custom = term.custom { return customCondition(custom, term.condition) }
        let field = term.field
        switch term.condition {
        case .has(let words):
            return textMatch(words, in: field)
        case .exists:
            if let members = Members.of(field) { return members.exist() }
            switch field {
            case .color: return "EXISTS (SELECT 1 FROM asset_color c WHERE c.asset_id = a.id)"
            default: return "\(Self.column(field) ?? "NULL") IS NOT NULL"
            }
        case .under(let folder):
            // The folder itself, or a path in the byte range of "folder/": '0' follows '/'.
            let prefix = folder == "/" ? "/" : folder + "/"
            let upper = String(prefix.dropLast()) + "0"
            let path = bytewise("a.path")
            return "(a.path = \(bind(folder)) OR (\(path) >= \(bind(prefix)) AND \(path) < \(bind(upper))))"
        case .near(let circle):
            // Bands of latitude and longitude first (one index range), then the distance.
            let band = circle.radius / GeoCircle.earthRadius * 180 / .pi * 1.01
            var prefilter = "a.gps_lat BETWEEN \(bind(circle.latitude - band)) AND \(bind(circle.latitude + band))"
            if let span = circle.longitudeSpan {
                let west = circle.longitude - span * 1.01, east = circle.longitude + span * 1.01
                if west >= -180, east <= 180 {
                    prefilter += " AND a.gps_lon BETWEEN \(bind(west)) AND \(bind(east))"
                } else {
                    // Across the antimeridian: the two ends of the band.
                    prefilter += " AND (a.gps_lon >= \(bind(west < -180 ? west + 360 : west)) OR a.gps_lon <= \(bind(east > 180 ? east - 360 : east)))"
                }
            }
            return "(a.gps_lat IS NOT NULL AND \(prefilter) "
                + "AND ap_geo_distance(a.gps_lat, a.gps_lon, \(bind(circle.latitude)), \(bind(circle.longitude))) <= \(bind(circle.radius)))"
        case .color(let match):
            if let joined = colorJoin, joined.match == match { return "m.asset_id IS NOT NULL" }
            // Per asset, in the order of the sort's index: its few palette
            // rows, the box checked before any distance is computed.
            let box = match.neighbourhood
            return "EXISTS (SELECT 1 FROM asset_color c WHERE c.asset_id = a.id AND \(colorCondition(match, box: box)))"
        case .compare(let op, let operand):
            if let members = Members.of(field) {
                let exists = members.exist("= \(value(operand, for: field))")
                return op == .notEqual ? "NOT " + exists : exists
            }
            if field == .edited, case .boolean(let flag) = operand {
                return (flag == (op == .equal)) ? Self.editedExpression : "NOT " + Self.editedExpression
            }
            let column = Self.column(field) ?? "NULL"
            if op == .notEqual { return "(\(column) IS NULL OR \(column) <> \(value(operand, for: field)))" }
            return "(\(column) IS NOT NULL AND \(column) \(op.rawValue) \(value(operand, for: field)))"
        case .oneOf(let operands, let negated):
            let list = operands.map { value($0, for: field) }.joined(separator: ", ")
            if let members = Members.of(field) {
                let exists = members.exist("IN (\(list))")
                return negated ? "NOT " + exists : exists
            }
            let column = Self.column(field) ?? "NULL"
            return negated ? "(\(column) IS NULL OR \(column) NOT IN (\(list)))" : "(\(column) IS NOT NULL AND \(column) IN (\(list)))"
        }
    }

    /// A `custom.KEY` term over the asset's `asset_custom` rows: texts
    /// (text, textarea, selects) in `text_value`, numbers, dates (as
    /// milliseconds) and booleans (0, 1) in `number_value`. As for a
    /// keyword, a term holds when one of the asset's values satisfies it;
    /// `!=` and `NOT IN` when none does.
    private mutating func customCondition(_ custom: CustomFieldReference, _ condition: QueryCondition) -> String {
        let column: String
        switch custom.type {
        case .text, .textarea, .singleSelect, .multiSelect: column = "c.text_value"
        case .number, .date, .boolean: column = "c.number_value"
        }
        let key = bind(custom.key)
        // A correlated EXISTS: measured at 100,000 assets, faster here than
        // membership of the set (custom values are common: a rating is on
        // half the assets, and walking the sort's index meets them soon).
        func exists(_ test: String?) -> String {
            "EXISTS (SELECT 1 FROM asset_custom c WHERE c.asset_id = a.id AND c.key = \(key)" + (test.map { " AND \(column) \($0)" } ?? "") + ")"
        }
        func operand(_ value: QueryValue) -> String {
            switch value {
            case .string(let text): bind(text)
            case .number(let number): bind(number)
            case .boolean(let flag): bind(flag ? 1.0 : 0.0)
            }
        }
        switch condition {
        case .exists: return exists(nil)
        case .compare(let op, let value):
            if op == .notEqual { return "NOT " + exists("= \(operand(value))") }
            return exists("\(op.rawValue) \(operand(value))")
        case .oneOf(let values, let negated):
            let test = exists("IN (\(values.map(operand).joined(separator: ", ")))")
            return negated ? "NOT " + test : test
        case .has, .under, .near, .color:
            // The parser gives custom fields none of these.
            return dialect == .sqlite ? "0" : "FALSE"
        }
    }

    /// Set by a `relevance` sort on a colour term of the top level: the
    /// matching assets with their closest distance, joined as `m`, read
    /// from the index once; the term itself is then `m` being there.
    private(set) var colorJoin: (match: ColorMatch, sql: String)?

    /// What `FROM asset a` is followed by.
    var joins: String { colorJoin.map { "LEFT JOIN (\($0.sql)) m ON m.asset_id = a.id" } ?? "" }

    /// The ids of the assets with a palette colour that matches, with the
    /// distance of the closest (`asset_id`, `distance`): inside
    /// the colour's neighbourhood box (`LabColor.ciede2000Bounds`), which
    /// the index reads (SQLite's R*Tree, PostgreSQL's GiST over `cube`),
    /// then within the distance.
    private mutating func matchingAssets(_ match: ColorMatch) -> String {
        let box = match.neighbourhood
        let weight = match.minimumWeight ?? -LabBox.open
        switch dialect {
        case .sqlite:
            // The R*Tree holds 32-bit floats rounded outwards: it is asked
            // for overlap, and the exact box is checked on the row.
            let lower = [box.lower.l, box.lower.a, box.lower.b].map { bind($0) }
            let upper = [box.upper.l, box.upper.a, box.upper.b].map { bind($0) }
            let minimumWeight = bind(weight)
            return "SELECT c.asset_id, MIN(\(distance(to: match))) AS distance FROM asset_color_box x JOIN asset_color c ON c.rowid = x.id "
                + "WHERE x.l1 >= \(lower[0]) AND x.l0 <= \(upper[0]) AND x.a1 >= \(lower[1]) AND x.a0 <= \(upper[1]) "
                + "AND x.b1 >= \(lower[2]) AND x.b0 <= \(upper[2]) AND x.w1 >= \(minimumWeight) "
                + "AND \(colorCondition(match, box: box)) GROUP BY c.asset_id"
        case .postgres:
            let lower = bind(.text(Self.arrayLiteral([box.lower.l, box.lower.a, box.lower.b, weight])))
            let upper = bind(.text(Self.arrayLiteral([box.upper.l, box.upper.a, box.upper.b, LabBox.open])))
            return "SELECT c.asset_id, MIN(\(distance(to: match))) AS distance FROM asset_color c "
                + "WHERE ap_lab_inside(ap_lab_point(c.l, c.a, c.b, c.weight), \(lower)::FLOAT8[], \(upper)::FLOAT8[]) "
                + "AND \(colorCondition(match, box: box)) GROUP BY c.asset_id"
        }
    }

    /// A palette row `c` that matches: in the box, of the weight, within the distance.
    private mutating func colorCondition(_ match: ColorMatch, box: LabBox) -> String {
        var condition = "c.l BETWEEN \(bind(box.lower.l)) AND \(bind(box.upper.l)) AND c.a BETWEEN \(bind(box.lower.a)) AND \(bind(box.upper.a)) "
            + "AND c.b BETWEEN \(bind(box.lower.b)) AND \(bind(box.upper.b))"
        if let weight = match.minimumWeight { condition += " AND c.weight >= \(bind(weight))" }
        return condition + " AND \(distance(to: match)) <= \(bind(match.within))"
    }

    private mutating func distance(to match: ColorMatch) -> String {
        "ap_ciede2000(c.l, c.a, c.b, \(bind(match.lab.l)), \(bind(match.lab.a)), \(bind(match.lab.b)))"
    }

    /// `{1.5,-2,...}`: a float8[] as text, so that one parameter carries it.
    static func arrayLiteral(_ values: [Double]) -> String {
        "{" + values.map { String($0) }.joined(separator: ",") + "}"
    }

    /// The value a result is ordered by: a column, or for `relevance` the
    /// distance of the closest matching colour or the text rank of the
    /// first HAS (smaller is better in both; none, for an asset matched by
    /// another part of the query, sorts last).
    mutating func sortExpression(_ sort: QuerySort, _ query: Query) -> String {
        switch sort.key {
        case .createdAt: return "a.search_created"
        case .updatedAt: return "a.search_updated"
        case .size: return "a.size"
        case .name: return bytewise("a.name")
        case .takenAt: return "a.search_taken"
        case .width: return "a.width"
        case .height: return "a.height"
        case .duration: return "a.duration"
        case .relevance:
            let topLevel: [QueryTerm]
            switch query {
            case .term(let term): topLevel = [term]
            case .and(let parts): topLevel = parts.compactMap { if case .term(let term) = $0 { term } else { nil } }
            default: topLevel = []
            }
            if let match = topLevel.lazy.compactMap({ term -> ColorMatch? in
                if case .color(let match) = term.condition { match } else { nil }
            }).first, query.terms.first(where: { if case .color = $0.condition { true } else { false } })?.condition == .color(match) {
                colorJoin = (match, matchingAssets(match))
                return "m.distance"
            }
            for term in query.terms {
                if case .color(let match) = term.condition {
                    let box = match.neighbourhood
                    return "(SELECT MIN(\(distance(to: match))) FROM asset_color c WHERE c.asset_id = a.id AND \(colorCondition(match, box: box)))"
                }
            }
            for term in query.terms {
                if case .has(let words) = term.condition {
                    let text = bind(textQuery(words, in: term.field))
                    switch dialect {
                    case .sqlite:
                        return "(SELECT bm25(asset_text) FROM asset_text WHERE asset_text MATCH \(text) AND asset_text.rowid = a.rowid)"
                    case .postgres:
                        return "(CASE WHEN a.search_words @@ \(text)::tsquery THEN -ts_rank(a.search_words, \(text)::tsquery) END)"
                    }
                }
            }
            return "a.search_created"
        }
    }

    /// The parts of the catalog after a cursor, in `sort`'s order (nulls
    /// last), each one index range: assets whose sort value comes after the
    /// cursor's (a row-value comparison an index serves), then those
    /// without one. A page reads the next part only when it is not full.
    enum Segment {
        case all
        /// Every asset that has a sort value: the first page of a sort
        /// whose index cannot give nulls last by itself (SQLite ascending).
        case withValue
        case beyond(QueryCursor.SortValue, id: String)
        case withoutValue(afterID: String?)

        /// The segments after `cursor`; with `nullsApart`, a first page too
        /// reads the assets with a sort value before those without.
        static func after(_ cursor: QueryCursor?, nullsApart: Bool = false) -> [Segment] {
            guard let cursor else { return nullsApart ? [.withValue, .withoutValue(afterID: nil)] : [.all] }
            if case .none = cursor.value { return [.withoutValue(afterID: cursor.id)] }
            return [.beyond(cursor.value, id: cursor.id), .withoutValue(afterID: nil)]
        }
    }

    static let integerSortKeys: Set<SortKey> = [.createdAt, .updatedAt, .takenAt, .size, .width, .height]

    /// `WHERE` for one segment of the page.
    mutating func keyset(_ segment: Segment, _ sortValue: String, _ sort: QuerySort) -> String {
        let beyond = sort.descending ? "<" : ">"
        let idColumn = bytewise("a.id")
        switch segment {
        case .all:
            return alwaysTrue
        case .withValue:
            return "\(sortValue) IS NOT NULL"
        case .withoutValue(let id):
            return "\(sortValue) IS NULL" + (id.map { " AND \(idColumn) \(beyond) \(bind($0))" } ?? "")
        case .beyond(let cursorValue, let id):
            let value: String
            switch cursorValue {
            case .number(let number):
                // As in a term: an integer column compared with a float8
                // would be cast, and its index could not serve the range.
                if dialect == .postgres, Self.integerSortKeys.contains(sort.key), let whole = Int64(exactly: number) {
                    value = bind(.integer(whole)) + "::int8"
                } else {
                    value = bind(number)
                }
            case .string(let string): value = bind(string)
            case .none: value = "NULL"
            }
            return "(\(sortValue), \(idColumn)) \(beyond) (\(value), \(bind(id)))"
        }
    }

    func orderBy(_ sortValue: String, _ sort: QuerySort) -> String {
        let direction = sort.descending ? "DESC" : "ASC"
        return "ORDER BY \(sortValue) \(direction) NULLS LAST, \(bytewise("a.id")) \(direction)"
    }

    /// The order within one segment, which holds either no null sort value
    /// or nothing but them: plain enough for an index to give it.
    func orderBy(_ sortValue: String, _ sort: QuerySort, within segment: Segment) -> String {
        let direction = sort.descending ? "DESC" : "ASC"
        switch segment {
        case .all: return orderBy(sortValue, sort)
        case .withoutValue: return "ORDER BY \(bytewise("a.id")) \(direction)"
        case .withValue, .beyond: return "ORDER BY \(sortValue) \(direction), \(bytewise("a.id")) \(direction)"
        }
    }

    /// The number of assets that match `filter`: for the whole catalog,
    /// the sum of the status counts the write triggers keep.
    func countSQL(filter: String) -> String {
        let whole = "::BIGINT"
        return filter == alwaysTrue
            ? "SELECT COALESCE(SUM(n), 0)\(dialect == .sqlite ? "" : whole) AS n FROM asset_facet WHERE facet = 'status'"
            : "SELECT COUNT(*)\(dialect == .sqlite ? "" : whole) AS n FROM asset a WHERE \(filter)"
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
        case .keywords, .tags, .categories, .collections: "NULL"
        }
    }

    /// Counts per value of `facet` over the matches of `filter`, most first,
    /// then by value (bytes for strings).
    func facetSQL(_ facet: FacetField, filter: String, limit: Int) -> String {
        if filter == alwaysTrue, facet != .edited {
            // The whole catalog: the counts the write triggers keep.
            let order = facet == .orientation ? "CAST(value AS INTEGER)" : bytewise("value")
            return """
                SELECT value, n FROM asset_facet WHERE facet = '\(facet.rawValue)' AND n > 0
                ORDER BY n DESC, \(order) LIMIT \(limit)
                """
        }
        if let field = facet == .collections ? .collection : QueryField(rawValue: facet.rawValue), let members = Members.of(field) {
            return """
                SELECT k.\(members.value) AS value, COUNT(*) AS n FROM \(members.table) k JOIN asset a ON a.id = k.asset_id\(members.scope)
                WHERE \(filter) GROUP BY k.\(members.value) ORDER BY n DESC, \(bytewise("k.\(members.value)")) LIMIT \(limit)
                """
        }
        let expression = Self.facetExpression(facet)
        let order = [.animated, .edited, .orientation].contains(facet) ? expression : bytewise(expression)
        return """
            SELECT \(expression) AS value, COUNT(*) AS n FROM asset a
            WHERE \(filter) AND \(expression) IS NOT NULL GROUP BY 1 ORDER BY n DESC, \(order) LIMIT \(limit)
            """
    }
}
