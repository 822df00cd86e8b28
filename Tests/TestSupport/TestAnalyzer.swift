import Foundation

/// scripts/test-analyzer, running: a stand-in external analyzer that
/// answers well or misbehaves by the path asked (`ok`, `slow`, `error`,
/// `malformed`, `huge`, `huge-stream`, `drip`, `deep`) and logs each request.
/// Stopped when the value is released.
public final class TestAnalyzer: @unchecked Sendable {
    public let port: Int
    private let process: Process
    private let log: String
    private let input = Pipe()

    public init() throws {
        log = try Package.temporaryDirectory("analyzer") + "/requests.jsonl"
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", Package.root + "/scripts/test-analyzer", log]
        let out = Pipe()
        process.standardOutput = out
        // The server exits when this closes: in deinit, or when the test process dies.
        process.standardInput = input
        try process.run()
        // The first line is the port; read byte by byte so nothing after it is lost.
        var line: [UInt8] = []
        while let byte = try out.fileHandleForReading.read(upToCount: 1)?.first, byte != UInt8(ascii: "\n") {
            line.append(byte)
        }
        guard let port = Int(String(decoding: line, as: UTF8.self)) else {
            try? input.fileHandleForWriting.close()
            throw TestFailure("scripts/test-analyzer printed no port (is python3 installed?)")
        }
        self.port = port
    }

    deinit {
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
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
