import AssetPipeline
import Foundation
import TestSupport
import Testing

/// Where `process` looks for the analysis models: `ASSETPIPE_MODELS` names
/// the folder when `--models` does not, and `--models` wins over it. A
/// folder without the model skips the stage with a warning naming it; the
/// asset is still catalogued.
@Suite struct ModelsFolderTests {
    private func process(models: String?, environment: String) throws -> CommandResult {
        let data = try Package.temporaryDirectory("models-folder-data")
        let arguments = ["ASSETPIPE_MODELS=" + environment, AssetPipe.binary, "process", "--json", "--data", data]
            + (models.map { ["--models", $0] } ?? []) + [Package.sample("photos/camera-gps-north.jpg")]
        return try Command.run("/usr/bin/env", arguments, timeout: 120)
    }

    @Test func theEnvironmentNamesTheFolderAndTheFlagWins() throws {
        let empty = try Package.temporaryDirectory("models-folder-empty")
        let skipped = try process(models: nil, environment: empty)
        #expect(skipped.status == 0, "\(skipped.summary)")
        #expect(skipped.stderr.contains("stage 'content_alerts' is skipped"), "\(skipped.stderr)")
        #expect(skipped.stderr.contains(empty), "the warning says where it looked: \(skipped.stderr)")
        let record = try #require(try AssetPipe.records(in: skipped.stdout).first)
        #expect(record["status"] as? String == "processed")
        #expect(record["content_alerts"] == nil)

        let installed = try #require(ModelLocator(directory: nil).folders.first {
            FileManager.default.isReadableFile(atPath: $0 + "/open-nsfw.onnx")
        }, "run scripts/install-models")
        let flagged = try process(models: installed, environment: empty)
        #expect(flagged.status == 0, "\(flagged.summary)")
        #expect(!flagged.stderr.contains("skipped"), "\(flagged.stderr)")
        #expect(try AssetPipe.records(in: flagged.stdout).first?["content_alerts"] != nil)
    }
}
