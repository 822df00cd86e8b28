import Foundation
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The replay: re-running `process` on unchanged files processed
/// each again at full cost (`attempts` + 1). Now a file whose size, time and
/// inode are as catalogued is skipped; a touched or replaced one is done
/// again; `--force` does all; `--prune` deletes the assets of files gone.
@Suite struct IncrementalTests {
    private func folder(_ label: String) throws -> String {
        let folder = try Package.temporaryDirectory(label)
        for name in ["camera-gps-north.jpg", "camera-gps-south.jpg", "odd-exif.jpg"] {
            try FileManager.default.copyItem(atPath: Package.sample("photos/\(name)"), toPath: folder + "/" + name)
        }
        return folder
    }

    private func process(_ data: String, _ arguments: [String]) throws -> (records: [Record], summary: String) {
        let result = try AssetPipe.run(["process", "--json", "--data", data] + arguments, timeout: 120)
        guard result.status == 0 else { throw TestFailure("process \(arguments) failed: \(result.summary)") }
        return (try AssetPipe.records(in: result.stdout), result.stderr)
    }

    private func show(_ data: String, _ key: String) throws -> Record? {
        let shown = try AssetPipe.run(["show", "--data", data, key])
        guard shown.status == 0 else { return nil }
        return try JSONSerialization.jsonObject(with: shown.stdout) as? Record
    }

    @Test func unchangedFilesAreSkippedAndChangedOnesDone() throws {
        let input = try folder("incremental-in"), data = try Package.temporaryDirectory("incremental-data")
        #expect(try process(data, [input]).records.count == 3)
        let first = try #require(try show(data, input + "/odd-exif.jpg"))

        let again = try process(data, [input])
        #expect(again.records.isEmpty)
        #expect(again.summary.contains("unchanged: 3"), "\(again.summary)")
        let unchanged = try #require(try show(data, input + "/odd-exif.jpg"))
        #expect(unchanged["attempts"] as? Int == 1 && unchanged["updated_at"] as? String == first["updated_at"] as? String)

        // A new modification time is a change (the bytes may be the same); so is new content.
        var times = [timespec(tv_sec: 1_700_000_000, tv_nsec: 0), timespec(tv_sec: 1_700_000_000, tv_nsec: 0)]
        #expect(utimensat(AT_FDCWD, input + "/odd-exif.jpg", &times, 0) == 0)
        try FileManager.default.removeItem(atPath: input + "/camera-gps-north.jpg")
        try FileManager.default.copyItem(atPath: Package.sample("formats/gray.jpg"), toPath: input + "/camera-gps-north.jpg")
        let changed = try process(data, [input])
        #expect(Set(changed.records.compactMap { $0["path"] as? String }) == [input + "/odd-exif.jpg", input + "/camera-gps-north.jpg"])
        #expect(changed.summary.contains("unchanged: 1"), "\(changed.summary)")
        let replaced = try #require(try show(data, input + "/camera-gps-north.jpg"))
        #expect(replaced["sha256"] as? String == (try Oracle.sha256sum(input + "/camera-gps-north.jpg")))
        #expect(replaced["width"] as? Int == (try Oracle.vipsheaderInt("width", input + "/camera-gps-north.jpg")))

        let forced = try process(data, ["--force", input])
        #expect(forced.records.count == 3 && !forced.summary.contains("unchanged"))
    }

    @Test func pruneDeletesTheAssetsOfFilesThatAreGone() throws {
        let input = try folder("prune-in"), data = try Package.temporaryDirectory("prune-data")
        _ = try process(data, [input])
        let gone = try #require(try show(data, input + "/odd-exif.jpg")?["id"] as? String)
        try FileManager.default.removeItem(atPath: input + "/odd-exif.jpg")
        let pruned = try process(data, ["--prune", input])
        #expect(pruned.summary.contains("pruned:    1"), "\(pruned.summary)")
        #expect(try show(data, gone) == nil)
        let history = try AssetPipe.records(in: try AssetPipe.run(["history", "--data", data, "--json", gone]).stdout)
        #expect(history.last?["action"] as? String == "deleted")
        #expect(try show(data, input + "/odd-exif.jpg") == nil && show(data, input + "/camera-gps-south.jpg") != nil)

        // A folder that comes up empty (an unmounted share) prunes nothing.
        for name in ["camera-gps-north.jpg", "camera-gps-south.jpg"] { try FileManager.default.removeItem(atPath: input + "/" + name) }
        let refused = try AssetPipe.run(["process", "--data", data, "--prune", input])
        #expect(refused.status == 0 && refused.stderr.contains("not pruning"), "\(refused.summary)")
        #expect(try show(data, input + "/camera-gps-south.jpg") != nil)
    }
}
