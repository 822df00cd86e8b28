import AssetCatalog
import AssetMedia
import AssetObjectStore
import AssetPipeline
import AssetQuery
import Foundation

/// Copies catalogued originals to a backup bucket, as ImageKit backs up to
/// a customer's own: each version of an asset once, under
/// `PREFIX<asset id>/v<version>-<SHA-256, 16 digits>/<name>`, with its
/// SHA-256 and asset id as object metadata. A copy is only ever added: new
/// bytes are a new key, and nothing here deletes, so an asset deleted from
/// the catalog keeps its backups. The bytes sent are checked against the SHA-256 the catalog holds
/// for the version, so a file changed since it was catalogued is never
/// filed under the old version.
public final class BackupCopier: Sendable {
    public let bucket: S3Bucket
    let client: S3Client
    /// Reads originals that are objects: each with its source's client.
    let originClients: any ObjectClients

    /// `originClients`: the clients that read originals in buckets (a
    /// catalog's `SourceClients`); nil reads them with the backup's own.
    public init(bucket: S3Bucket, configuration: S3Configuration, originClients: (any ObjectClients)? = nil) {
        self.bucket = bucket
        client = S3Client(configuration: configuration)
        self.originClients = originClients ?? client
    }

    /// The key of the record's bytes; nil for a record without an id,
    /// version or SHA-256 (not processed). The SHA-256's first 16 digits are
    /// part of it because a refresh that reads new bytes keeps the version
    /// number: each content gets a key of its own, so no backup is ever
    /// overwritten, and a key that is there holds exactly those bytes.
    public func key(for record: AssetRecord) -> String? {
        guard let id = record.id, let version = record.version, let sha256 = record.sha256, sha256.count >= 16,
              !record.name.isEmpty else { return nil }
        return "\(bucket.prefix)\(id)/v\(version)-\(sha256.prefix(16))/\(record.name)"
    }

    public enum Outcome: String, Sendable, Equatable {
        /// Sent now.
        case copied
        /// The bucket holds it already.
        case present
    }

    /// Copies the record's version unless the bucket holds it.
    @discardableResult
    public func copy(_ record: AssetRecord) async throws(BackupError) -> Outcome {
        guard let key = key(for: record), let expected = record.sha256, let id = record.id else {
            throw BackupError(record, "it has no processed version to back up")
        }
        let existing: S3Object?
        do {
            existing = try await client.headObject(bucket: bucket.name, key: key)
        } catch {
            throw BackupError(record, error.message)
        }
        if let existing, existing.metadata["sha256"] == expected { return .present }
        let origin = record.origin ?? record.path
        let file = try await localFile(of: origin, record)
        defer { if file != origin { try? FileManager.default.removeItem(atPath: (file as NSString).deletingLastPathComponent) } }
        let actual: String
        do {
            actual = try SourceFile(path: file).open().sha256()
        } catch {
            throw BackupError(record, "cannot read its original \(origin) (\(error.message)); it may have moved or gone")
        }
        guard actual == expected else {
            throw BackupError(record, "its original \(origin) changed since version \(record.version ?? 0) was catalogued; "
                + "refresh the asset (assetpipe enqueue --refresh) and the new version is backed up")
        }
        do {
            try await client.putObject(bucket: bucket.name, key: key, file: file, contentType: record.mime,
                                       metadata: ["sha256": expected, "asset-id": id])
        } catch {
            throw BackupError(record, error.message)
        }
        return .copied
    }

