/// The stages a pipeline file can name: the one list of them. Adding a
/// stage is its file, one line here and its section in pipelines/default.yaml.
public struct StageList: Sendable {
    public let kinds: [any PipelineStage.Type]

    public static let builtIn = StageList([
        DetectStage.self,
        HashStage.self,
        MetadataStage.self,
        ExifStage.self,
        VideoStage.self,
        DecodeStage.self,
        PosterFrameStage.self,
        ThumbnailsStage.self,
        DominantColorsStage.self,
        FacesStage.self,
        ContentAlertsStage.self,
        AnalysisStage.self,
        PixelatedPreviewStage.self,
        HiddenStage.self,
    ])

    /// The built-in stages and `extra` ones (a test's, or another program's).
    /// A stage's name must be new, and one with an output must not shadow
    /// a key of the record.
    public init(_ kinds: [any PipelineStage.Type]) {
        self.kinds = kinds
    }

    public func adding(_ extra: [any PipelineStage.Type]) throws(StageListError) -> StageList {
        for kind in extra {
            if names.contains(kind.name) || extra.filter({ $0.name == kind.name }).count > 1 {
                throw StageListError(problem: "a stage named '\(kind.name)' is already listed")
            }
            if kind.hasOutput, AssetRecord.Fields.CodingKeys(stringValue: kind.name) != nil {
                throw StageListError(problem: "stage '\(kind.name)' would write its output over the record's own '\(kind.name)'")
            }
        }
        return StageList(kinds + extra)
    }

    public var names: [String] { kinds.map { $0.name } }

    public func kind(named name: String) -> (any PipelineStage.Type)? {
        kinds.first { $0.name == name }
    }
}

public struct StageListError: Error, Sendable, CustomStringConvertible {
    public let problem: String
    public var description: String { problem }
}
