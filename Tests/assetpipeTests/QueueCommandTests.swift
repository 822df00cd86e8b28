import Foundation
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The queue consumer as its users drive it: `enqueue`, `work`, `jobs`,
/// `show` and `history` run as processes, with sha256sum and vipsheader as
/// the oracles for which file became which asset; once with the SQLite
/// catalog and once with `--database` on PostgreSQL (`CatalogBackend`).
@Suite struct QueueCommandTests {
    // MARK: - Helpers

    private func jobs(_ data: CatalogPlace) throws -> [Record] {
        try AssetPipe.records(in: try AssetPipe.run(["jobs"] + data.flags + ["--json", "--limit", "1000"]).stdout)
    }

    private func job(_ id: String, in data: CatalogPlace) throws -> Record {
        try #require(try jobs(data).first { $0["id"] as? String == id }, "job \(id) is not listed")
    }

    /// Queues files and returns their job ids, in order.
    @discardableResult
    private func enqueue(_ data: CatalogPlace, _ arguments: [String]) throws -> [String] {
        let result = try AssetPipe.run(["enqueue"] + data.flags + arguments)
        guard result.status == 0 else { throw TestFailure("enqueue \(arguments) failed: \(result.summary)") }
        return result.output.split(separator: "\n").map(String.init)
    }

    private func drain(_ data: CatalogPlace) throws {
        let result = try AssetPipe.run(["work"] + data.flags + ["--until-empty", "--concurrency", "1", "--log-level", "warning"],
                                       timeout: 120)
        guard result.status == 0 else { throw TestFailure("work --until-empty failed: \(result.summary)") }
    }

    private func show(_ data: CatalogPlace, _ asset: String) throws -> Record? {
        let result = try AssetPipe.run(["show"] + data.flags + [asset])
        guard result.status == 0 else { return nil }
        return try JSONSerialization.jsonObject(with: result.stdout) as? Record
    }

    private func history(_ data: CatalogPlace, _ asset: String) throws -> [Record] {
        let result = try AssetPipe.run(["history"] + data.flags + ["--json", asset])
        guard result.status == 0 else { throw TestFailure("history \(asset) failed: \(result.summary)") }
        return try AssetPipe.records(in: result.stdout)
    }

    private func reason(of job: Record) -> String? {
        JSONValue.dictionary(job["last_error"])?["reason"] as? String
    }

    private func renditionFiles(of record: Record, data: CatalogPlace) -> [String] {
        ((record["renditions"] as? [Record]) ?? []).compactMap { $0["path"] as? String }.map { data.directory + "/" + $0 }
    }

