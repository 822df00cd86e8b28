import AssetCatalog
import AssetEdits
import AssetMedia
import AssetPipeline
import Foundation
import HTTPTypes
import Hummingbird
import Metrics

/// `GET /v1/assets/{id}/render`: parameters checked, the signature checked,
/// the cost estimated, then the cache; a miss renders on the render pool,
/// within the gate and the time limit, which stops the render when it passes.
extension AssetAPI {
    func render(_ request: Request, assetID: String) async throws -> Response {
        let started = ContinuousClock.now
        let parameters: RenderParameters
        do {
            parameters = try RenderParameters(queryString: request.uri.query ?? "")
        } catch {
            throw APIError(.badRequest, error.code.rawValue, error.message, param: error.param)
        }
        try checkSignature(request, parameters)

        let record = try await recentRecord(assetID)
        if let width = record.width, let height = record.height {
            // Refused before it takes a slot: planning and costing are arithmetic.
            do {
                _ = try renderer.check(from: (width, height), parameters, sourceHasAlpha: record.color?.alpha == true)
            } catch {
                throw Self.apiError(error)
            }
        }
        // Off the request threads: a store in a bucket fetches the rendition.
        let source = try await blocking { try self.renderSource(of: record, parameters) }
        var mark: (record: AssetRecord, path: String)?
        if let markID = parameters.mark {
            guard let markRecord = try? await recentRecord(markID), markRecord.kind == .image, markRecord.status == .processed else {
                throw APIError(.badRequest, "invalid_value", "mark \(markID) is not a processed image asset", param: "mark")
            }
            mark = (markRecord, try await blocking { try self.renderSource(of: markRecord, RenderParameters()).path })
        }

        let canonical = parameters.canonicalQuery
        let key = RenderCache.key(assetID: assetID, version: record.version ?? 1, sha256: record.sha256 ?? "",
                                  canonicalQuery: canonical,
                                  variant: (mark.map { "\($0.record.id ?? "") \($0.record.version ?? 1) \($0.record.sha256 ?? "")" } ?? "")
                                      + " from \(source.rendition ?? "original")")
        let etag = "\"\(key.prefix(40))\""
        if let wanted = request.headers[.ifNoneMatch], wanted.split(separator: ",").contains(where: {
            $0.trimmingCharacters(in: .whitespaces) == etag || $0.trimmingCharacters(in: .whitespaces) == "*"
        }) {
            return Response(status: .notModified, headers: [.eTag: etag, .cacheControl: settings.cacheControl])
        }
        let format = parameters.outputFormat(sourceHasAlpha: record.color?.alpha == true)
        if let cached = cache.read(key) {
            Counter(label: "assetpipe_render_cache_hits_total").increment()
            return imageResponse(cached, format: format, etag: etag, cache: "hit", source: source.rendition)
        }
        Counter(label: "assetpipe_render_cache_misses_total").increment()

        // An original in a bucket is got only now, on a miss, and removed
        // once the render is done: the render cache keeps what came of it.
        let copies = OriginCopies(fetcher: settings.originFetcher)
        defer { copies.removeAll() }
        let (sourcePath, markPath) = try await localFiles(source.path, mark?.path, copies: copies, assetID: assetID)

        // The time limit counts from the request's arrival, the wait for a
        // slot included: no answer comes later than it (and a moment).
        let deadline = started + settings.renderTimeout
        let renderer = self.renderer
        let cancellation = Cancellation()
        let render: @Sendable () throws -> RenderedImage = {
            try renderer.render(try SourceFile(path: sourcePath).open(), parameters,
                                mark: try markPath.map { try SourceFile(path: $0).open() }, uprightSize: source.uprightSize,
                                deadline: deadline)
        }
        // nil: no render slot came free in time; .some(nil): the render outran its time limit and was stopped.
        let outcome: RenderedImage??
        do {
            outcome = try await gate.run(waitingAtMost: deadline - ContinuousClock.now) {
                let left = deadline - ContinuousClock.now
                guard left > .zero else { return nil }
                return try await Self.value(of: { try await self.renderPool.run(cancellation, render) },
                                            within: left, stopping: cancellation)
            }
        } catch let error as RenderError {
            throw Self.apiError(error)
        } catch let error as MediaError {
            throw APIError(.unprocessableContent, "unrenderable", "cannot read the source of \(assetID): \(error.message)")
        }
        guard let rendered = outcome ?? nil else {
            var busy = APIError(.serviceUnavailable, "busy", outcome == nil
                                ? "every render slot is taken; try again shortly"
                                : "the render could not finish within \(settings.renderTimeout) of the request and was stopped; ask for less, or try again later")
            busy.retryAfter = 1
            throw busy
        }
        cache.write(key, rendered.bytes)
        Timer(label: "assetpipe_render_duration_seconds", preferredDisplayUnit: .seconds)
            .recordNanoseconds((ContinuousClock.now - started).nanoseconds)
        return imageResponse(Data(rendered.bytes), format: rendered.format, etag: etag, cache: "miss", source: source.rendition)
    }

    private func checkSignature(_ request: Request, _ parameters: RenderParameters) throws {
        guard let signer = settings.signer else { return }
        guard let signature = request.uri.queryParameters.get(RenderParameters.signatureParameter) else {
            throw APIError(.forbidden, "signature_required", "this server renders signed URLs only: add `s` (see `assetpipe sign`)", param: "s")
        }
        guard signer.isValid(signature, path: request.uri.path, parameters: parameters) else {
            throw APIError(.forbidden, "bad_signature", "`s` does not sign this path and these parameters", param: "s")
        }
    }

