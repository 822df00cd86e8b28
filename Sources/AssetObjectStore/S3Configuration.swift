import Crypto
import Foundation

/// Where a bucket lives and how to reach it: endpoint, region, addressing,
/// credentials, and the client's limits. `fromEnvironment` reads the
/// standard AWS variables, so a machine set up for the AWS CLI needs
/// nothing more.
public struct S3Configuration: Sendable {
    /// How a bucket is named in a URL: `path` (`https://host/bucket/key`,
    /// what MinIO, SeaweedFS and most self-hosted servers want), `virtual`
    /// (`https://bucket.host/key`, AWS's preferred form), or `auto`:
    /// virtual on AWS's own endpoints for a bucket whose name is a DNS label,
    /// path elsewhere.
    public enum Addressing: String, Sendable, CaseIterable {
        case auto, path, virtual
    }

    public var endpoint: S3Endpoint
    public var region: String
    public var addressing: Addressing
    public var credentials: S3Credentials
    public var retry: RetryPolicy
    /// Objects at least this large go up in parts.
    public var multipartThreshold: Int64
    /// The size of each part but the last (S3: 5 MiB to 5 GiB).
    public var partSize: Int64
    /// Parts in flight at once.
    public var partConcurrency: Int
    /// No single request may take longer.
    public var requestTimeout: Duration

    public static let minimumPartSize: Int64 = 5 * 1024 * 1024
    /// S3's own limit on parts per upload.
    public static let maximumParts: Int64 = 10_000

    public init(endpoint: S3Endpoint, region: String, credentials: S3Credentials, addressing: Addressing = .auto,
                retry: RetryPolicy = RetryPolicy(), multipartThreshold: Int64 = 64 * 1024 * 1024,
                partSize: Int64 = 16 * 1024 * 1024, partConcurrency: Int = 4, requestTimeout: Duration = .seconds(300)) {
        self.endpoint = endpoint
        self.region = region
        self.credentials = credentials
        self.addressing = addressing
        self.retry = retry
        self.multipartThreshold = max(multipartThreshold, Self.minimumPartSize)
        self.partSize = max(partSize, Self.minimumPartSize)
        self.partConcurrency = min(max(partConcurrency, 1), 64)
        self.requestTimeout = requestTimeout
    }