    /// The north photo copied into a folder of the test's own, queued and
    /// catalogued at its path: for tests that change or hide the origin.
    private func catalogueOwnCopy(_ data: CatalogPlace, label: String) throws -> (folder: String, origin: String, record: Record, id: String) {
        let folder = try Package.temporaryDirectory(label + "-origin")
        let origin = folder + "/photo.jpg"
        try FileManager.default.copyItem(atPath: Package.sample("photos/camera-gps-north.jpg"), toPath: origin)
        try enqueue(data, [origin])
        try drain(data)
        let record = try #require(try show(data, origin))
        return (folder, origin, record, try #require(record["id"] as? String))
    }

    /// A catalogued first version at `shop/cat.jpg`, from the north photo.
    private func catalogueFirstVersion(_ data: CatalogPlace) throws -> (record: Record, origin: String) {
        let origin = Package.sample("photos/camera-gps-north.jpg")
        try enqueue(data, ["--as", "shop/cat.jpg", origin])
        try drain(data)
        return (try #require(try show(data, "shop/cat.jpg")), origin)
    }

    // MARK: - Conflict policies

    @Test(arguments: CatalogBackend.all) func rejectFailsWithExistsAndOverwritesNothing(backend: CatalogBackend) throws {
        let data = try backend.place("queue-reject")
        let (first, origin) = try catalogueFirstVersion(data)
        let other = Package.sample("photos/camera-gps-south.jpg")
        let id = try #require(try enqueue(data, ["--as", "shop/cat.jpg", "--on-conflict", "reject", other]).first)
        try drain(data)

        let rejected = try job(id, in: data)
        #expect(rejected["state"] as? String == "failed")
        #expect(reason(of: rejected) == "exists")
        #expect(rejected["attempts"] as? Int == 1, "a permanent result is not retried")
        let kept = try #require(try show(data, "shop/cat.jpg"))
        #expect(kept["id"] as? String == first["id"] as? String)
        #expect(kept["sha256"] as? String == (try Oracle.sha256sum(origin)))
        #expect(kept["version"] as? Int == 1)
    }

    @Test(arguments: CatalogBackend.all) func versionKeepsTheIdAndListsBothHashes(backend: CatalogBackend) throws {
        let data = try backend.place("queue-version")
        let (first, origin) = try catalogueFirstVersion(data)
        let other = Package.sample("formats/gray.jpg")
        try enqueue(data, ["--as", "shop/cat.jpg", "--on-conflict", "version", other])
        try drain(data)

        let second = try #require(try show(data, "shop/cat.jpg"))
        #expect(second["id"] as? String == first["id"] as? String)
        #expect(second["version"] as? Int == 2)
        #expect(second["sha256"] as? String == (try Oracle.sha256sum(other)))
        #expect(second["width"] as? Int == (try Oracle.vipsheaderInt("width", other)))
        #expect(second["height"] as? Int == (try Oracle.vipsheaderInt("height", other)))

        let events = try history(data, try #require(first["id"] as? String))
        #expect(events.map { $0["action"] as? String } == ["created", "versioned"])
        let hashes = events.compactMap { JSONValue.dictionary($0["detail"])?["sha256"] as? String }
        #expect(hashes == [try Oracle.sha256sum(origin), try Oracle.sha256sum(other)])
        // Each version's renditions live apart, and only the current ones are listed.
        for file in renditionFiles(of: second, data: data) {
            #expect(FileManager.default.fileExists(atPath: file) && file.contains("/v2/"), "\(file)")
        }
    }

    @Test(arguments: CatalogBackend.all) func renameStoresTheNewFileUnderTheNextFreeName(backend: CatalogBackend) throws {
        let data = try backend.place("queue-rename")
        let (first, origin) = try catalogueFirstVersion(data)
        let other = Package.sample("photos/camera-gps-south.jpg")
        try enqueue(data, ["--as", "shop/cat.jpg", "--on-conflict", "rename", other])
        try enqueue(data, ["--as", "shop/cat.jpg", "--on-conflict", "rename", other])
        try drain(data)

        #expect((try show(data, "shop/cat.jpg"))?["sha256"] as? String == (try Oracle.sha256sum(origin)))
        for name in ["shop/cat_1.jpg", "shop/cat_2.jpg"] {
            let renamed = try #require(try show(data, name), "no asset at \(name)")
            #expect(renamed["sha256"] as? String == (try Oracle.sha256sum(other)))
            #expect(renamed["id"] as? String != first["id"] as? String)
            #expect(renamed["version"] as? Int == 1)
        }
        #expect(try jobs(data).allSatisfy { $0["state"] as? String == "succeeded" })
    }

    // MARK: - Idempotent ingest and the job's asset

    private func catalogue(_ data: CatalogPlace) throws -> [Record] {
        try AssetPipe.records(in: try AssetPipe.run(["find"] + data.flags + ["--json", "--limit", "1000"]).stdout)
    }

    /// The issue's replay: `process` a folder, then `enqueue` the same folder
    /// and `work`; and one unchanged file enqueued twice. No new asset, no new
    /// version, and every job says `unchanged` and names the asset it found.
    @Test(arguments: CatalogBackend.all) func reEnqueueOfCataloguedFilesMakesNoNewAsset(backend: CatalogBackend) throws {
        let data = try backend.place("queue-idempotent")
        let folder = try Package.temporaryDirectory("queue-idempotent-in")
        for name in ["camera-gps-north.jpg", "camera-gps-south.jpg", "odd-exif.jpg"] {
            try FileManager.default.copyItem(atPath: Package.sample("photos/\(name)"), toPath: folder + "/" + name)
        }
        let processed = try AssetPipe.run(["process"] + data.flags + [folder], timeout: 120)
        #expect(processed.status == 0, "\(processed.summary)")
        let before = try catalogue(data)
        #expect(before.count == 3)

        let ids = try enqueue(data, [folder]) + enqueue(data, [folder + "/odd-exif.jpg"])
        try drain(data)
        let after = try catalogue(data)
        #expect(after.count == 3, "no asset added: \(after.compactMap { $0["path"] as? String })")
        #expect(after.map { $0["version"] as? Int } == before.map { $0["version"] as? Int })
        for id in ids {
            let done = try job(id, in: data)
            #expect(done["state"] as? String == "succeeded")
            #expect(done["change"] as? String == "unchanged")
            let path = try #require(done["path"] as? String)
            let asset = try #require(try show(data, path))
            #expect(done["asset_id"] as? String == asset["id"] as? String)
            #expect(asset["sha256"] as? String == (try Oracle.sha256sum(path)))
        }
    }

    /// With the rename policy the asset lands at a path nobody asked for:
    /// the job, in `jobs --json`, says which, with its id and version.
    @Test(arguments: CatalogBackend.all) func jobJSONNamesTheAssetItMade(backend: CatalogBackend) throws {
        let data = try backend.place("queue-job-asset")
        let (first, _) = try catalogueFirstVersion(data)
        let other = Package.sample("photos/camera-gps-south.jpg")
        let renamed = try #require(try enqueue(data, ["--as", "shop/cat.jpg", "--on-conflict", "rename", other]).first)
        let versioned = try #require(try enqueue(data, ["--as", "shop/cat.jpg", "--on-conflict", "version",
                                                        Package.sample("formats/gray.jpg")]).first)
        let rejected = try #require(try enqueue(data, ["--as", "shop/cat.jpg", Package.sample("photos/xp-tags.jpg")]).first)
        try drain(data)

        let made = try job(renamed, in: data)
        #expect(made["path"] as? String == "shop/cat_1.jpg")
        #expect(made["change"] as? String == "created")
        #expect(made["version"] as? Int == 1)
        #expect(made["asset_id"] as? String == (try show(data, "shop/cat_1.jpg"))?["id"] as? String)
        let next = try job(versioned, in: data)
        #expect(next["asset_id"] as? String == first["id"] as? String)
        #expect(next["path"] as? String == "shop/cat.jpg" && next["version"] as? Int == 2 && next["change"] as? String == "versioned")
        // The built-in policy is reject: a different file at a taken path fails and names no asset it made.
        let refused = try job(rejected, in: data)
        #expect(refused["state"] as? String == "failed" && reason(of: refused) == "exists")
        #expect(refused["asset_id"] == nil)
    }

