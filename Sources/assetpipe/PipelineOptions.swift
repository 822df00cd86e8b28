import ArgumentParser
import AssetPipeline
import Foundation

/// Which pipeline runs, and where its stages find their models: the options
/// of every command that processes files (process, work, serve).
struct PipelineOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Pipeline definition (YAML). Default: the built-in pipeline, as in pipelines/default.yaml.",
                               valueName: "FILE"))
    var pipeline: String?

    @Option(help: ArgumentHelp("Folder of model files for the analysis stages (faces, content_alerts); "
                               + "also ASSETPIPE_MODELS. Default: ~/.local/share/assetpipe/models, where "
                               + "scripts/install-models puts them. A model not found here is looked for in "
                               + "opencv-data's /usr/share/opencv4; a stage whose model is missing is reported at "
                               + "start and skipped.", valueName: "DIR"))
    var models: String?

    func validate() throws {
        if let models {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: models, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw ValidationError("--models \(models) is not a folder; give the folder that holds the model files")
            }
        }
    }

    /// The pipeline; a bad file is a usage error.
    func definition() throws -> PipelineDefinition {
        var definition = try Startup.pipeline(pipeline)
        definition.modelsDirectory = models.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
        return definition
    }

    /// A runner for `definition`; each stage that cannot run here is reported through `warn`.
    static func runner(_ definition: PipelineDefinition, warn: (String) -> Void) -> Runner {
        let runner = Runner(definition: definition)
        for (stage, reason) in runner.skipped {
            warn("stage '\(stage)' is skipped: \(reason)")
        }
        return runner
    }
}