    /// `AWS_ENDPOINT_URL_S3` or `AWS_ENDPOINT_URL` (else AWS's endpoint for
    /// the region), `AWS_REGION` or `AWS_DEFAULT_REGION` (else `us-east-1`),
    /// the key pair from `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`/
    /// `AWS_SESSION_TOKEN`, and `ASSETPIPE_S3_ADDRESSING` (`auto`, `path`,
    /// `virtual`).
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment)
        throws(S3Error) -> S3Configuration {
        func value(_ name: String) -> String? {
            environment[name].flatMap { $0.isEmpty ? nil : $0 }
        }
        guard let credentials = S3Credentials.fromEnvironment(environment) else {
            throw S3Error(.configuration, "no S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
        }
        let region = value("AWS_REGION") ?? value("AWS_DEFAULT_REGION") ?? "us-east-1"
        let endpoint: S3Endpoint
        if let url = value("AWS_ENDPOINT_URL_S3") ?? value("AWS_ENDPOINT_URL") {
            endpoint = try S3Endpoint(parsing: url)
        } else {
            endpoint = S3Endpoint.aws(region: region)
        }
        var addressing = Addressing.auto
        if let text = value("ASSETPIPE_S3_ADDRESSING") {
            guard let parsed = Addressing(rawValue: text.lowercased()) else {
                throw S3Error(.configuration, "ASSETPIPE_S3_ADDRESSING is \(text); use auto, path or virtual")
            }
            addressing = parsed
        }
        return S3Configuration(endpoint: endpoint, region: region, credentials: credentials, addressing: addressing)
    }

    /// A request as it goes out: its URL and every header to send with it
    /// (`headers`, then Host, `x-amz-*` and Authorization), signed at `date`
    /// for a body whose SHA-256 is `payloadHash`.
    public func signedRequest(method: String, bucket: String, key: String, query: [(name: String, value: String)] = [],
                              headers: [(name: String, value: String)] = [], payloadHash: String, at date: Date = Date())
        -> (url: String, headers: [(name: String, value: String)]) {
        let (host, path) = location(bucket: bucket, key: key)
        var all = headers
        all.append(("Host", host))
        let request = SigV4Signer.Request(method: method, path: path, query: query, headers: all, payloadHash: payloadHash)
        all += SigV4Signer(credentials: credentials, region: region).signedHeaders(for: request, at: date)
        let encodedQuery = query.map { SigV4Signer.uriEncoded($0.name, keepSlash: false) + "=" + SigV4Signer.uriEncoded($0.value, keepSlash: false) }
            .joined(separator: "&")
        let url = (endpoint.secure ? "https://" : "http://") + host + path + (encodedQuery.isEmpty ? "" : "?" + encodedQuery)
        return (url, all)
    }

    /// The same for a body held in memory.
    public func signedRequest(method: String, bucket: String, key: String, query: [(name: String, value: String)] = [],
                              headers: [(name: String, value: String)] = [], body: [UInt8] = [], at date: Date = Date())
        -> (url: String, headers: [(name: String, value: String)]) {
        signedRequest(method: method, bucket: bucket, key: key, query: query, headers: headers,
                      payloadHash: SigV4Signer.hex(SHA256.hash(data: body)), at: date)
    }

    /// The URL's host (with a port other than the scheme's) and encoded path for an object.
    func location(bucket: String, key: String) -> (host: String, path: String) {
        let encodedKey = key.isEmpty ? "" : SigV4Signer.uriEncoded(key, keepSlash: true)
        if usesVirtualHost(bucket: bucket) {
            return (endpoint.hostHeader(prefix: bucket + "."), "/" + encodedKey)
        }
        return (endpoint.hostHeader(prefix: ""), "/" + SigV4Signer.uriEncoded(bucket, keepSlash: false) + (key.isEmpty ? "" : "/" + encodedKey))
    }

    func usesVirtualHost(bucket: String) -> Bool {
        switch addressing {
        case .path: return false
        case .virtual: return true
        case .auto: return endpoint.host.hasSuffix(".amazonaws.com") && S3Bucket.isDNSLabel(bucket, secure: endpoint.secure)
        }
    }
}

/// `http(s)://host[:port]`, no path.
public struct S3Endpoint: Sendable, Equatable, CustomStringConvertible {
    public var secure: Bool
    public var host: String
    public var port: Int?

    public init(secure: Bool, host: String, port: Int? = nil) {
        self.secure = secure
        self.host = host
        self.port = port
    }

    public init(parsing text: String) throws(S3Error) {
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
              scheme == "http" || scheme == "https", let host = components.host, !host.isEmpty else {
            throw S3Error(.configuration, "the S3 endpoint \(text) is not an http:// or https:// URL")
        }
        guard components.path.isEmpty || components.path == "/", components.query == nil, components.user == nil else {
            throw S3Error(.configuration, "the S3 endpoint \(text) has a path, query or user; give only scheme, host and port")
        }
        if let port = components.port, !(1...65535).contains(port) {
            throw S3Error(.configuration, "the S3 endpoint \(text) has port \(port), outside 1–65535")
        }
        // An IPv6 literal is kept bare; the Host header brackets it again.
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        self.init(secure: scheme == "https", host: bare.lowercased(), port: components.port)
    }

    public static func aws(region: String) -> S3Endpoint {
        S3Endpoint(secure: true, host: "s3.\(region).amazonaws.com")
    }

    /// What the Host header says (and SigV4 signs): the port only when it is not the scheme's.
    func hostHeader(prefix: String) -> String {
        let name = prefix + (host.contains(":") ? "[\(host)]" : host)
        guard let port, port != (secure ? 443 : 80) else { return name }
        return "\(name):\(port)"
    }

    public var description: String {
        (secure ? "https://" : "http://") + hostHeader(prefix: "")
    }
}

