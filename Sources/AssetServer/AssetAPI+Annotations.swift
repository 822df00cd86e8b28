import AssetCatalog
import AssetPipeline
import AssetQuery
import Foundation
import Hummingbird

/// Tags and categories over HTTP: `PATCH /v1/assets/{id}`, `POST
/// /v1/assets/annotate` (ids or a query), and `/v1/tags`, `/v1/categories`
/// to list, rename (`PATCH /v1/tags/{name}`) and delete. Every write needs
/// the token, as the other writes do.
extension AssetAPI {
    /// The changes, as `PATCH /v1/assets/{id}` and `POST /v1/assets/annotate` take them.
    struct AnnotationBody: Decodable {
        var addTags: [String]?
        var removeTags: [String]?
        var addCategories: [String]?
        var removeCategories: [String]?
        /// Custom field values by key (checked against the definitions), and keys to unset.
        var setFields: [String: CustomValue]?
        var unsetFields: [String]?
        /// true hides, false shows (over the pipeline's rule), "rule" lets the rule decide again.
        var hidden: HiddenField?
        /// `annotate` only: the assets, by id or path, or a query.
        var ids: [String]?
        var q: String?
        var dryRun: Bool?

        enum CodingKeys: String, CodingKey {
            case ids, q, hidden
            case addTags = "add_tags"
            case removeTags = "remove_tags"
            case addCategories = "add_categories"
            case removeCategories = "remove_categories"
            case setFields = "set_fields"
            case unsetFields = "unset_fields"
            case dryRun = "dry_run"
        }

        static let shape = #"{"add_tags": ["..."], "remove_tags": [...], "add_categories": [...], "remove_categories": [...], "set_fields": {"rating": 5}, "unset_fields": [...], "hidden": true | false | "rule"}"#

        func change(required: Bool = true) throws(APIError) -> AnnotationChange {
            let change: AnnotationChange
            do {
                change = try AnnotationChange(addTags: addTags ?? [], removeTags: removeTags ?? [],
                                              addCategories: addCategories ?? [], removeCategories: removeCategories ?? [],
                                              setFields: (setFields ?? [:]).mapValues(CustomFieldInput.value), unsetFields: unsetFields ?? [],
                                              hidden: hidden?.choice)
            } catch {
                throw APIError(.badRequest, "invalid_value", error.message)
            }
            if required, change.isEmpty {
                throw APIError(.badRequest, "invalid_value",
                               "say what to change: add_tags, remove_tags, add_categories, remove_categories, set_fields, unset_fields or hidden")
            }
            return change
        }
    }

    /// Most ids one `annotate` request names; a larger set is a query's.
    static let maximumAnnotatedIDs = 1000

