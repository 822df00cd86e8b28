import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOHTTP1

/// The S3 API over AsyncHTTPClient, signed with SigV4: objects put from
/// files or bytes (in parts above the multipart threshold), got into files
/// or bytes, listed, described and deleted. Every call retries what may
/// pass on another try (5xx, 429, SlowDown, broken connections) with
/// backoff, and checks what it moved: a PUT's body is signed by its SHA-256
/// and carries its MD5, so the server refuses other bytes; a GET's bytes
/// are counted against Content-Length and hashed against a plain ETag.
public final class S3Client: Sendable {
    public let configuration: S3Configuration
    let http: HTTPClient

    /// Bodies of refused requests and XML answers are read up to this size.
    static let answerLimit = 16 * 1024 * 1024

    public init(configuration: S3Configuration, httpClient: HTTPClient = S3Client.sharedHTTPClient) {
        self.configuration = configuration
        http = httpClient
    }

    /// The HTTP client every S3Client shares unless given another. Not
    /// AsyncHTTPClient's `.shared`, whose browser-like settings are wrong
    /// for a signed API: it follows redirects (a request signed for one
    /// host sent to another), decompresses bodies (an object stored with
    /// `Content-Encoding: gzip` would no longer match its size and MD5),
    /// and retries a refused connection for 90 s per attempt, so an
    /// unreachable endpoint took minutes to report. Here a connection
    /// failure fails the attempt at once and `RetryPolicy` backs off; a
    /// connection must open within 10 s, and an answer may pause at most
    /// 120 s. 32 connections per host: uploads run ten bodies at once, each
    /// with parts in flight.
    public static let sharedHTTPClient: HTTPClient = {
        var pool = HTTPClient.Configuration.ConnectionPool(idleTimeout: .seconds(60))
        pool.concurrentHTTP1ConnectionsPerHostSoftLimit = 32
        pool.retryConnectionEstablishment = false
        let configuration = HTTPClient.Configuration(redirectConfiguration: .disallow,
                                                     timeout: .init(connect: .seconds(10), read: .seconds(120)),
                                                     connectionPool: pool, decompression: .disabled)
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }()

    // MARK: Buckets

    /// Creates the bucket; one that exists and is ours already is fine.
    public func createBucket(_ bucket: String) async throws(S3Error) {
        do {
            _ = try await send(Call(method: .PUT, bucket: bucket, operation: "create bucket \(bucket)"))
        } catch where ["BucketAlreadyOwnedByYou", "BucketAlreadyExists"].contains(error.serverCode ?? "") {
            return
        }
    }

    // MARK: Objects

    /// Puts a file as the object `key`, streamed from disk; in parts when it
    /// is at least the multipart threshold. Returns the object's ETag.
    /// `digests`, the whole file's when the caller has them, spare reading
    /// it once more to hash it (for a single PUT; parts are hashed each).
    @discardableResult
    public func putObject(bucket: String, key: String, file path: String, contentType: String? = nil,
                          metadata: [String: String] = [:], digests known: FileDigests? = nil) async throws(S3Error) -> String {
        let size: Int64
        do {
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            guard attributes[.type] as? FileAttributeType == .typeRegular, let bytes = attributes[.size] as? NSNumber else {
                throw S3Error(.file, "\(path) is not a regular file")
            }
            size = bytes.int64Value
        } catch let error as S3Error {
            throw error
        } catch {
            throw S3Error(.file, "cannot read \(path): \(error.localizedDescription)")
        }
        if size >= configuration.multipartThreshold {
            return try await putInParts(bucket: bucket, key: key, file: path, size: size, contentType: contentType, metadata: metadata)
        }
        let digests: FileDigests
        if let known {
            digests = known
        } else {
            digests = try FileDigests(path: path, offset: 0, length: size)
        }
        let answer = try await send(Call(method: .PUT, bucket: bucket, key: key,
                                         headers: contentHeaders(contentType, md5: digests.md5Base64) + Self.metadataHeaders(metadata),
                                         body: .file(path: path, offset: 0, length: size), payloadHash: digests.sha256Hex,
                                         operation: "put s3://\(bucket)/\(key)"))
        return try checkedETag(answer, md5: digests.md5Hex, operation: "put s3://\(bucket)/\(key)")
    }

