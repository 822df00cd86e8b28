import AssetCatalog
import AssetMedia
import AssetPipeline
import Foundation
import TestSupport
import Testing

/// The changes queued jobs make: conflict policies, refresh, delete, the
/// history they leave and their idempotency under an effect key. Hashes are
/// checked against sha256sum, rendition files against the file system.
@Suite struct CatalogChangesTests {
    let data: String
    let catalog: Catalog

    init() throws {
        data = try Package.temporaryDirectory("changes")
        catalog = try Catalog(dataDirectory: data)
    }

    private func processed(_ path: String) -> ProcessedAsset {
        Runner(definition: .default).process(SourceFile(path: path))
    }

    private func source(_ key: String? = UUID().uuidString) -> ChangeSource {
        ChangeSource(actor: "test", effectKey: key)
    }

    /// Places a sample at `target` and returns what the change came to.
    private func place(_ sample: String, at target: String, _ policy: ConflictPolicy,
                       key: String? = UUID().uuidString) throws -> CatalogChange {
        let origin = Package.sample(sample)
        return try catalog.place(processed(origin), at: target, origin: origin, onConflict: policy, source: source(key))
    }

    private func applied(_ change: CatalogChange, sourceLocation: SourceLocation = #_sourceLocation) throws -> (AssetRecord, AssetEvent) {
        guard case .applied(let record, let event) = change else {
            Issue.record("expected an applied change, got \(change)", sourceLocation: sourceLocation)
            throw TestFailure("not applied")
        }
        return (record, event)
    }

    /// Every rendition file under the asset's folder, relative to the data directory.
    private func renditionFiles(of id: String) -> [String] {
        let base = "renditions/\(id.prefix(2))/\(id)"
        guard let enumerator = FileManager.default.enumerator(atPath: data + "/" + base) else { return [] }
        var files: [String] = []
        while let relative = enumerator.nextObject() as? String {
            if enumerator.fileAttributes?[.type] as? FileAttributeType == .typeRegular { files.append(base + "/" + relative) }
        }
        return files.sorted()
    }

    @Test func aNewTargetIsCreatedAsVersionOne() throws {
        let (record, event) = try applied(try place("photos/camera-gps-north.jpg", at: "shop/boat.jpg", .reject))
        let id = try #require(record.id)
        #expect(record.path == "shop/boat.jpg" && record.name == "boat.jpg" && record.version == 1)
        #expect(record.origin == Package.sample("photos/camera-gps-north.jpg"))
        #expect(event.action == .created && event.version == 1 && event.assetID == id)
        #expect(event.detail["sha256"] == (try Oracle.sha256sum(Package.sample("photos/camera-gps-north.jpg"))))
        #expect(renditionFiles(of: id) == (record.renditions ?? []).map(\.path).sorted())
        #expect(renditionFiles(of: id).allSatisfy { $0.contains("/v1/") })
        #expect(try catalog.record(atPath: "shop/boat.jpg")?.id == id)
    }

    @Test func rejectLeavesTheExistingAssetAlone() throws {
        let (first, _) = try applied(try place("photos/camera-gps-north.jpg", at: "shop/boat.jpg", .reject))
        let change = try place("photos/camera-gps-south.jpg", at: "shop/boat.jpg", .reject)
        guard case .refused(let error) = change else {
            Issue.record("expected a refusal, got \(change)")
            return
        }
        #expect(error.reason == .exists)
        let stored = try #require(try catalog.record(atPath: "shop/boat.jpg"))
        #expect(stored.id == first.id && stored.sha256 == first.sha256 && stored.version == 1)
        #expect(try catalog.history(idOrPath: "shop/boat.jpg").map(\.action) == [.created])
    }