    /// Local files for a render's source and mark: themselves, or copies of
    /// originals in a bucket, got off the request threads. A store that
    /// cannot answer now is a 503 worth retrying; one that refuses, a 422.
    private func localFiles(_ source: String, _ mark: String?, copies: OriginCopies,
                            assetID: String) async throws -> (source: String, mark: String?) {
        guard copies.isRemote(source) || mark.map(copies.isRemote) == true else { return (source, mark) }
        do {
            return try await blocking { (try copies.file(for: source).path, try mark.map { try copies.file(for: $0).path }) }
        } catch let error as AssetError {
            guard error.isTransient else {
                throw APIError(.unprocessableContent, "unrenderable", "cannot read the source of \(assetID): \(error.message)")
            }
            var unavailable = APIError(.serviceUnavailable, "origin_unavailable", "cannot read the source of \(assetID) now: \(error.message)")
            unavailable.retryAfter = 5
            throw unavailable
        }
    }

    /// The file a render reads: an image's original (a path, or the
    /// `s3://` URL of an object, got on a miss), or its smallest stored
    /// rendition that has every pixel the output needs; a video's poster
    /// (its largest rendition). With the image's upright size from the
    /// record, so the render need not read a header for it.
    private func renderSource(of record: AssetRecord, _ parameters: RenderParameters) throws
        -> (path: String, rendition: String?, uprightSize: (width: Int, height: Int)?) {
        guard record.status == .processed else {
            throw APIError(.unprocessableContent, "not_renderable",
                           "asset \(record.id ?? "") is \(record.status.rawValue)" + (record.error.map { " (\($0.reason.rawValue))" } ?? ""))
        }
        switch record.kind {
        case .image?:
            let original = record.origin ?? record.path
            guard let width = record.width, let height = record.height else { return (original, nil, nil) }
            guard settings.renderFromRenditions,
                  let needed = try? renderer.longSideNeeded(from: (width, height), parameters), needed < max(width, height),
                  let copy = (record.renditions ?? [])
                      .filter({ $0.role == .thumbnail && max($0.width, $0.height) >= needed })
                      .min(by: { $0.width * $0.height < $1.width * $1.height })
            else { return (original, nil, (width, height)) }
            // A rendition gone from the store: the original has every pixel too.
            guard let file = catalog.renditionStore.localFile(of: copy) else { return (original, nil, (width, height)) }
            return (file, copy.name, (width, height))
        case .video?:
            if let poster = (record.renditions ?? []).filter({ $0.role == .thumbnail })
                .max(by: { $0.width * $0.height < $1.width * $1.height }),
               let file = catalog.renditionStore.localFile(of: poster) {
                return (file, poster.name, nil)
            }
            fallthrough
        default:
            throw APIError(.unprocessableContent, "not_an_image",
                           "asset \(record.id ?? "") is \(record.kind?.rawValue ?? "of no known kind") without a picture to render")
        }
    }

    private func imageResponse(_ bytes: Data, format: EncodedFormat, etag: String, cache: String, source: String?) -> Response {
        Response(status: .ok, headers: [.contentType: RenderedImage.contentType(of: format), .eTag: etag,
                                        .cacheControl: settings.cacheControl, .renderCache: cache,
                                        .renderSource: source ?? "original"],
                 body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// `work`'s value, or nil when it is not done within `limit`: then
    /// `cancellation` stops it, and this returns once it has (within moments;
    /// the CPU is free when the answer goes out).
    static func value<T: Sendable>(of work: @escaping @Sendable () async throws -> T, within limit: Duration,
                                   stopping cancellation: Cancellation) async throws -> T? {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                do {
                    return try await work()
                } catch RenderError.stopped where cancellation.isCancelled {
                    return nil
                }
            }
            group.addTask {
                try? await Task.sleep(for: limit)
                if !Task.isCancelled { cancellation.cancel() }
                return nil
            }
            // The first to end decides; the timer is cancelled, or the work stopped.
            defer { group.cancelAll() }
            while let result = try await group.next() {
                if let value = result { return value }
                if cancellation.isCancelled { break }
            }
            return nil
        }
    }

    static func apiError(_ error: RenderError) -> APIError {
        switch error {
        case .parameter(let parameter): APIError(.badRequest, parameter.code.rawValue, parameter.message, param: parameter.param)
        case .unrenderable(let message): APIError(.unprocessableContent, "unrenderable", message)
        case .tooLarge(let message): APIError(.unprocessableContent, "too_large", message)
        case .tooCostly(let message): APIError(.unprocessableContent, "too_costly", message)
        case .stopped: busyAfterTheLimit
        }
    }

    /// A render stopped at its limit, or never started for want of time (an
    /// encoder libvips cannot stop): 503 with Retry-After, as a full gate is.
    static var busyAfterTheLimit: APIError {
        var busy = APIError(.serviceUnavailable, "busy", "the render could not finish within its time limit; ask for less, or try again shortly")
        busy.retryAfter = 1
        return busy
    }
}

extension Duration {
    var nanoseconds: Int64 {
        components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000
    }
}

extension HTTPField.Name {
    /// Whether a render came from the cache: `hit` or `miss`.
    static let renderCache = Self("X-Render-Cache")!
    /// What a render was made from: `original`, or the stored rendition's name.
    static let renderSource = Self("X-Render-Source")!
}
