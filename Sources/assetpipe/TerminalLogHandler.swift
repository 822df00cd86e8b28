import ArgumentParser
import Foundation
import Logging

/// How log lines are written on standard error.
enum LogFormat: String, CaseIterable, ExpressibleByArgument {
    /// `ts=… level=info logger=assetpipe.worker msg="…" key=value …`: a value
    /// with a space, `=` or `"` is quoted, so a line always splits back into
    /// its fields (what log shippers' logfmt parsers expect).
    case logfmt
    /// One JSON object per line: `ts`, `level`, `logger`, `msg` and the metadata.
    case json
}

/// swift-log's lines on standard error in `LogFormat`, with control
/// characters escaped (`Terminal.printable`): a file name in a log line is
/// data, and an ESC or a line break in one must neither drive the terminal
/// nor forge another log line.
struct TerminalLogHandler: LogHandler {
    let label: String
    var format: LogFormat = .logfmt
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
        let fields = [("ts", Self.timestamp()), ("level", "\(event.level)"), ("logger", label), ("msg", "\(event.message)")]
            + merged.sorted { $0.key < $1.key }.map { ($0.key, "\($0.value)") }
        let line: String
        switch format {
        case .logfmt:
            line = fields.map { key, value in "\(Self.logfmtKey(key))=\(Self.logfmtValue(value))" }
                .joined(separator: " ")
        case .json:
            var object: [String: String] = [:]
            for (key, value) in fields where object[key] == nil { object[key] = value }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            // JSON escapes control characters itself, so the line stays one line.
            line = (try? encoder.encode(object)).map { String(decoding: $0, as: UTF8.self) } ?? #"{"msg":"unencodable log line"}"#
        }
        Terminal.standardError.write(line + "\n")
    }

    /// A value as logfmt writes it: bare when it is a plain token, else
    /// quoted, with `\` and `"` escaped and control characters written as
    /// `\xNN` (so the line stays one line and splits back into its fields).
    static func logfmtValue(_ value: String) -> String {
        let plain = !value.isEmpty && !value.unicodeScalars.contains {
            $0 == " " || $0 == "=" || $0 == "\"" || $0 == "\\" || $0.properties.generalCategory == .control
        }
        if plain { return value }
        let escaped = value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        return "\"" + Terminal.printable(escaped, keepingLineBreaks: false) + "\""
    }

    /// Keys are ours, but metadata keys could in principle hold anything.
    static func logfmtKey(_ key: String) -> String {
        let cleaned = String(key.map { $0 == " " || $0 == "=" || $0 == "\"" || $0.isNewline ? "_" : $0 })
        return cleaned.isEmpty ? "_" : cleaned
    }

    private static func timestamp() -> String {
        var now = time(nil)
        var parts = tm()
        localtime_r(&now, &parts)
        var buffer = [Int8](repeating: 0, count: 32)
        let count = strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%S%z", &parts)
        return String(decoding: buffer.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
