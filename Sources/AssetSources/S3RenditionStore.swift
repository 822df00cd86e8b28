import AssetCatalog
import AssetObjectStore
import AssetPipeline
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Renditions as objects: `PREFIX/renditions/<first two of id>/<id>/v<version>/<name>.<ext>`
/// in a bucket (`--store s3://BUCKET/PREFIX`), the local store's layout, so
/// workers on several hosts share only the bucket and the database.
///
/// A PUT is atomic (an object is whole or absent) and each version has
/// keys of its own, so the catalog never points at a partial object or at
/// another version's. The catalog writes and removes an asset's objects
/// holding its write lock; a worker killed between its PUTs and the commit
/// leaves objects no row names, under the id its job always gives the asset
/// (see `Catalog.newAssetID(forJob:)`), and the retry of that job writes the
/// same keys and then removes whatever of the asset it does not keep.
///
/// The calls are synchronous, as the protocol is: each waits on its own
/// thread for the transfer (the workers' job threads, the catalog's writer,
/// serve's blocking pool), never on the concurrency pool's.
public final class S3RenditionStore: RenditionStore {
    public let bucket: S3Bucket
    /// Failed when the AWS variables do not configure a client: commands
    /// that never touch a rendition (show, find, jobs) still run, and each
    /// write or read says why it cannot.
    let configured: Result<S3Client, S3Error>
    /// Local copies of renditions read for libvips (`localFile`): renders
    /// from a rendition, a video's poster. Safe to delete at any time.
    public let cacheDirectory: String

    public init(url: String, client: Result<S3Client, S3Error>, cacheDirectory: String) throws(S3Error) {
        bucket = try S3Bucket(url: url)
        configured = client
        self.cacheDirectory = cacheDirectory
    }

    private var client: S3Client {
        get throws(S3Error) { try configured.get() }
    }

    static func directory(ofAsset id: String) -> String {
        "renditions/\(id.prefix(2))/\(id)"
    }

    public func store(_ renditions: [EncodedRendition], forAsset id: String, version: Int) throws -> [Rendition] {
        let directory = Self.directory(ofAsset: id) + "/v\(version)"
        return try renditions.map { rendition in
            let path = directory + "/\(rendition.name).\(rendition.format.fileExtension)"
            let bytes = rendition.bytes
            let key = bucket.prefix + path, name = bucket.name
            let type = rendition.format.mimeType
            let client = try self.client
            try BlockingS3.wait { () async throws(S3Error) -> String in
                try await client.putObject(bucket: name, key: key, bytes: bytes, contentType: type)
            }
            return Rendition(rendition, storedAt: path)
        }
    }

    public func removeRenditions(ofAsset id: String, except kept: Set<String>) throws {
        let prefix = bucket.prefix + Self.directory(ofAsset: id) + "/"
        let name = bucket.name, client = try self.client
        let objects = try BlockingS3.wait { () async throws(S3Error) -> [S3Object] in
            try await client.listObjects(bucket: name, prefix: prefix)
        }
        for object in objects {
            let path = String(object.key.dropFirst(bucket.prefix.count))
            guard !kept.contains(path) else { continue }
            try BlockingS3.wait { () async throws(S3Error) -> Bool in
                try await client.deleteObject(bucket: name, key: object.key)
                return true
            }
            unlink(cacheDirectory + "/" + path)
        }
    }

    /// The rendition's path when it is one `store` could have made.
    private func checked(_ rendition: Rendition) -> String? {
        let path = rendition.path
        guard path.hasPrefix("renditions/"), !path.split(separator: "/", omittingEmptySubsequences: false).contains(where: { $0.isEmpty || $0 == ".." })
        else { return nil }
        return path
    }

    public func localFile(of rendition: Rendition) -> String? {
        guard let path = checked(rendition) else { return nil }
        let local = cacheDirectory + "/" + path
        if FileManager.default.fileExists(atPath: local) { return local }
        do {
            try FileManager.default.createDirectory(atPath: (local as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            let key = bucket.prefix + path, name = bucket.name, client = try self.client
            // Got beside the destination and checked, then renamed: never a partial copy.
            _ = try BlockingS3.wait { () async throws(S3Error) -> S3Object in
                try await client.getObject(bucket: name, key: key, to: local)
            }
            return local
        } catch {
            return nil
        }
    }

    public func bytes(of rendition: Rendition) -> Data? {
        guard let path = checked(rendition), let client = try? self.client else { return nil }
        let key = bucket.prefix + path, name = bucket.name
        return (try? BlockingS3.wait { () async throws(S3Error) -> [UInt8] in
            try await client.getObject(bucket: name, key: key)
        }).map { Data($0) }
    }
}
