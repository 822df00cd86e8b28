import AssetMedia
import AssetPipeline
import Foundation
import TestSupport
import Testing

/// A stage written the way a user of the library adds one: this file only,
/// through the public stage API. It adds `density: {pixels, bytes_per_pixel}`
/// (how heavily the file is compressed) to image records.
struct DensityStage: PipelineStage {
    static let name = "density"
    static let prerequisites = ["metadata"]
    static let summary = "images: pixels, and bytes of file per pixel"

    struct Settings: StageSettings {
        var decimals: Int
        var sampleSize: Int

        init(section: SettingsSection) throws(PipelineDefinitionError) {
            decimals = try section.integer("decimals", range: 0...6, default: 2)
            sampleSize = try section.integer("sample_size", range: 1...8192, default: 64)
        }
    }

    struct Output: Codable, Sendable, Equatable {
        var pixels: Int
        var bytesPerPixel: Double

        enum CodingKeys: String, CodingKey {
            case pixels
            case bytesPerPixel = "bytes_per_pixel"
        }
    }

    static func decodeSize(for settings: Settings) -> Int? { settings.sampleSize }

    let settings: Settings

    init(settings: Settings, pipeline: PipelineSettings) {
        self.settings = settings
    }

    func run(_ context: inout AssetContext) throws(AssetError) {
        guard let width = context.record.storedWidth, let height = context.record.storedHeight,
              let size = context.record.size, width > 0, height > 0 else { return }
        let scale = pow(10, Double(settings.decimals))
        let pixels = width * height
        context.record.setOutput(Output(pixels: pixels, bytesPerPixel: (Double(size) / Double(pixels) * scale).rounded() / scale), of: Self.self)
    }
}

@Suite struct StageAPITests {
    let stages: StageList

    init() throws {
        stages = try StageList.builtIn.adding([DensityStage.self])
    }

    @Test func aStageFromOutsideRunsWithItsSettingsAndLandsInTheRecord() throws {
        let definition = try PipelineDefinition.parse("""
            stages: [detect, metadata, density]
            density:
              decimals: 3
            """, file: "density.yaml", stageList: stages)
        #expect(definition.settings(of: DensityStage.self).decimals == 3)
        #expect(definition.settings(of: DensityStage.self).sampleSize == 64)

        let path = Package.sample("photos/camera-gps-north.jpg")
        let record = Runner(definition: definition).process(SourceFile(path: path)).record
        #expect(record.status == .processed)
        let width = try Oracle.vipsheaderInt("width", path), height = try Oracle.vipsheaderInt("height", path)
        let bytes = try Oracle.size(path)
        let output = try #require(record.output(of: DensityStage.self))
        #expect(output.pixels == width * height)
        #expect(abs(output.bytesPerPixel - Double(bytes) / Double(width * height)) <= 0.0005)

        // At the top level of the record's JSON, under the stage's name, and read back whole.
        let json = try AssetRecord.makeEncoder().encode(record)
        let object = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
        let density = try #require(object["density"] as? [String: Any])
        #expect(density["pixels"] as? Int == width * height)
        #expect(try AssetRecord.makeDecoder().decode(AssetRecord.self, from: json) == record)
    }

    @Test func itsSectionIsCheckedLikeAnyOther() {
        do {
            _ = try PipelineDefinition.parse("stages: [detect, metadata, density]\ndensity:\n  decimal: 3\n", file: "d.yaml", stageList: stages)
            Issue.record("an unknown key in the stage's section was accepted")
        } catch let error as PipelineDefinitionError {
            #expect(error.line == 3)
            #expect(error.description.contains("unknown key 'decimal' in density; allowed: decimals, sample_size"), "\(error)")
        } catch {
            Issue.record("unexpected error \(error)")
        }
        #expect(throws: PipelineDefinitionError.self) {
            try PipelineDefinition.parse("stages: [detect, density]\n", file: "d.yaml", stageList: stages)
        }
        // Without the stage in the list, its name and section are unknown.
        #expect(throws: PipelineDefinitionError.self) {
            try PipelineDefinition.parse("stages: [detect, metadata, density]\n", file: "d.yaml")
        }
    }

    @Test func itsDecodeSizeCountsOnlyWhenListed() throws {
        let listed = try PipelineDefinition.parse(
            "stages: [detect, metadata, decode, density]\ndensity: {sample_size: 3000}\n", file: "d.yaml", stageList: stages)
        #expect(listed.decodeSize == 3000)
        let unlisted = try PipelineDefinition.parse(
            "stages: [detect, metadata, decode, thumbnails]\ndensity: {sample_size: 3000}\n", file: "d.yaml", stageList: stages)
        #expect(unlisted.decodeSize == 1024)
    }

    struct ShadowingStage: PipelineStage {
        static let name = "width"
        static let summary = "writes over the record's width"
        struct Output: Codable, Sendable, Equatable { var value: Int }
        init(settings: NoSettings, pipeline: PipelineSettings) {}
        func run(_ context: inout AssetContext) throws(AssetError) {}
    }

    @Test func aStageCannotTakeATakenNameOrARecordField() {
        #expect(throws: StageListError.self) { try StageList.builtIn.adding([DominantColorsStage.self]) }
        #expect(throws: StageListError.self) { try StageList.builtIn.adding([ShadowingStage.self]) }
    }

    /// Records written by a build with other stages keep those stages' outputs.
    @Test func outputsOfUnknownStagesSurviveARoundTrip() throws {
        let json = #"{"name":"a.jpg","path":"/a.jpg","status":"processed","elsewhere":{"score":0.5,"labels":["x"]}}"#
        let record = try AssetRecord.makeDecoder().decode(AssetRecord.self, from: Data(json.utf8))
        #expect(record.outputs["elsewhere"]?["score"] == .double(0.5))
        let again = try AssetRecord.makeDecoder().decode(AssetRecord.self, from: try AssetRecord.makeEncoder().encode(record))
        #expect(again == record)
    }
}