    // MARK: - Refresh and delete

    @Test(arguments: CatalogBackend.all) func refreshRereadsAChangedOrigin(backend: CatalogBackend) throws {
        let data = try backend.place("queue-refresh")
        let (folder, origin, before, id) = try catalogueOwnCopy(data, label: "queue-refresh")

        // The origin is replaced in place by a different picture (a rotated one).
        try FileManager.default.removeItem(atPath: origin)
        try FileManager.default.copyItem(atPath: Package.sample("orientation/orientation-6.jpg"), toPath: origin)
        try enqueue(data, ["--refresh", id])
        try drain(data)

        let after = try #require(try show(data, id))
        #expect(after["sha256"] as? String == (try Oracle.sha256sum(origin)))
        #expect(after["orientation"] as? Int == 6)
        // Orientation 6 turns the stored picture a quarter: the record is upright, as vips autorotates it.
        let upright = try Oracle.autorotatedSize(origin, scratch: folder)
        #expect(after["width"] as? Int == upright.width && after["height"] as? Int == upright.height)
        #expect(upright.width == (try Oracle.vipsheaderInt("height", origin)))
        #expect((try history(data, id)).last?["action"] as? String == "refreshed")
        for file in renditionFiles(of: after, data: data) {
            #expect(FileManager.default.fileExists(atPath: file), "\(file)")
        }
    }

