import AssetCatalog
import AssetMedia
import AssetPipeline
import Foundation
import TestSupport
import Testing

/// The changes queued jobs make: conflict policies, refresh, delete, the
/// history they leave and their idempotency under an effect key. Hashes are
/// checked against sha256sum, rendition files against the file system.
/// They run against every catalog driver (`CatalogDriver.all`).
@Suite struct CatalogChangesTests {
    /// A fresh catalog of one driver, and the helpers its tests share.
    struct Fixture {
        let data: String
        let catalog: Catalog

        init(_ driver: CatalogDriver) async throws {
            (catalog, data) = try await driver.makeCatalog("changes")
        }

        /// Places a sample at `target` and returns what the change came to.
        func place(_ sample: String, at target: String, _ policy: ConflictPolicy,
                   key: String? = UUID().uuidString) throws -> CatalogChange {
            let origin = Package.sample(sample)
            return try catalog.place(CatalogChangesTests.processed(origin), at: target, origin: origin, onConflict: policy,
                                     source: CatalogChangesTests.source(key))
        }

        /// Every rendition file under the asset's folder, relative to the data directory.
        func renditionFiles(of id: String) -> [String] {
            let base = "renditions/\(id.prefix(2))/\(id)"
            guard let enumerator = FileManager.default.enumerator(atPath: data + "/" + base) else { return [] }
            var files: [String] = []
            while let relative = enumerator.nextObject() as? String {
                if enumerator.fileAttributes?[.type] as? FileAttributeType == .typeRegular { files.append(base + "/" + relative) }
            }
            return files.sorted()
        }
    }

    private static func processed(_ path: String) -> ProcessedAsset {
        Runner(definition: .default).process(SourceFile(path: path))
    }

    private static func source(_ key: String? = UUID().uuidString) -> ChangeSource {
        ChangeSource(actor: "test", effectKey: key)
    }

    private func applied(_ change: CatalogChange, sourceLocation: SourceLocation = #_sourceLocation) throws -> (AssetRecord, AssetEvent) {
        guard case .applied(let record, let event) = change else {
            Issue.record("expected an applied change, got \(change)", sourceLocation: sourceLocation)
            throw TestFailure("not applied")
        }
        return (record, event)
    }

    @Test(arguments: CatalogDriver.all) func aNewTargetIsCreatedAsVersionOne(driver: CatalogDriver) async throws {
        let fixture = try await Fixture(driver)
        let (record, event) = try applied(try fixture.place("photos/camera-gps-north.jpg", at: "shop/boat.jpg", .reject))
        let id = try #require(record.id)
        #expect(record.path == "shop/boat.jpg" && record.name == "boat.jpg" && record.version == 1)
        #expect(record.origin == Package.sample("photos/camera-gps-north.jpg"))
        #expect(event.action == .created && event.version == 1 && event.assetID == id)
        #expect(event.detail["sha256"] == (try Oracle.sha256sum(Package.sample("photos/camera-gps-north.jpg"))))
        #expect(fixture.renditionFiles(of: id) == (record.renditions ?? []).map(\.path).sorted())
        #expect(fixture.renditionFiles(of: id).allSatisfy { $0.contains("/v1/") })
        #expect(try fixture.catalog.record(atPath: "shop/boat.jpg")?.id == id)
    }

    @Test(arguments: CatalogDriver.all) func rejectLeavesTheExistingAssetAlone(driver: CatalogDriver) async throws {
        let fixture = try await Fixture(driver)
        let (first, _) = try applied(try fixture.place("photos/camera-gps-north.jpg", at: "shop/boat.jpg", .reject))
        let change = try fixture.place("photos/camera-gps-south.jpg", at: "shop/boat.jpg", .reject)
        guard case .refused(let error) = change else {
            Issue.record("expected a refusal, got \(change)")
            return
        }
        #expect(error.reason == .exists)
        let stored = try #require(try fixture.catalog.record(atPath: "shop/boat.jpg"))
        #expect(stored.id == first.id && stored.sha256 == first.sha256 && stored.version == 1)
        #expect(try fixture.catalog.history(idOrPath: "shop/boat.jpg").map(\.action) == [.created])
    }

