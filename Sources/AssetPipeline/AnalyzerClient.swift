import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// Posts an image to an analyzer and waits for the answer on the calling
/// thread (the pipeline's own: the stages are blocking code), never past
/// the deadline and never reading more than `limit` bytes. A slot of
/// `concurrency` is taken first, and waiting for it counts toward the same
/// deadline, so a busy analyzer holds no asset longer than its timeout.
final class AnalyzerClient: Sendable {
    struct Request: Sendable {
        var url: String
        var headers: [(name: String, value: String)]
        var body: [UInt8]
        var contentType: String
    }

    let timeout: Double
    let limit: Int
    private let slots: DispatchSemaphore

    init(timeout: Double, concurrency: Int, limit: Int) {
        self.timeout = timeout
        self.limit = limit
        slots = DispatchSemaphore(value: concurrency)
    }

    /// The answer's body when the analyzer said 2xx in time, or why not.
    func post(_ request: Request) -> Result<[UInt8], AnalysisFailure> {
        let start = DispatchTime.now()
        let seconds = Self.nanoseconds(timeout)
        guard slots.wait(timeout: start + .nanoseconds(seconds)) == .success else {
            return .failure(AnalysisFailure(.timeout, "no request slot came free within \(timeout) s (analysis.concurrency)"))
        }
        defer { slots.signal() }
        let elapsed = Int64(clamping: DispatchTime.now().uptimeNanoseconds &- start.uptimeNanoseconds)
        let deadline = NIODeadline.now() + .nanoseconds(max(0, Int64(seconds) - elapsed))

        let outgoing: HTTPClient.Request
        do {
            var headers = HTTPHeaders([("Content-Type", request.contentType), ("Accept", "application/json"),
                                       ("User-Agent", "assetpipe")])
            for header in request.headers { headers.replaceOrAdd(name: header.name, value: header.value) }
            outgoing = try HTTPClient.Request(url: request.url, method: .POST, headers: headers, body: .bytes(request.body))
        } catch {
            return .failure(AnalysisFailure(.unreachable, "cannot make a request to \(request.url): \(error)"))
        }
        let reader = LimitedResponse(limit: limit)
        do {
            let response = try HTTPClient.shared.execute(request: outgoing, delegate: reader, deadline: deadline).futureResult.wait()
            guard (200..<300).contains(response.status.code) else {
                return .failure(AnalysisFailure(.httpStatus, "the analyzer answered \(response.status.code) \(response.status.reasonPhrase)"))
            }
            return .success(response.body)
        } catch let tooLarge as LimitedResponse.TooLarge {
            return .failure(AnalysisFailure(.tooLarge, "the answer is over \(tooLarge.limit) bytes (analysis.max_response_size)"))
        } catch let error as HTTPClientError where [.deadlineExceeded, .readTimeout, .connectTimeout, .writeTimeout].contains(error) {
            return .failure(AnalysisFailure(.timeout, "no complete answer within \(timeout) s (analysis.timeout)"))
        } catch {
            return .failure(AnalysisFailure(.unreachable, "cannot reach the analyzer at \(request.url): \(error)"))
        }
    }

    /// Seconds (validated 0.1…600 by the settings) as nanoseconds.
    static func nanoseconds(_ seconds: Double) -> Int {
        Int((min(max(seconds, 0), 600) * 1e9).rounded())
    }
}

/// Collects a response's body up to a limit, refusing a larger one as soon
/// as its Content-Length or its bytes pass the limit. AsyncHTTPClient calls
/// a delegate on the request's one event loop, in order, which is what
/// makes its mutable state safe.
private final class LimitedResponse: HTTPClientResponseDelegate, @unchecked Sendable {
    struct Response {
        var status: HTTPResponseStatus
        var body: [UInt8]
    }

    struct TooLarge: Error {
        let limit: Int
    }

    let limit: Int
    private var status = HTTPResponseStatus.ok
    private var body: [UInt8] = []

    init(limit: Int) {
        self.limit = limit
    }

    func didReceiveHead(task: HTTPClient.Task<Response>, _ head: HTTPResponseHead) -> EventLoopFuture<Void> {
        status = head.status
        if let length = head.headers.first(name: "Content-Length").flatMap(Int.init), length > limit {
            return task.eventLoop.makeFailedFuture(TooLarge(limit: limit))
        }
        return task.eventLoop.makeSucceededVoidFuture()
    }

    func didReceiveBodyPart(task: HTTPClient.Task<Response>, _ buffer: ByteBuffer) -> EventLoopFuture<Void> {
        guard buffer.readableBytes <= limit - body.count else { return task.eventLoop.makeFailedFuture(TooLarge(limit: limit)) }
        body.append(contentsOf: buffer.readableBytesView)
        return task.eventLoop.makeSucceededVoidFuture()
    }

    func didFinishRequest(task: HTTPClient.Task<Response>) throws -> Response {
        Response(status: status, body: body)
    }
}
