import Foundation
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// FIFOs, sockets and devices are never read: opening a FIFO with no writer
/// once hung `process` forever and held a worker slot until the job timeout.
@Suite struct SpecialFileTests {
    @Test func aFIFOIsErroredAtOnceAndTheBatchGoesOn() throws {
        let folder = try Package.temporaryDirectory("special-files")
        let data = try Package.temporaryDirectory("special-files-data")
        try FileManager.default.copyItem(atPath: Package.sample("photos/odd-exif.jpg"), toPath: folder + "/good.jpg")
        #expect(mkfifo(folder + "/pipe.jpg", 0o644) == 0)
        let started = Date()
        let result = try AssetPipe.run(["process", "--json", "--data", data, folder], timeout: 30)
        #expect(!result.timedOut, "process hung on the FIFO")
        #expect(Date().timeIntervalSince(started) < 20)
        let records = try AssetPipe.records(in: result.stdout)
        let pipe = try #require(AssetPipe.record(at: folder + "/pipe.jpg", in: records))
        #expect(pipe["status"] as? String == "errored")
        let reason = JSONValue.dictionary(pipe["error"])?["reason"] as? String
        #expect(reason == "not_regular_file")
        #expect(AssetPipe.record(at: folder + "/good.jpg", in: records)?["status"] as? String == "processed")
    }

    @Test func aFIFOAsAJobOriginFailsWithoutHoldingTheWorker() throws {
        let folder = try Package.temporaryDirectory("special-job")
        let data = try Package.temporaryDirectory("special-job-data")
        #expect(mkfifo(folder + "/pipe.jpg", 0o644) == 0)
        let queued = try AssetPipe.run(["enqueue", "--data", data, folder + "/pipe.jpg"])
        #expect(queued.status == 0, "\(queued.summary)")
        let worked = try AssetPipe.run(["work", "--data", data, "--until-empty", "--log-level", "warning"], timeout: 30)
        #expect(worked.status == 0 && !worked.timedOut, "\(worked.summary)")
        let jobs = try AssetPipe.records(in: try AssetPipe.run(["jobs", "--data", data, "--json"]).stdout)
        let state = jobs.first?["state"] as? String
        let reason = JSONValue.dictionary(jobs.first?["last_error"])?["reason"] as? String
        #expect(state == "failed" && reason == "not_regular_file")
    }
}
