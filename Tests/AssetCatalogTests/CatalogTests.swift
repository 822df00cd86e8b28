import AssetCatalog
import AssetPipeline
import Foundation
import TestSupport
import Testing

/// Storing and reading records, against every catalog driver (`CatalogDriver.all`).
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

    @Test(arguments: CatalogDriver.all) func reprocessingUpdatesInPlace(driver: CatalogDriver) async throws {
        let catalog = try await driver.makeCatalog().catalog
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

    /// Two catalogs on one database stand for two processes: both write, neither fails busy.
    @Test(arguments: CatalogDriver.all) func twoWritersShareTheCatalog(driver: CatalogDriver) async throws {
        let store = try await driver.makeStore(try Package.temporaryDirectory("shared"))
        let one = try await store.connect()
        let two = try await store.connect()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, catalog) in [one, two].enumerated() {
                group.addTask {
                    for item in 0..<200 {
                        _ = try self.store(catalog, self.record("/w\(index)/\(item % 50).jpg"))
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

    @Test(arguments: CatalogDriver.all) func recordsRoundTripThroughJSON(driver: CatalogDriver) async throws {
        let catalog = try await driver.makeCatalog("json").catalog
        var original = record("/x/y.png")
        original.width = 10
        original.exifRaw = ["IFD0.Make": .string("Canon"), "ExifIFD.FNumber": .double(2.8), "GPS.GPSVersionID": .list([.int(2), .int(3)])]
        let stored = try store(catalog, original)
        let read = try #require(try catalog.record(idOrPath: "/x/y.png"))
        #expect(read.exifRaw == original.exifRaw)
        #expect(read.createdAt == stored.createdAt)
        #expect(read == stored)
    }

    /// Workers started together on a new database all set it up without
    /// failing: the migrations run once, under the driver's lock.
    @Test(arguments: CatalogDriver.all) func severalProcessesOpeningANewCatalogAllSucceed(driver: CatalogDriver) async throws {
        let store = try await driver.makeStore(try Package.temporaryDirectory("new"))
        let catalogs = try await withThrowingTaskGroup(of: Catalog.self) { group in
            for _ in 0..<4 { group.addTask { try await store.connect() } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        for (index, catalog) in catalogs.enumerated() {
            _ = try self.store(catalog, record("/new/\(index).jpg"))
        }
        #expect(try catalogs[0].countByStatus() == [.processed: 4])
    }

    @Test func aBadDatabaseURLSaysHowToWriteIt() async throws {
        do {
            _ = try await PostgresCatalogDatabase.connect(url: "mysql://localhost/assets")
            Issue.record("a mysql:// URL was accepted")
        } catch {
            #expect(error.description.contains("postgres://USER"))
        }
    }

    @Test func anUnreachableServerIsACatalogErrorThatSaysSo() async throws {
        // Port 1 on loopback: nothing listens there.
        do {
            _ = try await PostgresCatalogDatabase.connect(url: "postgres://assetpipe@127.0.0.1:1/assets")
            Issue.record("connected to nothing")
        } catch {
            #expect(error.description.contains("127.0.0.1:1/assets") && error.description.contains("PostgreSQL is running"))
        }
    }

    /// Sources, with and without a settings file, as both drivers keep them.
    @Test(arguments: CatalogDriver.all)
    func sourcesKeepTheirSettingsFile(driver: CatalogDriver) async throws {
        let (catalog, data) = try await driver.makeCatalog("sources")
        try catalog.addSource(CatalogSource(name: "photos", location: data))
        try catalog.addSource(CatalogSource(name: "r2", location: "s3://client/in/", settings: "/etc/assetpipe/r2.toml"))
        #expect(throws: CatalogError.self) { try catalog.addSource(CatalogSource(name: "r2", location: "s3://other/")) }
        #expect(try catalog.sources() == [CatalogSource(name: "photos", location: data),
                                          CatalogSource(name: "r2", location: "s3://client/in/", settings: "/etc/assetpipe/r2.toml")])
        try catalog.removeSource(named: "r2")
        #expect(try catalog.sources().map(\.name) == ["photos"])
    }
}
