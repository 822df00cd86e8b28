import AssetObjectStore
import AssetPipeline
import AssetWorker

/// Edited images as objects under `PREFIX/edits/` of the store's bucket
/// (`--store s3://BUCKET/PREFIX`), beside the renditions: workers on other
/// hosts and `serve` read them back as they read any S3 origin. A PUT is
/// whole or absent; the job run's name makes a repeated attempt put the
/// same key again, so a worker killed before its commit leaves nothing the
/// next attempt does not overwrite.
public struct S3EditedOriginals: EditedOriginals {
    public let bucket: S3Bucket
    let configured: Result<S3Client, S3Error>

    public init(store url: String, client: Result<S3Client, S3Error>) throws(S3Error) {
        bucket = try S3Bucket(url: url)
        configured = client
    }

    public func keep(_ bytes: [UInt8], named name: String) throws(AssetError) -> KeptOriginal {
        let key = bucket.prefix + "edits/" + name, bucketName = bucket.name
        let origin = "s3://\(bucketName)/\(key)"
        do {
            let client = try configured.get()
            let etag = try BlockingS3.wait { () async throws(S3Error) -> String in
                try await client.putObject(bucket: bucketName, key: key, bytes: bytes)
            }
            return KeptOriginal(origin: origin, object: ObjectSignature(etag: etag, size: Int64(bytes.count)))
        } catch {
            throw S3OriginFetcher.assetError(error, "cannot put the edited image \(origin)")
        }
    }
}
