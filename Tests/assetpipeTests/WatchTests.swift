import Foundation
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

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

    /// Waits until `done` holds for the jobs `jobs --json` lists.
    private func waitForJobs(_ data: String, _ done: ([Record]) -> Bool) throws -> [Record] {
        let deadline = Date().addingTimeInterval(30)
        var listed: [Record] = []
        while Date() < deadline {
            listed = try jobs(data)
            if done(listed) { return listed }
            Thread.sleep(forTimeInterval: 0.2)
        }
        return listed
    }

    private func show(_ data: String, _ key: String) throws -> Record? {
        let shown = try AssetPipe.run(["show", "--data", data, key])
        guard shown.status == 0 else { return nil }
        return try JSONSerialization.jsonObject(with: shown.stdout) as? Record
    }

    /// The replay: a file replaced in the watched folder used to keep
    /// its old SHA-256, and a deleted one its asset. Now the replaced one is
    /// refreshed (same id, the new file's hash) and the deleted one deleted
    /// (history ends with the tombstone).
    @Test func aReplacedFileIsRefreshedAndADeletedOneDeleted() throws {
        let data = try Package.temporaryDirectory("watch-change-data")
        let inbox = try Package.temporaryDirectory("watch-change-inbox")
        let kept = inbox + "/kept.jpg", replaced = inbox + "/replaced.jpg", deleted = inbox + "/deleted.jpg"
        try FileManager.default.copyItem(atPath: Package.sample("photos/odd-exif.jpg"), toPath: kept)
        try FileManager.default.copyItem(atPath: Package.sample("photos/camera-gps-north.jpg"), toPath: replaced)
        try FileManager.default.copyItem(atPath: Package.sample("photos/xp-tags.jpg"), toPath: deleted)
        let worker = try startWorker(data, watching: inbox)
        _ = try waitForJobs(data) { $0.count == 3 && $0.allSatisfy { $0["state"] as? String == "succeeded" } }
        let before = try #require(try show(data, replaced))
        let deletedID = try #require(try show(data, deleted)?["id"] as? String)

        // Replaced by writing a new file and renaming it over (how uploaders and editors save).
        try FileManager.default.copyItem(atPath: Package.sample("photos/camera-gps-south.jpg"), toPath: inbox + "/.incoming")
        #expect(rename(inbox + "/.incoming", replaced) == 0)
        try FileManager.default.removeItem(atPath: deleted)
        let listed = try waitForJobs(data) { jobs in
            jobs.count == 5 && jobs.allSatisfy { $0["state"] as? String == "succeeded" }
        }
        #expect(try stop(worker) == 0)
        #expect(Set(listed.compactMap { $0["kind"] as? String }) == ["process", "refresh", "delete"], "\(listed)")

        let after = try #require(try show(data, replaced))
        #expect(after["id"] as? String == before["id"] as? String)
        #expect(after["sha256"] as? String == (try Oracle.sha256sum(replaced)))
        #expect(try show(data, deletedID) == nil)
        let history = try AssetPipe.records(in: try AssetPipe.run(["history", "--data", data, "--json", deletedID]).stdout)
        #expect(history.last?["action"] as? String == "deleted")
        #expect(try show(data, kept) != nil)
    }

    /// An emptied folder (an unmounted share looks like that) deletes nothing.
    @Test func aFolderThatComesUpEmptyDeletesNothing() throws {
        let data = try Package.temporaryDirectory("watch-empty-data")
        let inbox = try Package.temporaryDirectory("watch-empty-inbox")
        try FileManager.default.copyItem(atPath: Package.sample("photos/odd-exif.jpg"), toPath: inbox + "/a.jpg")
        let worker = try startWorker(data, watching: inbox)
        _ = try waitForJobs(data) { $0.first?["state"] as? String == "succeeded" }
        try FileManager.default.removeItem(atPath: inbox + "/a.jpg")
        Thread.sleep(forTimeInterval: 2.5)
        #expect(try stop(worker) == 0)
        #expect(try jobs(data).count == 1)
        #expect(try show(data, inbox + "/a.jpg") != nil)
    }
}