    /// A refresh that cannot read the origin (gone, say) used to store an
    /// errored record and delete the renditions. Now the last good reading
    /// and its renditions stay, marked `stale` with the reason; the job
    /// fails; the next refresh that reads the origin clears the mark.
    @Test(arguments: CatalogBackend.all) func aRefreshThatCannotReadTheOriginKeepsTheLastReading(backend: CatalogBackend) throws {
        let data = try backend.place("queue-stale")
        let (folder, origin, before, id) = try catalogueOwnCopy(data, label: "queue-stale")
        let hidden = folder + "/moved.jpg"
        #expect(rename(origin, hidden) == 0)
        let job = try #require(try enqueue(data, ["--refresh", "--max-attempts", "1", id]).first)
        try drain(data)

        let failed = try self.job(job, in: data)
        #expect(failed["state"] as? String == "failed" && reason(of: failed) == "inaccessible", "\(failed)")
        let kept = try #require(try show(data, id))
        #expect(kept["status"] as? String == "processed" && kept["sha256"] as? String == before["sha256"] as? String)
        #expect(JSONValue.dictionary(kept["stale"])?["reason"] as? String == "inaccessible")
        #expect(!renditionFiles(of: kept, data: data).isEmpty)
        for file in renditionFiles(of: kept, data: data) {
            #expect(FileManager.default.fileExists(atPath: file), "\(file) was deleted")
        }
        #expect(try history(data, id).last.map { JSONValue.dictionary($0["detail"])?["stale"] as? String } == "inaccessible")

        #expect(rename(hidden, origin) == 0)
        try enqueue(data, ["--refresh", id])
        try drain(data)
        let fresh = try #require(try show(data, id))
        #expect(fresh["stale"] == nil && fresh["status"] as? String == "processed")
    }

    /// `jobs retry` and `cancel` take several ids, unique prefixes, or a
    /// state, as `jobs` prints them.
    @Test(arguments: CatalogBackend.all) func retryAndCancelTakePrefixesSeveralIdsAndAState(backend: CatalogBackend) throws {
        let data = try backend.place("queue-retry-many")
        let corrupt = [Package.sample("bad/corrupt.png"), Package.sample("bad/truncated.jpg")]
        let failed = try enqueue(data, corrupt)
        try drain(data)
        #expect(try failed.allSatisfy { try job($0, in: data)["state"] as? String == "failed" })

        let byPrefix = try AssetPipe.run(["jobs", "retry"] + data.flags + failed.map { String($0.prefix(8)) })
        #expect(byPrefix.status == 0, "\(byPrefix.summary)")
        #expect(byPrefix.output.split(separator: "\n").map(String.init) == failed.map { "\($0) queued" })
        try drain(data)
        let byState = try AssetPipe.run(["jobs", "retry", "--state", "failed"] + data.flags)
        #expect(byState.status == 0 && byState.output.split(separator: "\n").count == 2, "\(byState.summary)")
        let cancelled = try AssetPipe.run(["jobs", "cancel", "--state", "queued"] + data.flags)
        #expect(cancelled.status == 0 && Set(cancelled.output.split(separator: "\n").map(String.init)) == Set(failed.map { "\($0) cancelled" }))

        let unknown = try AssetPipe.run(["jobs", "retry"] + data.flags + ["zzzz"])
        #expect(unknown.status == 1 && unknown.stderr.contains("no job id starts with zzzz"), "\(unknown.summary)")
        let both = try AssetPipe.run(["jobs", "retry", "--state", "dead"] + data.flags + [failed[0]])
        #expect(both.status == 2)
        let wrongState = try AssetPipe.run(["jobs", "cancel", "--state", "failed"] + data.flags)
        #expect(wrongState.status == 2 && wrongState.stderr.contains("queued"))
    }

