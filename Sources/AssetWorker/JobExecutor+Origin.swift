import AssetMedia
import AssetPipeline
import Foundation

extension JobExecutor {
    /// The pipeline's reading of `origin`: of the file itself, or of a local
    /// copy of the object, with the object's ETag and size in place of a file
    /// signature. The copy is removed when the reading is done.
    func process(origin: String) -> ProcessedAsset {
        let copies = OriginCopies(fetcher: fetcher)
        guard copies.isRemote(origin) else { return runner.process(SourceFile(path: origin)) }
        defer { copies.removeAll() }
        let fetched: (path: String, object: ObjectSignature?)
        do {
            fetched = try copies.file(for: origin)
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
