import Foundation
import Hummingbird

/// An error the API answers with: a status and `{"error": {"code", "message", "param"}}`.
public struct APIError: Error, Sendable {
    public let status: HTTPResponse.Status
    public let code: String
    public let message: String
    public let param: String?
    /// Seconds to wait before trying again (503).
    public var retryAfter: Int?
    /// Where in `param`'s text the error is (a query's character offset).
    public var position: Int?

    public init(_ status: HTTPResponse.Status, _ code: String, _ message: String, param: String? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.param = param
    }

    private struct Body: Encodable {
        var code: String
        var message: String
        var param: String?
        var position: Int?
    }

    var response: Response {
        var response = JSONResponse.make(["error": Body(code: code, message: message, param: param, position: position)], status: status)
        if let retryAfter { response.headers[.retryAfter] = String(retryAfter) }
        return response
    }

    static func notFound(_ what: String) -> APIError { APIError(.notFound, "not_found", what) }

    /// The same error with server paths taken out of its message.
    var redacted: APIError {
        var copy = APIError(status, code, PathRedaction.redacted(message), param: param)
        copy.retryAfter = retryAfter
        copy.position = position
        return copy
    }
}

/// JSON bodies, encoded as the records are elsewhere (snake_case keys, ISO 8601 dates).
enum JSONResponse {
    static func make<Value: Encodable>(_ value: Value, status: HTTPResponse.Status = .ok, encoder: JSONEncoder = JSONEncoder()) -> Response {
        let data = (try? encoder.encode(value)) ?? Data(#"{"error":{"code":"internal","message":"cannot encode the response"}}"#.utf8)
        return Response(status: status, headers: [.contentType: "application/json"],
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}