    /// Puts bytes as the object `key`.
    @discardableResult
    public func putObject(bucket: String, key: String, bytes: [UInt8], contentType: String? = nil) async throws(S3Error) -> String {
        let md5 = Array(Insecure.MD5.hash(data: bytes))
        let operation = "put s3://\(bucket)/\(key)"
        let answer = try await send(Call(method: .PUT, bucket: bucket, key: key,
                                         headers: contentHeaders(contentType, md5: Data(md5).base64EncodedString()),
                                         body: .bytes(bytes), payloadHash: SigV4Signer.hex(SHA256.hash(data: bytes)), operation: operation))
        return try checkedETag(answer, md5: SigV4Signer.hex(md5), operation: operation)
    }

    /// The object's size and ETag, or nil when there is no such key.
    public func headObject(bucket: String, key: String) async throws(S3Error) -> S3Object? {
        do throws(S3Error) {
            let answer = try await send(Call(method: .HEAD, bucket: bucket, key: key, operation: "describe s3://\(bucket)/\(key)"))
            guard let size = answer.headers.first(name: "Content-Length").flatMap(Int64.init) else {
                throw S3Error(.badAnswer, "describe s3://\(bucket)/\(key): no Content-Length in the answer")
            }
            return S3Object(key: key, size: size, etag: S3Answers.unquoted(answer.headers.first(name: "ETag") ?? ""),
                            lastModified: answer.headers.first(name: "Last-Modified").flatMap(Self.httpDate),
                            metadata: Self.metadata(in: answer.headers))
        } catch where error.code == .notFound {
            return nil
        }
    }

    /// The object's bytes, refused when over `limit`.
    public func getObject(bucket: String, key: String, limit: Int = 64 * 1024 * 1024) async throws(S3Error) -> [UInt8] {
        let operation = "get s3://\(bucket)/\(key)"
        return try await send(Call(method: .GET, bucket: bucket, key: key, operation: operation)) { response throws(S3Error) in
            var sink = BytesSink(limit: limit, operation: operation)
            try await Self.drain(response, into: &sink, operation: operation)
            return sink.bytes
        }
    }

    /// Gets the object into `path`, streamed: it is written beside `path`
    /// and renamed into place only once its size (and, for a plain ETag,
    /// its MD5) is checked, so `path` never holds part of an object.
    @discardableResult
    public func getObject(bucket: String, key: String, to path: String) async throws(S3Error) -> S3Object {
        let operation = "get s3://\(bucket)/\(key)"
        return try await send(Call(method: .GET, bucket: bucket, key: key, operation: operation)) { response throws(S3Error) in
            let partial = path + ".part-" + UUID().uuidString.prefix(8)
            guard FileManager.default.createFile(atPath: partial, contents: nil), let handle = FileHandle(forWritingAtPath: partial) else {
                throw S3Error(.file, "\(operation): cannot write \(partial)")
            }
            var sink = FileSink(handle: handle, operation: operation)
            do throws(S3Error) {
                try await Self.drain(response, into: &sink, operation: operation)
                try? handle.close()
                let etag = S3Answers.unquoted(response.headers.first(name: "ETag") ?? "")
                try Self.check(received: sink.count, md5: sink.md5Hex, against: response, etag: etag, operation: operation)
                guard rename(partial, path) == 0 else {
                    throw S3Error(.file, "\(operation): cannot move the object into \(path): \(String(cString: strerror(errno)))")
                }
                return S3Object(key: key, size: sink.count, etag: etag,
                                lastModified: response.headers.first(name: "Last-Modified").flatMap(Self.httpDate))
            } catch {
                try? handle.close()
                unlink(partial)
                throw error
            }
        }
    }