    @Test func versionKeepsTheIdAndListsEveryHash() throws {
        let north = Package.sample("photos/camera-gps-north.jpg"), south = Package.sample("photos/camera-gps-south.jpg")
        let (first, _) = try applied(try place("photos/camera-gps-north.jpg", at: "shop/boat.jpg", .version))
        let (second, event) = try applied(try place("photos/camera-gps-south.jpg", at: "shop/boat.jpg", .version))
        let id = try #require(first.id)
        #expect(second.id == id && second.version == 2 && second.path == "shop/boat.jpg")
        #expect(second.createdAt == first.createdAt)
        #expect(event.action == .versioned && event.version == 2)
        #expect(event.detail["sha256"] == (try Oracle.sha256sum(south)))
        #expect(event.detail["previous_sha256"] == (try Oracle.sha256sum(north)))
        // Only the current version's files remain.
        #expect(renditionFiles(of: id) == (second.renditions ?? []).map(\.path).sorted())
        #expect(!renditionFiles(of: id).isEmpty && renditionFiles(of: id).allSatisfy { $0.contains("/v2/") })
        let history = try catalog.history(idOrPath: id)
        #expect(history.map(\.action) == [.created, .versioned])
        #expect(history.map(\.version) == [1, 2])
        #expect(history.map { $0.detail["sha256"] } == [try Oracle.sha256sum(north), try Oracle.sha256sum(south)])
        #expect(try catalog.countByStatus() == [.processed: 1])
    }

    @Test func aBrokenFileDoesNotBecomeTheNextVersion() throws {
        let (first, _) = try applied(try place("photos/camera-gps-north.jpg", at: "shop/boat.jpg", .version))
        let change = try place("bad/truncated.jpg", at: "shop/boat.jpg", .version)
        guard case .refused(let error) = change else {
            Issue.record("expected a refusal, got \(change)")
            return
        }
        #expect(error.reason == .corrupt)
        let stored = try #require(try catalog.record(atPath: "shop/boat.jpg"))
        #expect(stored.version == 1 && stored.sha256 == first.sha256 && stored.status == .processed)
    }

    @Test func renameFindsTheNextFreeName() throws {
        let (first, _) = try applied(try place("photos/camera-gps-north.jpg", at: "shop/boat.jpg", .rename))
        let (second, event) = try applied(try place("photos/camera-gps-south.jpg", at: "shop/boat.jpg", .rename))
        let (third, _) = try applied(try place("photos/odd-exif.jpg", at: "shop/boat.jpg", .rename))
        let (noExtension, _) = try applied(try place("photos/odd-exif.jpg", at: "README", .rename))
        let (noExtensionAgain, _) = try applied(try place("photos/odd-exif.jpg", at: "README", .rename))
        #expect([first.path, second.path, third.path] == ["shop/boat.jpg", "shop/boat_1.jpg", "shop/boat_2.jpg"])
        #expect([second.name, third.name] == ["boat_1.jpg", "boat_2.jpg"])
        #expect([noExtension.path, noExtensionAgain.path] == ["README", "README_1"])
        #expect(Set([first.id, second.id, third.id]).count == 3)
        #expect(event.action == .created && event.detail["renamed_from"] == "shop/boat.jpg")
        #expect(try catalog.record(atPath: "shop/boat.jpg")?.sha256 == first.sha256)
    }

    /// A job that crashed after its change committed runs again: the second
    /// change under the same key is not made, whatever it would have been.
    @Test func oneEffectPerKey() throws {
        let (first, _) = try applied(try place("photos/camera-gps-north.jpg", at: "shop/boat.jpg", .version, key: "job-1"))
        for policy in ConflictPolicy.allCases {
            let again = try place("photos/camera-gps-north.jpg", at: "shop/boat.jpg", policy, key: "job-1")
            #expect(again == .alreadyApplied(try catalog.record(atPath: "shop/boat.jpg")), "\(policy)")
        }
        #expect(try catalog.history(idOrPath: "shop/boat.jpg").count == 1)
        #expect(try catalog.record(atPath: "shop/boat.jpg")?.version == 1)
        #expect(try catalog.record(atPath: "shop/boat_1.jpg") == nil)
        // A new asset's id is a function of the key: an attempt that died
        // before committing wrote its files where the next one writes them.
        let elsewhere = try Catalog(dataDirectory: try Package.temporaryDirectory("changes-again"))
        let origin = Package.sample("photos/camera-gps-north.jpg")
        let repeated = try elsewhere.place(processed(origin), at: "x.jpg", origin: origin, onConflict: .reject, source: source("job-1"))
        #expect(try applied(repeated).0.id == first.id)
    }

