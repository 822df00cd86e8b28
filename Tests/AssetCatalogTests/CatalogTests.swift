import AssetCatalog
import AssetPipeline
import Foundation
import TestSupport
import Testing

@Suite struct CatalogTests {
    /// Commits as a batch does: begin, then commit with the id begin gave.
    private func store(_ catalog: Catalog, _ record: AssetRecord) throws -> AssetRecord {
        var record = record
        record.id = try catalog.begin(path: record.path, name: record.name)
        return try catalog.commit(record, renditions: [])
    }

    private func record(_ path: String, status: AssetRecord.Status = .processed) -> AssetRecord {
        var record = AssetRecord(path: path, name: (path as NSString).lastPathComponent)
        record.status = status
        record.sha256 = String(repeating: "a", count: 64)
        return record
    }

    @Test func reprocessingUpdatesInPlace() throws {
        let catalog = try Catalog(dataDirectory: try Package.temporaryDirectory("catalog"))
        let first = try store(catalog, record("/photos/a.jpg"))
        var again = record("/photos/a.jpg", status: .errored)
        again.error = AssetError(.corrupt, "damaged")
        let second = try store(catalog, again)
        #expect(second.id == first.id)
        #expect(second.createdAt == first.createdAt)
        let firstUpdate = try #require(first.updatedAt)
        let secondUpdate = try #require(second.updatedAt)
        #expect(secondUpdate > firstUpdate)
        #expect(second.attempts == 2)
        let id = try #require(first.id)
        let stored = try #require(try catalog.record(idOrPath: id))
        #expect(stored.status == .errored)
        #expect(stored.error?.reason == .corrupt)
        #expect(try catalog.record(idOrPath: "/photos/a.jpg")?.id == first.id)
        #expect(try catalog.countByStatus() == [.errored: 1])
    }

    /// Two catalogs on one file stand for two processes: both write, neither fails busy.
    @Test func twoWritersShareTheFile() async throws {
        let directory = try Package.temporaryDirectory("shared")
        let one = try Catalog(dataDirectory: directory)
        let two = try Catalog(dataDirectory: directory)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, catalog) in [one, two].enumerated() {
                group.addTask {
                    for item in 0..<200 {
                        _ = try store(catalog, self.record("/w\(index)/\(item % 50).jpg"))
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(try one.countByStatus() == [.processed: 100])
        #expect(try two.record(idOrPath: "/w1/7.jpg")?.attempts == 4)
    }

    @Test func unwritableLocationIsACatalogError() throws {
        let directory = try Package.temporaryDirectory("blocked")
        let file = directory + "/plain-file"
        try Data().write(to: URL(fileURLWithPath: file))
        #expect(throws: CatalogError.self) { try Catalog(dataDirectory: file + "/data") }
    }

    @Test func recordsRoundTripThroughJSON() throws {
        let catalog = try Catalog(dataDirectory: try Package.temporaryDirectory("json"))
        var original = record("/x/y.png")
        original.width = 10
        original.exifRaw = ["IFD0.Make": .string("Canon"), "ExifIFD.FNumber": .double(2.8), "GPS.GPSVersionID": .list([.int(2), .int(3)])]
        let stored = try store(catalog, original)
        let read = try #require(try catalog.record(idOrPath: "/x/y.png"))
        #expect(read.exifRaw == original.exifRaw)
        #expect(read.createdAt == stored.createdAt)
        #expect(read == stored)
    }
}
