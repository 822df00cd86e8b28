import AssetPipeline
import Crypto
import Foundation

/// The changes a queued job makes: a new file placed at a path under a
/// conflict policy, a refresh from the origin, a deletion; and the history
/// they leave. Each is one transaction that also writes the rendition
/// files, holding the database's write lock, so that the files of an asset
/// change only with its row; made under a job run's effect key, each is
/// made at most once.
extension Catalog {
    /// Catalogues a processed file at `target`. When the asset already
    /// there holds the same content (SHA-256) and was processed, the change
    /// is `unchanged` whatever the policy: enqueueing a file twice is not a
    /// conflict. When a different file is there: `reject` refuses with `exists`; `version` makes the file that
    /// asset's next version (keeping its id), unless the file is errored,
    /// which would replace a good version with a broken one and is refused
    /// with the file's error; `rename` places it at the first free
    /// `name_1.ext`, `name_2.ext`, ... A new asset made under an effect key
    /// gets an id derived from the key, so an attempt that crashed before
    /// committing and the one that repeats it write the same files.
    ///
    /// `action` names the change in the history instead (`edited` for a saved
    /// edit), and `note` adds to its detail.
    public func place(_ processed: ProcessedAsset, at target: String, origin: String, onConflict: ConflictPolicy,
                      source: ChangeSource, action named: AssetEvent.Action? = nil,
                      note: [String: String] = [:]) throws(CatalogError) -> CatalogChange {
        try change("store \(target)") { transaction in
            if let done = try self.alreadyApplied(source, transaction) { return done }
            var record = processed.record
            record.origin = origin
            var detail = Self.detail(of: record, previous: nil)
            var action = AssetEvent.Action.created
            var previous: StoredAsset?
            if let existing = try transaction.asset(path: target) {
                if Self.holdsSameContent(existing.record, as: record) { return .unchanged(existing.record) }
                switch onConflict {
                case .reject:
                    return .refused(AssetError(.exists, "an asset already exists at \(target) (id \(existing.id), version \(existing.version)); "
                        + "nothing was overwritten. Enqueue with --on-conflict version or rename, or choose another --as"))
                case .version:
                    if record.status == .errored, let error = record.error {
                        return .refused(AssetError(error.reason, "\(error.message); the asset at \(target) keeps version \(existing.version)"))
                    }
                    record.id = existing.id
                    record.version = existing.version + 1
                    record.path = target
                    record.name = existing.record.name
                    action = .versioned
                    detail = Self.detail(of: record, previous: existing.record)
                    previous = existing
                case .rename:
                    record.path = try Self.freeName(for: target, transaction)
                    record.name = (record.path as NSString).lastPathComponent
                    detail["renamed_from"] = target
                }
            } else {
                record.path = target
                record.name = (target as NSString).lastPathComponent
            }
            if previous == nil {
                record.id = source.effectKey.map(Self.assetID(forEffectKey:)) ?? UUID().uuidString.lowercased()
                record.version = 1
            }
            let stored = try self.store(record, renditions: processed.renditions, previous: previous, transaction)
            detail.merge(note) { _, noted in noted }
            return .applied(stored, try self.recordEvent(for: stored, action: named ?? action, detail: detail, source: source, transaction))
        }
    }

    /// Whether a stored asset already is this reading of a file: same
    /// SHA-256, and processed (an errored asset is worth another try).
    public static func holdsSameContent(_ stored: AssetRecord, as reading: AssetRecord) -> Bool {
        guard let hash = reading.sha256, !hash.isEmpty else { return false }
        return stored.sha256 == hash && stored.status == .processed && reading.status == .processed
    }

    /// Replaces an asset's data with a new reading of its origin: same id,
    /// path and version; a `refreshed` history entry. Refused with
    /// `not_found` when the asset is not in the catalog.
    public func refresh(assetID: String, with processed: ProcessedAsset, source: ChangeSource) throws(CatalogError) -> CatalogChange {
        try change("refresh \(assetID)") { transaction in
            if let done = try self.alreadyApplied(source, transaction) { return done }
            guard let existing = try transaction.asset(id: assetID) else {
                return .refused(Self.notFound(assetID))
            }
            var record = processed.record
            record.id = existing.id
            record.path = existing.path
            record.name = existing.record.name
            record.origin = existing.record.origin ?? existing.path
            record.version = existing.version
            let stored = try self.store(record, renditions: processed.renditions, previous: existing, transaction)
            let detail = Self.detail(of: stored, previous: existing.record)
            return .applied(stored, try self.recordEvent(for: stored, action: .refreshed, detail: detail, source: source, transaction))
        }
    }

