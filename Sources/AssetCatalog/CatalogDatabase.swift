import AssetMedia
import AssetPipeline
import AssetQuery
import Foundation

/// Where a catalog keeps its rows: the embedded SQLite file
/// (`SQLiteCatalogDatabase`) or a PostgreSQL server (`PostgresCatalogDatabase`). A driver
/// only reads and writes rows; what a change means (conflict policies,
/// versions, history, effect keys, rendition files) is `Catalog`'s, written
/// once for both.
///
/// Both methods block the calling thread: the pipeline that calls them runs
/// on threads of its own.
public protocol CatalogDatabase: Sendable {
    /// Where the rows are, for messages: a file path, or host, port and database.
    var location: String { get }

    /// Runs `body` in one transaction that holds the catalog's write lock
    /// from its first statement, so that what it reads still holds when it
    /// writes and no other writer, in this process or another, runs meanwhile.
    /// Commits when `body` returns; rolls back when it throws.
    func write<T>(_ body: (any CatalogTransaction) throws -> T) throws -> T

    /// Runs `body` on a consistent snapshot.
    func read<T>(_ body: (any CatalogTransaction) throws -> T) throws -> T

    /// The reason an error of this driver gives, for the operator.
    func reason(of error: any Error) -> String
}

/// The row operations a catalog change is made of, inside one transaction.
public protocol CatalogTransaction {
    func asset(id: String) throws -> StoredAsset?
    func asset(path: String) throws -> StoredAsset?
    /// For each of these paths that holds an asset, the file it was last read
    /// from and how that ended, without decoding the records.
    func originFiles(atPaths paths: [String]) throws -> [String: StoredOrigin]
    /// The asset whose id is `key` or, failing that, whose path is `key`.
    func asset(idOrPath key: String) throws -> StoredAsset?
    func pathIsTaken(_ path: String) throws -> Bool
    /// Inserts, or updates in place the row with the same path.
    func upsert(_ row: AssetRow) throws
    /// Inserts a `processing` placeholder at `path`, or marks the asset
    /// already there `processing`; returns the id the path has now.
    func beginAsset(_ placeholder: AssetRow) throws -> String
    func deleteAsset(id: String) throws
    func insert(_ event: AssetEvent) throws
    /// The asset a change under this effect key was made to, if one was.
    func assetID(changedUnderEffectKey key: String) throws -> String?
    /// Events of the asset with this id, or of every asset that has been at
    /// this path, oldest first.
    func events(idOrPath key: String) throws -> [AssetEvent]
    func countByStatus() throws -> [AssetRecord.Status: Int]
    /// Renames or removes the label on up to `limit` of the assets that
    /// have it (a tag: not removed), set-based: their label rows, records,
    /// words, `updated_at` and an `annotated` entry each. Returns how many
    /// assets it changed (0 once none after `cursor` has it) and the cursor
    /// to hand the next batch: where this one stopped, in an order that
    /// keeps each batch's rows close together on disk.
    func rewriteLabel(_ rewrite: LabelRewrite, limit: Int, after cursor: String?) throws -> (changed: Int, cursor: String?)
    /// Each tag (not removed) or category and how many assets have it, most first, then by name.
    func labelCounts(_ kind: LabelKind) throws -> [(name: String, count: Int)]
    /// The annotation parts of these assets' records (those in the catalog).
    func annotations(ofAssets ids: [String]) throws -> [AnnotatedAsset]
    /// Writes the annotation parts back into each record, with `updatedAt`,
    /// and their index rows and words; nothing else of the asset changes.
    func writeAnnotations(_ assets: [AnnotatedAsset], updatedAt: Date) throws
    /// Many history entries at once.
    func insert(_ events: [AssetEvent]) throws
    /// The collections, by name: a smart one's query, nil for a static one.
    func collections() throws -> [(name: String, query: String?)]
    /// Adds a collection; false when the name is taken.
    func insertCollection(name: String, query: String?) throws -> Bool
    func deleteCollection(name: String) throws
    /// The sources, by name, with their locations and settings files.
    func sources() throws -> [(name: String, location: String, settings: String?)]
    /// Adds a source; false when the name is taken.
    func insertSource(name: String, location: String, settings: String?) throws -> Bool
    /// Removes a source; false when there is none of that name.
    func deleteSource(name: String) throws -> Bool
    /// The custom fields' definitions, by key.
    func customFields() throws -> [CustomFieldDefinition]
    /// Adds the definition, or replaces the one with its key.
    func saveCustomField(_ definition: CustomFieldDefinition) throws
    func deleteCustomField(key: String) throws
    /// Up to `limit` ids, in id order after `after`, of the assets that
    /// have a value for the custom field `key` (or, with `present` false,
    /// that have none).
    func assetIDs(customKey key: String, present: Bool, after: String?, limit: Int) throws -> [String]
    /// Adds many new assets at once, indexed for search (imports, the search
    /// benchmark): a row whose path is taken is left as it is.
    func insertMany(_ rows: [AssetRow]) throws
    /// One page of the assets that match, in the request's order.
    func find(_ request: FindRequest) throws -> FindPage<AssetRecord>
    /// `find`'s page as ids only, no record decoded.
    func findIDs(_ request: FindRequest) throws -> FindPage<String>
}

