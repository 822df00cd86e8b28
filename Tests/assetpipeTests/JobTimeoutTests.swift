import Foundation
import TestSupport
import Testing

/// A job past `--job-timeout` is stopped, not abandoned: its libvips work
/// is killed and its thread ends, so the worker goes on at once.
@Suite struct JobTimeoutTests {
    @Test func aJobPastItsTimeoutIsStoppedAndEndsDead() throws {
        let folder = try Package.temporaryDirectory("job-timeout")
        let data = try Package.temporaryDirectory("job-timeout-data")
        // 36 MP of noise: seconds of PNG decoding and resizing, far past the 0.3 s limit.
        let big = folder + "/noise.png"
        let made = try Command.run("vips", ["gaussnoise", big + "[compression=1]", "6000", "6000"], timeout: 120)
        #expect(made.status == 0, "\(made.summary)")
        let queued = try AssetPipe.run(["enqueue", "--data", data, "--max-attempts", "1", big])
        #expect(queued.status == 0, "\(queued.summary)")
        let started = Date()
        let worked = try AssetPipe.run(["work", "--data", data, "--until-empty", "--job-timeout", "0.3", "--log-level", "warning"],
                                       timeout: 60)
        let seconds = Date().timeIntervalSince(started)
        #expect(worked.status == 0, "\(worked.summary)")
        // An attempt's thread that does not stop is waited for 5 s and logged.
        #expect(!worked.stderr.contains("did not stop"), "\(worked.stderr)")
        #expect(seconds < 4, "the worker took \(seconds) s for a job stopped at 0.3 s")
        let jobs = try AssetPipe.records(in: try AssetPipe.run(["jobs", "--data", data, "--json"]).stdout)
        let state = jobs.first?["state"] as? String
        let reason = JSONValue.dictionary(jobs.first?["last_error"])?["reason"] as? String
        #expect(state == "dead" && reason == "timeout")
    }
}
