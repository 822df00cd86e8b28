import Foundation

/// scripts/test-analyzer, running: a stand-in external analyzer that
/// answers well or misbehaves by the path asked (`ok`, `slow`, `error`,
/// `malformed`, `huge`, `huge-stream`, `drip`, `deep`) and logs each request.
/// Stopped when the value is released.
public final class TestAnalyzer: @unchecked Sendable {
    public var port: Int { script.port }
    private let script: PortPrintingScript
    private let log: String

    public init() throws {
        log = try Package.temporaryDirectory("analyzer") + "/requests.jsonl"
        script = try PortPrintingScript("test-analyzer", [log])
    }

    deinit {
        script.stop()
    }

    /// The address of one of its behaviours.
    public func url(_ mode: String) -> String { "http://127.0.0.1:\(port)/\(mode)" }

    /// The requests it received, oldest first: `mode`, `sha256`, `bytes`, `headers` (lowercased names).
    public func requests() throws -> [[String: Any]] {
        guard let text = try? String(contentsOfFile: log, encoding: .utf8) else { return [] }
        return try text.split(separator: "\n").map { line in
            guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                throw TestFailure("a line of the analyzer's log is no object: \(line)")
            }
            return object
        }
    }
}