/// Bucket names and `s3://bucket/prefix` locations.
public struct S3Bucket: Sendable, Equatable, CustomStringConvertible {
    public var name: String
    /// Keys start with it; empty, or ending in `/` when given as a folder.
    public var prefix: String

    public init(name: String, prefix: String = "") throws(S3Error) {
        guard Self.isValidName(name) else {
            throw S3Error(.configuration, "\(name) is not a bucket name: 3–63 lowercase letters, digits, dots and hyphens, "
                + "starting and ending with a letter or digit")
        }
        self.name = name
        self.prefix = prefix
    }

    /// `s3://bucket` or `s3://bucket/prefix`; a prefix keeps its exact text
    /// (a trailing `/` is added unless empty, so `s3://b/p` means the folder `p/`).
    public init(url text: String) throws(S3Error) {
        guard text.hasPrefix("s3://") else { throw S3Error(.configuration, "\(text) is not an s3://bucket/prefix URL") }
        let rest = text.dropFirst(5)
        let slash = rest.firstIndex(of: "/")
        let name = String(slash.map { rest[..<$0] } ?? rest)
        var prefix = slash.map { String(rest[rest.index(after: $0)...]) } ?? ""
        if !prefix.isEmpty, !prefix.hasSuffix("/") { prefix += "/" }
        try self.init(name: name, prefix: prefix)
    }

    public var description: String { "s3://\(name)/\(prefix)" }

    /// S3's rules for new buckets (no uppercase, no underscores, not an IP).
    static func isValidName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (3...63).contains(bytes.count) else { return false }
        let allowed = bytes.allSatisfy { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") }
        guard allowed, let first = bytes.first, let last = bytes.last, first != UInt8(ascii: "."), first != UInt8(ascii: "-"),
              last != UInt8(ascii: "."), last != UInt8(ascii: "-"), !name.contains("..") else { return false }
        let parts = name.split(separator: ".")
        return !(parts.count == 4 && parts.allSatisfy { UInt8($0) != nil })
    }

    /// A bucket name that can be the first label of a host: over TLS no dot,
    /// since `a.b.s3.amazonaws.com` does not match the wildcard certificate.
    static func isDNSLabel(_ name: String, secure: Bool) -> Bool {
        isValidName(name) && !(secure && name.contains("."))
    }
}

/// Retries of refused or failed requests: 5xx, 429, SlowDown, RequestTimeout
/// and broken connections, with exponential backoff and full jitter (AWS's
/// advice: a random wait between zero and the capped exponential).
public struct RetryPolicy: Sendable, Equatable {
    /// Tries in all, the first included.
    public var attempts: Int
    public var base: Duration
    public var cap: Duration

    public init(attempts: Int = 5, base: Duration = .milliseconds(100), cap: Duration = .seconds(5)) {
        self.attempts = max(attempts, 1)
        self.base = base
        self.cap = cap
    }

    /// The wait before try `attempt + 1` (attempt counts from 1).
    public func delay(after attempt: Int, random: Double = Double.random(in: 0...1)) -> Duration {
        let exponent = min(max(attempt - 1, 0), 20)
        let ceiling = min(base * (1 << exponent), cap)
        return ceiling * min(max(random, 0), 1)
    }
}

extension S3Bucket {
    /// The bucket and key of an object's `s3://bucket/key` URL; nil for
    /// anything else (a prefix ending in `/` included).
    public static func object(at url: String) -> (bucket: String, key: String)? {
        guard url.hasPrefix("s3://") else { return nil }
        let rest = url.dropFirst(5)
        guard let slash = rest.firstIndex(of: "/") else { return nil }
        let bucket = String(rest[..<slash]), key = String(rest[rest.index(after: slash)...])
        guard !bucket.isEmpty, !key.isEmpty, !key.hasSuffix("/") else { return nil }
        return (bucket, key)
    }

    /// The name a local copy of the object `key` is given: the key's last
    /// part, so the asset keeps its name; never `.`, `..` or a path.
    public static func fileName(ofKey key: String) -> String {
        let last = key.split(separator: "/").last.map(String.init) ?? "object"
        return last == "." || last == ".." ? "object" : last
    }
}
