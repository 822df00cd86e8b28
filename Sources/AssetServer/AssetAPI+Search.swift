import AssetCatalog
import AssetPipeline
import AssetQuery
import Foundation
import Hummingbird

/// `GET /v1/assets?q=&sort=&limit=&cursor=&count=&facets=` and `POST
/// /v1/assets/search` (the same as a JSON body): one page of matches, its
/// next cursor, and the count and facets when asked for.
extension AssetAPI {
    struct SearchBody: Decodable {
        var q: String?
        var sort: String?
        var limit: Int?
        var cursor: String?
        var count: Bool?
        var facets: Facets?

        /// `["format", "kind"]` or `"format,kind"`.
        struct Facets: Decodable {
            var names: [String]

            init(from decoder: any Decoder) throws {
                let container = try decoder.singleValueContainer()
                if let list = try? container.decode([String].self) {
                    names = list
                } else {
                    names = [try container.decode(String.self)]
                }
            }
        }

        func findRequest(_ definitions: QueryDefinitions) throws(APIError) -> FindRequest {
            try AssetAPI.findRequest(q: q, sort: sort, limit: limit, cursor: cursor, count: count ?? false, facets: facets?.names ?? [],
                                     definitions: definitions)
        }
    }

    static func findRequest(fromQueryOf request: Request, definitions: QueryDefinitions) throws(APIError) -> FindRequest {
        let parameters = request.uri.queryParameters
        func text(_ name: String) -> String? { parameters.get(name) }
        var limit: Int?
        if let given = text("limit") {
            guard let number = Int(given) else {
                throw APIError(.badRequest, "invalid_value", "limit is a whole number, 1 to \(FindRequest.maximumLimit)", param: "limit")
            }
            limit = number
        }
        var count = false
        if let given = text("count") {
            switch given.lowercased() {
            case "true", "1", "": count = true
            case "false", "0": count = false
            default: throw APIError(.badRequest, "invalid_value", "count is true or false", param: "count")
            }
        }
        return try findRequest(q: text("q"), sort: text("sort"), limit: limit, cursor: text("cursor"), count: count,
                               facets: parameters.getAll("facets").map { String($0) }, definitions: definitions)
    }

    static func findRequest(q: String?, sort: String?, limit: Int?, cursor: String?, count: Bool, facets: [String],
                            definitions: QueryDefinitions) throws(APIError) -> FindRequest {
        if let q, q.utf8.contains(0) {
            throw APIError(.badRequest, "bad_query", "a query holds no NUL character", param: "q")
        }
        do {
            return try FindRequest(q: q, sort: sort, limit: limit, cursor: cursor, count: count, facets: facets,
                                   customFields: definitions.customFields, collections: definitions.collections)
        } catch {
            var failure = APIError(.badRequest, error.param == "q" ? "bad_query" : "invalid_value", error.message, param: error.param)
            if error.param == "q" { failure.position = error.position }
            throw failure
        }
    }

    /// The page as `{"assets": [...], "next_cursor": ..., "count": ..., "facets": {...}}`.
    struct SearchResponse: Encodable {
        var assets: [AssetRecord]
        var nextCursor: String?
        var count: Int?
        var facets: [String: [FacetCount]]?

        struct FacetCount: Encodable {
            var value: String
            var count: Int
        }

        enum CodingKeys: String, CodingKey {
            case assets, count, facets
            case nextCursor = "next_cursor"
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(assets, forKey: .assets)
            // Always there, null on the last page: a client loops until it is.
            try container.encode(nextCursor, forKey: .nextCursor)
            try container.encodeIfPresent(count, forKey: .count)
            try container.encodeIfPresent(facets, forKey: .facets)
        }
    }

    /// What a query may name that the catalog defines: custom fields and
    /// collections (read only when the query names one of them).
    struct QueryDefinitions: Sendable {
        var customFields: [String: CustomFieldShape] = [:]
        var collections: [String: String?] = [:]
    }

    func definitions(for q: String?) async throws -> QueryDefinitions {
        guard let q else { return QueryDefinitions() }
        let lower = q.lowercased()
        let catalog = self.catalog
        var definitions = QueryDefinitions()
        if lower.contains(QueryParser.customPrefix) { definitions.customFields = try await catalogRead { try catalog.customFieldShapes() } }
        if lower.contains(QueryField.collection.rawValue) { definitions.collections = try await catalogRead { try catalog.collectionQueries() } }
        return definitions
    }

    func search(_ request: FindRequest) async throws -> Response {
        let catalog = self.catalog
        let page: FindPage<AssetRecord>
        do {
            page = try await blocking { try catalog.find(request) }
        } catch let error as CatalogError {
            logger.error("search failed", metadata: ["error": "\(error)"])
            throw APIError(.serviceUnavailable, "catalog_unavailable", "the catalog could not be searched: \(error.reason)")
        }
        var facets: [String: [SearchResponse.FacetCount]]?
        if !request.facets.isEmpty {
            facets = Dictionary(uniqueKeysWithValues: page.facets.map { facet, values in
                (facet.rawValue, values.map { SearchResponse.FacetCount(value: $0.value, count: $0.count) })
            })
        }
        let response = SearchResponse(assets: page.items, nextCursor: page.nextCursor, count: page.count, facets: facets)
        return JSONResponse.make(response, encoder: AssetRecord.makeEncoder())
    }
}
