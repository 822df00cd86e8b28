import AssetMedia
import AssetPipeline
import Foundation

/// Brings an origin that is not a local file (an S3 object, `s3://bucket/key`)
/// to a local file the pipeline can read. Blocking, like the rest of a job.
public protocol OriginFetcher: Sendable {
    /// Whether `origin` is one of this fetcher's (by its scheme).
    func handles(_ origin: String) -> Bool

    /// Downloads `origin` into `directory` under the last part of its key,
    /// so the asset keeps its name; returns the file and the object's state.
    /// A transient failure (throttling, the network) is an `AssetError`
    /// whose reason retries; missing objects and refused credentials do not.
    func fetch(_ origin: String, into directory: String) throws(AssetError) -> (path: String, object: ObjectSignature)
}

extension JobExecutor {
    /// The pipeline's reading of `origin`: of the file itself, or of a local
    /// copy of the object, with the object's ETag and size in place of a file
    /// signature. The copy's folder is removed when the reading is done.
    func process(origin: String) -> ProcessedAsset {
        guard let fetcher, fetcher.handles(origin) else { return runner.process(SourceFile(path: origin)) }
        let folder = NSTemporaryDirectory() + "assetpipe-fetch-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: folder) }
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            return Self.failed(origin, AssetError(.inaccessible, "cannot make a folder for \(origin): \(error.localizedDescription)"))
        }
        let fetched: (path: String, object: ObjectSignature)
        do {
            fetched = try fetcher.fetch(origin, into: folder)
        } catch {
            return Self.failed(origin, error)
        }
        var processed = runner.process(SourceFile(path: fetched.path))
        processed.record.path = origin
        processed.record.origin = origin
        processed.record.originFile = nil
        processed.record.originObject = fetched.object
        return processed
    }

    static func failed(_ origin: String, _ error: AssetError) -> ProcessedAsset {
        var record = AssetRecord(path: origin, name: String(origin.split(separator: "/").last ?? Substring(origin)))
        record.origin = origin
        record.status = .errored
        record.error = error
        return ProcessedAsset(record: record, renditions: [])
    }
}