    /// Keeps an asset's last good reading when a refresh could not read its
    /// origin: nothing of the record or its renditions is replaced; it gets
    /// a `stale` state with the refresh's error, and an `updated` history
    /// entry says so. The next refresh that reads the origin clears it.
    public func markStale(assetID: String, because error: AssetError, source: ChangeSource) throws(CatalogError) -> CatalogChange {
        try change("mark \(assetID) stale") { transaction in
            if let done = try self.alreadyApplied(source, transaction) { return done }
            guard let existing = try transaction.asset(id: assetID) else {
                return .refused(Self.notFound(assetID))
            }
            var record = existing.record
            let now = Timestamp.parse(Timestamp.format(Date())) ?? Date()
            record.stale = StaleState(reason: error.reason, message: error.message, since: now)
            record.updatedAt = now
            try transaction.upsert(try AssetRow(record))
            let detail = ["stale": error.reason.rawValue, "message": error.message]
            return .applied(record, try self.recordEvent(for: record, action: .updated, detail: detail, source: source, transaction))
        }
    }

    /// Removes an asset and its renditions; its history stays, ending with a
    /// `deleted` entry, the tombstone. Refused with `not_found` when the
    /// asset is not in the catalog.
    public func delete(assetID: String, source: ChangeSource) throws(CatalogError) -> CatalogChange {
        try change("delete \(assetID)") { transaction in
            if let done = try self.alreadyApplied(source, transaction) { return done }
            guard let existing = try transaction.asset(id: assetID) else {
                return .refused(Self.notFound(assetID))
            }
            try transaction.deleteAsset(id: assetID)
            var detail = Self.detail(of: existing.record, previous: nil)
            detail["status"] = nil
            return .applied(existing.record, try self.recordEvent(for: existing.record, action: .deleted, detail: detail,
                                                                  source: source, transaction))
        }
    }

    /// The history of the asset with this id, or of every asset that has
    /// been at this path (a deleted one's included), oldest first.
    public func history(idOrPath key: String) throws(CatalogError) -> [AssetEvent] {
        try run("read the history of \(key)", hint: readHint) {
            try database.read { transaction in try transaction.events(idOrPath: key) }
        }
    }

    /// `.alreadyApplied` when a change was made under this source's effect key; nil otherwise.
    public func appliedChange(_ source: ChangeSource) throws(CatalogError) -> CatalogChange? {
        try run("read the history", hint: readHint) {
            try database.read { transaction in try self.alreadyApplied(source, transaction) }
        }
    }

    // MARK: - Inside a change

    /// Runs `body` in one write transaction (the catalog's write lock held
    /// from its start, so what it reads still holds when it writes, whichever
    /// process writes next), then removes the rendition files the change left unused.
    private func change(_ operation: String, _ body: (any CatalogTransaction) throws -> CatalogChange) throws(CatalogError) -> CatalogChange {
        try run(operation, hint: "check free disk space and that \(location) and the rendition store are writable") {
            let result = try database.write(body)
            switch result {
            case .applied(let record, _): try tidyRenditions(ofAsset: record.id ?? "")
            case .alreadyApplied(let record?): try tidyRenditions(ofAsset: record.id ?? "")
            case .alreadyApplied(nil), .unchanged, .refused: break
            }
            return result
        }
    }

    /// Removes the asset's rendition files that its stored record does not
    /// list (an earlier version's; a deleted asset's, all of them). Under
    /// the write lock, so it never races a change that is writing new ones.
    /// A crash before it leaves only unused files, which the next change
    /// of the asset, or the same job's next attempt, removes.
    func tidyRenditions(ofAsset id: String) throws {
        guard !id.isEmpty else { return }
        try database.write { transaction in
            let kept = try transaction.asset(id: id)?.record.renditions?.map(\.path) ?? []
            try renditionStore.removeRenditions(ofAsset: id, except: Set(kept))
        }
    }

    /// `.alreadyApplied` when a change under this source's effect key is in the history.
    private func alreadyApplied(_ source: ChangeSource, _ transaction: any CatalogTransaction) throws -> CatalogChange? {
        guard let key = source.effectKey, let id = try transaction.assetID(changedUnderEffectKey: key) else { return nil }
        return .alreadyApplied(try transaction.asset(id: id)?.record)
    }

