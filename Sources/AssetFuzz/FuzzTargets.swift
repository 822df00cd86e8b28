/// Every fuzz target, by the name `fuzz TARGET` takes.
public enum FuzzTargets {
    public static func all() -> [any FuzzTarget] {
        [RenderQueryTarget(), SignatureTarget(), JSONBodyTarget(), JobPayloadTarget(), PipelineYAMLTarget(), FindQueryTarget(),
         IgnoreFileTarget(), ConfigFileTarget(), AnalyzerAnswerTarget(), S3AnswerTarget(), UploadFormTarget(),
         SourceSettingsTarget()] + MetadataTargets.all
    }

    public static func named(_ name: String) -> (any FuzzTarget)? {
        all().first { $0.name == name }
    }

    /// The iterations `fuzz all --iterations N` gives a target: N, or fewer
    /// for the targets whose parser is slow (libexif, XMLParser, Yams), so
    /// that a run of a million stays within minutes. Nil: all N.
    public static func cap(for name: String) -> Int? {
        caps[name]
    }

    static let caps: [String: Int] = [:]
}
