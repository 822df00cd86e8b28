import AssetMedia

/// Runs a pipeline's stages over one file. Never throws: whatever happens
/// to the file is the returned record's status and reason.
public struct Runner: Sendable {
    public let definition: PipelineDefinition
    private let stages: [any PipelineStage]
    /// Listed stages that cannot run here, with why: the doors report them at start.
    public let skipped: [(stage: String, reason: String)]

    public init(definition: PipelineDefinition) {
        self.definition = definition
        let made = definition.makeStages()
        stages = made.filter { $0.unavailable == nil }
        skipped = made.compactMap { stage in stage.unavailable.map { (type(of: stage).name, $0) } }
    }

    /// Runs the stages over `source`. `handedOver` is its picture already
    /// in memory (an edit's render): derivatives are made from it, and the
    /// file's pixels are not decoded.
    public func process(_ source: SourceFile, handedOver: Image? = nil) -> ProcessedAsset {
        var record = AssetRecord(path: source.displayPath, name: source.name)
        let file: OpenedFile
        do {
            file = try source.open()
        } catch where error.kind == .notRegularFile {
            record.status = .errored
            record.error = AssetError(.notRegularFile, error.message)
            return ProcessedAsset(record: record, renditions: [])
        } catch {
            record.status = .errored
            record.error = AssetError(.inaccessible, "\(error.message); check that the file exists and is readable by this user")
            return ProcessedAsset(record: record, renditions: [])
        }
        record.originFile = file.signature
        var context = AssetContext(record: record, source: source, file: file, handedOver: handedOver)
        for stage in stages {
            do {
                try stage.run(&context)
            } catch {
                // What the stages learned stays in the record; half-made derivatives do not.
                context.record.status = .errored
                context.record.error = error
                return ProcessedAsset(record: context.record, renditions: [])
            }
        }
        context.record.status = .processed
        return ProcessedAsset(record: context.record, renditions: context.renditions)
    }
}

/// A finished record and the derivatives to store with it.
public struct ProcessedAsset: Sendable {
    public var record: AssetRecord
    public var renditions: [EncodedRendition]

    public init(record: AssetRecord, renditions: [EncodedRendition]) {
        self.record = record
        self.renditions = renditions
    }
}