    /// Deletes the object; a key that is not there is not an error (S3's own rule).
    public func deleteObject(bucket: String, key: String) async throws(S3Error) {
        _ = try await send(Call(method: .DELETE, bucket: bucket, key: key, operation: "delete s3://\(bucket)/\(key)"))
    }

    /// One page of the keys under `prefix`, in key order.
    public func listPage(bucket: String, prefix: String = "", continuationToken: String? = nil, maxKeys: Int = 1000)
        async throws(S3Error) -> S3ListPage {
        var query: [(name: String, value: String)] = [("list-type", "2"), ("encoding-type", "url"), ("max-keys", String(min(max(maxKeys, 1), 1000)))]
        if !prefix.isEmpty { query.append(("prefix", prefix)) }
        if let continuationToken { query.append(("continuation-token", continuationToken)) }
        let operation = "list s3://\(bucket)/\(prefix)"
        let answer = try await send(Call(method: .GET, bucket: bucket, query: query, operation: operation))
        do {
            return try S3Answers.listPage(answer.body)
        } catch {
            throw S3Error(.badAnswer, "\(operation): the listing is not S3's XML (\(error))")
        }
    }

    /// Every key under `prefix`, page after page.
    public func listObjects(bucket: String, prefix: String = "", pageSize: Int = 1000) async throws(S3Error) -> [S3Object] {
        var objects: [S3Object] = []
        var token: String?
        repeat {
            let page = try await listPage(bucket: bucket, prefix: prefix, continuationToken: token, maxKeys: pageSize)
            objects += page.objects
            // A server that hands back the token it was given would loop forever.
            if let next = page.continuationToken, next == token {
                throw S3Error(.badAnswer, "list s3://\(bucket)/\(prefix): the server repeated the continuation token")
            }
            token = page.continuationToken
        } while token != nil
        return objects
    }

    // MARK: Multipart

    /// Multipart upload: parts of `partSize` (grown so there are at most
    /// 10,000), `partConcurrency` at a time, each signed by its SHA-256 and
    /// carrying its MD5; on any failure, or cancellation, the upload is
    /// aborted so the server keeps no parts.
    func putInParts(bucket: String, key: String, file path: String, size: Int64, contentType: String?,
                    metadata: [String: String]) async throws(S3Error) -> String {
        var partSize = configuration.partSize
        if (size + partSize - 1) / partSize > S3Configuration.maximumParts {
            let mebibyte: Int64 = 1024 * 1024
            partSize = ((size + S3Configuration.maximumParts - 1) / S3Configuration.maximumParts + mebibyte - 1) / mebibyte * mebibyte
        }
        let partCount = Int((size + partSize - 1) / partSize)
        let upload = try await startParts(bucket: bucket, key: key, contentType: contentType, metadata: metadata)
        do throws(S3Error) {
            let md5s = try await uploadParts(upload, file: path, size: size, partSize: partSize, partCount: partCount)
            return try await upload.complete(md5s)
        } catch {
            await upload.abort()
            throw error
        }
    }

    /// Starts a multipart upload of `key`, for a caller that sends its parts
    /// as it has them (`S3PartUpload`); it completes or aborts it.
    public func startParts(bucket: String, key: String, contentType: String? = nil,
                           metadata: [String: String] = [:]) async throws(S3Error) -> S3PartUpload {
        let operation = "put s3://\(bucket)/\(key)"
        let started = try await send(Call(method: .POST, bucket: bucket, key: key, query: [("uploads", "")],
                                          headers: contentHeaders(contentType, md5: nil) + Self.metadataHeaders(metadata),
                                          operation: "\(operation) (start parts)"))
        do {
            return S3PartUpload(client: self, bucket: bucket, key: key, uploadID: try S3Answers.uploadID(started.body))
        } catch {
            throw S3Error(.badAnswer, "\(operation): \(error)")
        }
    }

