import AssetPipeline

/// The command line's settings file (`assetpipe.toml`, `--config FILE`).
///
/// Properties, for every input:
/// - parsing never traps (unclosed strings and lists, lone `\`, `[` alone,
///   CR line ends, NUL, invalid UTF-8 read as the CLI reads it);
/// - a refusal names a line within the text and a column within that line;
/// - what is parsed holds only what the text says: every key is a bare
///   name, every section appeared as a header, and the file written back
///   as `key = "value"` lines parses to the same entries.
/// Verdict: accepted when it parses, refused when it is refused.
public struct ConfigFileTarget: FuzzTarget {
    public let name = "config-file"

    public init() {}

    public var seeds: [[UInt8]] {
        ["", "# only a comment\n", "data = \"/srv/assetpipe\"\nlog-format = 'json'\n[serve]\nport = 8080\ninsecure = false\n",
         "origin-root = [\"/a\", \"/b\"]\n", "[jobs.retry]\nstate = \"dead\"\n", "x = \"unclosed\n", "[serve\n", "a = [\"x\",\n",
         "a = \"\\q\"\n", "a = 1_000\r\nb = -1.5e3\r\n", "a = bare\n", "a = 1\na = 2\n", "[s]\n[s]\n"].map { Array($0.utf8) }
    }

    public var dictionary: [[UInt8]] {
        ["=", "[", "]", "\"", "'", "\\", "#", ",", "\n", "\r\n", "true", "false", "1_0", "-", ".", "serve", "jobs.retry", "data",
         "\\\"", "\\n", "\u{0}"].map { Array($0.utf8) }
    }

    public func generate(_ random: inout FuzzRandom) -> [UInt8] {
        let keys = ["data", "port", "log-format", "origin-root", "insecure", "x_y"]
        let values = ["\"a b\"", "'lit'", "8080", "true", "false", "[\"/a\", \"/b\"]", "[]", "\"esc\\\"aped\"", "1e3", "\"unclosed"]
        var lines: [String] = []
        for _ in 0..<random.below(8) {
            switch random.below(6) {
            case 0: lines.append("[" + random.pick(["serve", "jobs.retry", "work", ""], else: "serve") + "]")
            case 1: lines.append("# " + random.pick(keys, else: "c"))
            default: lines.append(random.pick(keys, else: "k") + random.pick([" = ", "=", " =", " "], else: " = ") + random.pick(values, else: "1"))
            }
        }
        return Array(lines.joined(separator: random.chance(0.2) ? "\r\n" : "\n").utf8)
    }

    public func run(_ input: [UInt8]) throws(PropertyFailure) -> Verdict {
        let text = String(decoding: input, as: UTF8.self)
        let lineCount = text.split(separator: "\n", omittingEmptySubsequences: false).count
        let file: ConfigFile
        do {
            file = try ConfigFile(parsing: text)
        } catch {
            guard (1...max(1, lineCount)).contains(error.line), error.column >= 1 else {
                throw PropertyFailure("refusal at line \(error.line), column \(error.column) of a \(lineCount)-line text")
            }
            return .refused
        }
        var rewritten = ""
        for (section, entries) in file.sections.sorted(by: { $0.key < $1.key }) {
            if !section.isEmpty { rewritten += "[\(section)]\n" }
            for (key, entry) in entries {
                guard !key.isEmpty, key.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else {
                    throw PropertyFailure("key '\(key)' is not a bare name")
                }
                rewritten += "\(key) = \(Self.written(entry.value))\n"
            }
        }
        let again: ConfigFile
        do {
            again = try ConfigFile(parsing: rewritten)
        } catch {
            throw PropertyFailure("the file written back does not parse: \(error)")
        }
        let values = file.sections.mapValues { $0.mapValues(\.value) }, valuesAgain = again.sections.mapValues { $0.mapValues(\.value) }
        guard values == valuesAgain else { throw PropertyFailure("the file written back parses to other entries") }
        return .accepted
    }

    static func written(_ value: ConfigFile.Value) -> String {
        func quoted(_ text: String) -> String {
            "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
                .replacingOccurrences(of: "\n", with: "\\n").replacingOccurrences(of: "\t", with: "\\t") + "\""
        }
        switch value {
        case .text(let text): return quoted(text)
        case .bool(let flag): return flag ? "true" : "false"
        case .list(let items): return "[" + items.map(quoted).joined(separator: ", ") + "]"
        }
    }
}
