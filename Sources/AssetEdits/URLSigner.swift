import Crypto
import Foundation

/// Signs and checks render URLs: `s` is the lowercase hex HMAC-SHA256, under
/// a signing key, of the path, `?`, and the canonical query without `s`.
/// Several keys are accepted at once so they can be rotated: sign with the
/// new one while URLs signed with the old one still work, then drop it.
public struct URLSigner: Sendable {
    private let keys: [SymmetricKey]

    /// Keys as given (their UTF-8 bytes are the HMAC key); the first signs.
    /// Nil when `keys` holds no non-empty key: signing is then off.
    public init?(keys: [String]) {
        let usable = keys.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
        guard !usable.isEmpty else { return nil }
        self.keys = usable.map { SymmetricKey(data: Data($0.utf8)) }
    }

    /// Keys from `ASSETPIPE_SIGNING_KEYS` (comma-separated) and from a file
    /// (one per line; `#` starts a comment), in that order, read as
    /// `Secrets.load` reads them. Nil when neither is given; an error when
    /// one is given but holds no key.
    public static func configured(environment: [String: String] = ProcessInfo.processInfo.environment,
                                  keyFile: String? = nil) throws(Secrets.LoadError) -> URLSigner? {
        guard let keys = try Secrets.load(variable: "ASSETPIPE_SIGNING_KEYS", file: keyFile, environment: environment) else {
            return nil
        }
        return URLSigner(keys: keys)
    }

    /// The signature of `path` with `parameters`, under the first key.
    public func signature(path: String, parameters: RenderParameters) -> String {
        signature(path: path, canonicalQuery: parameters.canonicalQuery)
    }

    /// The signature of `path` with a query already in its canonical form
    /// (empty for a rendition or a record: `/v1/assets/ID/renditions/preview`).
    public func signature(path: String, canonicalQuery: String) -> String {
        let message = Data(Self.message(path, canonicalQuery).utf8)
        return Self.hex(HMAC<SHA256>.authenticationCode(for: message, using: keys[0]))
    }

    /// Whether `signature` signs `path` with `parameters` under any of the keys.
    public func isValid(_ signature: String, path: String, parameters: RenderParameters) -> Bool {
        isValid(signature, path: path, canonicalQuery: parameters.canonicalQuery)
    }

    /// Whether `signature` signs `path` with `canonicalQuery` under any of the keys.
    public func isValid(_ signature: String, path: String, canonicalQuery: String) -> Bool {
        guard let given = Self.bytes(fromHex: signature) else { return false }
        let message = Data(Self.message(path, canonicalQuery).utf8)
        // Compared in constant time by CryptoKit, so timing tells nothing of the right value.
        return keys.contains { HMAC<SHA256>.isValidAuthenticationCode(given, authenticating: message, using: $0) }
    }

    /// The canonical query of a URL that is not a render (a record, a
    /// rendition): names sorted, then values, each percent-encoded as render
    /// URLs are; `s` left out. Decoded `pairs` in, one string out.
    public static func canonicalQuery(of pairs: [(name: String, value: String)]) -> String {
        pairs.filter { $0.name != RenderParameters.signatureParameter }
            .sorted { ($0.name, $0.value) < ($1.name, $1.value) }
            .map { "\(RenderParameters.percentEncoded($0.name))=\(RenderParameters.percentEncoded($0.value))" }
            .joined(separator: "&")
    }

    /// `/v1/assets/ID/render?w=400` (the `?` even when the query is empty).
    static func message(_ path: String, _ canonicalQuery: String) -> String {
        path + "?" + canonicalQuery
    }

    static func hex<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        bytes.map { String(format: "%02x", $0) }.joined()
    }

    /// The 32 bytes of a signature; nil for anything but 64 ASCII hex digits.
    static func bytes(fromHex text: String) -> Data? {
        guard text.utf8.count == 64, let bytes = HexDigits.bytes(text) else { return nil }
        return Data(bytes)
    }
}
