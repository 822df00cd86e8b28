import AssetObjectStore
import AssetPipeline
import AssetWorker
import Dispatch
import Foundation

/// Reads `s3://bucket/key` origins for the worker: the object is got into
/// the job's folder (checked against its size and ETag on the way) and the
/// pipeline reads that copy.
public final class S3OriginFetcher: OriginFetcher {
    let client: Result<S3Client, S3Error>

    /// `configuration` is read once, at start; when it failed (no
    /// credentials), each S3 job fails saying why.
    public init(configuration: Result<S3Configuration, S3Error>) {
        client = configuration.map { S3Client(configuration: $0) }
    }

    /// With the configuration the standard AWS variables give (`S3Configuration.fromEnvironment`).
    public convenience init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        do throws(S3Error) {
            self.init(configuration: .success(try S3Configuration.fromEnvironment(environment)))
        } catch {
            self.init(configuration: .failure(error))
        }
    }

    public func handles(_ origin: String) -> Bool {
        origin.hasPrefix("s3://")
    }

    public func fetch(_ origin: String, into directory: String) throws(AssetError) -> (path: String, object: ObjectSignature) {
        guard let (bucket, key) = S3Bucket.object(at: origin) else {
            throw AssetError(.originRefused, "\(origin) is not an s3://bucket/key URL")
        }
        let client: S3Client
        switch self.client {
        case .success(let made): client = made
        case .failure(let error): throw AssetError(.originRefused, "cannot read \(origin): \(error.message)")
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
