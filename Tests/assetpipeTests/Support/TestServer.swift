import Foundation
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// `assetpipe serve` run as a child process on a free loopback port.
final class TestServer {
    let process = Process()
    let base: String
    let port: Int

    static func freePort() throws -> Int {
        let result = try Command.run("python3", ["-c", "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"])
        guard let port = Int(result.output.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw TestFailure("no free port: \(result.summary)")
        }
        return port
    }

    /// Starts `serve --port PORT ARGUMENTS` with `environment` added to
    /// ours, and waits up to 30 s for /healthz.
    init(_ arguments: [String], environment: [String: String] = [:], stderr: FileHandle = .nullDevice) throws {
        port = try Self.freePort()
        base = "http://127.0.0.1:\(port)"
        process.executableURL = URL(fileURLWithPath: AssetPipe.binary)
        process.arguments = ["serve", "--port", "\(port)"] + arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = stderr
        try process.run()
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline, process.isRunning,
              (try? Command.run("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "2", base + "/healthz"]))?.output != "200" {
            Thread.sleep(forTimeInterval: 0.1)
        }
        guard process.isRunning else { throw TestFailure("serve \(arguments.joined(separator: " ")) exited at once") }
    }

    /// SIGTERM, then SIGKILL after 20 s.
    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = Date().addingTimeInterval(20)
        while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    deinit { stop() }

    /// curl with `arguments` against `path`: the status and the body as JSON (nil when not JSON).
    func curl(_ path: String, _ arguments: [String], token: String? = nil) throws -> (status: Int, json: [String: Any]?, body: String) {
        let auth = token.map { ["-H", "Authorization: Bearer \($0)"] } ?? []
        let result = try Command.run("curl", ["-s", "--max-time", "120", "-w", "\n%{http_code}"] + auth + arguments + [base + path], timeout: 150)
        let text = result.output
        let split = text.lastIndex(of: "\n").map { (String(text[..<$0]), String(text[text.index(after: $0)...])) } ?? ("", text)
        let json = try? JSONSerialization.jsonObject(with: Data(split.0.utf8)) as? [String: Any]
        return (Int(split.1) ?? 0, json, split.0)
    }

    /// Polls GET /v1/jobs/ID until the job is no longer queued or running (60 s at most); its state.
    func waitForJob(_ id: String, token: String? = nil) throws -> String {
        let deadline = Date().addingTimeInterval(60)
        var state = ""
        repeat {
            state = (try curl("/v1/jobs/\(id)", [], token: token).json?["state"] as? String) ?? ""
            if state != "queued", state != "running", !state.isEmpty { return state }
            Thread.sleep(forTimeInterval: 0.2)
        } while Date() < deadline
        return state
    }
}