/// An asset row as a change reads it: the record, and the bookkeeping the
/// record's JSON does not hold for a placeholder.
public struct StoredAsset: Sendable {
    public var record: AssetRecord
    public var id: String
    public var path: String
    public var version: Int
    public var createdAt: Date
    public var attempts: Int

    /// From the row's columns and its JSON record.
    public init(recordJSON: String, id: String, path: String, version: Int, createdAt: Date, attempts: Int) throws {
        record = try AssetRecord.makeDecoder().decode(AssetRecord.self, from: Data(recordJSON.utf8))
        record.version = record.version ?? version
        self.id = id
        self.path = path
        self.version = version
        self.createdAt = createdAt
        self.attempts = attempts
    }
}

/// One row of the `asset` table, made from a record: the columns that are
/// queried and indexed, and the whole record as JSON (the form `show` prints).
public struct AssetRow: Sendable {
    public let record: AssetRecord
    public let json: String

    public init(_ record: AssetRecord) throws {
        self.record = record
        self.json = String(decoding: try AssetRecord.makeEncoder().encode(record), as: UTF8.self)
    }

    public var id: String { record.id ?? "" }
    public var version: Int { record.version ?? 1 }
    public var attempts: Int { record.attempts ?? 1 }
    public var takenAt: String? { record.exif?.takenAt }
    /// Now, for a placeholder that has no timestamps yet.
    public var createdAt: Date { record.createdAt ?? Date() }
    public var updatedAt: Date { record.updatedAt ?? Date() }
}

extension Date {
    /// The time as stored (whole milliseconds), so a record or job a
    /// database returns equals the same one read back.
    package var wholeMilliseconds: Date {
        Date(timeIntervalSince1970: (timeIntervalSince1970 * 1000).rounded() / 1000)
    }

    /// Milliseconds since 1970, as the search columns hold an instant.
    package var epochMilliseconds: Int64 { Int64((timeIntervalSince1970 * 1000).rounded()) }
}

extension AssetEvent {
    /// `detail` as stored: a JSON object with sorted keys.
    public var detailJSON: String { Self.json(detail) }

    /// A detail as stored, for a statement that writes it on many assets.
    static func json(_ detail: [String: String]) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(detail)) ?? Data("{}".utf8), as: UTF8.self)
    }

    /// `detail` from its stored JSON; an unreadable one is empty rather than fatal to the history.
    public static func detail(fromJSON text: String) -> [String: String] {
        (try? JSONDecoder().decode([String: String].self, from: Data(text.utf8))) ?? [:]
    }
}

/// The state of the file an asset was last read from, for an incremental
/// run's quick check.
public struct StoredOrigin: Sendable, Equatable {
    /// Absent for assets catalogued before signatures were recorded.
    public var signature: FileSignature?
    public var status: AssetRecord.Status
    public var reason: AssetError.Reason?

    public init(signature: FileSignature?, status: AssetRecord.Status, reason: AssetError.Reason?) {
        self.signature = signature
        self.status = status
        self.reason = reason
    }

    /// Whether reading the same file again would end the same way: it was
    /// processed, or errored for a reason that is not transient.
    public var isFinal: Bool {
        switch status {
        case .processed: true
        case .errored: reason.map { !AssetError($0, "").isTransient } ?? false
        case .processing: false
        }
    }

    /// From a record's `origin_file` JSON and its status columns.
    static func decode(signatureJSON: String?, status: String, reason: String?) -> StoredOrigin? {
        guard let status = AssetRecord.Status(rawValue: status) else { return nil }
        let signature = signatureJSON.flatMap { try? JSONDecoder().decode(FileSignature.self, from: Data($0.utf8)) }
        return StoredOrigin(signature: signature, status: status, reason: reason.map { AssetError.Reason(rawValue: $0) })
    }
}