    /// The file to send for `origin`: itself, or, for an object in a bucket
    /// (an upload, an S3 source, an edit kept in the store's bucket), a
    /// copy got into a folder of its own with its source's client, so the same
    /// SHA-256 check holds for both.
    private func localFile(of origin: String, _ record: AssetRecord) async throws(BackupError) -> String {
        guard let (name, key) = S3Bucket.object(at: origin) else { return origin }
        let folder = NSTemporaryDirectory() + "assetpipe-backup-" + UUID().uuidString.lowercased()
        let path = folder + "/" + S3Bucket.fileName(ofKey: key)
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw BackupError(record, "cannot make a folder for a copy of \(origin): \(error.localizedDescription)")
        }
        do {
            _ = try await originClients.client(forObjectAt: origin).getObject(bucket: name, key: key, to: path)
        } catch {
            try? FileManager.default.removeItem(atPath: folder)
            throw BackupError(record, "cannot read its original \(origin): \(error.message)")
        }
        return path
    }

    /// What a backfill did.
    public struct Summary: Sendable, Equatable {
        public var copied = 0
        public var present = 0
        public var failed: [BackupError] = []

        public init() {}
    }

    /// Backs up every processed asset whose current version the bucket does
    /// not hold, `concurrency` at a time: one listing of the prefix, then the
    /// catalog page by page (1,000 records at a time). `progress` sees the
    /// summary after each page.
    public func backfill(_ catalog: Catalog, concurrency: Int = 4,
                         progress: @Sendable (Summary) -> Void = { _ in }) async throws(BackupError) -> Summary {
        let held: Set<String>
        do {
            held = Set(try await client.listObjects(bucket: bucket.name, prefix: bucket.prefix).map(\.key))
        } catch {
            throw BackupError(message: error.message)
        }
        var summary = Summary()
        var cursor: String?
        repeat {
            let page: FindPage<AssetRecord>
            do {
                let request = try FindRequest(q: #"status = "processed""#, sort: "created_at", limit: FindRequest.maximumLimit, cursor: cursor)
                page = try catalog.find(request)
            } catch {
                throw BackupError(message: "cannot read the catalog: \(error)")
            }
            let missing = page.items.filter { record in key(for: record).map { !held.contains($0) } ?? false }
            summary.present += page.items.count - missing.count
            let outcomes = await copyAll(missing, concurrency: concurrency)
            for outcome in outcomes {
                switch outcome {
                case .success(.copied): summary.copied += 1
                case .success(.present): summary.present += 1
                case .failure(let error): summary.failed.append(error)
                }
            }
            progress(summary)
            cursor = page.nextCursor
        } while cursor != nil
        return summary
    }

    /// Backs up the current versions of the assets with these ids (those
    /// still catalogued and processed), `concurrency` at a time.
    public func copy(assetIDs ids: [String], from catalog: Catalog, concurrency: Int = 4) async -> Summary {
        var summary = Summary()
        for start in stride(from: 0, to: ids.count, by: 1000) {
            var records: [AssetRecord] = []
            for id in ids[start..<min(start + 1000, ids.count)] {
                do {
                    if let record = try catalog.record(idOrPath: id), record.id == id, record.status == .processed { records.append(record) }
                } catch {
                    summary.failed.append(BackupError(message: "\(id): cannot read it from the catalog: \(error)"))
                }
            }
            for outcome in await copyAll(records, concurrency: concurrency) {
                switch outcome {
                case .success(.copied): summary.copied += 1
                case .success(.present): summary.present += 1
                case .failure(let error): summary.failed.append(error)
                }
            }
        }
        return summary
    }

    private func copyAll(_ records: [AssetRecord], concurrency: Int) async -> [Result<Outcome, BackupError>] {
        await withTaskGroup(of: Result<Outcome, BackupError>.self) { group in
            var results: [Result<Outcome, BackupError>] = []
            var next = 0
            func add() {
                let record = records[next]
                next += 1
                group.addTask {
                    do throws(BackupError) {
                        return .success(try await self.copy(record))
                    } catch {
                        return .failure(error)
                    }
                }
            }
            while next < min(max(concurrency, 1), records.count) { add() }
            while let result = await group.next() {
                results.append(result)
                if next < records.count { add() }
            }
            return results
        }
    }
}

/// Why an asset was not backed up.
public struct BackupError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The asset's id and path, when the error is one asset's.
    public let assetID: String?
    public let path: String?
    public let message: String

    init(_ record: AssetRecord, _ message: String) {
        assetID = record.id
        path = record.path
        self.message = message
    }

    init(message: String) {
        assetID = nil
        path = nil
        self.message = message
    }

    public var description: String {
        path.map { "\($0): \(message)" } ?? message
    }
}
