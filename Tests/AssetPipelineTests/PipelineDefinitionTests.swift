import AssetPipeline
import TestSupport
import Testing

@Suite struct PipelineDefinitionTests {
    @Test func defaultFileSpellsOutTheBuiltInPipeline() throws {
        let path = Package.root + "/pipelines/default.yaml"
        #expect(try PipelineDefinition.load(contentsOf: path) == .default)
    }

    @Test func sizesAcceptUnits() throws {
        let definition = try PipelineDefinition.parse("stages: [detect]\nlimits:\n  max_file_size: 64MiB\n", file: "p.yaml")
        #expect(definition.limits.maxFileSize == 64 * 1_048_576)
    }

    /// Each bad file is refused with its name, the line at fault and what to fix.
    @Test(arguments: [
        ("stages: [detect]\nlimits:\n  max_pixel: 10\n", 3, "unknown key 'max_pixel'"),
        ("stages: [detect, hash]\ncolors:\n  count: big\n", 3, "whole number"),
        ("stages: [detect]\nrenditions:\n  thumb: {size: 256, format: gif}\n", 3, "webp, jpeg, png, avif"),
        ("stages: [detect]\nrenditions:\n  thumb: {format: png}\n", 3, "needs a size"),
        ("stages: [detect, hash, metadata, decode, thumbnails]\nrenditions: {}\n", 2, "at least one entry"),
        ("stages:\n  - detect\n  - thumbnail\n", 3, "unknown stage 'thumbnail'"),
        ("stages: [hash, detect]\n", 1, "first stage must be 'detect'"),
        ("stages: [detect, exif, metadata]\n", 1, "needs 'metadata'"),
        ("stages: [detect]\ndecode:\n  fail_on: sometimes\n", 3, "none, truncated, error, warning"),
        ("stages: [detect\nlimits: {}\n", 2, "not valid YAML"),
        ("limits:\n  max_pixels: 5\n", 1, "missing 'stages'"),
        ("stages: [detect]\nversion: 2\n", 2, "unsupported version"),
        // Past Int64: once a trap in the conversion to bytes (found by `fuzz pipeline-yaml`).
        ("stages: [detect]\nlimits:\n  max_file_size: 99999999999999999999GB\n", 3, "give a size such as"),
        ("stages: [detect]\nlimits:\n  max_file_size: 9223372036854775808\n", 3, "give a size such as"),
    ])
    func badFilesNameTheLine(text: String, line: Int, problem: String) {
        do {
            _ = try PipelineDefinition.parse(text, file: "pipelines/bad.yaml")
            Issue.record("accepted a bad pipeline file")
        } catch let error as PipelineDefinitionError {
            #expect(error.line == line)
            #expect(error.description.hasPrefix("pipelines/bad.yaml:\(line)"))
            #expect(error.description.contains(problem), "\(error)")
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func missingFileIsAClearError() {
        #expect(throws: PipelineDefinitionError.self) { try PipelineDefinition.load(contentsOf: "/nonexistent/pipeline.yaml") }
    }
}
