import AssetCatalog
import AssetEdits
import AssetMedia
import AssetPipeline
import AssetQueue
import Foundation
import Hummingbird
import Logging
import Metrics
import Prometheus

/// The HTTP API over one catalog and queue: rendering, the catalog's
/// records and renditions, and jobs. Routes are listed in `openapi.json`.
public struct AssetAPI: Sendable {
    public let catalog: Catalog
    public let queue: any JobQueue
    public let settings: ServerSettings
    let cache: RenderCache
    let gate: RenderGate
    let renderer: Renderer
    let records: RecordCache
    let access: AccessControl
    /// Renders' own threads, apart from catalog reads (`blocking`).
    let renderPool: RenderPool
    let logger: Logger

    /// `renderPool`: the threads renders run on; by default a pool of
    /// `settings.renderConcurrency` threads of the API's own.
    public init(catalog: Catalog, queue: any JobQueue, settings: ServerSettings,
                renderPool: RenderPool? = nil, logger: Logger = Logger(label: "assetpipe.server")) throws {
        self.catalog = catalog
        self.queue = queue
        self.settings = settings
        self.cache = try RenderCache(directory: settings.cacheDirectory, maxBytes: settings.cacheMaxBytes)
        self.gate = RenderGate(capacity: settings.renderConcurrency, maxWait: settings.renderQueueWait)
        self.renderer = Renderer(limits: settings.limits)
        self.records = RecordCache(lifetime: settings.recordLifetime)
        self.access = AccessControl(tokens: settings.tokens, signer: settings.signer, insecure: settings.insecure,
                                    allowedHosts: settings.allowedHosts)
        self.renderPool = renderPool ?? RenderPool(threads: settings.renderConcurrency)
        self.logger = logger
    }

    /// A router with every route, answering HEAD wherever it answers GET;
    /// `/metrics` shows `registry`, the one the process bootstrapped
    /// swift-metrics with.
    public func makeRouter(metrics registry: PrometheusCollectorRegistry) -> Router<BasicRequestContext> {
        let router = Router(options: .autoGenerateHeadEndpoints)
        addRoutes(to: router, metrics: registry)
        return router
    }

