import Foundation

/// One page of a search: the query, its order, where the page starts, and
/// what to count. What `find`, `GET /v1/assets` and `POST /v1/assets/search`
/// all make from their input.
public struct FindRequest: Sendable, Equatable {
    public var query: Query
    public var sort: QuerySort
    public var limit: Int
    /// Where the previous page ended; nil for the first page.
    public var after: QueryCursor?
    /// Whether to count every match (exactly).
    public var count: Bool
    public var facets: [FacetField]
    /// Identifies the query text and sort a cursor was made for.
    public var fingerprint: String

    public static let defaultLimit = 50
    public static let maximumLimit = 1000

    /// From the parts as the doors receive them, each checked: `q` parsed,
    /// `sort` known (and `relevance` only with HAS or color), `limit` 1…1000,
    /// `cursor` one this query and sort made, `facets` known fields;
    /// `custom.KEY` terms name one of `customFields`, `collection` one of
    /// `collections` (the catalog's definitions; `QueryParser.parse`).
    public init(q: String?, sort: String? = nil, limit: Int? = nil, cursor: String? = nil, count: Bool = false,
                facets: [String] = [], now: Date = Date(), customFields: [String: CustomFieldShape] = [:],
                collections: [String: String?] = [:]) throws(QueryError) {
        let text = q ?? ""
        query = try QueryParser.parse(text, now: now, customFields: customFields, collections: collections)
        self.sort = try sort.map { (name: String) throws(QueryError) in try QuerySort(parsing: name) } ?? .default
        if self.sort.key == .relevance, !query.terms.contains(where: { $0.condition.ranks }) {
            throw QueryError("sort relevance needs a HAS or color NEAR term to rank by", position: 0, param: "sort")
        }
        let limit = limit ?? Self.defaultLimit
        guard (1...Self.maximumLimit).contains(limit) else {
            throw QueryError("limit is 1 to \(Self.maximumLimit)", position: 0, param: "limit")
        }
        self.limit = limit
        self.count = count
        var fields: [FacetField] = []
        for name in facets.flatMap({ $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }) where !name.isEmpty {
            guard let field = FacetField(rawValue: name) else {
                throw QueryError("no facet '\(name)'; facets: \(FacetField.allCases.map(\.rawValue).joined(separator: ", "))",
                                 position: 0, param: "facets")
            }
            if !fields.contains(field) { fields.append(field) }
        }
        self.facets = fields
        fingerprint = Self.fingerprint(of: text, sort: self.sort)
        after = try cursor.map { (token: String) throws(QueryError) in try QueryCursor(token: token, fingerprint: fingerprint) }
    }

    /// The same request for the page after the one that returned `token`.
    public func continued(after token: String) throws(QueryError) -> FindRequest {
        var next = self
        next.after = try QueryCursor(token: token, fingerprint: fingerprint)
        return next
    }

    /// This request asking only for its count: one item, no facets.
    public static func counting(_ request: FindRequest) -> FindRequest {
        var counting = request
        counting.limit = 1
        counting.count = true
        counting.facets = []
        return counting
    }

    /// FNV-1a over the query text and sort: a cursor from another query is refused, not misread.
    static func fingerprint(of text: String, sort: QuerySort) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in (text + "\u{0}" + sort.description).utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return String(hash, radix: 36)
    }
}

extension QueryCondition {
    /// Whether this condition gives a rank for `sort=relevance`.
    public var ranks: Bool {
        switch self {
        case .has, .color: true
        default: false
        }
    }
}

/// Where a page ended: the last asset's sort value and id. Opaque to
/// clients (base64url of JSON); valid for the query and sort that made it.
public struct QueryCursor: Sendable, Equatable {
    /// The sort value of the last asset: a number, a string, or nil when it had none.
    public enum SortValue: Sendable, Equatable, Codable {
        case number(Double)
        case string(String)
        case none
    }

    public var value: SortValue
    public var id: String
    var fingerprint: String

    public init(value: SortValue, id: String, fingerprint: String) {
        self.value = value
        self.id = id
        self.fingerprint = fingerprint
    }

    private struct Wire: Codable {
        var f: String
        var i: String
        var n: Double?
        var s: String?
    }

    public var token: String {
        var wire = Wire(f: fingerprint, i: id)
        switch value {
        case .number(let number): wire.n = number
        case .string(let string): wire.s = string
        case .none: break
        }
        let data = (try? JSONEncoder().encode(wire)) ?? Data()
        return data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    init(token: String, fingerprint: String) throws(QueryError) {
        let invalid = QueryError("this cursor is not one a page of this query and sort returned; start again without it",
                                 position: 0, param: "cursor")
        guard token.utf8.count <= 4096 else { throw invalid }
        var base64 = token.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.utf8.count % 4 != 0 { base64 += "=" }
        guard let data = Data(base64Encoded: base64), let wire = try? JSONDecoder().decode(Wire.self, from: data),
              wire.f == fingerprint, !(wire.n.map { !$0.isFinite } ?? false) else { throw invalid }
        self.fingerprint = wire.f
        id = wire.i
        value = wire.n.map(SortValue.number) ?? wire.s.map(SortValue.string) ?? .none
    }
}

/// One page of results, with what was asked to be counted.
public struct FindPage<Item: Sendable>: Sendable {
    public var items: [Item]
    /// Where the next page starts; nil on the last page.
    public var nextCursor: String?
    /// Every match, when asked for.
    public var count: Int?
    /// For each facet asked for: each value and how many matches have it, most first.
    public var facets: [FacetField: [(value: String, count: Int)]]

    public init(items: [Item], nextCursor: String?, count: Int?, facets: [FacetField: [(value: String, count: Int)]]) {
        self.items = items
        self.nextCursor = nextCursor
        self.count = count
        self.facets = facets
    }
}