    /// Writes the renditions of the record's version, then its row, and
    /// returns the record as stored: timestamps, attempts and rendition paths.
    func store(_ record: AssetRecord, renditions: [EncodedRendition], previous: StoredAsset?, _ transaction: any CatalogTransaction) throws -> AssetRecord {
        guard let id = record.id else { preconditionFailure("store(_:renditions:previous:_:) takes a record with an id") }
        var final = record
        // Tags and categories are the catalog's, not the file's: a new
        // reading keeps them, its keywords become embedded tags and an
        // analyzer's answer its AI tags.
        let analysis = record.output(of: AnalysisStage.self)
        final.tags = AssetTag.merging(keywords: record.keywords, suggested: analysis?.status == .processed ? analysis?.tags ?? [] : nil,
                                      into: previous?.record.tags)
        final.categories = previous?.record.categories
        final.collections = previous?.record.collections
        // A user's hidden or shown choice outlives new readings; the rule's answer is the new reading's.
        final.settleHidden(previous: previous?.record)
        // A new asset (a placeholder from begin() has never been committed)
        // gets the custom fields' defaults.
        final.custom = (previous?.attempts ?? 0) > 0 ? previous?.record.custom : try Self.defaults(transaction)
        let stored = try renditionStore.store(renditions, forAsset: id, version: record.version ?? 1)
        final.renditions = stored.isEmpty ? nil : stored
        // The stored form (milliseconds), so the returned record equals what a read gives back.
        let now = Timestamp.parse(Timestamp.format(Date())) ?? Date()
        final.createdAt = previous?.createdAt ?? now
        final.updatedAt = now
        final.processedAt = record.status == .processing ? nil : now
        final.attempts = (previous?.attempts ?? 0) + 1
        try transaction.upsert(try AssetRow(final))
        return final
    }

    func recordEvent(for record: AssetRecord, action: AssetEvent.Action, detail: [String: String],
                     source: ChangeSource, _ transaction: any CatalogTransaction) throws -> AssetEvent {
        let event = AssetEvent(assetID: record.id ?? "", version: record.version ?? 1, path: record.path,
                               at: Timestamp.parse(Timestamp.format(Date())) ?? Date(), actor: source.actor,
                               action: action, detail: detail, jobID: source.effectKey)
        try transaction.insert(event)
        return event
    }

    /// What a history entry says about a record: its hash and outcome, and
    /// the hash it replaced when that differs.
    static func detail(of record: AssetRecord, previous: AssetRecord?) -> [String: String] {
        var detail: [String: String] = ["status": record.status.rawValue]
        detail["sha256"] = record.sha256
        detail["reason"] = record.error?.reason.rawValue
        detail["origin"] = record.origin
        if let previous, previous.sha256 != record.sha256 {
            detail["previous_sha256"] = previous.sha256
        }
        return detail
    }

    /// The first of `name_1.ext`, `name_2.ext`, ... beside `target` that no asset has.
    static func freeName(for target: String, _ transaction: any CatalogTransaction) throws -> String {
        let directory = (target as NSString).deletingLastPathComponent
        let name = (target as NSString).lastPathComponent
        let dot = name.lastIndex(of: ".").flatMap { $0 == name.startIndex ? nil : $0 }
        let stem = dot.map { String(name[..<$0]) } ?? name
        let suffix = dot.map { String(name[$0...]) } ?? ""
        var number = 1
        while true {
            let candidate = (directory.isEmpty ? "" : directory + "/") + "\(stem)_\(number)\(suffix)"
            if try !transaction.pathIsTaken(candidate) {
                return candidate
            }
            number += 1
        }
    }

    /// A UUID-shaped id that is a function of the key: SHA-256 of it, with
    /// the version nibble set to 8 (custom) and the RFC 4122 variant.
    /// The id a process job's first run gives the asset it creates: known
    /// when the job is queued, so an upload can answer with it.
    public static func newAssetID(forJob jobID: String) -> String {
        assetID(forEffectKey: jobID)
    }

    static func assetID(forEffectKey key: String) -> String {
        var bytes = Array(SHA256.hash(data: Data("assetpipe asset for job \(key)".utf8)).prefix(16))
        bytes[6] = (bytes[6] & 0x0F) | 0x80
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        let hex = bytes.map { String(format: "%02x", $0) }.joined()
        let groups = [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { range in
            String(hex[hex.index(hex.startIndex, offsetBy: range.lowerBound)..<hex.index(hex.startIndex, offsetBy: range.upperBound)])
        }
        return groups.joined(separator: "-")
    }

    public static func notFound(_ id: String) -> AssetError {
        AssetError(.notFound, "there is no asset \(id) in the catalog; see `assetpipe history \(id)` for what happened to it")
    }
}
