import AssetCatalog
import AssetMedia
import AssetPipeline
import AssetQuery
import Foundation
import TestSupport
import Testing

/// The hidden state: the pipeline's rule from the content alerts, a user's
/// choice over it, both kept across refreshes, with history.
@Suite struct HiddenStateTests {
    static let source = ChangeSource(actor: "test")
    static let sample = "photos/camera-gps-north.jpg"

    /// The default stages with the rule's level set: at `doubtful` every
    /// scored image is hidden, at `probable` (for these photos) none is.
    static func pipeline(level: String) throws -> PipelineDefinition {
        try PipelineDefinition.parse("""
            stages: [detect, hash, metadata, exif, video, decode, poster, thumbnails, colors, faces, content_alerts, pixelate, hidden]
            hidden:
              level: \(level)
              categories: [adult]
            """, file: "hidden-\(level).yaml")
    }

    static func processed(level: String, _ sample: String = sample) throws -> ProcessedAsset {
        let runner = Runner(definition: try pipeline(level: level))
        #expect(runner.skipped.isEmpty, "run scripts/install-models: \(runner.skipped)")
        return runner.process(SourceFile(path: Package.sample(sample)))
    }

    static func ids(_ catalog: Catalog, _ query: String) throws -> [String] {
        try catalog.matchingIDs(try FindRequest(q: query))
    }

    @Test(arguments: CatalogDriver.all)
    func theRuleHidesAUsersChoiceWinsAndBothOutliveARefresh(driver: CatalogDriver) async throws {
        let (catalog, _) = try await driver.makeCatalog("hidden")
        let hiding = try Self.processed(level: "doubtful")
        let adult = try #require(hiding.record.output(of: ContentAlertsStage.self)?.adult)
        // A landscape photo: the classifier scores it well below `probable`.
        #expect(adult.level < .probable)
        guard case .applied(let placed, _) = try catalog.place(hiding, at: "/shoot/north.jpg", origin: Package.sample(Self.sample),
                                                               onConflict: .reject, source: Self.source)
        else { throw TestFailure("not placed") }
        let id = try #require(placed.id)
        #expect(placed.hidden == true)
        #expect(placed.hiddenBy == .rule)
        #expect(placed.hiddenRule == true)
        #expect(placed.display == .pixelated)
        #expect(placed.renditions?.contains { $0.role == .pixelated } == true)
        #expect(try Self.ids(catalog, "hidden = true") == [id])
        #expect(try Self.ids(catalog, #"content_alerts.adult >= "doubtful""#) == [id])
        #expect(try Self.ids(catalog, "content_alerts.adult = \"\(adult.level.rawValue)\" AND faces EXISTS") == [id])
        #expect(try Self.ids(catalog, "content_alerts.violent EXISTS").isEmpty)

        // The user shows it; a refresh under the same rule keeps it shown.
        let show = try AnnotationChange(hidden: .show)
        #expect(try catalog.annotate([id], with: show, source: Self.source).changed == 1)
        #expect(try catalog.annotate([id], with: show, source: Self.source).changed == 0)
        _ = try catalog.refresh(assetID: id, with: try Self.processed(level: "doubtful"), source: Self.source)
        var record = try #require(try catalog.record(idOrPath: id))
        #expect(record.hidden == false)
        #expect(record.hiddenBy == .user)
        #expect(record.hiddenRule == true)
        #expect(record.display == .original)
        #expect(try Self.ids(catalog, "hidden = false") == [id])

        // Back to the rule: hidden again, by the rule's last answer.
        _ = try catalog.annotate([id], with: try AnnotationChange(hidden: .rule), source: Self.source)
        record = try #require(try catalog.record(idOrPath: id))
        #expect(record.hidden == true)
        #expect(record.hiddenBy == .rule)
        #expect(try Self.ids(catalog, "hidden = true") == [id])

        // A refresh under a stricter rule shows it; the user's hide then outlives the next one.
        _ = try catalog.refresh(assetID: id, with: try Self.processed(level: "probable"), source: Self.source)
        record = try #require(try catalog.record(idOrPath: id))
        #expect(record.hidden == false)
        #expect(record.hiddenBy == .rule)
        _ = try catalog.annotate([id], with: try AnnotationChange(hidden: .hide), source: Self.source)
        _ = try catalog.refresh(assetID: id, with: try Self.processed(level: "probable"), source: Self.source)
        record = try #require(try catalog.record(idOrPath: id))
        #expect(record.hidden == true)
        #expect(record.hiddenBy == .user)
        #expect(record.display == .pixelated)
        #expect(try Self.ids(catalog, "hidden = true") == [id])

        let events = try catalog.history(idOrPath: id).filter { $0.action == .annotated }
        #expect(events.map(\.detail) == [["hidden": "false", "hidden_by": "user"], ["hidden": "true", "hidden_by": "rule"],
                                         ["hidden": "true", "hidden_by": "user"]])
        #expect(events.allSatisfy { $0.actor == "test" })
    }

    @Test(arguments: CatalogDriver.all)
    func onlyImagesAndVideosHaveAStateUntilAUserGivesOne(driver: CatalogDriver) async throws {
        let (catalog, _) = try await driver.makeCatalog("hidden-kinds")
        guard case .applied(let text, _) = try catalog.place(try Self.processed(level: "likely", "other/notes.txt"), at: "/docs/notes.txt",
                                                             origin: Package.sample("other/notes.txt"), onConflict: .reject, source: Self.source),
              case .applied(let photo, _) = try catalog.place(try Self.processed(level: "likely"), at: "/shoot/north.jpg",
                                                              origin: Package.sample(Self.sample), onConflict: .reject, source: Self.source)
        else { throw TestFailure("not placed") }
        #expect(text.hidden == nil && text.display == nil)
        #expect(photo.hidden == false && photo.hiddenBy == .rule && photo.display == .original)
        let textID = try #require(text.id)
        _ = try catalog.annotate([textID], with: try AnnotationChange(hidden: .hide), source: Self.source)
        #expect(try catalog.record(idOrPath: textID)?.hidden == true)
        _ = try catalog.annotate([textID], with: try AnnotationChange(hidden: .rule), source: Self.source)
        #expect(try catalog.record(idOrPath: textID)?.hidden == nil)
        #expect(try Self.ids(catalog, "hidden = false") == [try #require(photo.id)])
    }
}
