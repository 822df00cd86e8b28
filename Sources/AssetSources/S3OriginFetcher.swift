import AssetCatalog
import AssetObjectStore
import AssetPipeline
import AssetWorker
import Dispatch
import Foundation

/// Reads `s3://bucket/key` origins for the worker and `serve`: the object
/// is got into the work's folder (checked against its size and ETag on the
/// way) and the pipeline reads that copy. Each object is read with the
/// client of its source (`SourceClients`: a source's settings file, or the
/// standard AWS variables).
public final class S3OriginFetcher: OriginFetcher {
    let clients: any ObjectClients

    public init(clients: any ObjectClients) {
        self.clients = clients
    }

    /// The clients of `catalog`'s sources, over `environment`; when a
    /// bucket's configuration fails (no credentials), its jobs fail saying why.
    public convenience init(catalog: Catalog?, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.init(clients: SourceClients(catalog: catalog, environment: environment))
    }

    public func handles(_ origin: String) -> Bool {
        origin.hasPrefix("s3://")
    }

    public func fetch(_ origin: String, into directory: String) throws(AssetError) -> (path: String, object: ObjectSignature) {
        guard let (bucket, key) = S3Bucket.object(at: origin) else {
            throw AssetError(.originRefused, "\(origin) is not an s3://bucket/key URL")
        }
        let client: S3Client
        do {
            client = try clients.client(forObjectAt: origin)
        } catch {
            throw AssetError(.originRefused, "cannot read \(origin): \(error.message)")
        }
        let path = directory + "/" + S3Bucket.fileName(ofKey: key)
        do {
            let object = try BlockingS3.wait { () async throws(S3Error) -> S3Object in try await client.getObject(bucket: bucket, key: key, to: path) }
            return (path, ObjectSignature(etag: object.etag, size: object.size))
        } catch {
            throw Self.assetError(error, "cannot read \(origin)")
        }
    }

    /// A store's failure as a job sees it: retried when the store may
    /// answer later (throttling, the network, a missing object that may yet
    /// arrive), final when it refuses (credentials, permissions).
    static func assetError(_ error: S3Error, _ what: String) -> AssetError {
        switch error.code {
        case .notFound, .throttled, .server, .network, .timeout, .file:
            return AssetError(.inaccessible, "\(what): \(error.message)")
        case .credentials, .accessDenied, .configuration, .refused, .corrupt, .badAnswer:
            return AssetError(.originRefused, "\(what): \(error.message)")
        }
    }
}
