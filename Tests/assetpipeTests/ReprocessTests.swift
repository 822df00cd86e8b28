import Foundation
import TestSupport
import Testing

/// Processing the same paths again with --force (unchanged files are
/// otherwise skipped: IncrementalTests) updates the assets in place.
@Suite struct ReprocessTests {
    @Test func processingSamplesTwiceUpdatesEveryAssetInPlace() throws {
        let data = try TemporaryDirectory("reprocess")
        defer { data.remove() }
        let samples = Package.root + "/samples"

        let first = try AssetPipe.process([samples], data: data.path)
        #expect(first.result.status == 0, "\(first.result.summary)")
        let second = try AssetPipe.process([samples], data: data.path, extra: ["--force"])
        #expect(second.result.status == 0, "\(second.result.summary)")

        #expect(!first.records.isEmpty)
        #expect(first.records.count == second.records.count)
        let before = try Self.byPath(first.records), after = try Self.byPath(second.records)
        #expect(Set(before.keys) == Set(after.keys))

        for (path, old) in before {
            let new = try #require(after[path], "\(path) missing from the second run")
            #expect(old["id"] as? String != nil)
            #expect(new["id"] as? String == old["id"] as? String, "\(path): id changed")
            #expect(new["created_at"] as? String == old["created_at"] as? String, "\(path): created_at changed")
            let oldUpdated = try #require(JSONValue.date(old["updated_at"]), "\(path): updated_at \(String(describing: old["updated_at"]))")
            let newUpdated = try #require(JSONValue.date(new["updated_at"]), "\(path): updated_at \(String(describing: new["updated_at"]))")
            #expect(newUpdated > oldUpdated, "\(path): updated_at \(old["updated_at"]!) then \(new["updated_at"]!)")
            let oldAttempts = try #require(JSONValue.number(old["attempts"]), "\(path): attempts")
            #expect(JSONValue.number(new["attempts"]) == oldAttempts + 1, "\(path): attempts \(oldAttempts) then \(String(describing: new["attempts"]))")
        }
    }

    /// Records by path; a path listed twice in one run is a failure.
    static func byPath(_ records: [Record]) throws -> [String: Record] {
        var result: [String: Record] = [:]
        for record in records {
            let path = try #require(record["path"] as? String)
            #expect(result[path] == nil, "\(path) listed twice in one run")
            result[path] = record
        }
        return result
    }
}