    @Test(arguments: CatalogBackend.all) func deleteRemovesTheAssetAndItsRenditionsAndKeepsATombstone(backend: CatalogBackend) throws {
        let data = try backend.place("queue-delete")
        let (record, _) = try catalogueFirstVersion(data)
        let id = try #require(record["id"] as? String)
        let files = renditionFiles(of: record, data: data)
        #expect(!files.isEmpty)

        try enqueue(data, ["--delete", "shop/cat.jpg"])
        try drain(data)

        #expect(try show(data, id) == nil)
        for file in files {
            #expect(!FileManager.default.fileExists(atPath: file), "rendition left behind: \(file)")
        }
        let events = try history(data, "shop/cat.jpg")
        #expect(events.map { $0["action"] as? String } == ["created", "deleted"])
        // The asset is gone, so a second delete is refused at once.
        let again = try AssetPipe.run(["enqueue"] + data.flags + ["--delete", id])
        #expect(again.status != 0 && again.stderr.contains("no asset"), "\(again.summary)")
    }

    // MARK: - The batch command on the same catalog

    /// `process` writes to the catalog the flags select, and `--store` puts
    /// the rendition files apart from the data directory.
    @Test(arguments: CatalogBackend.all) func processWritesToTheSelectedCatalogAndStore(backend: CatalogBackend) throws {
        let data = try backend.place("queue-process")
        let store = try Package.temporaryDirectory("queue-process-store")
        let origin = Package.sample("photos/camera-gps-south.jpg")
        let result = try AssetPipe.run(["process", "--json", "--store", store] + data.flags + [origin])
        #expect(result.status == 0, "\(result.summary)")
        let record = try #require(try show(data, origin))
        #expect(record["sha256"] as? String == (try Oracle.sha256sum(origin)))
        #expect((try history(data, origin)).map { $0["actor"] as? String } == ["process"])
        let stored = renditionFiles(of: record, data: CatalogPlace(directory: store, flags: []))
        #expect(!stored.isEmpty)
        for file in stored {
            #expect(FileManager.default.fileExists(atPath: file), "\(file)")
        }
        #expect(!FileManager.default.fileExists(atPath: data.directory + "/renditions"), "renditions went to --data, not --store")
    }

    // MARK: - Permanent and transient failures

    @Test(arguments: CatalogBackend.all) func aCorruptFileFailsOnceWithItsReason(backend: CatalogBackend) throws {
        let data = try backend.place("queue-corrupt")
        let id = try #require(try enqueue(data, [Package.sample("bad/truncated.jpg")]).first)
        try drain(data)
        let failed = try job(id, in: data)
        #expect(failed["state"] as? String == "failed")
        #expect(reason(of: failed) == "corrupt")
        #expect(failed["attempts"] as? Int == 1)

        // `jobs retry` queues it again with fresh attempts; it fails the same way.
        let retried = try AssetPipe.run(["jobs", "retry"] + data.flags + [id])
        #expect(retried.status == 0 && retried.output.contains("queued"), "\(retried.summary)")
        try drain(data)
        #expect(try job(id, in: data)["state"] as? String == "failed")
    }

    @Test(arguments: CatalogBackend.all) func aCancelledJobIsNeverRun(backend: CatalogBackend) throws {
        let data = try backend.place("queue-cancel")
        let origin = Package.sample("photos/camera-gps-north.jpg")
        let id = try #require(try enqueue(data, [origin]).first)
        let cancelled = try AssetPipe.run(["jobs", "cancel"] + data.flags + [id])
        #expect(cancelled.status == 0, "\(cancelled.summary)")
        try drain(data)
        #expect(try job(id, in: data)["state"] as? String == "cancelled")
        #expect(try show(data, origin) == nil)
        // A finished job cannot be cancelled; the error says why.
        let again = try AssetPipe.run(["jobs", "cancel"] + data.flags + [id])
        #expect(again.status != 0 && !again.stderr.isEmpty)
    }

    // MARK: - SIGTERM

    /// A worker whose one slot is held by a slow job: hashing a sparse file
    /// of `gigabytes` (made at once, read at about a gigabyte a second) with
    /// a pipeline of only detect and hash, whose size limit lets it through.
    private struct BlockedWorker {
        let data: CatalogPlace
        let blockedJob: String
        let waitingJobs: [String]
        let process: Process
    }

