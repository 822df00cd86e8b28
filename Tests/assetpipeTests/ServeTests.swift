import Foundation
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `assetpipe serve` as a process: it answers over HTTP (curl as the client),
/// renders, and on SIGTERM finishes and exits 0.
@Suite struct ServeTests {
    private func freePort() throws -> Int {
        let result = try Command.run("python3", ["-c", "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"])
        return try #require(Int(result.output.trimmingCharacters(in: .whitespacesAndNewlines)))
    }

    private func curl(_ arguments: [String]) throws -> CommandResult {
        try Command.run("curl", ["-s", "--max-time", "20"] + arguments)
    }

    @Test func servesRendersAndStopsCleanlyOnSIGTERM() throws {
        let data = try Package.temporaryDirectory("serve")
        let origin = Package.sample("photos/camera-gps-south.jpg")
        let processed = try AssetPipe.process([origin], data: data)
        let id = try #require(processed.records.first?["id"] as? String)
        let port = try freePort()

        let server = Process()
        server.executableURL = URL(fileURLWithPath: AssetPipe.binary)
        server.arguments = ["serve", "--data", data, "--port", "\(port)", "--workers", "1", "--log-level", "warning"]
        server.environment = ProcessInfo.processInfo.environment.merging(["ASSETPIPE_API_TOKEN": "serve-test-token"]) { $1 }
        server.standardOutput = FileHandle.nullDevice
        server.standardError = FileHandle.nullDevice
        try server.run()
        defer { if server.isRunning { kill(server.processIdentifier, SIGKILL) } }

        let base = "http://127.0.0.1:\(port)"
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline, try curl(["-o", "/dev/null", "-w", "%{http_code}", base + "/healthz"]).output != "200" {
            Thread.sleep(forTimeInterval: 0.1)
        }
        let out = try Package.temporaryDirectory("serve-out") + "/render.png"
        let rendered = try curl(["-o", out, "-w", "%{http_code} %{content_type}", base + "/v1/assets/\(id)/render?w=120&fm=png"])
        #expect(rendered.output == "200 image/png", "\(rendered.summary)")
        #expect(try Oracle.vipsheaderInt("width", out) == 120)

        // A job queued over HTTP is run by the server's own worker.
        let body = #"{"kind": "refresh", "asset_id": "\#(id)"}"#
        let noToken = try curl(["-o", "/dev/null", "-w", "%{http_code}", "-X", "POST", "-H", "Content-Type: application/json",
                                "-d", body, base + "/v1/jobs"])
        #expect(noToken.output == "401")
        // DNS rebinding: a page of another name that resolves to 127.0.0.1 is not answered.
        let rebound = try curl(["-o", "/dev/null", "-w", "%{http_code}", "-H", "Host: evil.example", base + "/v1/assets/\(id)"])
        #expect(rebound.output == "403")
        let queued = try curl(["-X", "POST", "-H", "Content-Type: application/json", "-H", "Authorization: Bearer serve-test-token",
                               "-d", body, base + "/v1/jobs"])
        let job = try #require(try JSONSerialization.jsonObject(with: queued.stdout) as? [String: Any])
        let jobID = try #require(job["id"] as? String)
        var state = ""
        while Date() < deadline, state != "succeeded" {
            let read = try curl([base + "/v1/jobs/\(jobID)"])
            state = (try? JSONSerialization.jsonObject(with: read.stdout) as? [String: Any])?["state"] as? String ?? ""
            Thread.sleep(forTimeInterval: 0.1)
        }
        #expect(state == "succeeded")

        server.terminate()
        let stopBy = Date().addingTimeInterval(20)
        while server.isRunning && Date() < stopBy { Thread.sleep(forTimeInterval: 0.05) }
        #expect(!server.isRunning, "still running 20 s after SIGTERM")
        #expect(server.terminationReason == .exit && server.terminationStatus == 0)
    }

    /// Secrets that are given but hold nothing, and a public address without
    /// a token, stop the server before it listens, naming the cause.
    @Test func unsafeStartupsAreRefused() throws {
        let data = try Package.temporaryDirectory("serve-refused")
        let empty = data + "/token", comments = data + "/keys"
        try "\n".write(toFile: empty, atomically: true, encoding: .utf8)
        try "# rotated\n   # old\n".write(toFile: comments, atomically: true, encoding: .utf8)
        let port = try String(freePort())
        let cases: [(environment: [String], arguments: [String], says: String)] = [
            ([], ["--api-token-file", empty], empty),
            ([], ["--signing-key-file", comments], comments),
            (["ASSETPIPE_SIGNING_KEYS= , "], [], "ASSETPIPE_SIGNING_KEYS"),
            (["ASSETPIPE_API_TOKEN="], [], "ASSETPIPE_API_TOKEN"),
            ([], ["--host", "0.0.0.0"], "without an API token"),
        ]
        for (environment, arguments, says) in cases {
            let result = try Command.run("/usr/bin/env", environment + [AssetPipe.binary, "serve", "--data", data, "--port", port] + arguments,
                                         timeout: 20)
            #expect(result.status != 0 && !result.timedOut, "\(environment) \(arguments) started")
            #expect(result.stderr.contains(says), "\(environment) \(arguments): \(result.stderr)")
        }
    }
}