    @Test(arguments: CatalogDriver.all) func versionKeepsTheIdAndListsEveryHash(driver: CatalogDriver) async throws {
        let fixture = try await Fixture(driver)
        let north = Package.sample("photos/camera-gps-north.jpg"), south = Package.sample("photos/camera-gps-south.jpg")
        let (first, _) = try applied(try fixture.place("photos/camera-gps-north.jpg", at: "shop/boat.jpg", .version))
        let (second, event) = try applied(try fixture.place("photos/camera-gps-south.jpg", at: "shop/boat.jpg", .version))
        let id = try #require(first.id)
        #expect(second.id == id && second.version == 2 && second.path == "shop/boat.jpg")
        #expect(second.createdAt == first.createdAt)
        #expect(event.action == .versioned && event.version == 2)
        #expect(event.detail["sha256"] == (try Oracle.sha256sum(south)))
        #expect(event.detail["previous_sha256"] == (try Oracle.sha256sum(north)))
        // Only the current version's files remain.
        #expect(fixture.renditionFiles(of: id) == (second.renditions ?? []).map(\.path).sorted())
        #expect(!fixture.renditionFiles(of: id).isEmpty && fixture.renditionFiles(of: id).allSatisfy { $0.contains("/v2/") })
        let history = try fixture.catalog.history(idOrPath: id)
        #expect(history.map(\.action) == [.created, .versioned])
        #expect(history.map(\.version) == [1, 2])
        #expect(history.map { $0.detail["sha256"] } == [try Oracle.sha256sum(north), try Oracle.sha256sum(south)])
        #expect(try fixture.catalog.countByStatus() == [.processed: 1])
    }

    @Test(arguments: CatalogDriver.all) func aBrokenFileDoesNotBecomeTheNextVersion(driver: CatalogDriver) async throws {
        let fixture = try await Fixture(driver)
        let (first, _) = try applied(try fixture.place("photos/camera-gps-north.jpg", at: "shop/boat.jpg", .version))
        let change = try fixture.place("bad/truncated.jpg", at: "shop/boat.jpg", .version)
        guard case .refused(let error) = change else {
            Issue.record("expected a refusal, got \(change)")
            return
        }
        #expect(error.reason == .corrupt)
        let stored = try #require(try fixture.catalog.record(atPath: "shop/boat.jpg"))
        #expect(stored.version == 1 && stored.sha256 == first.sha256 && stored.status == .processed)
    }

    @Test(arguments: CatalogDriver.all) func renameFindsTheNextFreeName(driver: CatalogDriver) async throws {
        let fixture = try await Fixture(driver)
        let (first, _) = try applied(try fixture.place("photos/camera-gps-north.jpg", at: "shop/boat.jpg", .rename))
        let (second, event) = try applied(try fixture.place("photos/camera-gps-south.jpg", at: "shop/boat.jpg", .rename))
        let (third, _) = try applied(try fixture.place("photos/odd-exif.jpg", at: "shop/boat.jpg", .rename))
        let (noExtension, _) = try applied(try fixture.place("photos/odd-exif.jpg", at: "README", .rename))
        let (noExtensionAgain, _) = try applied(try fixture.place("photos/xp-tags.jpg", at: "README", .rename))
        #expect([first.path, second.path, third.path] == ["shop/boat.jpg", "shop/boat_1.jpg", "shop/boat_2.jpg"])
        #expect([second.name, third.name] == ["boat_1.jpg", "boat_2.jpg"])
        #expect([noExtension.path, noExtensionAgain.path] == ["README", "README_1"])
        #expect(Set([first.id, second.id, third.id]).count == 3)
        #expect(event.action == .created && event.detail["renamed_from"] == "shop/boat.jpg")
        #expect(try fixture.catalog.record(atPath: "shop/boat.jpg")?.sha256 == first.sha256)
    }

