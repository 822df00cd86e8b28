import AssetCatalog
import AssetEdits
import AssetMedia
import AssetPipeline
import AssetQueue
import Foundation

/// A saved edit: the asset rendered with the job's parameters becomes its
/// next version (or a new asset at the job's `as`), through the whole
/// pipeline (metadata, palette, renditions), with an `edited` history entry
/// that keeps the parameters.
extension JobExecutor {
    func executeEdit(_ job: Job, assetID: String, ops: String, saveAs: String?, onConflict: ConflictPolicy?,
                     source: ChangeSource, mayCommit: () -> Bool) -> JobResult {
        let existing: AssetRecord?
        do {
            existing = try catalog.record(idOrPath: assetID)
        } catch {
            return JobResult(outcome: .retry(Self.catalogUnavailable(error)), summary: "catalog error")
        }
        guard let existing, existing.id == assetID else {
            return result(of: { try catalog.appliedChange(source) ?? .refused(Catalog.notFound(assetID)) })
        }
        // A rerun after this job's change committed: the asset is already the edit.
        if let done = try? catalog.appliedChange(source) { return result(of: { done }) }
        guard existing.kind == .image, existing.status == .processed else {
            return failed(.unsupportedFormat, "asset \(assetID) is not a processed image; only images can be edited")
        }
        let parameters: RenderParameters
        do {
            parameters = try RenderParameters(queryString: ops)
        } catch {
            return failed(.invalidEdit, "bad edit parameter \(error)")
        }
        guard let editsDirectory else {
            return failed(.internalError, "this worker has no folder for edited images (run it with a store)")
        }

        let rendered: RenderedImage
        do {
            var mark: OpenedFile?
            if let markID = parameters.mark {
                guard let markRecord = try catalog.record(idOrPath: markID), markRecord.id == markID, markRecord.kind == .image else {
                    return failed(.invalidEdit, "mark \(markID) is not an image asset")
                }
                mark = try SourceFile(path: markRecord.origin ?? markRecord.path).open()
            }
            let original = try SourceFile(path: existing.origin ?? existing.path).open()
            let upright = existing.width.flatMap { width in existing.height.map { (width: width, height: $0) } }
            rendered = try Renderer(limits: RenderLimits()).render(original, parameters, mark: mark, uprightSize: upright)
        } catch let error as RenderError {
            if case .parameter(let parameter) = error { return failed(.invalidEdit, parameter.description) }
            return failed(.corrupt, error.description)
        } catch let error as MediaError {
            // The original could not be opened now (moved, permissions): maybe later.
            return JobResult(outcome: .retry(AssetError(.inaccessible, error.message)), summary: "will retry")
        } catch {
            return JobResult(outcome: .retry(Self.catalogUnavailable(error as? CatalogError
                ?? CatalogError(operation: "read the mark", reason: "\(error)", hint: ""))), summary: "catalog error")
        }

        // The edited image is the new version's original. Named by the job
        // run, so a repeated attempt writes the same file.
        let path = editsDirectory + "/\(assetID)/\(source.effectKey ?? UUID().uuidString).\(rendered.format.fileExtension)"
        do {
            try Self.writeAtomically(rendered.bytes, to: path)
        } catch {
            return JobResult(outcome: .retry(AssetError(.inaccessible, "cannot write the edited image \(path): \(error.localizedDescription)")),
                             summary: "will retry")
        }
        let processed = runner.process(SourceFile(path: path))
        if let retry = retryUnlessLast(processed, job) { return retry }
        guard mayCommit() else { return JobResult(outcome: .released, summary: "abandoned before commit") }
        let note = ["ops": ops, "edited_from": "\(assetID) v\(existing.version ?? 1)"]
        let target = saveAs ?? existing.path
        let policy = saveAs == nil ? ConflictPolicy.version : onConflict ?? runner.definition.onConflict
        return result(of: {
            try catalog.place(processed, at: target, origin: path, onConflict: policy, source: source, action: .edited, note: note)
        })
    }

    private func failed(_ reason: AssetError.Reason, _ message: String) -> JobResult {
        JobResult(outcome: .failed(AssetError(reason, message)), summary: "refused")
    }

    static func writeAtomically(_ bytes: [UInt8], to path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let temporary = directory + "/.\((path as NSString).lastPathComponent).\(UUID().uuidString.prefix(8)).tmp"
        try Data(bytes).write(to: URL(fileURLWithPath: temporary))
        if rename(temporary, path) != 0 {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(atPath: temporary)
            throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: reason])
        }
    }
}
