import AssetCatalog
import AssetObjectStore
import AssetPipeline
import AssetQueue
import AssetUploads
import Foundation
import Hummingbird
#if canImport(Glibc)
import Glibc
#endif

/// `POST /v1/uploads`: a file streamed into the upload area (a raw body
/// with `?destination=`, or `multipart/form-data`), never whole in memory,
/// checked against the size limit and an optional SHA-256, placed under
/// the conflict policy, then queued for processing: 202 with the asset's
/// and the job's ids.
extension AssetAPI {
    /// What an upload is told to do, from the query and, for a form, its text fields.
    struct UploadParameters {
        var destination: String?
        var onConflict = ConflictPolicy.reject
        var sha256: String?

        /// Form text fields read at most this long.
        static let fieldLimit = 4096
        static let names: Set<String> = ["destination", "on_conflict", "sha256"]

        mutating func set(_ name: String, _ value: String) throws(APIError) {
            switch name {
            case "destination":
                destination = value
            case "on_conflict":
                guard let policy = ConflictPolicy(rawValue: value) else {
                    throw APIError(.badRequest, "invalid_value", "on_conflict is reject (the default), version or rename", param: "on_conflict")
                }
                onConflict = policy
            case "sha256":
                guard value.utf8.count == 64, value.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0 | 0x20) }) else {
                    throw APIError(.badRequest, "invalid_value", "sha256 is the body's SHA-256 as 64 hex digits", param: "sha256")
                }
                sha256 = value
            default:
                break
            }
        }
    }

    func addUploadRoutes(to router: Router<BasicRequestContext>) {
        router.post("/v1/uploads") { request, _ in await answer { try await upload(request) } }
    }

    private func upload(_ request: Request) async throws -> Response {
        try access.authorizeWrite(request)
        guard let area = settings.uploads else {
            throw APIError(.forbidden, "uploads_disabled", "this server takes no uploads: start it with --uploads DIR_OR_S3_URL")
        }
        var parameters = UploadParameters()
        for name in UploadParameters.names {
            if let value = request.uri.queryParameters.get(name) { try parameters.set(name, String(value)) }
        }
        if let declared = request.headers[.contentLength].flatMap({ Int64($0) }), declared > settings.uploadLimit {
            throw APIError(.contentTooLarge, "body_too_large", "the upload is \(ByteCount.describe(declared)), over the limit of "
                           + "\(ByteCount.describe(settings.uploadLimit)); upload a smaller file, or raise serve's --upload-limit")
        }
        let contentType = request.headers[.contentType] ?? ""
        // A raw body bound for a bucket goes up in parts while it arrives,
        // unless it is known to be smaller than one part.
        var streamed: (destination: String, parts: (size: Int64, concurrency: Int))?
        if !contentType.lowercased().hasPrefix("multipart/"), let parts = area.parts, let given = parameters.destination,
           (request.headers[.contentLength].flatMap { Int64($0) } ?? Int64.max) >= parts.size,
           settings.uploadLimit / parts.size < Int64(S3Configuration.maximumParts) {
            streamed = (given, parts)
        }
        let spool: UploadSpool
        do {
            // The whole body's MD5 only for a single PUT (its Content-MD5); parts are hashed each.
            spool = try UploadSpool(directory: area.spoolDirectory, limit: settings.uploadLimit, md5: area.isS3 && streamed == nil)
        } catch {
            throw Self.apiError(error)
        }
        defer { spool.discard() }
        if let streamed {
            return try await streamToBucket(request.body, area: area, spool: spool, destination: streamed.destination, parameters: parameters,
                                            parts: streamed.parts)
        }
        do {
            if contentType.lowercased().hasPrefix("multipart/") {
                try await receiveForm(request.body, contentType: contentType, into: spool, parameters: &parameters)
            } else {
                guard parameters.destination != nil else {
                    throw APIError(.badRequest, "missing_parameter", "name where the file goes: POST /v1/uploads?destination=path/name.ext "
                                   + "(or send a multipart/form-data form)", param: "destination")
                }
                for try await chunk in request.body { try await spool.append(chunk.readableBytesView) }
            }
        } catch let error as APIError {
            throw error
        } catch let error as UploadRefusal {
            throw Self.apiError(error)
        } catch {
            // The connection broke or the body ended short: nothing is kept.
            throw APIError(.badRequest, "incomplete_body", "the body ended before it was complete; nothing was kept: send the file again")
        }
        guard let given = parameters.destination else {
            throw APIError(.badRequest, "missing_parameter", "name where the file goes: a destination field, ?destination=, "
                           + "or a filename on the file part", param: "destination")
        }
        do {
            let destination = try UploadDestination(given)
            let received = try await spool.finish(expectingSHA256: parameters.sha256, durable: !area.isS3)
            let placement = try await area.place(spool.path, spooled: true, at: destination, policy: parameters.onConflict, catalog: catalog,
                                                 digests: spool.digests)
            return try await queued(placement, received, policy: parameters.onConflict)
        } catch let error as UploadRefusal {
            throw Self.apiError(error)
        }
    }

    /// Queues the process job of a placed upload and answers 202.
    private func queued(_ placement: UploadArea.Placement, _ received: (size: Int64, sha256: String),
                        policy: ConflictPolicy) async throws -> Response {
        let queued = try await queue.enqueue([.process(origin: placement.origin, onConflict: policy == .version ? .version : .reject,
                                                       priority: 10)])
        let job = queued[0]
        let body = UploadAnswer(assetID: placement.existingAssetID ?? Catalog.newAssetID(forJob: job.id), jobID: job.id,
                                destination: placement.destination.path, source: settings.uploadSource, size: received.size,
                                sha256: received.sha256, job: shown(job))
        return JSONResponse.make(body, status: .accepted, encoder: AssetRecord.makeEncoder())
    }

    /// A raw body into a bucket area: the destination reserved first, then
    /// each part sent from the spool file as soon as it is written (a few at
    /// once; a slow bucket slows the client down, never fills memory), so
    /// receiving and sending overlap. The object appears only when every
    /// part is in and the checksum held; anything else aborts the upload.
    private func streamToBucket(_ body: RequestBody, area: UploadArea, spool: UploadSpool, destination given: String,
                                parameters: UploadParameters, parts: (size: Int64, concurrency: Int)) async throws -> Response {
        let placement: UploadArea.Placement, upload: S3PartUpload
        do {
            placement = try await area.reserve(try UploadDestination(given), policy: parameters.onConflict, catalog: catalog)
            upload = try await area.startParts(at: placement)
        } catch {
            throw Self.apiError(error)
        }
        let path = spool.path
        defer { unlink(path) }
        let received: (size: Int64, sha256: String)
        do {
            received = try await withThrowingTaskGroup(of: (Int, [UInt8]).self) { group in
                var md5s: [Int: [UInt8]] = [:]
                var started = 0, inFlight = 0
                func send(_ index: Int, length: Int64) {
                    let offset = Int64(index) * parts.size
                    group.addTask { (index, try await upload.send(part: index + 1, file: path, offset: offset, length: length)) }
                    inFlight += 1
                }
                for try await chunk in body {
                    try await spool.append(chunk.readableBytesView)
                    while spool.written >= Int64(started + 1) * parts.size {
                        if inFlight >= parts.concurrency, let (index, md5) = try await group.next() {
                            md5s[index] = md5
                            inFlight -= 1
                        }
                        send(started, length: parts.size)
                        started += 1
                    }
                }
                let received = try await spool.finish(expectingSHA256: parameters.sha256, durable: false)
                let rest = received.size - Int64(started) * parts.size
                if rest > 0 || started == 0 {
                    send(started, length: rest)
                    started += 1
                }
                while let (index, md5) = try await group.next() { md5s[index] = md5 }
                _ = try await upload.complete((0..<started).map { md5s[$0] ?? [] })
                return received
            }
        } catch {
            await upload.abort()
            switch error {
            case let refusal as UploadRefusal: throw Self.apiError(refusal)
            case let failure as S3Error:
                throw Self.apiError(UploadRefusal(.store, "cannot put the upload in \(area.location): \(failure.message)"))
            default:
                throw APIError(.badRequest, "incomplete_body", "the body ended before it was complete; nothing was kept: send the file again")
            }
        }
        return try await queued(placement, received, policy: parameters.onConflict)
    }

    /// Streams a form: its text fields into `parameters`, its one file part
    /// into `spool` (its filename the destination when none is given).
    private func receiveForm(_ body: RequestBody, contentType: String, into spool: UploadSpool,
                             parameters: inout UploadParameters) async throws {
        var reader = try MultipartFormReader(contentType: contentType)
        var field: (name: String, value: [UInt8])?
        var inFile = false, sawFile = false
        var fromForm: [String: String] = [:]
        var filename: String?
        for try await chunk in body {
            for event in try reader.feed(chunk.readableBytesView) {
                switch event {
                case .partStart(let name, let partFilename, _):
                    if partFilename != nil || name == "file" {
                        guard !sawFile else {
                            throw APIError(.badRequest, "invalid_value", "send one file per upload; this form has more", param: "file")
                        }
                        inFile = true
                        sawFile = true
                        filename = partFilename
                    } else {
                        field = UploadParameters.names.contains(name) ? (name, []) : nil
                    }
                case .bytes(let bytes):
                    if inFile {
                        try await spool.append(bytes)
                    } else if var current = field {
                        current.value += bytes
                        guard current.value.count <= UploadParameters.fieldLimit else {
                            throw APIError(.badRequest, "invalid_value", "the form field \(current.name) is over 4 KiB", param: current.name)
                        }
                        field = current
                    }
                case .partEnd:
                    if let current = field {
                        fromForm[current.name] = String(decoding: current.value, as: UTF8.self)
                    }
                    field = nil
                    inFile = false
                }
            }
        }
        guard reader.isComplete else { throw UploadRefusal(.incomplete, "the form ended before its closing boundary") }
        guard sawFile else {
            throw APIError(.badRequest, "missing_parameter", "the form has no file part (a part with a filename, or named `file`)", param: "file")
        }
        for (name, value) in fromForm { try parameters.set(name, value) }
        if parameters.destination == nil, let filename, !filename.isEmpty {
            // A browser's filename is a name, never a path to follow.
            parameters.destination = String(filename.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last ?? "")
        }
    }

    struct UploadAnswer: Encodable {
        var assetID: String
        var jobID: String
        var destination: String
        var source: String?
        var size: Int64
        var sha256: String
        var job: Job

        enum CodingKeys: String, CodingKey {
            case assetID = "asset_id"
            case jobID = "job_id"
            case destination, source, size, sha256, job
        }
    }

    static func apiError(_ refusal: UploadRefusal) -> APIError {
        let status: HTTPResponse.Status
        switch refusal.kind {
        case .invalid, .incomplete: status = .badRequest
        case .tooLarge: status = .contentTooLarge
        case .checksumMismatch: status = .unprocessableContent
        case .exists: status = .conflict
        case .store: status = .serviceUnavailable
        }
        var error = APIError(status, refusal.kind.rawValue, refusal.message, param: refusal.param)
        if refusal.kind == .store { error.retryAfter = 5 }
        return error
    }
}
