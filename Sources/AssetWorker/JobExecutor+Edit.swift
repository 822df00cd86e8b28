import AssetCatalog
import AssetEdits
import AssetMedia
import AssetPipeline
import AssetQueue
import Foundation

/// A saved edit: the asset rendered with the job's parameters becomes its
/// next version (or a new asset at the job's `as`), through the whole
/// pipeline (metadata, palette, renditions), with an `edited` history entry
/// that keeps the parameters. The source is decoded once, by the render;
/// the pipeline gets the render in memory, and the file written is the new
/// version's original (see `EditedOriginal`).
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
        guard let edits else {
            return failed(.internalError, "this worker has no place for edited images (run it with a store)")
        }

        // The original and the mark are read where they are: files, or copies of objects.
        let copies = OriginCopies(fetcher: fetcher)
        defer { copies.removeAll() }
        let rendered: EditedOriginal
        do {
            var mark: OpenedFile?
            if let markID = parameters.mark {
                guard let markRecord = try catalog.record(idOrPath: markID), markRecord.id == markID, markRecord.kind == .image else {
                    return failed(.invalidEdit, "mark \(markID) is not an image asset")
                }
                mark = try SourceFile(path: try copies.file(for: markRecord.origin ?? markRecord.path).path).open()
            }
            let original = try SourceFile(path: try copies.file(for: existing.origin ?? existing.path).path).open()
            let upright = existing.width.flatMap { width in existing.height.map { (width: width, height: $0) } }
            let renderer = Renderer(limits: RenderLimits())
            let picture = try renderer.renderPicture(original, parameters, mark: mark, uprightSize: upright)
            do {
                rendered = try EditedOriginal(picture, parameters, sourceFormat: existing.format, renderer: renderer)
            } catch {
                // The render's pixels are computed here, lazily: its failure is the render's.
                throw RenderError.unrenderable("cannot render \(original.displayPath): \(error.message)")
            }
        } catch let error as RenderError {
            if case .parameter(let parameter) = error { return failed(.invalidEdit, parameter.description) }
            return failed(.corrupt, error.description)
        } catch let error as MediaError {
            // The original could not be opened now (moved, permissions): maybe later.
            return JobResult(outcome: .retry(AssetError(.inaccessible, error.message)), summary: "will retry")
        } catch let error as AssetError {
            // An object that could not be got: retried when the store may answer later.
            return JobResult(outcome: error.isTransient ? .retry(error) : .failed(error), summary: error.isTransient ? "will retry" : "refused")
        } catch {
            return JobResult(outcome: .retry(Self.catalogUnavailable(error as? CatalogError
                ?? CatalogError(operation: "read the mark", reason: "\(error)", hint: ""))), summary: "catalog error")
        }

        // The edited image is the new version's original. Named by the job
        // run, so a repeated attempt writes the same file or object.
        let name = "\(assetID)/\(source.effectKey ?? UUID().uuidString).\(rendered.format.fileExtension)"
        // The pipeline reads a file (its SHA-256, its metadata): the kept
        // file itself, or, for an object, the same bytes written locally.
        let kept: KeptOriginal, file: String
        do throws(AssetError) {
            kept = try edits.keep(rendered.bytes, named: name)
            file = kept.object == nil ? kept.origin : try copies.file(holding: rendered.bytes, named: (name as NSString).lastPathComponent)
        } catch {
            return JobResult(outcome: error.isTransient ? .retry(error) : .failed(error), summary: error.isTransient ? "will retry" : "refused")
        }
        // The render goes to the pipeline as it is in memory: derivatives are
        // made from its pixels, not from a decode of the file just written.
        var processed = runner.process(SourceFile(path: file), handedOver: rendered.picture)
        if let object = kept.object {
            processed.record.originFile = nil
            processed.record.originObject = object
        }
        if let retry = retryUnlessLast(processed, job) { return retry }
        guard mayCommit() else { return JobResult(outcome: .released, summary: "abandoned before commit") }
        let note = ["ops": ops, "edited_from": "\(assetID) v\(existing.version ?? 1)"]
        let target = saveAs ?? existing.path
        let policy = saveAs == nil ? ConflictPolicy.version : onConflict ?? runner.definition.onConflict
        return result(of: {
            try catalog.place(processed, at: target, origin: kept.origin, onConflict: policy, source: source, action: .edited, note: note)
        })
    }

    private func failed(_ reason: AssetError.Reason, _ message: String) -> JobResult {
        JobResult(outcome: .failed(AssetError(reason, message)), summary: "refused")
    }
}

/// An edit's new original: the render in memory, and the file that keeps
/// it. Kept in the source's own format, losslessly where libvips writes that
/// format losslessly (PNG, WebP); JPEG and AVIF at `q` (default 95); other
/// formats (GIF, TIFF, HEIF, ...) as PNG. An `fm` in the edit chooses the
/// format instead.
struct EditedOriginal {
    /// What the file holds (flattened where the format has no alpha), in memory.
    let picture: Image
    let bytes: [UInt8]
    let format: EncodedFormat

    static let defaultQuality = 95

    init(_ rendered: RenderedPicture, _ parameters: RenderParameters, sourceFormat: String?, renderer: Renderer) throws(MediaError) {
        let chosen: EncodedFormat
        switch (parameters.format, sourceFormat) {
        case (.jpeg?, _): chosen = .jpeg
        case (.png?, _): chosen = .png
        case (.webp?, _): chosen = .webp
        case (.avif?, _): chosen = .avif
        case (nil, "jpeg"?): chosen = .jpeg
        case (nil, "webp"?): chosen = .webp
        case (nil, "avif"?): chosen = .avif
        default: chosen = .png
        }
        format = chosen
        picture = try renderer.finished(rendered, as: chosen, parameters).inMemory()
        let quality = parameters.quality ?? Self.defaultQuality
        switch chosen {
        case .webp where parameters.quality == nil: bytes = try picture.encodedLosslessWebP()
        default: bytes = try picture.encoded(as: chosen, quality: quality)
        }
    }
}
