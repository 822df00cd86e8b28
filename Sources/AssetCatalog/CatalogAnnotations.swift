import AssetPipeline
import AssetQuery
import Foundation

/// Tags and categories: added and removed on assets (`annotate`), listed,
/// renamed and deleted across the catalog. Every asset changed gets an
/// `annotated` history entry; an asset the change leaves as it was gets none.
extension Catalog {
    /// Applies `change` to the assets with these ids or paths, all in one
    /// transaction: when one is not in the catalog, nothing changes.
    /// Returns every asset as it stands afterwards, in the order given,
    /// and how many the change altered.
    public func annotate(_ keys: [String], with change: AnnotationChange,
                         source: ChangeSource) throws(CatalogError) -> (records: [AssetRecord], changed: Int) {
        try run("annotate \(keys.count == 1 ? keys[0] : "\(keys.count) assets")", hint: writeHint) {
            try database.write { transaction in
                let fields = try Self.resolve(change, transaction)
                var records: [AssetRecord] = [], changed = 0
                for key in keys {
                    guard let stored = try transaction.asset(idOrPath: key) else {
                        throw CatalogError(operation: "annotate \(key)", reason: "there is no asset \(key) in the catalog; nothing was changed",
                                           hint: "check the id or path with `assetpipe find` or `assetpipe show`", missingAsset: key)
                    }
                    let (record, altered) = try self.annotate(stored, source, transaction) { change.apply(to: &$0, fields: fields) }
                    records.append(record)
                    if altered { changed += 1 }
                }
                return (records, changed)
            }
        }
    }

    /// Applies `change` to every asset that matches `request`: the matches
    /// are listed first, then changed `batchSize` per transaction (an
    /// interrupted run leaves whole batches done, and running it again
    /// finishes, since a change already made changes nothing). Returns how
    /// many matched and how many the change altered.
    public func annotate(matching request: FindRequest, with change: AnnotationChange, source: ChangeSource,
                         batchSize: Int = Catalog.annotationBatch) throws(CatalogError) -> (matched: Int, changed: Int) {
        let ids = try matchingIDs(request)
        var changed = 0
        for start in stride(from: 0, to: ids.count, by: max(1, batchSize)) {
            let batch = ids[start..<min(ids.count, start + max(1, batchSize))]
            changed += try run("annotate the matches of the query", hint: writeHint) {
                try database.write { transaction in
                    let fields = try Self.resolve(change, transaction)
                    // One deleted since it was listed is not read: nothing to change.
                    return try self.rewriteAnnotations(Array(batch), source, transaction) { change.apply(to: &$0, fields: fields) }
                }
            }
        }
        return (ids.count, changed)
    }