    private func uploadParts(_ upload: S3PartUpload, file path: String, size: Int64, partSize: Int64, partCount: Int) async throws(S3Error) -> [[UInt8]] {
        let concurrency = configuration.partConcurrency
        do {
            return try await withThrowingTaskGroup(of: (Int, [UInt8]).self) { group in
                var md5s = [[UInt8]](repeating: [], count: partCount)
                var next = 0
                func addPart(_ index: Int) {
                    let offset = Int64(index) * partSize
                    let length = min(partSize, size - offset)
                    group.addTask {
                        (index, try await upload.send(part: index + 1, of: partCount, file: path, offset: offset, length: length))
                    }
                }
                while next < min(concurrency, partCount) {
                    addPart(next)
                    next += 1
                }
                while let (index, md5) = try await group.next() {
                    md5s[index] = md5
                    if next < partCount {
                        addPart(next)
                        next += 1
                    }
                }
                return md5s
            }
        } catch let error as S3Error {
            throw error
        } catch is CancellationError {
            throw S3Error(.network, "put s3://\(upload.bucket)/\(upload.key): cancelled")
        } catch {
            throw S3Error(.network, "put s3://\(upload.bucket)/\(upload.key): \(error)")
        }
    }

    /// One part of a multipart upload, from a range of a file: signed by its
    /// SHA-256, checked by its MD5; the MD5, for completing.
    func sendPart(_ upload: S3PartUpload, number: Int, of count: Int?, file path: String, offset: Int64, length: Int64) async throws(S3Error) -> [UInt8] {
        let operation = "put s3://\(upload.bucket)/\(upload.key)"
        let digests = try FileDigests(path: path, offset: offset, length: length)
        let answer = try await send(Call(
            method: .PUT, bucket: upload.bucket, key: upload.key, query: [("partNumber", String(number)), ("uploadId", upload.uploadID)],
            headers: [("Content-MD5", digests.md5Base64)], body: .file(path: path, offset: offset, length: length),
            payloadHash: digests.sha256Hex, operation: "\(operation) (part \(number)\(count.map { " of \($0)" } ?? ""))"))
        _ = try checkedETag(answer, md5: digests.md5Hex, operation: "\(operation) (part \(number))")
        return digests.md5
    }

    /// Completes an upload with its parts' MD5s, in order, and checks the
    /// final ETag against them.
    func completeParts(_ upload: S3PartUpload, md5s: [[UInt8]]) async throws(S3Error) -> String {
        let operation = "put s3://\(upload.bucket)/\(upload.key)"
        let body = S3Answers.completeBody(md5s.map(SigV4Signer.hex))
        let answer = try await send(Call(method: .POST, bucket: upload.bucket, key: upload.key, query: [("uploadId", upload.uploadID)],
                                         headers: [("Content-Type", "application/xml")], body: .bytes(body),
                                         payloadHash: SigV4Signer.hex(SHA256.hash(data: body)), operation: "\(operation) (complete)"))
        if let refused = S3Answers.error(answer.body) {
            throw S3Error(.server, "\(operation): completing the parts failed (\(refused.code))", status: answer.status, serverCode: refused.code)
        }
        let etag: String
        do {
            etag = try S3Answers.completedETag(answer.body)
        } catch {
            throw S3Error(.badAnswer, "\(operation) (complete): \(error)")
        }
        // S3's multipart ETag: the MD5 of the parts' MD5s, a dash, the count.
        let expected = SigV4Signer.hex(Insecure.MD5.hash(data: md5s.flatMap { $0 })) + "-\(md5s.count)"
        if etag.contains("-"), etag.count == expected.count, etag.lowercased() != expected {
            throw S3Error(.corrupt, "\(operation): the server's ETag \(etag) is not that of the parts sent (\(expected))")
        }
        return etag
    }