    func addAnnotationRoutes(to router: Router<BasicRequestContext>) {
        router.patch("/v1/assets/:id") { request, context in
            await answer {
                try access.authorizeWrite(request)
                let id = try context.parameters.require("id")
                let body = try await decodeBody(request, as: AnnotationBody.self, shape: AnnotationBody.shape)
                let change = try body.change()
                _ = try await record(id)
                let catalog = self.catalog
                let (records, _) = try await catalogWrite { try catalog.annotate([id], with: change, source: Self.changeSource) }
                return JSONResponse.make(records[0], encoder: AssetRecord.makeEncoder())
            }
        }
        router.post("/v1/assets/annotate") { request, _ in
            await answer {
                try access.authorizeWrite(request)
                let body = try await decodeBody(request, as: AnnotationBody.self,
                                                shape: #"{"ids": ["..."] or "q": "...", "add_tags": [...], ..., "dry_run": false}"#)
                return try await annotate(body)
            }
        }
        for kind in [LabelKind.tags, .categories] {
            router.get("/v1/\(kind.rawValue)") { request, _ in
                await answer {
                    try access.authorizeRead(request)
                    let catalog = self.catalog
                    let labels = try await catalogRead { try catalog.labels(kind) }
                    return JSONResponse.make([kind.rawValue: labels.map { LabelCount(name: $0.name, count: $0.count) }])
                }
            }
            router.patch("/v1/\(kind.rawValue)/:name") { request, context in
                await answer {
                    try access.authorizeWrite(request)
                    let old = try Self.labelName(try Self.decodedParameter(context, "name"), kind)
                    let body = try await decodeBody(request, as: RenameBody.self, shape: #"{"name": "the new name"}"#)
                    let new = try Self.labelName(body.name, kind)
                    let catalog = self.catalog
                    let changed = try await catalogWrite { try catalog.rename(kind, old, to: new, source: Self.changeSource) }
                    return JSONResponse.make(LabelChange(name: new, changed: changed))
                }
            }
            router.delete("/v1/\(kind.rawValue)/:name") { request, context in
                await answer {
                    try access.authorizeWrite(request)
                    let name = try Self.labelName(try Self.decodedParameter(context, "name"), kind)
                    let catalog = self.catalog
                    let changed = try await catalogWrite { try catalog.delete(kind, named: name, source: Self.changeSource) }
                    return JSONResponse.make(LabelChange(name: name, changed: changed))
                }
            }
        }
    }

    struct RenameBody: Decodable {
        var name: String
    }

    struct LabelCount: Encodable {
        var name: String
        var count: Int
    }

    struct LabelChange: Encodable {
        var name: String
        /// How many assets the rename or delete changed.
        var changed: Int
    }

    struct AnnotateResponse: Encodable {
        var matched: Int
        var changed: Int
        var dryRun: Bool

        enum CodingKeys: String, CodingKey {
            case matched, changed
            case dryRun = "dry_run"
        }
    }

    /// Changes made through the API, in the history.
    static let changeSource = ChangeSource(actor: "api")

    private func annotate(_ body: AnnotationBody) async throws -> Response {
        let catalog = self.catalog
        let dryRun = body.dryRun ?? false
        let change = try body.change(required: !dryRun)
        switch (body.ids, body.q) {
        case (let ids?, nil):
            guard !ids.isEmpty, ids.count <= Self.maximumAnnotatedIDs else {
                throw APIError(.badRequest, "invalid_value", "`ids` names 1 to \(Self.maximumAnnotatedIDs) assets; for more, use `q`", param: "ids")
            }
            if dryRun {
                try await catalogWrite { try catalog.check(change) }
                var found = 0
                for id in ids where try await catalogRead({ try catalog.record(idOrPath: id) }) != nil { found += 1 }
                return JSONResponse.make(AnnotateResponse(matched: found, changed: 0, dryRun: true))
            }
            let (records, changed) = try await catalogWrite { try catalog.annotate(ids, with: change, source: Self.changeSource) }
            return JSONResponse.make(AnnotateResponse(matched: records.count, changed: changed, dryRun: false))
        case (nil, let q?):
            let request = try Self.findRequest(q: q, sort: nil, limit: FindRequest.maximumLimit, cursor: nil, count: true, facets: [],
                                               definitions: try await definitions(for: q))
            if dryRun {
                try await catalogWrite { try catalog.check(change) }
                let counting = FindRequest.counting(request)
                let matched = try await catalogRead { try catalog.find(counting).count ?? 0 }
                return JSONResponse.make(AnnotateResponse(matched: matched, changed: 0, dryRun: true))
            }
            let (matched, changed) = try await catalogWrite { try catalog.annotate(matching: request, with: change, source: Self.changeSource) }
            return JSONResponse.make(AnnotateResponse(matched: matched, changed: changed, dryRun: false))
        default:
            throw APIError(.badRequest, "invalid_value", "name the assets with `ids` (a list of ids or paths) or `q` (a query), not both",
                           param: "ids")
        }
    }

    /// A path parameter with its percent-encoding undone (`Summer%202024`
    /// is the tag `Summer 2024`): names may hold spaces and any character.
    static func decodedParameter(_ context: BasicRequestContext, _ name: String) throws -> String {
        let raw = try context.parameters.require(name)
        guard let decoded = raw.removingPercentEncoding, !decoded.utf8.contains(0) else {
            throw APIError(.badRequest, "invalid_value", "the path's \(name) is not valid percent-encoded UTF-8", param: name)
        }
        return decoded
    }

    static func labelName(_ text: String, _ kind: LabelKind) throws(APIError) -> String {
        do {
            return try LabelName.checked(text, kind)
        } catch {
            throw APIError(.badRequest, "invalid_value", error.message, param: "name")
        }
    }

    /// A catalog read on the blocking pool; a failure is 503, not a bare 500.
    func catalogRead<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        do {
            return try await blocking(body)
        } catch let error as CatalogError {
            logger.error("catalog read failed", metadata: ["error": "\(error)"])
            throw APIError(.serviceUnavailable, "catalog_unavailable", "the catalog could not be read: \(error.reason)")
        }
    }

    /// A catalog write on the blocking pool: an asset that is not there is
    /// 404, a change a definition refuses 400 (nothing changed).
    func catalogWrite<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        do {
            return try await blocking(body)
        } catch let error as CatalogError where error.missingAsset != nil {
            throw APIError.notFound(error.reason)
        } catch let error as CatalogError where error.refused {
            throw APIError(.badRequest, "invalid_value", PathRedaction.redacted(error.reason + "; " + error.hint))
        } catch let error as CatalogError {
            logger.error("catalog write failed", metadata: ["error": "\(error)"])
            throw APIError(.serviceUnavailable, "catalog_unavailable", "the catalog could not be changed: \(error.reason)")
        }
    }
}

/// `"hidden"` in an annotation body: true, false, or "rule".
struct HiddenField: Decodable {
    let choice: HiddenChoice

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let flag = try? container.decode(Bool.self) {
            choice = flag ? .hide : .show
        } else if (try? container.decode(String.self)) == "rule" {
            choice = .rule
        } else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "hidden is true, false or \"rule\"")
        }
    }
}