    /// The change's custom values checked against the definitions as the
    /// transaction sees them; a refusal otherwise.
    static func resolve(_ change: AnnotationChange, _ transaction: any CatalogTransaction) throws -> [String: CustomValue] {
        guard !change.setFields.isEmpty || !change.unsetFields.isEmpty else { return [:] }
        let schema = Dictionary(try transaction.customFields().map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
        do {
            return try change.resolved(against: schema)
        } catch {
            throw CatalogError.refusal("annotate", error)
        }
    }

    /// The ids of every match of `request`, page by page.
    public func matchingIDs(_ request: FindRequest) throws(CatalogError) -> [String] {
        var ids: [String] = [], page = request
        page.limit = FindRequest.maximumLimit
        page.count = false
        page.facets = []
        while true {
            let current = page
            let found = try run("search the catalog", hint: readHint) {
                try database.read { transaction in try transaction.findIDs(current) }
            }
            ids += found.items
            guard let next = found.nextCursor else { return ids }
            do {
                page = try page.continued(after: next)
            } catch {
                throw CatalogError(operation: "page through the matches", reason: error.message, hint: readHint)
            }
        }
    }

    /// Each tag or category that some asset has, with how many have it,
    /// most first (removed tags are not counted).
    public func labels(_ kind: LabelKind) throws(CatalogError) -> [(name: String, count: Int)] {
        try run("list the \(kind.rawValue)", hint: readHint) {
            try database.read { transaction in try transaction.labelCounts(kind) }
        }
    }

    /// Renames `old` to `new` on every asset that has it (merging where an
    /// asset has both), `batchSize` assets per transaction, until none has
    /// `old`: an interrupted rename, run again, finishes. `progress` hears
    /// the running total after each batch. Returns how many assets changed.
    public func rename(_ kind: LabelKind, _ old: String, to new: String, source: ChangeSource,
                       batchSize: Int = Catalog.labelBatch,
                       progress: (Int) -> Void = { _ in }) throws(CatalogError) -> Int {
        if old == new { return 0 }
        return try rewriteEvery(kind, old, to: new, "rename the \(kind.singular) \(old)", source: source, batchSize: batchSize, progress: progress)
    }

    /// Removes `name` from every asset that has it, as `rename` does its
    /// work: a manual tag is deleted, an embedded or AI one kept removed.
    public func delete(_ kind: LabelKind, named name: String, source: ChangeSource,
                       batchSize: Int = Catalog.labelBatch,
                       progress: (Int) -> Void = { _ in }) throws(CatalogError) -> Int {
        try rewriteEvery(kind, name, to: nil, "delete the \(kind.singular) \(name)", source: source, batchSize: batchSize, progress: progress)
    }

    /// How many assets a bulk change writes per transaction: short enough
    /// that other writers wait little, long enough that commits are few.
    public static let annotationBatch = 500

    /// How many assets a rename or delete of a tag, category or collection
    /// writes per transaction. Written set-based, a batch of 10,000 takes
    /// about a second on SQLite; its cost is mostly per batch (each commit
    /// writes the index pages it touched), so at 500 a rename that 100,000
    /// assets hold took 40 s, at 10,000 about 14 s.
    public static let labelBatch = 10_000

    var writeHint: String { "check free disk space and that \(location) is writable" }

    /// One batch after another of the assets that still have `name`, each
    /// rewritten set-based by the driver (`LabelRewrite`) in its own transaction.
    private func rewriteEvery(_ kind: LabelKind, _ name: String, to new: String?, _ operation: String, source: ChangeSource, batchSize: Int,
                              progress: (Int) -> Void) throws(CatalogError) -> Int {
        var total = 0, cursor: String?
        while true {
            let rewrite = LabelRewrite(kind: kind, old: name, new: new, at: Timestamp.parse(Timestamp.format(Date())) ?? Date(),
                                       actor: source.actor, jobID: source.effectKey)
            let after = cursor
            let (changed, next) = try run(operation, hint: writeHint) {
                try database.write { transaction in try transaction.rewriteLabel(rewrite, limit: max(1, batchSize), after: after) }
            }
            if changed == 0 {
                // The end of the walk; once more from the start, for an asset
                // given the name behind the cursor while this ran.
                guard after != nil else { return total }
                cursor = nil
                continue
            }
            total += changed
            cursor = next
            progress(total)
        }
    }

    /// Rewrites the annotations of these assets with `mutate`, in the
    /// calling transaction, reading and writing only their annotation
    /// parts (`AnnotatedAsset`); each one changed gets an `annotated`
    /// history entry. Returns how many changed.
    func rewriteAnnotations(_ ids: [String], _ source: ChangeSource, _ transaction: any CatalogTransaction,
                            _ mutate: (inout AssetRecord) -> [String: String]) throws -> Int {
        let now = Timestamp.parse(Timestamp.format(Date())) ?? Date()
        var changed: [AnnotatedAsset] = [], events: [AssetEvent] = []
        for var asset in try transaction.annotations(ofAssets: ids) {
            var record = asset.record
            let detail = mutate(&record)
            guard !detail.isEmpty else { continue }
            asset.record = record
            changed.append(asset)
            events.append(AssetEvent(assetID: asset.id, version: asset.version, path: asset.path, at: now, actor: source.actor,
                                     action: .annotated, detail: detail, jobID: source.effectKey))
        }
        try transaction.writeAnnotations(changed, updatedAt: now)
        try transaction.insert(events)
        return changed.count
    }

    /// Rewrites one asset's record with `mutate`, and when it changed
    /// anything, stores it (same version, attempts and renditions; a new
    /// `updated_at`) with an `annotated` history entry.
    func annotate(_ stored: StoredAsset, _ source: ChangeSource, _ transaction: any CatalogTransaction,
                          _ mutate: (inout AssetRecord) -> [String: String]) throws -> (record: AssetRecord, changed: Bool) {
        var record = stored.record
        let detail = mutate(&record)
        guard !detail.isEmpty else { return (stored.record, false) }
        record.updatedAt = Timestamp.parse(Timestamp.format(Date())) ?? Date()
        record.createdAt = record.createdAt ?? stored.createdAt
        try transaction.upsert(try AssetRow(record))
        _ = try recordEvent(for: record, action: .annotated, detail: detail, source: source, transaction)
        return (record, true)
    }
}