    /// Best effort, and not cancelled with the caller: a cancelled upload is
    /// aborted too. Servers also drop parts of uploads left incomplete by a
    /// lifecycle rule; the README says to set one.
    func abortParts(_ upload: S3PartUpload) async {
        let call = Call(method: .DELETE, bucket: upload.bucket, key: upload.key, query: [("uploadId", upload.uploadID)],
                        operation: "abort parts of s3://\(upload.bucket)/\(upload.key)")
        await Task.detached { [self] in
            _ = try? await self.send(call)
        }.value
    }

    // MARK: Sending

    enum Body: Sendable {
        case none
        case bytes([UInt8])
        case file(path: String, offset: Int64, length: Int64)
    }

    struct Call: Sendable {
        var method: HTTPMethod
        var bucket: String
        var key = ""
        var query: [(name: String, value: String)] = []
        var headers: [(name: String, value: String)] = []
        var body = Body.none
        var payloadHash = SigV4Signer.emptyPayloadHash
        var operation: String
    }

    struct Answer: Sendable {
        var status: Int
        var headers: HTTPHeaders
        var body: [UInt8]
    }

    /// Sends the call and collects the answer's body (XML, small).
    func send(_ call: Call) async throws(S3Error) -> Answer {
        try await send(call) { response throws(S3Error) in
            var sink = BytesSink(limit: Self.answerLimit, operation: call.operation)
            if call.method != .HEAD { try await Self.drain(response, into: &sink, operation: call.operation) }
            return Answer(status: Int(response.status.code), headers: response.headers, body: sink.bytes)
        }
    }

    /// Sends the call, signed afresh for each try, and hands a 2xx answer
    /// to `read`; a refused answer becomes an S3Error. Transient failures,
    /// in the answer or while `read` reads it, are tried again after the
    /// policy's backoff.
    func send<Result: Sendable>(_ call: Call, read: (HTTPClientResponse) async throws(S3Error) -> Result) async throws(S3Error) -> Result {
        var attempt = 1
        while true {
            do {
                return try await sendOnce(call, read: read)
            } catch where error.isTransient && attempt < configuration.retry.attempts {
                do {
                    try await Task.sleep(for: configuration.retry.delay(after: attempt))
                } catch {
                    throw S3Error(.network, "\(call.operation): cancelled")
                }
                attempt += 1
            }
        }
    }

    private func sendOnce<Result: Sendable>(_ call: Call, read: (HTTPClientResponse) async throws(S3Error) -> Result)
        async throws(S3Error) -> Result {
        let signed = configuration.signedRequest(method: call.method.rawValue, bucket: call.bucket, key: call.key, query: call.query,
                                                 headers: call.headers, payloadHash: call.payloadHash)
        var outgoing = HTTPClientRequest(url: signed.url)
        outgoing.method = call.method
        for header in signed.headers {
            outgoing.headers.replaceOrAdd(name: header.name, value: header.value)
        }
        outgoing.headers.replaceOrAdd(name: "User-Agent", value: "assetpipe")
        switch call.body {
        case .none:
            if [.PUT, .POST].contains(call.method) { outgoing.body = .bytes(ByteBuffer()) }
        case .bytes(let bytes):
            outgoing.body = .bytes(ByteBuffer(bytes: bytes))
        case .file(let path, let offset, let length):
            outgoing.body = .stream(FileChunks(path: path, offset: offset, length: length), length: .known(length))
        }
        let response: HTTPClientResponse
        do {
            response = try await http.execute(outgoing, timeout: .nanoseconds(Int64(clamping: configuration.requestTimeout.nanoseconds)))
        } catch let error as S3Error {
            throw error
        } catch let error as HTTPClientError where [.deadlineExceeded, .readTimeout, .connectTimeout, .writeTimeout].contains(error) {
            throw S3Error(.timeout, "\(call.operation): no answer from \(configuration.endpoint) in time (\(error))")
        } catch is CancellationError {
            throw S3Error(.network, "\(call.operation): cancelled")
        } catch {
            throw S3Error(.network, "\(call.operation): cannot reach \(configuration.endpoint) (\(error))")
        }
        guard (200..<300).contains(response.status.code) else {
            var sink = BytesSink(limit: 64 * 1024, operation: call.operation)
            try? await Self.drain(response, into: &sink, operation: call.operation)
            throw S3Error.answered(status: Int(response.status.code), body: sink.bytes, operation: call.operation,
                                   credentials: configuration.credentials)
        }
        return try await read(response)
    }

