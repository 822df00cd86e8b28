import AssetCatalog
import AssetPipeline
import AssetQuery
import Foundation
import TestSupport
import Testing

/// Collections on every driver: a static one's members are listed in
/// their records and leave it when it is deleted; a smart one follows the
/// catalog (an asset that comes to match is in it, without being added);
/// a smart one that names itself, or members added to a smart one, are refused.
@Suite struct CollectionTests {
    static let source = ChangeSource(actor: "test")

    static func id(_ index: Int) -> String { String(format: "d0000000-0000-4000-8000-%012x", index) }

    static func members(_ catalog: Catalog, _ name: String) throws -> Set<String> {
        Set(try catalog.matchingIDs(try catalog.request(forCollection: name, limit: 1000)))
    }

    @Test(arguments: CatalogDriver.all)
    func staticAndSmartCollections(driver: CatalogDriver) async throws {
        let (catalog, _) = try await driver.makeCatalog("collections")
        let rows = try (0..<12).map { index -> AssetRow in
            var record = AssetRecord(path: "/c/\(index).jpg", name: "\(index).jpg")
            record.id = Self.id(index)
            record.status = .processed
            record.version = 1
            record.attempts = 1
            record.width = 1000 * index
            record.createdAt = Date(timeIntervalSince1970: 1_700_000_000 + Double(index))
            record.updatedAt = record.createdAt
            return try AssetRow(record)
        }
        try catalog.database.write { try $0.insertMany(rows) }

        try catalog.createCollection("Picks", query: nil)
        #expect(try catalog.changeMembers(of: "Picks", [Self.id(1), "/c/2.jpg", Self.id(3)], source: Self.source) == 3)
        #expect(try catalog.record(idOrPath: Self.id(2))?.collections == ["Picks"])
        try catalog.createCollection("Wide or picked", query: "width >= 9000 OR collection = Picks")
        #expect(try Self.members(catalog, "Picks") == [Self.id(1), Self.id(2), Self.id(3)])
        #expect(try Self.members(catalog, "Wide or picked") == [Self.id(1), Self.id(2), Self.id(3), Self.id(9), Self.id(10), Self.id(11)])

        // Smart: evaluated when read. Static: only what was added.
        #expect(try catalog.changeMembers(of: "Picks", [Self.id(3)], removing: true, source: Self.source) == 1)
        #expect(try catalog.changeMembers(of: "Picks", [Self.id(4)], source: Self.source) == 1)
        #expect(try Self.members(catalog, "Wide or picked") == [Self.id(1), Self.id(2), Self.id(4), Self.id(9), Self.id(10), Self.id(11)])
        #expect(try catalog.collections().map { "\($0.name)=\($0.count)" } == ["Picks=3", "Wide or picked=6"])

        // Refused: a second collection of a name, members of a smart one, a query that names its own collection.
        for attempt in [{ try catalog.createCollection("Picks", query: nil) },
                        { _ = try catalog.changeMembers(of: "Wide or picked", [Self.id(0)], source: Self.source) },
                        { try catalog.createCollection("Loop", query: "collection = Loop") },
                        { try catalog.createCollection("Broken", query: "width >> 3") }] as [() throws -> Void] {
            do {
                try attempt()
                Issue.record("accepted")
            } catch let error as CatalogError {
                #expect(error.refused, "\(error)")
            }
        }
        #expect(try catalog.collections().map(\.name) == ["Picks", "Wide or picked"])

        // Deleting the static collection takes it off every member, and their history says so.
        #expect(try catalog.deleteCollection("Picks", source: Self.source, batchSize: 2) == 3)
        for index in [1, 2, 4] {
            #expect(try catalog.record(idOrPath: Self.id(index))?.collections == nil)
            #expect(try catalog.history(idOrPath: Self.id(index)).last?.detail == ["collections_removed": #"["Picks"]"#])
        }
        #expect(try catalog.collectionQueries().keys.sorted() == ["Wide or picked"])
    }
}
