import AssetCatalog
import AssetMedia
import AssetPipeline
import Foundation
import TestSupport
import Testing

/// Rendition files on disk after commits: where they are, that re-processing
/// leaves no orphans, and that nothing half-written stays behind. The files
/// are listed and read back with the file system, stat(2) and vipsheader.
@Suite struct RenditionStoreTests {
    static let thumbnailsOnly: PipelineDefinition = {
        do {
            return try PipelineDefinition.load(contentsOf: Package.root + "/pipelines/thumbnails-only.yaml")
        } catch {
            fatalError("cannot load pipelines/thumbnails-only.yaml: \(error)")
        }
    }()

    /// Processes `path` with `definition` and commits the result as a batch does.
    private func processAndCommit(_ path: String, _ definition: PipelineDefinition, into catalog: Catalog) throws -> AssetRecord {
        let result = Runner(definition: definition).process(SourceFile(path: path))
        var record = result.record
        record.id = try catalog.begin(path: record.path, name: record.name)
        return try catalog.commit(record, renditions: result.renditions)
    }

    /// Copies a sample into its own directory, so the test can replace it later.
    private func copySample(_ sample: String, to directory: String, as name: String) throws -> String {
        let path = directory + "/" + name
        try? FileManager.default.removeItem(atPath: path)
        try FileManager.default.copyItem(atPath: Package.sample(sample), toPath: path)
        return path
    }

    /// Every entry in `directory`, dot-files included; empty when it does not exist.
    private func entries(_ directory: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
    }

    /// Every file under `directory`, recursively, relative to it.
    private func allFiles(under directory: String) -> [String] {
        guard let enumerator = FileManager.default.enumerator(atPath: directory) else { return [] }
        var files: [String] = []
        while let relative = enumerator.nextObject() as? String {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: directory + "/" + relative, isDirectory: &isDirectory), !isDirectory.boolValue {
                files.append(relative)
            }
        }
        return files.sorted()
    }

    /// The record's renditions exist where it says, at DATA/renditions/<2 of id>/<id>/v<version>/<name>.<ext>,
    /// with the size it says (stat) and the dimensions it says (vipsheader).
    private func expectFilesMatch(_ record: AssetRecord, data: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let id = try #require(record.id, sourceLocation: sourceLocation)
        for rendition in record.renditions ?? [] {
            let version = try #require(record.version, sourceLocation: sourceLocation)
            let expectedPath = "renditions/\(id.prefix(2))/\(id)/v\(version)/\(rendition.name).\(rendition.format.fileExtension)"
            #expect(rendition.path == expectedPath, sourceLocation: sourceLocation)
            let absolute = data + "/" + rendition.path
            guard FileManager.default.fileExists(atPath: absolute) else {
                Issue.record("\(rendition.path) is listed but missing", sourceLocation: sourceLocation)
                continue
            }
            #expect(try Oracle.size(absolute) == rendition.bytes, "\(rendition.path)", sourceLocation: sourceLocation)
            #expect(try Oracle.vipsheaderInt("width", absolute) == rendition.width, "\(rendition.path)", sourceLocation: sourceLocation)
            #expect(try Oracle.vipsheaderInt("height", absolute) == rendition.height, "\(rendition.path)", sourceLocation: sourceLocation)
            #expect(try Oracle.mimeType(absolute) == rendition.format.mimeType, "\(rendition.path)", sourceLocation: sourceLocation)
        }
    }

    // MARK: 8. Re-processing replaces renditions and leaves no orphans

    @Test func reprocessingWithAnotherPipelineLeavesNoOrphans() throws {
        let data = try Package.temporaryDirectory("store-data")
        let inputs = try Package.temporaryDirectory("store-inputs")
        let catalog = try Catalog(dataDirectory: data)
        let path = try copySample("photos/camera-gps-south.jpg", to: inputs, as: "harbour.jpg")

        let first = try processAndCommit(path, .default, into: catalog)
        #expect(first.status == .processed)
        let id = try #require(first.id)
        let assetDirectory = data + "/renditions/\(id.prefix(2))/\(id)/v1"
        #expect(entries(assetDirectory) == ["pixelated.webp", "preview.webp", "thumb.webp"])
        try expectFilesMatch(first, data: data)

        let second = try processAndCommit(path, Self.thumbnailsOnly, into: catalog)
        #expect(second.status == .processed)
        #expect(second.id == id)
        #expect(entries(assetDirectory) == ["large.jpg", "thumb.webp"])
        #expect(Set((second.renditions ?? []).map(\.name)) == ["thumb", "large"])
        try expectFilesMatch(second, data: data)
        let stored = try #require(try catalog.record(idOrPath: id))
        #expect(stored.renditions == second.renditions)

        // The file goes bad: the new result has no renditions, so none may remain.
        try FileManager.default.removeItem(atPath: path)
        try FileManager.default.copyItem(atPath: Package.sample("bad/corrupt.png"), toPath: path)
        let third = try processAndCommit(path, .default, into: catalog)
        #expect(third.status == .errored)
        #expect(third.id == id)
        #expect(third.renditions == nil || third.renditions == [])
        #expect(entries(assetDirectory).isEmpty, "left behind: \(entries(assetDirectory))")
        #expect(allFiles(under: data + "/renditions").isEmpty, "left behind: \(allFiles(under: data + "/renditions"))")
        let storedAfter = try #require(try catalog.record(idOrPath: id))
        #expect(storedAfter.renditions == nil || storedAfter.renditions == [])
    }

    // MARK: 9. Atomic writes

    @Test func commitsLeaveNoTemporaryFilesAndSizesMatch() throws {
        let data = try Package.temporaryDirectory("atomic-data")
        let catalog = try Catalog(dataDirectory: data)
        var records: [AssetRecord] = []
        for sample in ["formats/alpha.png", "photos/camera-gps-south.jpg", "orientation/orientation-6.jpg"] {
            let path = Package.sample(sample)
            records.append(try processAndCommit(path, .default, into: catalog))
            records.append(try processAndCommit(path, Self.thumbnailsOnly, into: catalog))
            // Same path, same result: committing again rewrites the files in place.
            records.append(try processAndCommit(path, Self.thumbnailsOnly, into: catalog))
        }

        let files = allFiles(under: data + "/renditions")
        let leftovers = files.filter { ($0 as NSString).lastPathComponent.hasPrefix(".") || $0.hasSuffix(".tmp") }
        #expect(leftovers.isEmpty, "temporary files left behind: \(leftovers)")

        // The latest record of each asset lists exactly the files on disk.
        var latest: [String: AssetRecord] = [:]
        for record in records {
            #expect(record.status == .processed, "\(record.path): \(String(describing: record.error))")
            if let id = record.id { latest[id] = record }
        }
        #expect(latest.count == 3)
        let listed = latest.values.flatMap { $0.renditions ?? [] }.map(\.path).sorted()
        #expect(listed == files.map { "renditions/" + $0 }.sorted())
        for record in latest.values {
            try expectFilesMatch(record, data: data)
        }
    }
}
