import Foundation
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A job that kills its worker on every attempt (a poison pill) must not
/// take the queue down with it: attempts are counted when a job is claimed,
/// so after its last one it ends `dead` with reason `crashed`, and the other
/// jobs, run by the workers started in place of the killed ones, succeed.
@Suite struct PoisonPillTests {
    private func jobs(_ data: CatalogPlace) throws -> [Record] {
        try AssetPipe.records(in: try AssetPipe.run(["jobs"] + data.flags + ["--json", "--limit", "1000"]).stdout)
    }

    private func startWorker(_ data: CatalogPlace, pipeline: String) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: AssetPipe.binary)
        process.arguments = ["work"] + data.flags + ["--pipeline", pipeline, "--concurrency", "2", "--lease", "2", "--log-level", "error"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    @Test(arguments: CatalogBackend.all) func aJobThatKillsItsWorkerEveryTimeEndsCrashedAndTheRestSucceed(backend: CatalogBackend) throws {
        let data = try backend.place("poison")
        let folder = try Package.temporaryDirectory("poison-files")
        // Only detect and hash, and no size limit to speak of: 99 small files
        // go through in moments; the poison, a 10 TiB sparse file, would hash
        // for hours, and is what the worker is running whenever it is killed.
        let pipeline = folder + "/hash-only.yaml"
        try Data("version: 1\nstages: [detect, hash]\nlimits:\n  max_file_size: 100000GB\n".utf8).write(to: URL(fileURLWithPath: pipeline))
        try FileManager.default.createDirectory(atPath: folder + "/good", withIntermediateDirectories: true)
        for index in 0..<99 {
            try Data("file \(index)\n".utf8).write(to: URL(fileURLWithPath: folder + "/good/\(index).txt"))
        }
        let poison = folder + "/poison.bin"
        guard FileManager.default.createFile(atPath: poison, contents: nil), truncate(poison, off_t(10) << 40) == 0 else {
            throw TestFailure("cannot make a sparse file at \(poison): \(String(cString: strerror(errno)))")
        }
        let attempts = 3
        let enqueued = try AssetPipe.run(["enqueue"] + data.flags + ["--priority", "20", "--max-attempts", "\(attempts)", poison])
        let poisonID = try #require(enqueued.output.split(separator: "\n").first.map(String.init), "\(enqueued.summary)")
        #expect(try AssetPipe.run(["enqueue"] + data.flags + [folder + "/good"]).status == 0)

        // The harness plays the crash: whenever the poison runs in the
        // current worker, that worker is SIGKILLed and another started.
        var worker = try startWorker(data, pipeline: pipeline)
        defer { if worker.isRunning { kill(worker.processIdentifier, SIGKILL) } }
        var kills = 0
        var listed: [Record] = []
        let deadline = Date().addingTimeInterval(90)
        while Date() < deadline {
            listed = try jobs(data)
            let states = listed.compactMap { $0["state"] as? String }
            if states.count == 100 && !states.contains("queued") && !states.contains("running") { break }
            if let job = listed.first(where: { $0["id"] as? String == poisonID }), job["state"] as? String == "running",
               (job["lease_owner"] as? String)?.contains(":\(worker.processIdentifier)/") == true {
                kill(worker.processIdentifier, SIGKILL)
                worker.waitUntilExit()
                kills += 1
                worker = try startWorker(data, pipeline: pipeline)
            }
            Thread.sleep(forTimeInterval: 0.1)
        }
        worker.terminate()
        worker.waitUntilExit()

        let dead = try #require(listed.first { $0["id"] as? String == poisonID })
        #expect(dead["state"] as? String == "dead", "\(dead)")
        #expect(JSONValue.dictionary(dead["last_error"])?["reason"] as? String == "crashed", "\(dead)")
        #expect(dead["attempts"] as? Int == attempts)
        #expect(kills == attempts, "the poison was caught running \(kills) times")
        let others = listed.filter { $0["id"] as? String != poisonID }
        #expect(others.count == 99)
        let unfinished = others.filter { $0["state"] as? String != "succeeded" }
        #expect(unfinished.isEmpty, "\(unfinished.count) other jobs did not succeed: \(unfinished.prefix(3))")
    }
}