    @Test func refreshRereadsTheOrigin() throws {
        let folder = try Package.temporaryDirectory("origin")
        let origin = folder + "/boat.jpg"
        try FileManager.default.copyItem(atPath: Package.sample("photos/camera-gps-north.jpg"), toPath: origin)
        let (first, _) = try applied(try catalog.place(processed(origin), at: "shop/boat.jpg", origin: origin,
                                                       onConflict: .reject, source: source()))
        let id = try #require(first.id)
        try FileManager.default.removeItem(atPath: origin)
        try FileManager.default.copyItem(atPath: Package.sample("orientation/orientation-6.jpg"), toPath: origin)

        let (refreshed, event) = try applied(try catalog.refresh(assetID: id, with: processed(origin), source: source()))
        #expect(refreshed.id == id && refreshed.version == 1 && refreshed.path == "shop/boat.jpg" && refreshed.origin == origin)
        #expect(refreshed.sha256 == (try Oracle.sha256sum(origin)))
        #expect(refreshed.width == (try Oracle.autorotatedSize(origin, scratch: folder)).width)
        #expect(event.action == .refreshed && event.detail["previous_sha256"] == first.sha256)
        #expect(renditionFiles(of: id) == (refreshed.renditions ?? []).map(\.path).sorted())
        #expect(try catalog.record(idOrPath: id)?.sha256 == refreshed.sha256)

        let missing = try catalog.refresh(assetID: "no-such-asset", with: processed(origin), source: source())
        guard case .refused(let error) = missing else {
            Issue.record("expected a refusal, got \(missing)")
            return
        }
        #expect(error.reason == .notFound)
    }

    @Test func deleteRemovesTheAssetAndKeepsATombstone() throws {
        let (record, _) = try applied(try place("photos/camera-gps-north.jpg", at: "shop/boat.jpg", .reject))
        let id = try #require(record.id)
        #expect(!renditionFiles(of: id).isEmpty)
        let (_, event) = try applied(try catalog.delete(assetID: id, source: source("delete-1")))
        #expect(event.action == .deleted && event.assetID == id && event.detail["sha256"] == record.sha256)
        #expect(try catalog.record(idOrPath: id) == nil)
        #expect(renditionFiles(of: id).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: data + "/renditions/\(id.prefix(2))/\(id)"))
        // The history outlives the asset, by id and by path.
        #expect(try catalog.history(idOrPath: id).map(\.action) == [.created, .deleted])
        #expect(try catalog.history(idOrPath: "shop/boat.jpg").map(\.action) == [.created, .deleted])
        // Repeating the same job is a no-op; another delete of it is refused.
        #expect(try catalog.delete(assetID: id, source: source("delete-1")) == .alreadyApplied(nil))
        guard case .refused(let error) = try catalog.delete(assetID: id, source: source("delete-2")) else {
            Issue.record("a second delete was not refused")
            return
        }
        #expect(error.reason == .notFound)
        // The path is free again: a new asset there starts a new history.
        let (again, _) = try applied(try place("photos/camera-gps-south.jpg", at: "shop/boat.jpg", .reject))
        #expect(again.id != id && again.version == 1)
        #expect(try catalog.history(idOrPath: "shop/boat.jpg").map(\.action) == [.created, .deleted, .created])
    }

    /// A worker killed while writing a rendition leaves its temporary file;
    /// the job's next attempt (here, the same key) removes it.
    @Test func aKilledWritersTemporaryFileIsRemovedByTheNextAttempt() throws {
        let (record, _) = try applied(try place("photos/camera-gps-north.jpg", at: "shop/boat.jpg", .reject, key: "job-9"))
        let id = try #require(record.id)
        let stray = data + "/renditions/\(id.prefix(2))/\(id)/v1/.thumb.webp.DEADBEEF.tmp"
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: stray))
        let again = try place("photos/camera-gps-north.jpg", at: "shop/boat.jpg", .reject, key: "job-9")
        #expect(again == .alreadyApplied(try catalog.record(atPath: "shop/boat.jpg")))
        #expect(!FileManager.default.fileExists(atPath: stray))
        #expect(renditionFiles(of: id) == (record.renditions ?? []).map(\.path).sorted())
    }

    @Test func batchCommitsAreCreatedThenUpdated() throws {
        let path = Package.sample("photos/odd-exif.jpg")
        for _ in 0..<2 {
            var result = processed(path)
            result.record.id = try catalog.begin(path: path, name: "odd-exif.jpg")
            let stored = try catalog.commit(result.record, renditions: result.renditions)
            #expect(stored.origin == path && stored.version == 1)
        }
        let history = try catalog.history(idOrPath: path)
        #expect(history.map(\.action) == [.created, .updated])
        #expect(history.allSatisfy { $0.actor == "process" && $0.jobID == nil })
    }
}
