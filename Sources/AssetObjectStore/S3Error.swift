import Foundation

/// Why an object store call failed, in words a user can act on. Never holds
/// a secret: messages are built from the operation, the bucket and key, the
/// server's error code and its message, never from signed values.
public struct S3Error: Error, Sendable, Equatable, CustomStringConvertible, LocalizedError {
    public enum Code: String, Sendable {
        /// A setting is missing or wrong (endpoint, bucket name, variables).
        case configuration
        /// The server does not accept the credentials (unknown key, wrong secret, expired token).
        case credentials
        /// The credentials are good but may not do this.
        case accessDenied = "access_denied"
        /// No such bucket, key or upload.
        case notFound = "not_found"
        /// The server kept asking us to slow down (SlowDown, 503, 429) past the retries.
        case throttled
        /// The server kept failing (5xx) past the retries.
        case server
        /// The server refused the request for another reason (4xx).
        case refused
        /// No connection, or it broke, past the retries.
        case network
        /// The request took longer than the configured limit.
        case timeout
        /// What arrived is not what was sent or announced (size, MD5).
        case corrupt
        /// The server's answer is not the XML S3 answers with.
        case badAnswer = "bad_answer"
        /// A local file could not be read or written.
        case file
    }

    public let code: Code
    public let message: String
    /// The HTTP status, when the server answered.
    public let status: Int?
    /// S3's own error code (`NoSuchKey`, `SignatureDoesNotMatch`, ...).
    public let serverCode: String?

    public init(_ code: Code, _ message: String, status: Int? = nil, serverCode: String? = nil) {
        self.code = code
        self.message = message
        self.status = status
        self.serverCode = serverCode
    }

    public var description: String { message }

    /// What Foundation's `localizedDescription` shows (the catalog's messages use it).
    public var errorDescription: String? { message }

    /// Whether trying again may succeed.
    var isTransient: Bool {
        [.throttled, .server, .network, .timeout].contains(code)
    }

    /// The error a refused request's status and `<Error>` body mean.
    static func answered(status: Int, body: [UInt8], operation: String, credentials: S3Credentials) -> S3Error {
        let parsed = S3Answers.error(body)
        let serverCode = parsed?.code
        let detail = parsed.map { $0.code + ($0.message.map { ": " + String($0.prefix(300)) } ?? "") } ?? "HTTP \(status)"
        switch (status, serverCode ?? "") {
        case (_, "SlowDown"), (429, _), (503, _):
            return S3Error(.throttled, "\(operation): the server asks to slow down (\(detail))", status: status, serverCode: serverCode)
        case (_, "InvalidAccessKeyId"), (_, "SignatureDoesNotMatch"), (_, "ExpiredToken"), (_, "InvalidToken"), (_, "TokenRefreshRequired"):
            return S3Error(.credentials, "\(operation): the server refuses the credentials (\(credentials); \(detail)); "
                + "check AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN, and the clock", status: status, serverCode: serverCode)
        case (_, "RequestTimeTooSkewed"):
            return S3Error(.credentials, "\(operation): this machine's clock is too far from the server's (\(detail))", status: status, serverCode: serverCode)
        case (_, "NoSuchKey"), (_, "NoSuchBucket"), (_, "NoSuchUpload"), (404, _):
            return S3Error(.notFound, "\(operation): not found (\(detail))", status: status, serverCode: serverCode)
        case (_, "AccessDenied"), (403, _):
            return S3Error(.accessDenied, "\(operation): access denied for \(credentials) (\(detail))", status: status, serverCode: serverCode)
        case (_, "BadDigest"), (_, "InvalidDigest"), (_, "XAmzContentSHA256Mismatch"):
            return S3Error(.corrupt, "\(operation): the server received other bytes than were sent (\(detail))", status: status, serverCode: serverCode)
        case (_, "RequestTimeout"), (_, "InternalError"), (500..., _):
            return S3Error(.server, "\(operation): the server failed (\(detail))", status: status, serverCode: serverCode)
        default:
            return S3Error(.refused, "\(operation): refused (\(detail))", status: status, serverCode: serverCode)
        }
    }
}
