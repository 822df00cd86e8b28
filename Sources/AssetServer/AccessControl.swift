import AssetEdits
import Crypto
import Foundation
import Hummingbird

/// Bearer tokens the server accepts (several, so one can be rotated).
/// Compared in constant time over bytes: the SHA-256 of what is presented
/// against each token's, so neither the content nor the length of a token
/// leaks through timing.
public struct APITokens: Sendable {
    private let digests: [SHA256.Digest]

    /// Nil when `tokens` holds no non-empty token.
    public init?(_ tokens: [String]) {
        let usable = tokens.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !usable.isEmpty else { return nil }
        digests = usable.map { SHA256.hash(data: Data($0.utf8)) }
    }

    /// Whether `presented` is one of the tokens.
    public func accepts<Bytes: Sequence>(_ presented: Bytes) -> Bool where Bytes.Element == UInt8 {
        let given = SHA256.hash(data: Data(presented))
        var matched = false
        for digest in digests {
            var difference: UInt8 = 0
            for (a, b) in zip(digest, given) { difference |= a ^ b }
            matched = matched || difference == 0
        }
        return matched
    }

    /// Whether `request` carries `Authorization: Bearer TOKEN` with one of the tokens.
    func authorize(_ request: Request) -> Bool {
        guard let header = request.headers[.authorization] else { return false }
        let utf8 = Array(header.utf8)
        let scheme = Array("bearer ".utf8)
        guard utf8.count > scheme.count, utf8.prefix(scheme.count).map({ $0 | 0x20 }) == scheme.map({ $0 | 0x20 }) else {
            return false
        }
        return accepts(utf8.dropFirst(scheme.count))
    }
}

/// Who may do what: the server's rules in one place, applied by every route.
///
/// - Writes (every POST) need the token; without a configured token they are
///   refused unless the server was started `--insecure`.
/// - With signing on, reads of records, renditions and jobs need the token
///   or a signature of the path (`assetpipe sign`); render URLs always need
///   their signature.
/// - Requests must name an allowed `Host` (DNS rebinding); a POST from a
///   browser page of another origin is refused (CSRF), and JSON routes take
///   `Content-Type: application/json` only (no form posts).
public struct AccessControl: Sendable {
    let tokens: APITokens?
    let signer: URLSigner?
    let insecure: Bool
    /// Lowercased host names (no port); nil accepts any `Host`.
    let allowedHosts: Set<String>?

    /// The checks every request passes before its route runs.
    func admit(_ request: Request) throws(APIError) {
        if let allowedHosts {
            guard let host = Self.hostName(request.head.authority), allowedHosts.contains(host) else {
                throw APIError(.forbidden, "host_not_allowed", "this server answers only for "
                               + allowedHosts.sorted().joined(separator: ", ") + " (see --allowed-host)")
            }
        }
        if request.method != .get, request.method != .head, let origin = request.headers[.origin] {
            let server = Self.hostName(request.head.authority)
            let from = URL(string: origin)?.host.map { $0.lowercased() }
            let allowed = from != nil && (from == server || allowedHosts?.contains(from ?? "") == true)
            guard allowed else {
                throw APIError(.forbidden, "cross_origin", "a request from a page of \(origin) may not change anything here")
            }
        }
    }

    /// A write: the token, or `--insecure` when no token is configured.
    func authorizeWrite(_ request: Request) throws(APIError) {
        if let tokens {
            guard tokens.authorize(request) else {
                throw APIError(.unauthorized, "unauthorized", "send Authorization: Bearer TOKEN (the server's ASSETPIPE_API_TOKEN)")
            }
            return
        }
        guard insecure else {
            throw APIError(.forbidden, "writes_disabled", "this server has no API token, so it takes no writes: start it with "
                           + "ASSETPIPE_API_TOKEN or --api-token-file (or --insecure on a trusted network)")
        }
    }

    /// A read of a record, rendition or job: open unless signing is on;
    /// then the token or `s`, the signature of the path and its other
    /// query parameters.
    func authorizeRead(_ request: Request) throws(APIError) {
        guard let signer else { return }
        if let tokens, tokens.authorize(request) { return }
        guard let signature = request.uri.queryParameters.get(RenderParameters.signatureParameter) else {
            throw APIError(.forbidden, "signature_required", "this server serves signed URLs only: add `s` (see `assetpipe sign`) "
                           + "or send Authorization: Bearer TOKEN", param: "s")
        }
        guard signer.isValid(signature, path: request.uri.path, canonicalQuery: Self.canonicalQuery(of: request)) else {
            throw APIError(.forbidden, "bad_signature", "`s` does not sign this path and query", param: "s")
        }
    }

    /// A search sent as a body (`POST /v1/assets/search`): with signing on,
    /// only the token opens it, since a signature covers no body.
    func authorizeSearchBody(_ request: Request) throws(APIError) {
        guard signer != nil else { return }
        guard let tokens, tokens.authorize(request) else {
            throw APIError(.forbidden, "token_required", "with signing on, a search body needs Authorization: Bearer TOKEN; "
                           + "or sign GET /v1/assets?q=... (see `assetpipe sign`)")
        }
    }

    /// What a signature of a non-render URL signs: `URLSigner.canonicalQuery`.
    static func canonicalQuery(of request: Request) -> String {
        URLSigner.canonicalQuery(of: request.uri.queryParameters.map { (name: String($0.key), value: String($0.value)) })
    }

    /// `example.com` of `Example.COM:8080`, `::1` of `[::1]:80`; nil for none.
    static func hostName(_ authority: String?) -> String? {
        guard var text = authority?.lowercased(), !text.isEmpty else { return nil }
        if text.hasPrefix("[") {
            guard let end = text.firstIndex(of: "]") else { return nil }
            return String(text[text.index(after: text.startIndex)..<end])
        }
        if let colon = text.lastIndex(of: ":") { text = String(text[..<colon]) }
        return text
    }

    /// Whether a JSON route's body is declared JSON (`application/json`,
    /// with or without parameters).
    static func requireJSON(_ request: Request) throws(APIError) {
        let type = request.headers[.contentType]?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased()
        guard type == "application/json" else {
            throw APIError(.unsupportedMediaType, "unsupported_media_type", "send the body as JSON with Content-Type: application/json")
        }
    }

    /// Names a loopback server answers for when no `--allowed-host` is given.
    public static let loopbackNames: Set<String> = ["localhost", "127.0.0.1", "::1"]
}
