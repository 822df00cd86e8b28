/// The command line's settings file (`assetpipe.toml`): a small subset of
/// TOML, enough for flags. Keys before any `[section]` apply to every
/// command that has such an option; `[serve]`, `[jobs.retry]`, ... to that
/// command only.
///
///     data = "/srv/assetpipe"          # a string: "..." (escapes \" \\ \n \t) or '...'
///     log-format = "json"
///     [serve]
///     port = 8080                      # a number, kept as written
///     insecure = false                 # a boolean
///     origin-root = ["/srv/a", "/srv/b"]   # a list, for a repeatable option
///
/// A line that is none of these is refused with its line and column.
public struct ConfigFile: Sendable, Equatable {
    public enum Value: Sendable, Equatable {
        case text(String)
        case bool(Bool)
        case list([String])

        /// The value as command-line arguments take it.
        public var words: [String] {
            switch self {
            case .text(let text): [text]
            case .bool(let value): [value ? "true" : "false"]
            case .list(let items): items
            }
        }
    }

    /// An entry and the line it came from.
    public struct Entry: Sendable, Equatable {
        public var value: Value
        public var line: Int
    }

    /// Entries by section ("" before any header), then by key as written.
    public private(set) var sections: [String: [String: Entry]] = [:]
    /// Most bytes a settings file may have.
    public static let maximumSize = 1 << 20

    public init(parsing text: String) throws(ConfigFileError) {
        guard text.utf8.count <= Self.maximumSize else {
            throw ConfigFileError(line: 1, column: 1, message: "the file is over \(Self.maximumSize >> 20) MiB")
        }
        var section = ""
        sections[""] = [:]
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let lineNumber = index + 1
            var line = Substring(raw)
            if line.last == "\r" { line = line.dropLast() }
            var scanner = Scanner(line, line: lineNumber)
            scanner.skipSpaces()
            if scanner.atEndOrComment { continue }
            if scanner.peek == "[" {
                scanner.advance()
                let name = try scanner.name(dotted: true)
                guard scanner.consume("]") else { throw scanner.error("a section header ends with ]") }
                try scanner.expectEnd()
                guard sections[name] == nil else { throw ConfigFileError(line: lineNumber, column: 1, message: "section [\(name)] is repeated") }
                section = name
                sections[name] = [:]
                continue
            }
            let column = scanner.column
            let key = try scanner.name(dotted: false)
            scanner.skipSpaces()
            guard scanner.consume("=") else { throw scanner.error("expected `=` after the key \(key)") }
            scanner.skipSpaces()
            let value = try scanner.value()
            try scanner.expectEnd()
            guard sections[section]?[key] == nil else {
                throw ConfigFileError(line: lineNumber, column: column, message: "\(key) is set twice in \(section.isEmpty ? "the top level" : "[\(section)]")")
            }
            sections[section, default: [:]][key] = Entry(value: value, line: lineNumber)
        }
    }

    /// One line's characters, read left to right.
    private struct Scanner {
        let characters: [Character]
        let line: Int
        var position = 0

        init(_ text: Substring, line: Int) {
            characters = Array(text)
            self.line = line
        }

        var column: Int { position + 1 }
        var peek: Character? { position < characters.count ? characters[position] : nil }
        var atEndOrComment: Bool { peek == nil || peek == "#" }

        mutating func advance() { position += 1 }

        mutating func consume(_ character: Character) -> Bool {
            guard peek == character else { return false }
            advance()
            return true
        }

        mutating func skipSpaces() {
            while peek == " " || peek == "\t" { advance() }
        }

        func error(_ message: String) -> ConfigFileError {
            ConfigFileError(line: line, column: column, message: message)
        }

        mutating func expectEnd() throws(ConfigFileError) {
            skipSpaces()
            guard atEndOrComment else { throw error("unexpected text after the value (a # starts a comment)") }
        }

        /// A bare key: letters, digits, `-` and `_` (and `.` in a section name).
        mutating func name(dotted: Bool) throws(ConfigFileError) -> String {
            let start = position
            while let character = peek, character.isASCII,
                  character.isLetter || character.isNumber || character == "-" || character == "_" || (dotted && character == ".") {
                advance()
            }
            guard position > start else { throw error("expected a name (letters, digits, - and _)") }
            return String(characters[start..<position])
        }

        mutating func value() throws(ConfigFileError) -> Value {
            switch peek {
            case "\"", "'": return .text(try string())
            case "[":
                advance()
                var items: [String] = []
                skipSpaces()
                if consume("]") { return .list(items) }
                while true {
                    skipSpaces()
                    guard peek == "\"" || peek == "'" else { throw error("a list holds strings in quotes") }
                    items.append(try string())
                    skipSpaces()
                    if consume("]") { return .list(items) }
                    guard consume(",") else { throw error("expected , or ] in the list") }
                }
            default:
                let start = position
                while let character = peek, character != " ", character != "\t", character != "#" { advance() }
                let word = String(characters[start..<position])
                if word == "true" { return .bool(true) }
                if word == "false" { return .bool(false) }
                guard !word.isEmpty, word.allSatisfy({ $0.isASCII && ($0.isNumber || "+-._eE".contains($0)) }),
                      word.contains(where: \.isNumber) else {
                    throw ConfigFileError(line: line, column: start + 1,
                                          message: "a value is a \"string\", a number, true, false or a [list]; put text in quotes")
                }
                return .text(word.replacingOccurrences(of: "_", with: ""))
            }
        }

        mutating func string() throws(ConfigFileError) -> String {
            guard let quote = peek else { throw error("expected a string") }
            advance()
            var text = ""
            while let character = peek {
                advance()
                if character == quote { return text }
                guard quote == "\"", character == "\\" else {
                    text.append(character)
                    continue
                }
                guard let escaped = peek else { break }
                advance()
                switch escaped {
                case "\"": text.append("\"")
                case "\\": text.append("\\")
                case "n": text.append("\n")
                case "t": text.append("\t")
                // The column points at it; the message does not repeat it, since a string may be a secret.
                default: throw ConfigFileError(line: line, column: position, message: "unknown escape after \\ (known: \\\", \\\\, \\n, \\t)")
                }
            }
            throw error("the string is not closed with \(quote)")
        }
    }
}

/// Why a settings file was refused, and where.
public struct ConfigFileError: Error, Sendable, Equatable, CustomStringConvertible {
    public let line: Int
    public let column: Int
    public let message: String

    public var description: String { "line \(line), column \(column): \(message)" }
}
