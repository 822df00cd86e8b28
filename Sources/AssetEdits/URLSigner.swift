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
    /// (one per line; `#` starts a comment), in that order. Nil when neither
    /// holds a key.
    public static func configured(environment: [String: String] = ProcessInfo.processInfo.environment,
                                  keyFile: String? = nil) throws -> URLSigner? {
        var keys = (environment["ASSETPIPE_SIGNING_KEYS"] ?? "").split(separator: ",").map(String.init)
        if let keyFile {
            let text = try String(contentsOfFile: keyFile, encoding: .utf8)
            keys += text.split(whereSeparator: \.isNewline).map(String.init).filter { !$0.hasPrefix("#") }
        }
        return URLSigner(keys: keys)
    }

    /// The signature of `path` with `parameters`, under the first key.
    public func signature(path: String, parameters: RenderParameters) -> String {
        Self.hex(HMAC<SHA256>.authenticationCode(for: Data(Self.message(path, parameters).utf8), using: keys[0]))
    }

    /// Whether `signature` signs `path` with `parameters` under any of the keys.
    public func isValid(_ signature: String, path: String, parameters: RenderParameters) -> Bool {
        guard let given = Self.bytes(fromHex: signature.lowercased()) else { return false }
        let message = Data(Self.message(path, parameters).utf8)
        // Compared in constant time by CryptoKit, so timing tells nothing of the right value.
        return keys.contains { HMAC<SHA256>.isValidAuthenticationCode(given, authenticating: message, using: $0) }
    }

    /// `/v1/assets/ID/render?w=400` (the `?` even when the query is empty).
    static func message(_ path: String, _ parameters: RenderParameters) -> String {
        path + "?" + parameters.canonicalQuery
    }

    static func hex<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        bytes.map { String(format: "%02x", $0) }.joined()
    }

    static func bytes(fromHex text: String) -> Data? {
        guard text.count == 64, text.allSatisfy(\.isHexDigit) else { return nil }
        var data = Data(capacity: 32)
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(index, offsetBy: 2)
            data.append(UInt8(text[index..<next], radix: 16)!)
            index = next
        }
        return data
    }
}
