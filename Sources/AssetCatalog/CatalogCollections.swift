import AssetPipeline
import AssetQuery
import Foundation

/// Collections: static ones (a list of assets, kept on each asset as its
/// `collections`) and smart ones (a saved query, evaluated when read).
/// `collection = NAME` in a query means either.
extension Catalog {
    /// A collection as `collections list` and `GET /v1/collections` show it.
    public struct Collection: Sendable, Equatable {
        public var name: String
        /// A smart collection's query; nil for a static one.
        public var query: String?
        /// How many assets are in it (a smart one's: its query's matches, now).
        public var count: Int
    }

    /// What the query language needs to read `collection` terms: each
    /// collection's saved query, nil for a static one.
    public func collectionQueries() throws(CatalogError) -> [String: String?] {
        let list = try run("read the collections", hint: readHint) { try database.read { transaction in try transaction.collections() } }
        return Dictionary(list.map { ($0.name, $0.query) }, uniquingKeysWith: { first, _ in first })
    }

    /// Every collection with its size, by name.
    public func collections() throws(CatalogError) -> [Collection] {
        let list = try run("read the collections", hint: readHint) { try database.read { transaction in try transaction.collections() } }
        let members = Dictionary(try labels(.collections).map { ($0.name, $0.count) }, uniquingKeysWith: { first, _ in first })
        var collections: [Collection] = []
        for (name, query) in list {
            var count = members[name] ?? 0
            if query != nil {
                // A smart collection that no longer parses counts none; `show` says why.
                count = (try? find(FindRequest.counting(try request(forCollection: name))).count) ?? 0
            }
            collections.append(Collection(name: name, query: query, count: count))
        }
        return collections
    }

    /// The search for a collection's members (`collection = "NAME"`), newest first.
    public func request(forCollection name: String, limit: Int = FindRequest.defaultLimit,
                        cursor: String? = nil) throws -> FindRequest {
        return try FindRequest(q: "collection = \(QueryParser.quoted(name))", limit: limit, cursor: cursor, customFields: try customFieldShapes(),
                               collections: try collectionQueries())
    }

    /// Makes a collection: static without a query, smart with one (which
    /// must parse with the catalog's fields and collections). Refused when
    /// the name is taken.
    public func createCollection(_ name: String, query: String?) throws(CatalogError) {
        let operation = "create the collection \(name)"
        let checked: String
        do {
            checked = try LabelName.checked(name, .collections)
        } catch {
            throw CatalogError.refusal(operation, error)
        }
        if let query {
            var collections = try collectionQueries()
            // As it will be: a query that names its own collection is refused.
            collections[checked] = .some(query)
            let fields = try customFieldShapes()
            do throws(QueryError) {
                _ = try QueryParser.parse(query, customFields: fields, collections: collections, savedAs: checked)
            } catch {
                throw CatalogError(operation: operation, reason: "its query does not parse: \(error.message)",
                                   hint: "write it as `assetpipe find` takes it", refused: true)
            }
        }
        let made = try run(operation, hint: writeHint) {
            try database.write { transaction in try transaction.insertCollection(name: checked, query: query) }
        }
        guard made else {
            throw CatalogError(operation: operation, reason: "a collection named \(checked) exists",
                               hint: "choose another name, or delete it first", refused: true)
        }
    }

    /// Adds assets (ids or paths) to a static collection, or removes them;
    /// one transaction, nothing changed when one is missing. Returns how
    /// many changed.
    public func changeMembers(of name: String, _ keys: [String], removing: Bool = false,
                              source: ChangeSource) throws(CatalogError) -> Int {
        let operation = (removing ? "remove assets from " : "add assets to ") + "the collection \(name)"
        guard let saved = try collectionQueries()[name] else {
            throw CatalogError(operation: operation, reason: "there is no collection \(name)",
                               hint: "see `assetpipe collections list`; make it with `assetpipe collections create \(name)`", refused: true)
        }
        guard saved == nil else {
            throw CatalogError(operation: operation, reason: "\(name) is a smart collection: its members are its query's matches",
                               hint: "change the assets, or make a static collection", refused: true)
        }
        let change: AnnotationChange
        do {
            change = removing ? try AnnotationChange(removeCollections: [name]) : try AnnotationChange(addCollections: [name])
        } catch {
            throw CatalogError.refusal(operation, error)
        }
        return try annotate(keys, with: change, source: source).changed
    }

    /// Deletes a collection: a static one leaves every asset first (in
    /// batches; interrupted, run again to finish). Returns how many assets
    /// changed.
    public func deleteCollection(_ name: String, source: ChangeSource, batchSize: Int = Catalog.annotationBatch) throws(CatalogError) -> Int {
        let operation = "delete the collection \(name)"
        guard try collectionQueries()[name] != nil else {
            throw CatalogError(operation: operation, reason: "there is no collection \(name)", hint: "see `assetpipe collections list`",
                               refused: true)
        }
        let changed = try delete(.collections, named: name, source: source, batchSize: batchSize)
        try run(operation, hint: writeHint) { try database.write { transaction in try transaction.deleteCollection(name: name) } }
        return changed
    }
}
