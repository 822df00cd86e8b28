import AssetCatalog
import AssetPipeline
import AssetQuery
import Foundation
import Hummingbird

/// Collections over HTTP: `GET /v1/collections`, `POST /v1/collections`
/// (`{"name", "query"}`), `GET /v1/collections/{name}` (the collection and
/// a page of its assets), `PATCH /v1/collections/{name}` (`{"add": [...],
/// "remove": [...]}` for a static one), `DELETE /v1/collections/{name}`.
extension AssetAPI {
    struct CollectionBody: Decodable {
        var name: String
        var query: String?
    }

    struct MembersBody: Decodable {
        var add: [String]?
        var remove: [String]?
    }

    struct CollectionResponse: Encodable {
        var name: String
        var query: String?
        var count: Int
    }

    struct CollectionPage: Encodable {
        var name: String
        var query: String?
        var count: Int?
        var assets: [AssetRecord]
        var nextCursor: String?

        enum CodingKeys: String, CodingKey {
            case name, query, count, assets
            case nextCursor = "next_cursor"
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(name, forKey: .name)
            try container.encodeIfPresent(query, forKey: .query)
            try container.encodeIfPresent(count, forKey: .count)
            try container.encode(assets, forKey: .assets)
            try container.encode(nextCursor, forKey: .nextCursor)
        }
    }

    struct CollectionList: Encodable {
        var collections: [CollectionResponse]
    }

    func addCollectionRoutes(to router: Router<BasicRequestContext>) {
        router.get("/v1/collections") { request, _ in
            await answer {
                try access.authorizeRead(request)
                let catalog = self.catalog
                let list = try await catalogRead { try catalog.collections() }
                return JSONResponse.make(CollectionList(collections: list.map { CollectionResponse(name: $0.name, query: $0.query, count: $0.count) }))
            }
        }
        router.post("/v1/collections") { request, _ in
            await answer {
                try access.authorizeWrite(request)
                let body = try await decodeBody(request, as: CollectionBody.self, shape: #"{"name": "Best of 2024", "query": "... (a smart collection)"}"#)
                if let query = body.query, query.utf8.contains(0) || query.utf8.count > 10_000 {
                    throw APIError(.badRequest, "invalid_value", "a query is at most 10,000 bytes, without NUL", param: "query")
                }
                let catalog = self.catalog
                try await catalogWrite { try catalog.createCollection(body.name, query: body.query) }
                let made = try await catalogRead { try catalog.collections() }.first { $0.name == body.name.trimmingCharacters(in: .whitespacesAndNewlines) }
                return JSONResponse.make(CollectionResponse(name: made?.name ?? body.name, query: body.query, count: made?.count ?? 0), status: .created)
            }
        }
        router.get("/v1/collections/:name") { request, context in
            await answer {
                try access.authorizeRead(request)
                let name = try Self.decodedParameter(context, "name")
                let catalog = self.catalog
                guard let saved = try await catalogRead({ try catalog.collectionQueries() })[name] else {
                    throw APIError.notFound("there is no collection \(name)")
                }
                let parameters = request.uri.queryParameters
                var limit: Int?
                if let given = parameters.get("limit") {
                    guard let number = Int(given), (1...FindRequest.maximumLimit).contains(number) else {
                        throw APIError(.badRequest, "invalid_value", "limit is a whole number, 1 to \(FindRequest.maximumLimit)", param: "limit")
                    }
                    limit = number
                }
                let cursor = parameters.get("cursor").map { String($0) }
                let findRequest: FindRequest
                do {
                    findRequest = try catalog.request(forCollection: name, limit: limit ?? FindRequest.defaultLimit, cursor: cursor)
                } catch let error as QueryError {
                    throw APIError(.badRequest, "invalid_value", error.message, param: error.param == "q" ? "query" : error.param)
                }
                var counting = findRequest
                counting.count = cursor == nil
                let counted = counting
                let page = try await catalogRead { try catalog.find(counted) }
                return JSONResponse.make(CollectionPage(name: name, query: saved, count: page.count, assets: page.items, nextCursor: page.nextCursor),
                                         encoder: AssetRecord.makeEncoder())
            }
        }
        router.patch("/v1/collections/:name") { request, context in
            await answer {
                try access.authorizeWrite(request)
                let name = try Self.decodedParameter(context, "name")
                let body = try await decodeBody(request, as: MembersBody.self, shape: #"{"add": ["asset id or path", ...], "remove": [...]}"#)
                let add = body.add ?? [], remove = body.remove ?? []
                guard !(add.isEmpty && remove.isEmpty), add.count + remove.count <= Self.maximumAnnotatedIDs else {
                    throw APIError(.badRequest, "invalid_value", "name 1 to \(Self.maximumAnnotatedIDs) assets in `add` and `remove`", param: "add")
                }
                let catalog = self.catalog
                if !add.isEmpty { _ = try await catalogWrite { try catalog.changeMembers(of: name, add, source: Self.changeSource) } }
                if !remove.isEmpty {
                    _ = try await catalogWrite { try catalog.changeMembers(of: name, remove, removing: true, source: Self.changeSource) }
                }
                let now = try await catalogRead { try catalog.collections() }.first { $0.name == name }
                return JSONResponse.make(CollectionResponse(name: name, query: now?.query, count: now?.count ?? 0))
            }
        }
        router.delete("/v1/collections/:name") { request, context in
            await answer {
                try access.authorizeWrite(request)
                let name = try Self.decodedParameter(context, "name")
                let catalog = self.catalog
                guard try await catalogRead({ try catalog.collectionQueries() })[name] != nil else {
                    throw APIError.notFound("there is no collection \(name)")
                }
                let changed = try await catalogWrite { try catalog.deleteCollection(name, source: Self.changeSource) }
                return JSONResponse.make(LabelChange(name: name, changed: changed))
            }
        }
    }
}
