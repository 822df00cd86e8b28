import AssetCatalog
import AssetMedia
import AssetPipeline
import AssetQuery
import Foundation
import TestSupport
import Testing

/// What the catalog makes of an analyzer's answers (scripts/test-analyzer):
/// its tags become `ai` tags, searchable; a tag the user removed stays
/// removed when the analyzer names it again on a refresh; a failed analysis
/// keeps the earlier AI tags and says why, and the next refresh asks again.
@Suite struct AnalysisTagsTests {
    static let source = ChangeSource(actor: "test")
    static let sample = "photos/camera-gps-north.jpg"

    static func processed(_ analyzer: TestAnalyzer, _ mode: String) throws -> ProcessedAsset {
        let runner = try Runner(definition: PipelineDefinition.parse("""
            stages: [detect, hash, metadata, exif, decode, thumbnails, analysis]
            analysis: {url: "\(analyzer.url(mode))", timeout: 2}
            """, file: "analysis.yaml"))
        return runner.process(SourceFile(path: Package.sample(sample)))
    }

    static func ids(_ catalog: Catalog, _ query: String) throws -> [String] {
        try catalog.matchingIDs(try FindRequest(q: query))
    }

    @Test(arguments: CatalogDriver.all)
    func aiTagsFollowTheAnalyzerAndAUsersRemovalHolds(driver: CatalogDriver) async throws {
        let analyzer = try TestAnalyzer()
        let (catalog, _) = try await driver.makeCatalog("analysis-tags")
        guard case .applied(let placed, _) = try catalog.place(try Self.processed(analyzer, "ok"), at: "/shoot/north.jpg",
                                                               origin: Package.sample(Self.sample), onConflict: .reject,
                                                               source: Self.source)
        else { throw TestFailure("not placed") }
        let id = try #require(placed.id)
        let ai = (placed.tags ?? []).filter { $0.source == .ai }
        #expect(ai.map(\.name) == ["beach", "sky"])
        #expect(ai.map(\.confidence) == [0.91, 0.5])
        #expect(try Self.ids(catalog, "tags = beach AND tags = sky") == [id])
        #expect(try Self.ids(catalog, #"content_alerts.violent >= "likely""#) == [id])

        // The user removes one; the analyzer names it again on a refresh: it stays removed.
        _ = try catalog.annotate([id], with: try AnnotationChange(removeTags: ["beach"]), source: Self.source)
        _ = try catalog.refresh(assetID: id, with: try Self.processed(analyzer, "ok"), source: Self.source)
        var record = try #require(try catalog.record(idOrPath: id))
        #expect(record.tags?.first { $0.name == "beach" }?.removed == true)
        #expect(try Self.ids(catalog, "tags = beach").isEmpty)
        #expect(try Self.ids(catalog, "tags = sky") == [id])

        // The analyzer fails: the asset is processed, says why, and keeps its AI tags.
        _ = try catalog.refresh(assetID: id, with: try Self.processed(analyzer, "error"), source: Self.source)
        record = try #require(try catalog.record(idOrPath: id))
        #expect(record.status == .processed)
        #expect(record.output(of: AnalysisStage.self)?.status == .failed)
        #expect(record.output(of: AnalysisStage.self)?.reason == .httpStatus)
        #expect(try Self.ids(catalog, "tags = sky") == [id])

        // The next refresh asks again, and the answer counts again.
        _ = try catalog.refresh(assetID: id, with: try Self.processed(analyzer, "ok"), source: Self.source)
        record = try #require(try catalog.record(idOrPath: id))
        #expect(record.output(of: AnalysisStage.self)?.status == .processed)
        #expect(AssetTag.activeNames(record.tags) == ["sky"])
    }
}
