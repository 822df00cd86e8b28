import Foundation

/// Secrets (signing keys, API tokens) as the server reads them: from an
/// environment variable (comma-separated) and a file (one per line).
/// Parsed strictly, because a secret read wrong fails open: each entry is
/// trimmed first, then empty lines and `#` comments are dropped; a source
/// that is given but holds no secret is an error naming it, never "off".
public enum Secrets {
    /// Why secrets could not be read. Never carries a secret's value.
    public struct LoadError: Error, Sendable, CustomStringConvertible {
        public let description: String
    }

    /// The secrets of a file's text: one per line.
    public static func lines(of text: String) -> [String] {
        text.split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }
    }

    /// The secrets of a variable's value: comma-separated.
    public static func list(_ value: String) -> [String] {
        value.split(separator: ",", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
    }

    /// The secrets in `variable` (when set) and in `file` (when given), in
    /// that order; nil when neither is set. A set variable or a given file
    /// that holds none is an error.
    public static func load(variable: String, file: String?,
                            environment: [String: String] = ProcessInfo.processInfo.environment) throws(LoadError) -> [String]? {
        var secrets: [String] = []
        var given = false
        if let value = environment[variable] {
            given = true
            let found = list(value)
            guard !found.isEmpty else {
                throw LoadError(description: "\(variable) is set but holds no value; unset it, or set it to the secret")
            }
            secrets += found
        }
        if let file {
            given = true
            let text: String
            do {
                text = try String(contentsOfFile: file, encoding: .utf8)
            } catch {
                throw LoadError(description: "cannot read \(file): \((error as NSError).localizedDescription)")
            }
            let found = lines(of: text)
            guard !found.isEmpty else {
                throw LoadError(description: "\(file) holds no secret (only empty lines and # comments); write one per line")
            }
            secrets += found
        }
        return given ? secrets : nil
    }
}
