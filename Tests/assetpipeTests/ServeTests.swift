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

    /// Starts `assetpipe serve ARGUMENTS --port PORT` (with `token` as
    /// ASSETPIPE_API_TOKEN, in `directory`) and waits up to 30 s for
    /// /healthz; returns the process, for the caller to stop, and the base URL.
    private func startServer(_ arguments: [String], port: Int, token: String? = nil, in directory: String? = nil,
                             stderr: FileHandle = .nullDevice) throws -> (server: Process, base: String) {
        let server = Process()
        server.executableURL = URL(fileURLWithPath: AssetPipe.binary)
        server.arguments = ["serve", "--port", "\(port)"] + arguments
        if let directory { server.currentDirectoryURL = URL(fileURLWithPath: directory) }
        if let token { server.environment = ProcessInfo.processInfo.environment.merging(["ASSETPIPE_API_TOKEN": token]) { $1 } }
        server.standardOutput = FileHandle.nullDevice
        server.standardError = stderr
        try server.run()
        let base = "http://127.0.0.1:\(port)"
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline, try curl(["-o", "/dev/null", "-w", "%{http_code}", base + "/healthz"]).output != "200" {
            Thread.sleep(forTimeInterval: 0.1)
        }
        return (server, base)
    }

    @Test func servesRendersAndStopsCleanlyOnSIGTERM() throws {
        let data = try Package.temporaryDirectory("serve")
        let origin = Package.sample("photos/camera-gps-south.jpg")
        let processed = try AssetPipe.process([origin], data: data)
        let id = try #require(processed.records.first?["id"] as? String)
        let port = try freePort()

        let (server, base) = try startServer(["--data", data, "--workers", "1", "--log-level", "warning"], port: port,
                                             token: "serve-test-token")
        defer { if server.isRunning { kill(server.processIdentifier, SIGKILL) } }
        let deadline = Date().addingTimeInterval(30)
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

    /// Operating the server: one access-log line per request (logfmt and
    /// JSON), an `X-Request-Id` (the client's, or a new one), `HEAD` wherever
    /// `GET` works, a JSON body for an unknown route, and a port in use
    /// named at startup with what to do.
    @Test(arguments: ["logfmt", "json"]) func accessLogRequestIdsHeadAndUnknownRoutes(format: String) throws {
        let data = try Package.temporaryDirectory("serve-log")
        let processed = try AssetPipe.process([Package.sample("photos/odd-exif.jpg")], data: data)
        let id = try #require(processed.records.first?["id"] as? String)
        let port = try freePort()
        let log = data + "/serve.log"
        FileManager.default.createFile(atPath: log, contents: nil)
        let (server, base) = try startServer(["--data", data, "--log-format", format], port: port,
                                             stderr: try FileHandle(forWritingTo: URL(fileURLWithPath: log)))
        defer { if server.isRunning { kill(server.processIdentifier, SIGKILL) } }
        let deadline = Date().addingTimeInterval(30)

        let unknown = try curl(["-i", "-H", "X-Request-Id: client-id-42", base + "/v2/nope"])
        #expect(unknown.output.hasPrefix("HTTP/1.1 404"), "\(unknown.output)")
        #expect(unknown.output.lowercased().contains("x-request-id: client-id-42"))
        let body = try #require(unknown.output.components(separatedBy: "\r\n\r\n").last)
        let error = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
        #expect(JSONValue.dictionary(error["error"])?["code"] as? String == "no_route")
        for path in ["/v1/assets/\(id)", "/v1/assets/\(id)/render?w=64", "/openapi.json", "/healthz"] {
            let head = try curl(["-I", base + path])
            #expect(head.output.hasPrefix("HTTP/1.1 200"), "HEAD \(path): \(head.output)")
        }
        // A forged id (a line break, a space) is replaced, not echoed.
        let forged = try curl(["-i", "-H", "X-Request-Id: a b", base + "/healthz"])
        #expect(!forged.output.contains("X-Request-Id: a b") && forged.output.lowercased().contains("x-request-id: "))

        // The port is taken now: a second server says so, naming it.
        let second = try AssetPipe.run(["serve", "--data", data, "--port", "\(port)"], timeout: 30)
        #expect(second.status == 1 && second.stderr.contains("127.0.0.1:\(port)") && second.stderr.contains("--port"),
                "\(second.summary)")

        server.terminate()
        while server.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        let lines = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").map(String.init)
        func fields(_ line: String) -> [String: String]? {
            if format == "json" {
                return (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: String]
            }
            var result: [String: String] = [:]
            // logfmt: key=value or key="quoted value"
            let pattern = try? NSRegularExpression(pattern: #"([^ =]+)=("(?:[^"\\]|\\.)*"|[^ ]*)"#)
            for match in pattern?.matches(in: line, range: NSRange(line.startIndex..., in: line)) ?? [] {
                guard let key = Range(match.range(at: 1), in: line), let value = Range(match.range(at: 2), in: line) else { continue }
                result[String(line[key])] = String(line[value]).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            }
            return result
        }
        let requests = lines.compactMap(fields).filter { $0["msg"] == "request" }
        let notFound = try #require(requests.first { $0["request_id"] == "client-id-42" }, "\(lines)")
        #expect(notFound["method"] == "GET" && notFound["status"] == "404" && notFound["route"] != nil)
        #expect(notFound["bytes"].flatMap(Int.init).map { $0 > 0 } == true && notFound["duration_ms"].flatMap(Double.init) != nil)
        let heads = requests.filter { $0["method"] == "HEAD" }
        #expect(heads.count == 4 && heads.allSatisfy { $0["status"] == "200" }, "\(heads)")
        #expect(heads.contains { $0["route"] == "/v1/assets/{id}/render" && $0["cache"] != nil }, "\(heads)")
    }

    /// The issue's replay: `serve --data d2` (relative) stored an edit's
    /// original as `d2/edits/….jpg`; a refresh run from another folder could
    /// not read it, failed five times, and the asset lost its renditions.
    /// Now the stored path is absolute and the refresh reads it.
    @Test func anEditMadeUnderARelativeDataFolderRefreshesFromAnywhere() throws {
        let parent = try Package.temporaryDirectory("serve-relative")
        let data = parent + "/d2"
        let processed = try AssetPipe.process([Package.sample("photos/odd-exif.jpg")], data: data)
        let id = try #require(processed.records.first?["id"] as? String)
        let port = try freePort()
        let (server, base) = try startServer(["--data", "d2", "--workers", "1", "--log-level", "warning"], port: port,
                                             token: "relative-token", in: parent)
        defer { if server.isRunning { kill(server.processIdentifier, SIGKILL) } }
        let deadline = Date().addingTimeInterval(60)
        let queued = try curl(["-X", "POST", "-H", "Content-Type: application/json", "-H", "Authorization: Bearer relative-token",
                               "-d", #"{"ops": {"w": 300}}"#, base + "/v1/assets/\(id)/edits"])
        let jobID = try #require((try JSONSerialization.jsonObject(with: queued.stdout) as? [String: Any])?["id"] as? String, "\(queued.output)")
        var state = ""
        while Date() < deadline, state != "succeeded", state != "failed", state != "dead" {
            state = (try? JSONSerialization.jsonObject(with: try curl([base + "/v1/jobs/\(jobID)"]).stdout) as? [String: Any])?["state"] as? String ?? ""
            Thread.sleep(forTimeInterval: 0.1)
        }
        #expect(state == "succeeded")
        server.terminate()
        server.waitUntilExit()

        let edited = try #require(try JSONSerialization.jsonObject(with: AssetPipe.run(["show", "--data", data, id]).stdout) as? [String: Any])
        let origin = try #require(edited["origin"] as? String)
        #expect(origin.hasPrefix("/") && FileManager.default.fileExists(atPath: origin), "\(origin)")
        // From another folder, with the absolute path to the same data.
        let elsewhere = try Package.temporaryDirectory("serve-relative-elsewhere")
        #expect(try AssetPipe.run(["enqueue", "--data", data, "--refresh", id], in: elsewhere).status == 0)
        #expect(try AssetPipe.run(["work", "--data", data, "--until-empty"], in: elsewhere, timeout: 120).status == 0)
        let refreshed = try #require(try JSONSerialization.jsonObject(with: AssetPipe.run(["show", "--data", data, id]).stdout) as? [String: Any])
        #expect(refreshed["status"] as? String == "processed" && refreshed["version"] as? Int == 2 && refreshed["width"] as? Int == 300)
        #expect(refreshed["sha256"] as? String == (try Oracle.sha256sum(origin)))
        for rendition in (refreshed["renditions"] as? [[String: Any]]) ?? [] {
            let path = data + "/" + (rendition["path"] as? String ?? "")
            #expect(FileManager.default.fileExists(atPath: path), "\(path)")
        }
    }

    /// The issue's replay: `serve` in a folder without a catalog silently
    /// served an empty one. Now it refuses as `show` does, unless --init;
    /// and ASSETPIPE_DATA names the data directory for every command.
    @Test func serveRefusesAMissingCatalogUnlessInit() throws {
        let empty = try Package.temporaryDirectory("serve-no-catalog")
        let refused = try AssetPipe.run(["serve", "--port", String(try freePort())], in: empty, timeout: 30)
        #expect(refused.status == 1 && refused.stderr.contains("no catalog") && refused.stderr.contains("--init"), "\(refused.summary)")
        #expect(!FileManager.default.fileExists(atPath: empty + "/assetpipe-data/catalog.sqlite"))

        let data = try Package.temporaryDirectory("serve-env-data")
        _ = try AssetPipe.process([Package.sample("photos/odd-exif.jpg")], data: data)
        let shown = try Command.run("/usr/bin/env", ["ASSETPIPE_DATA=\(data)", AssetPipe.binary, "show", Package.sample("photos/odd-exif.jpg")],
                                    in: empty)
        #expect(shown.status == 0, "\(shown.summary)")
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