    /// The same file placed again at its own path is no conflict under any
    /// policy: `unchanged`, and the catalog and history stay as they were.
    @Test(arguments: CatalogDriver.all) func theSameFileAtItsPathIsUnchanged(driver: CatalogDriver) async throws {
        let fixture = try await Fixture(driver)
        let (first, _) = try applied(try fixture.place("photos/camera-gps-north.jpg", at: "shop/boat.jpg", .reject))
        let stored = try #require(try fixture.catalog.record(atPath: "shop/boat.jpg"))
        let events = try fixture.catalog.history(idOrPath: "shop/boat.jpg")
        for policy in ConflictPolicy.allCases {
            let again = try fixture.place("photos/camera-gps-north.jpg", at: "shop/boat.jpg", policy)
            guard case .unchanged(let found) = again else {
                Issue.record("\(policy): expected unchanged")
                continue
            }
            #expect(found.id == first.id && found.version == 1 && found.sha256 == first.sha256, "\(policy)")
        }
        let after = try #require(try fixture.catalog.record(atPath: "shop/boat.jpg"))
        #expect(after.updatedAt == stored.updatedAt && after.attempts == stored.attempts && after.version == 1)
        #expect(try fixture.catalog.record(atPath: "shop/boat_1.jpg") == nil)
        #expect(try fixture.catalog.history(idOrPath: "shop/boat.jpg") == events)
    }

    /// A job that crashed after its change committed runs again: the second
    /// change under the same key is not made, whatever it would have been.
    @Test(arguments: CatalogDriver.all) func oneEffectPerKey(driver: CatalogDriver) async throws {
        let fixture = try await Fixture(driver)
        let (first, _) = try applied(try fixture.place("photos/camera-gps-north.jpg", at: "shop/boat.jpg", .version, key: "job-1"))
        for policy in ConflictPolicy.allCases {
            let again = try fixture.place("photos/camera-gps-north.jpg", at: "shop/boat.jpg", policy, key: "job-1")
            #expect(again == .alreadyApplied(try fixture.catalog.record(atPath: "shop/boat.jpg")), "\(policy)")
        }
        #expect(try fixture.catalog.history(idOrPath: "shop/boat.jpg").count == 1)
        #expect(try fixture.catalog.record(atPath: "shop/boat.jpg")?.version == 1)
        #expect(try fixture.catalog.record(atPath: "shop/boat_1.jpg") == nil)
        // A new asset's id is a function of the key: an attempt that died
        // before committing wrote its files where the next one writes them.
        let elsewhere = try await driver.makeCatalog("changes-again").catalog
        let origin = Package.sample("photos/camera-gps-north.jpg")
        let repeated = try elsewhere.place(Self.processed(origin), at: "x.jpg", origin: origin, onConflict: .reject, source: Self.source("job-1"))
        #expect(try applied(repeated).0.id == first.id)
    }

    @Test(arguments: CatalogDriver.all) func refreshRereadsTheOrigin(driver: CatalogDriver) async throws {
        let fixture = try await Fixture(driver)
        let folder = try Package.temporaryDirectory("origin")
        let origin = folder + "/boat.jpg"
        try FileManager.default.copyItem(atPath: Package.sample("photos/camera-gps-north.jpg"), toPath: origin)
        let (first, _) = try applied(try fixture.catalog.place(Self.processed(origin), at: "shop/boat.jpg", origin: origin,
                                                       onConflict: .reject, source: Self.source()))
        let id = try #require(first.id)
        try FileManager.default.removeItem(atPath: origin)
        try FileManager.default.copyItem(atPath: Package.sample("orientation/orientation-6.jpg"), toPath: origin)

        let (refreshed, event) = try applied(try fixture.catalog.refresh(assetID: id, with: Self.processed(origin), source: Self.source()))
        #expect(refreshed.id == id && refreshed.version == 1 && refreshed.path == "shop/boat.jpg" && refreshed.origin == origin)
        #expect(refreshed.sha256 == (try Oracle.sha256sum(origin)))
        #expect(refreshed.width == (try Oracle.autorotatedSize(origin, scratch: folder)).width)
        #expect(event.action == .refreshed && event.detail["previous_sha256"] == first.sha256)
        #expect(fixture.renditionFiles(of: id) == (refreshed.renditions ?? []).map(\.path).sorted())
        #expect(try fixture.catalog.record(idOrPath: id)?.sha256 == refreshed.sha256)

        let missing = try fixture.catalog.refresh(assetID: "no-such-asset", with: Self.processed(origin), source: Self.source())
        guard case .refused(let error) = missing else {
            Issue.record("expected a refusal, got \(missing)")
            return
        }
        #expect(error.reason == .notFound)
    }

