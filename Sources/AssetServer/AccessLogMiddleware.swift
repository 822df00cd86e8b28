import AssetQueue
import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// The first middleware of every route, the unknown ones included: gives
/// the request an id (the client's `X-Request-Id` when it is a sane token,
/// else a new UUID) that the response carries back, turns errors that no
/// route answered (an unknown path, Hummingbird's own refusals) into the
/// API's JSON error body, and writes one access-log line per request once
/// its response is ready: method, route, status, bytes, duration, render
/// cache, request id. (`HEAD` is answered by the `GET` route, and so logged
/// as it, with the HEAD method.)
struct AccessLogMiddleware<Context: RequestContext>: RouterMiddleware {
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        let id = RequestID.accepted(request.headers[.requestID]) ?? UUID().uuidString.lowercased()
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as APIError {
            response = error.redacted.response
        } catch let error as any HTTPResponseError {
            response = Self.apiError(for: error, request).response
        } catch {
            logger.error("request failed", metadata: ["error": "\(error)", "request_id": "\(id)"])
            response = APIError(.internalServerError, "internal", "the server failed; its log has the details under request_id \(id)").response
        }
        response.headers[.requestID] = id
        let status = response.status.code, bytes = response.body.contentLength
        let route = context.endpointPath ?? "unknown"
        let cache = response.headers[.renderCache]
        // Logged when the response is ready: the bodies are in memory, and a
        // HEAD's is dropped before it would be written.
        let milliseconds = started.duration(to: .now).seconds * 1000
        var metadata: Logger.Metadata = [
            "method": "\(request.method.rawValue)", "route": "\(route)", "status": "\(status)",
            "duration_ms": "\(String(format: "%.1f", milliseconds))", "request_id": "\(id)",
        ]
        if let bytes { metadata["bytes"] = "\(bytes)" }
        if let cache { metadata["cache"] = "\(cache)" }
        logger.info("request", metadata: metadata)
        return response
    }

    /// An error from outside the routes in the API's shape, worded for people.
    static func apiError(for error: any HTTPResponseError, _ request: Request) -> APIError {
        switch error.status {
        case .notFound:
            return APIError(.notFound, "no_route", "there is no \(request.method.rawValue) \(shown(request.uri.path)); "
                            + "GET /openapi.json lists the routes")
        case .methodNotAllowed:
            return APIError(.methodNotAllowed, "method_not_allowed", "\(shown(request.uri.path)) does not take \(request.method.rawValue)")
        default:
            let message = (error as? HTTPError)?.body ?? error.status.reasonPhrase
            let code = error.status.reasonPhrase.lowercased().replacingOccurrences(of: " ", with: "_")
            return APIError(error.status, code.isEmpty ? "error" : code, message)
        }
    }
}

/// A request path as an error message shows it: the client's own, cut to 200 characters.
private func shown(_ path: String) -> String {
    path.count > 200 ? String(path.prefix(200)) + "…" : path
}

/// The request id a client may send in `X-Request-Id`: taken when it is
/// 1 to 128 letters, digits, `-`, `_`, `.` or `:`, so it cannot forge a log
/// line or a header; otherwise the server makes its own.
enum RequestID {
    static func accepted(_ value: String?) -> String? {
        guard let value, (1...128).contains(value.utf8.count),
              value.utf8.allSatisfy({ byte in
                  (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                      || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: ":")
              }) else { return nil }
        return value
    }
}

extension HTTPField.Name {
    // A literal that is a valid field name: the unwrap cannot fail, and no input reaches it.
    static let requestID = Self("X-Request-Id")!
}
