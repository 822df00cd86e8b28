import Crypto
import Foundation

/// AWS Signature Version 4 for S3 (header form), step by step as AWS's
/// documentation lays it out, each step visible so the tests can hold it
/// against botocore's signer: canonical request, string to sign, signature.
public struct SigV4Signer: Sendable {
    public let credentials: S3Credentials
    public let region: String
    public let service: String

    public init(credentials: S3Credentials, region: String, service: String = "s3") {
        self.credentials = credentials
        self.region = region
        self.service = service
    }

    /// What is signed. `path` is already URI-encoded (`S3Addressing.encodedPath`);
    /// `query` is raw and encoded here; `headers` must include `host`.
    public struct Request: Sendable {
        public var method: String
        public var path: String
        public var query: [(name: String, value: String)]
        public var headers: [(name: String, value: String)]
        /// Hex SHA-256 of the body, or `UNSIGNED-PAYLOAD`.
        public var payloadHash: String

        public init(method: String, path: String, query: [(name: String, value: String)] = [],
                    headers: [(name: String, value: String)], payloadHash: String) {
            self.method = method
            self.path = path
            self.query = query
            self.headers = headers
            self.payloadHash = payloadHash
        }
    }

    public static let emptyPayloadHash = hex(SHA256.hash(data: [UInt8]()))

    /// The headers to send with the request's own: `x-amz-date`,
    /// `x-amz-content-sha256`, `x-amz-security-token` (temporary
    /// credentials) and `Authorization`.
    public func signedHeaders(for request: Request, at date: Date) -> [(name: String, value: String)] {
        let stamp = Self.timestamp(date)
        var added: [(name: String, value: String)] = [("x-amz-date", stamp), ("x-amz-content-sha256", request.payloadHash)]
        if let token = credentials.sessionToken { added.append(("x-amz-security-token", token)) }
        var complete = request
        complete.headers += added
        added.append(("Authorization", authorization(for: complete, timestamp: stamp)))
        return added
    }

    /// `AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…` for a
    /// request that already carries its `x-amz-*` headers.
    public func authorization(for request: Request, timestamp: String) -> String {
        let canonical = Self.canonicalRequest(request)
        let toSign = stringToSign(canonicalRequest: canonical.text, timestamp: timestamp)
        let signature = self.signature(of: toSign, day: String(timestamp.prefix(8)))
        return "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyID)/\(scope(day: String(timestamp.prefix(8)))), "
            + "SignedHeaders=\(canonical.signedHeaders), Signature=\(signature)"
    }

    /// The canonical request and its `SignedHeaders` list.
    public static func canonicalRequest(_ request: Request) -> (text: String, signedHeaders: String) {
        let encoded: [(name: String, value: String)] = request.query.map { item in
            (uriEncoded(item.name, keepSlash: false), uriEncoded(item.value, keepSlash: false))
        }
        let sorted = encoded.sorted { left, right in left.name == right.name ? left.value < right.value : left.name < right.name }
        let query = sorted.map { item in item.name + "=" + item.value }.joined(separator: "&")
        // Lowercase names, values trimmed with inner runs of spaces made one,
        // repeated names joined by commas, sorted by name.
        var headers: [String: [String]] = [:]
        for header in request.headers {
            let value = header.value.split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ")
            headers[header.name.lowercased(), default: []].append(value)
        }
        let names = headers.keys.sorted()
        let canonicalHeaders = names.map { "\($0):\(headers[$0, default: []].joined(separator: ","))\n" }.joined()
        let signed = names.joined(separator: ";")
        let path = request.path.isEmpty ? "/" : request.path
        let text = [request.method, path, query, canonicalHeaders, signed, request.payloadHash].joined(separator: "\n")
        return (text, signed)
    }

    public func stringToSign(canonicalRequest: String, timestamp: String) -> String {
        ["AWS4-HMAC-SHA256", timestamp, scope(day: String(timestamp.prefix(8))),
         Self.hex(SHA256.hash(data: Array(canonicalRequest.utf8)))].joined(separator: "\n")
    }

    public func signature(of stringToSign: String, day: String) -> String {
        var key = SymmetricKey(data: Array("AWS4\(credentials.secretAccessKey)".utf8))
        for part in [day, region, service, "aws4_request"] {
            key = SymmetricKey(data: Array(HMAC<SHA256>.authenticationCode(for: Array(part.utf8), using: key)))
        }
        return Self.hex(HMAC<SHA256>.authenticationCode(for: Array(stringToSign.utf8), using: key))
    }

    func scope(day: String) -> String {
        "\(day)/\(region)/\(service)/aws4_request"
    }

    /// `yyyyMMdd'T'HHmmss'Z'` in UTC.
    public static func timestamp(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        return formatter.string(from: date)
    }

    /// RFC 3986 percent-encoding of every byte but the unreserved ones
    /// (and `/` in a path), as SigV4 and S3 keys require.
    public static func uriEncoded(_ text: String, keepSlash: Bool) -> String {
        var encoded = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                encoded.unicodeScalars.append(Unicode.Scalar(byte))
            case UInt8(ascii: "/") where keepSlash:
                encoded.append("/")
            default:
                encoded += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return encoded
    }

    static func hex<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        bytes.map { String($0, radix: 16).leftPadded(to: 2) }.joined()
    }
}

extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