    /// Adds every route to `router`, after the middlewares that every
    /// request passes: the access log (and its request id and JSON errors),
    /// metrics, admission.
    public func addRoutes(to router: Router<BasicRequestContext>, metrics registry: PrometheusCollectorRegistry) {
        router.add(middleware: AccessLogMiddleware(logger: logger))
        router.add(middleware: MetricsMiddleware())
        router.add(middleware: AdmissionMiddleware(access: access))
        router.get("/healthz") { _, _ in JSONResponse.make(["status": "ok"]) }
        router.get("/metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                     body: ResponseBody(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
        }
        router.get("/openapi.json") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"],
                     body: ResponseBody(byteBuffer: ByteBuffer(bytes: OpenAPIDocument.json)))
        }
        router.get("/v1/assets") { request, _ in
            await answer {
                try access.authorizeRead(request)
                if request.uri.queryParameters.get("path") != nil { return try await assetAtPath(request) }
                let definitions = try await definitions(for: request.uri.queryParameters.get("q").map { String($0) })
                return try await search(try Self.findRequest(fromQueryOf: request, definitions: definitions))
            }
        }
        router.post("/v1/assets/search") { request, _ in
            await answer {
                try access.authorizeSearchBody(request)
                let body = try await decodeBody(request, as: SearchBody.self,
                                                shape: #"{"q": "...", "sort": "-created_at", "limit": 50, "cursor": "...", "count": true, "facets": ["format"]}"#)
                return try await search(try body.findRequest(try await definitions(for: body.q)))
            }
        }
        router.get("/v1/assets/:id") { request, context in
            await answer {
                try access.authorizeRead(request)
                return try await asset(context.parameters.require("id"))
            }
        }
        router.get("/v1/assets/:id/render") { request, context in
            await answer { try await render(request, assetID: context.parameters.require("id")) }
        }
        router.get("/v1/assets/:id/renditions/:name") { request, context in
            await answer {
                try access.authorizeRead(request)
                return try await rendition(context.parameters.require("id"), context.parameters.require("name"))
            }
        }
        router.post("/v1/jobs") { request, _ in await answer { try await enqueue(request) } }
        router.post("/v1/assets/:id/edits") { request, context in
            await answer { try await saveEdit(request, assetID: context.parameters.require("id")) }
        }
        addAnnotationRoutes(to: router)
        addFieldRoutes(to: router)
        addCollectionRoutes(to: router)
        addUploadRoutes(to: router)
        router.get("/v1/jobs/:id") { request, context in
            await answer {
                try access.authorizeRead(request)
                return try await job(context.parameters.require("id"))
            }
        }
    }

    /// Runs a handler and turns whatever it throws into the API's error body:
    /// never a bare 500 for something the caller can fix, and never a
    /// server path in a message (the log has the details).
    func answer(_ handler: () async throws -> Response) async -> Response {
        do {
            return try await handler()
        } catch let error as APIError {
            return error.redacted.response
        } catch {
            let id = UUID().uuidString.lowercased()
            logger.error("request failed", metadata: ["error": "\(error)", "error_id": "\(id)"])
            return APIError(.internalServerError, "internal", "the server failed; its log has the details under error_id \(id)").response
        }
    }

    // MARK: - Assets

    func record(_ id: String) async throws -> AssetRecord {
        let catalog = self.catalog
        let found = try await blocking { try catalog.record(idOrPath: id) }
        guard let found, found.id == id else { throw APIError.notFound("there is no asset \(id)") }
        return found
    }

    /// `record(id)` through the short-lived record cache: for renders.
    func recentRecord(_ id: String) async throws -> AssetRecord {
        guard let found = try await records.record(id, load: { try? await record(id) }) else {
            throw APIError.notFound("there is no asset \(id)")
        }
        return found
    }

    private func asset(_ id: String) async throws -> Response {
        JSONResponse.make(try await record(id), encoder: AssetRecord.makeEncoder())
    }

    private func assetAtPath(_ request: Request) async throws -> Response {
        guard let path = request.uri.queryParameters.get("path"), !path.isEmpty else {
            throw APIError(.badRequest, "missing_parameter", "name the asset's catalog path: /v1/assets?path=PATH", param: "path")
        }
        // A NUL would end the path early in SQLite's C strings: another asset's path.
        guard !path.utf8.contains(0) else {
            throw APIError(.badRequest, "invalid_value", "a catalog path holds no NUL character", param: "path")
        }
        let catalog = self.catalog
        guard let found = try await blocking({ try catalog.record(atPath: path) }) else {
            throw APIError.notFound("there is no asset at \(path)")
        }
        return JSONResponse.make(found, encoder: AssetRecord.makeEncoder())
    }

    private func rendition(_ id: String, _ name: String) async throws -> Response {
        let record = try await record(id)
        guard let rendition = record.renditions?.first(where: { $0.name == name }) else {
            let names = (record.renditions ?? []).map(\.name).joined(separator: ", ")
            throw APIError.notFound("asset \(id) has no rendition '\(name)'" + (names.isEmpty ? "" : "; it has \(names)"))
        }
        let store = catalog.renditionStore
        guard let data = try await blocking({ store.bytes(of: rendition) }) else {
            throw APIError.notFound("the file of rendition '\(name)' is missing from the store; refresh the asset")
        }
        return Response(status: .ok, headers: [.contentType: RenderedImage.contentType(of: rendition.format),
                                               .cacheControl: settings.cacheControl],
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    // MARK: - Jobs

    struct JobBody: Decodable {
        var kind: Job.Kind
        var origin: String?
        var target: String?
        var onConflict: JobPayload.ConflictPolicy?
        var assetID: String?
        var priority: Int?
        var maxAttempts: Int?

        enum CodingKeys: String, CodingKey {
            case kind, origin, priority
            case target = "as"
            case onConflict = "on_conflict"
            case assetID = "asset_id"
            case maxAttempts = "max_attempts"
        }
    }

    /// The request's JSON body as `Body`: 413 past 1 MiB, 400 when it does
    /// not decode (`shape` tells what was expected).
    func decodeBody<Body: Decodable>(_ request: Request, as _: Body.Type, shape: String) async throws -> Body {
        try AccessControl.requireJSON(request)
        var request = request
        let bytes: ByteBuffer
        do {
            bytes = try await request.collectBody(upTo: 1 << 20)
        } catch {
            throw APIError(.contentTooLarge, "body_too_large", "the body is over 1 MiB; it should be JSON \(shape)")
        }
        do {
            return try JSONDecoder().decode(Body.self, from: Data(buffer: bytes))
        } catch {
            throw APIError(.badRequest, "invalid_body", "the body must be JSON \(shape): \(Self.explain(error))")
        }
    }

    private func enqueue(_ request: Request) async throws -> Response {
        try access.authorizeWrite(request)
        let body = try await decodeBody(request, as: JobBody.self, shape: #"{"kind": "process"|"refresh"|"delete", ...}"#)
        let attempts = body.maxAttempts ?? JobRequest.defaultMaxAttempts
        try Self.checkRange(attempts, JobRequest.attemptCounts, "max_attempts")
        if let priority = body.priority { try Self.checkRange(priority, JobRequest.priorities, "priority") }
        let job: JobRequest
        switch body.kind {
        case .process:
            guard let origin = body.origin else {
                throw APIError(.badRequest, "invalid_value", "a process job needs `origin`, the file's absolute path", param: "origin")
            }
            let admitted = try settings.originRoots.admit(origin)
            job = .process(origin: admitted, as: body.target, onConflict: body.onConflict, priority: body.priority ?? 10, maxAttempts: attempts)
        case .refresh, .delete:
            guard let id = body.assetID else {
                throw APIError(.badRequest, "invalid_value", "a \(body.kind.rawValue) job needs `asset_id`", param: "asset_id")
            }
            _ = try await record(id)
            job = body.kind == .refresh
                ? .refresh(assetID: id, priority: body.priority ?? 0, maxAttempts: attempts)
                : .delete(assetID: id, priority: body.priority ?? 5, maxAttempts: attempts)
        case .edit:
            throw APIError(.badRequest, "invalid_value", "queue edits with POST /v1/assets/{id}/edits", param: "kind")
        }
        let queued = try await queue.enqueue([job])
        return jobResponse(queued[0], status: .accepted)
    }

    static func checkRange(_ value: Int, _ range: ClosedRange<Int>, _ name: String) throws(APIError) {
        guard range.contains(value) else {
            throw APIError(.badRequest, "invalid_value", "\(name) must be \(range.lowerBound) to \(range.upperBound)", param: name)
        }
    }

    /// A job as HTTP clients see it: its origin and its asset's path
    /// relative to the origin root that holds them, and its error without
    /// server paths.
    func jobResponse(_ job: Job, status: HTTPResponse.Status = .ok) -> Response {
        JSONResponse.make(shown(job), status: status, encoder: AssetRecord.makeEncoder())
    }

    /// A job as `jobResponse` shows it.
    func shown(_ job: Job) -> Job {
        var shown = job
        shown.payload.origin = job.payload.origin.map { origin in
            settings.uploads?.destination(ofOrigin: origin) ?? settings.originRoots.display(origin)
        }
        // The asset's path is its origin's for a file catalogued in place: shown the same way.
        shown.asset?.path = job.asset?.path.map { path in
            settings.uploads?.destination(ofOrigin: path) ?? settings.originRoots.display(path)
        }
        shown.lastError = job.lastError.map { AssetError($0.reason, PathRedaction.redacted($0.message)) }
        return shown
    }

    /// A decoding error in words, without Swift's type names.
    static func explain(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return "it is not valid JSON" }
        func at(_ path: [any CodingKey]) -> String {
            path.isEmpty ? "the body" : "`" + path.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".") + "`"
        }
        switch error {
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return "\(at(context.codingPath)) has the wrong type"
        case .keyNotFound(let key, let context):
            return "\(at(context.codingPath + [key])) is missing"
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty ? "it is not valid JSON" : "\(at(context.codingPath)) has a value that is not allowed"
        @unknown default:
            return "it does not have the expected shape"
        }
    }

    struct EditBody: Decodable {
        /// Render parameters by name; numbers and strings alike.
        var ops: [String: ParameterValue]
        var saveAs: String?
        var onConflict: JobPayload.ConflictPolicy?
        var priority: Int?

        enum CodingKeys: String, CodingKey {
            case ops, priority
            case saveAs = "save_as"
            case onConflict = "on_conflict"
        }
    }

    /// A JSON value of the edit vocabulary: `400`, `2.5` or `"cover"`.
    struct ParameterValue: Decodable {
        let text: String

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let integer = try? container.decode(Int.self) {
                text = String(integer)
            } else if let number = try? container.decode(Double.self) {
                text = String(number)
            } else {
                text = try container.decode(String.self)
            }
        }
    }

    /// `POST /v1/assets/{id}/edits`: checks the ops now (400 rather than a
    /// failed job later) and queues an `edit` job.
    private func saveEdit(_ request: Request, assetID: String) async throws -> Response {
        try access.authorizeWrite(request)
        let body = try await decodeBody(request, as: EditBody.self,
                                        shape: #"{"ops": {"w": 400, ...}, "save_as": PATH, "on_conflict": ...}"#)
        let parameters: RenderParameters
        do {
            parameters = try RenderParameters(query: body.ops.map { (name: $0.key, value: $0.value.text) })
        } catch {
            throw APIError(.badRequest, error.code.rawValue, error.message, param: error.param)
        }
        guard !parameters.canonicalQuery.isEmpty else {
            throw APIError(.badRequest, "invalid_value", "name at least one operation in `ops`", param: "ops")
        }
        if let priority = body.priority { try Self.checkRange(priority, JobRequest.priorities, "priority") }
        let record = try await record(assetID)
        guard record.kind == .image, record.status == .processed else {
            throw APIError(.unprocessableContent, "not_an_image", "asset \(assetID) is not a processed image; only images can be edited")
        }
        // The same planning and cost limits as a render: an edit that could
        // not render is refused now, not retried by a worker later.
        if let width = record.width, let height = record.height {
            do {
                _ = try renderer.check(from: (width, height), parameters, sourceHasAlpha: record.color?.alpha == true)
            } catch {
                throw Self.apiError(error)
            }
        }
        let queued = try await queue.enqueue([.edit(assetID: assetID, ops: parameters.canonicalQuery, saveAs: body.saveAs,
                                                    onConflict: body.onConflict, priority: body.priority ?? 10)])
        return jobResponse(queued[0], status: .accepted)
    }

    private func job(_ id: String) async throws -> Response {
        guard let job = try await queue.job(id) else { throw APIError.notFound("there is no job \(id)") }
        return jobResponse(job)
    }
}