    // MARK: Helpers

    /// User metadata as `x-amz-meta-*` headers: names lowercased, values
    /// percent-encoded past ASCII (S3 keeps header values ASCII).
    static func metadataHeaders(_ metadata: [String: String]) -> [(name: String, value: String)] {
        metadata.sorted { $0.key < $1.key }.map { name, value in
            ("x-amz-meta-" + name.lowercased(), value.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) ?? "")
        }
    }

    /// The user metadata of a HEAD answer, names without `x-amz-meta-`.
    static func metadata(in headers: HTTPHeaders) -> [String: String] {
        var found: [String: String] = [:]
        for (name, value) in headers where name.lowercased().hasPrefix("x-amz-meta-") {
            found[String(name.lowercased().dropFirst(11))] = value.removingPercentEncoding ?? value
        }
        return found
    }

    private func contentHeaders(_ contentType: String?, md5: String?) -> [(name: String, value: String)] {
        var headers: [(name: String, value: String)] = [("Content-Type", contentType ?? "application/octet-stream")]
        if let md5 { headers.append(("Content-MD5", md5)) }
        return headers
    }

    /// The answer's ETag, checked against the MD5 of what was sent when it
    /// is a plain MD5 (servers that encrypt with KMS answer something else).
    private func checkedETag(_ answer: Answer, md5: String, operation: String) throws(S3Error) -> String {
        let etag = S3Answers.unquoted(answer.headers.first(name: "ETag") ?? "")
        if Self.isPlainMD5(etag), etag.lowercased() != md5 {
            throw S3Error(.corrupt, "\(operation): the server stored other bytes (ETag \(etag), sent MD5 \(md5))")
        }
        return etag
    }

    static func isPlainMD5(_ etag: String) -> Bool {
        etag.utf8.count == 32 && etag.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) || ($0 >= 0x41 && $0 <= 0x46) }
    }

    static func check(received count: Int64, md5: String, against response: HTTPClientResponse, etag: String, operation: String) throws(S3Error) {
        if let announced = response.headers.first(name: "Content-Length").flatMap(Int64.init), announced != count {
            throw S3Error(.corrupt, "\(operation): \(count) bytes arrived of the \(announced) announced")
        }
        if isPlainMD5(etag), etag.lowercased() != md5 {
            throw S3Error(.corrupt, "\(operation): the bytes' MD5 \(md5) is not the object's ETag \(etag)")
        }
    }

    static func drain<Sink: ByteSink>(_ response: HTTPClientResponse, into sink: inout Sink, operation: String) async throws(S3Error) {
        do {
            for try await buffer in response.body {
                try sink.append(buffer)
            }
        } catch let error as S3Error {
            throw error
        } catch {
            throw S3Error(.network, "\(operation): the answer broke off (\(error))")
        }
    }

    static func httpDate(_ text: String) -> Date? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return formatter.date(from: text)
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds.multipliedReportingOverflow(by: 1_000_000_000).partialValue &+ attoseconds / 1_000_000_000
    }
}

/// Which client reads an object, by its `s3://bucket/key` URL: buckets of
/// different sources may have their own endpoints and keys.
public protocol ObjectClients: Sendable {
    func client(forObjectAt url: String) throws(S3Error) -> S3Client
}

extension S3Client: ObjectClients {
    /// One client for every object.
    public func client(forObjectAt url: String) throws(S3Error) -> S3Client { self }
}
