import Foundation
import TestSupport
import Testing

/// `show` prints the record `process --json` printed, found by id or by path.
@Suite struct ShowTests {
    @Test func showByIdAndByRelativePathReturnsTheProcessedRecord() throws {
        let data = try TemporaryDirectory("show")
        defer { data.remove() }
        let (result, records) = try AssetPipe.process([Package.sample("photos")], data: data.path)
        #expect(result.status == 0, "\(result.summary)")
        #expect(!records.isEmpty)

        for record in records {
            let path = try #require(record["path"] as? String)
            let id = try #require(record["id"] as? String)
            let relative = "photos/" + (path as NSString).lastPathComponent
            for (label, argument, directory) in [("id", id, Package.root), ("relative path", relative, Package.root + "/samples")] {
                let shown = try AssetPipe.run(["show", "--data", data.path, argument], in: directory)
                #expect(shown.status == 0, "show by \(label) \(argument): \(shown.summary)")
                let object = try #require(try JSONSerialization.jsonObject(with: shown.stdout) as? Record, "show by \(label): \(shown.output)")
                #expect(shown.output.trimmingCharacters(in: .whitespacesAndNewlines).contains("\n"), "show prints pretty-printed JSON")
                for key in ["id", "sha256", "status", "path"] {
                    #expect(object[key] as? String == record[key] as? String, "show by \(label) \(argument): \(key)")
                }
            }
        }
    }
}
