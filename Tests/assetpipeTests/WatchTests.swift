import Foundation
import TestSupport
import Testing

/// `work --watch DIR`: files dropped into the folder are queued once they
/// have settled and catalogued, once, even across a restart of the worker.
@Suite struct WatchTests {
    /// The jobs `jobs --json` lists.
    private func jobs(_ data: String) throws -> [Record] {
        try AssetPipe.records(in: try AssetPipe.run(["jobs", "--data", data, "--json", "--limit", "100"]).stdout)
    }

    private func startWorker(_ data: String, watching folder: String) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: AssetPipe.binary)
        process.arguments = ["work", "--data", data, "--watch", folder, "--settle", "0.3", "--concurrency", "1", "--log-level", "warning"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    private func stop(_ process: Process) throws -> Int32 {
        process.terminate()
        let deadline = Date().addingTimeInterval(20)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        guard !process.isRunning else {
            process.interrupt()
            throw TestFailure("the worker did not stop within 20 s of SIGTERM")
        }
        return process.terminationStatus
    }

    @Test func droppedFilesAreCataloguedOnce() throws {
        let data = try Package.temporaryDirectory("watch-data")
        let inbox = try Package.temporaryDirectory("watch-inbox")
        let worker = try startWorker(data, watching: inbox)
        try FileManager.default.createDirectory(atPath: inbox + "/day1", withIntermediateDirectories: true)
        let dropped = inbox + "/day1/harbour.jpg"
        try FileManager.default.copyItem(atPath: Package.sample("photos/camera-gps-south.jpg"), toPath: dropped)

        let deadline = Date().addingTimeInterval(30)
        var listed: [Record] = []
        while Date() < deadline {
            listed = try jobs(data)
            if listed.first?["state"] as? String == "succeeded" { break }
            Thread.sleep(forTimeInterval: 0.2)
        }
        #expect(try stop(worker) == 0)
        #expect(listed.count == 1 && listed.first?["state"] as? String == "succeeded", "\(listed)")
        let shown = try AssetPipe.run(["show", "--data", data, dropped])
        let record = try #require(try AssetPipe.records(in: shown.stdout.filter { $0 != UInt8(ascii: "\n") }).first)
        #expect(record["sha256"] as? String == (try Oracle.sha256sum(dropped)))

        // A new worker on the same folder does not queue the file again.
        let again = try startWorker(data, watching: inbox)
        Thread.sleep(forTimeInterval: 2)
        #expect(try stop(again) == 0)
        #expect(try jobs(data).count == 1)
    }
}