    private func startBlockedWorker(_ name: String, grace: Double, gigabytes: Int, backend: CatalogBackend) throws -> BlockedWorker {
        let data = try backend.place(name)
        let folder = try Package.temporaryDirectory(name + "-files")
        let big = folder + "/big.bin"
        guard FileManager.default.createFile(atPath: big, contents: nil), truncate(big, off_t(gigabytes) << 30) == 0 else {
            throw TestFailure("cannot make a sparse file at \(big): \(String(cString: strerror(errno)))")
        }
        let pipeline = folder + "/hash-only.yaml"
        try Data("version: 1\nstages: [detect, hash]\nlimits:\n  max_file_size: 100000GB\n".utf8).write(to: URL(fileURLWithPath: pipeline))
        let blocked = try #require(try enqueue(data, ["--priority", "20", big]).first)
        let waiting = try enqueue(data, [Package.sample("photos/camera-gps-north.jpg"), Package.sample("photos/camera-gps-south.jpg")])

        let process = Process()
        process.executableURL = URL(fileURLWithPath: AssetPipe.binary)
        process.arguments = ["work"] + data.flags + ["--pipeline", pipeline, "--concurrency", "1", "--grace", "\(grace)",
                                                     "--log-level", "warning"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()

        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline, try job(blocked, in: data)["state"] as? String != "running" {
            Thread.sleep(forTimeInterval: 0.1)
        }
        guard try job(blocked, in: data)["state"] as? String == "running" else {
            process.interrupt()
            throw TestFailure("the worker did not claim the slow job within 30 s")
        }
        return BlockedWorker(data: data, blockedJob: blocked, waitingJobs: waiting, process: process)
    }

    private func waitForExit(_ process: Process, within seconds: Double) throws -> Int32 {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        guard !process.isRunning else {
            kill(process.processIdentifier, SIGKILL)
            throw TestFailure("the worker was still running \(seconds) s after SIGTERM")
        }
        #expect(process.terminationReason == .exit, "the worker died of a signal instead of exiting")
        return process.terminationStatus
    }

    @Test(arguments: CatalogBackend.all) func sigtermLetsTheRunningJobFinishAndLeavesTheRestQueued(backend: CatalogBackend) throws {
        // 3 GiB: a few seconds of hashing, well past the second below.
        let worker = try startBlockedWorker("queue-sigterm", grace: 60, gigabytes: 3, backend: backend)
        worker.process.terminate()
        // Still running: it waits for its job rather than dropping it.
        Thread.sleep(forTimeInterval: 1)
        #expect(worker.process.isRunning, "the worker exited without waiting for its running job")

        #expect(try waitForExit(worker.process, within: 60) == 0)
        let finished = try job(worker.blockedJob, in: worker.data)
        #expect(finished["state"] as? String == "succeeded", "\(finished)")
        #expect(finished["attempts"] as? Int == 1)
        for id in worker.waitingJobs {
            let waiting = try job(id, in: worker.data)
            #expect(waiting["state"] as? String == "queued" && waiting["attempts"] as? Int == 0, "\(waiting)")
        }
    }

    @Test(arguments: CatalogBackend.all) func sigtermHandsBackAJobStillRunningWhenTheGraceEnds(backend: CatalogBackend) throws {
        // 10 TiB (ext4 takes up to 16): hours of hashing, so the job is still running when the grace ends.
        let worker = try startBlockedWorker("queue-grace", grace: 1, gigabytes: 10 << 10, backend: backend)
        worker.process.terminate()
        #expect(try waitForExit(worker.process, within: 20) == 0)

        // Handed back without spending its attempt, ahead of the others still.
        let handedBack = try job(worker.blockedJob, in: worker.data)
        #expect(handedBack["state"] as? String == "queued", "\(handedBack)")
        #expect(handedBack["attempts"] as? Int == 0)
        for id in worker.waitingJobs {
            #expect(try job(id, in: worker.data)["state"] as? String == "queued")
        }
    }
}