    @Test(arguments: CatalogDriver.all) func deleteRemovesTheAssetAndKeepsATombstone(driver: CatalogDriver) async throws {
        let fixture = try await Fixture(driver)
        let (record, _) = try applied(try fixture.place("photos/camera-gps-north.jpg", at: "shop/boat.jpg", .reject))
        let id = try #require(record.id)
        #expect(!fixture.renditionFiles(of: id).isEmpty)
        let (_, event) = try applied(try fixture.catalog.delete(assetID: id, source: Self.source("delete-1")))
        #expect(event.action == .deleted && event.assetID == id && event.detail["sha256"] == record.sha256)
        #expect(try fixture.catalog.record(idOrPath: id) == nil)
        #expect(fixture.renditionFiles(of: id).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: fixture.data + "/renditions/\(id.prefix(2))/\(id)"))
        // The history outlives the asset, by id and by path.
        #expect(try fixture.catalog.history(idOrPath: id).map(\.action) == [.created, .deleted])
        #expect(try fixture.catalog.history(idOrPath: "shop/boat.jpg").map(\.action) == [.created, .deleted])
        // Repeating the same job is a no-op; another delete of it is refused.
        #expect(try fixture.catalog.delete(assetID: id, source: Self.source("delete-1")) == .alreadyApplied(nil))
        guard case .refused(let error) = try fixture.catalog.delete(assetID: id, source: Self.source("delete-2")) else {
            Issue.record("a second delete was not refused")
            return
        }
        #expect(error.reason == .notFound)
        // The path is free again: a new asset there starts a new history.
        let (again, _) = try applied(try fixture.place("photos/camera-gps-south.jpg", at: "shop/boat.jpg", .reject))
        #expect(again.id != id && again.version == 1)
        #expect(try fixture.catalog.history(idOrPath: "shop/boat.jpg").map(\.action) == [.created, .deleted, .created])
    }

    /// A worker killed while writing a rendition leaves its temporary file;
    /// the job's next attempt (here, the same key) removes it.
    @Test(arguments: CatalogDriver.all) func aKilledWritersTemporaryFileIsRemovedByTheNextAttempt(driver: CatalogDriver) async throws {
        let fixture = try await Fixture(driver)
        let (record, _) = try applied(try fixture.place("photos/camera-gps-north.jpg", at: "shop/boat.jpg", .reject, key: "job-9"))
        let id = try #require(record.id)
        let stray = fixture.data + "/renditions/\(id.prefix(2))/\(id)/v1/.thumb.webp.DEADBEEF.tmp"
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: stray))
        let again = try fixture.place("photos/camera-gps-north.jpg", at: "shop/boat.jpg", .reject, key: "job-9")
        #expect(again == .alreadyApplied(try fixture.catalog.record(atPath: "shop/boat.jpg")))
        #expect(!FileManager.default.fileExists(atPath: stray))
        #expect(fixture.renditionFiles(of: id) == (record.renditions ?? []).map(\.path).sorted())
    }

    @Test(arguments: CatalogDriver.all) func batchCommitsAreCreatedThenUpdated(driver: CatalogDriver) async throws {
        let fixture = try await Fixture(driver)
        let path = Package.sample("photos/odd-exif.jpg")
        for _ in 0..<2 {
            var result = Self.processed(path)
            result.record.id = try fixture.catalog.begin(path: path, name: "odd-exif.jpg")
            let stored = try fixture.catalog.commit(result.record, renditions: result.renditions)
            #expect(stored.origin == path && stored.version == 1)
        }
        let history = try fixture.catalog.history(idOrPath: path)
        #expect(history.map(\.action) == [.created, .updated])
        #expect(history.allSatisfy { $0.actor == "process" && $0.jobID == nil })
    }
}
