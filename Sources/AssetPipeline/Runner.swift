import AssetMedia

/// Runs a pipeline's stages over one file. Never throws: whatever happens
/// to the file is the returned record's status and reason.
public struct Runner: Sendable {
    public let definition: PipelineDefinition
    private let stages: [any Stage]

    public init(definition: PipelineDefinition) {
        self.definition = definition
        self.stages = definition.stages.map { StageCatalog.make($0, definition) }
    }

    public func process(_ source: SourceFile) -> AssetRecord {
        var record = AssetRecord(path: source.displayPath, name: source.name)
        let file: OpenedFile
        do {
            file = try source.open()
        } catch {
            record.status = .errored
            record.error = AssetError(.inaccessible, "\(error.message); check that the file exists and is readable by this user")
            return record
        }
        var context = AssetContext(record: record, source: source, file: file)
        for stage in stages {
            do {
                try stage.run(&context)
            } catch {
                context.record.status = .errored
                context.record.error = error
                return context.record
            }
        }
        context.record.status = .processed
        return context.record
    }
}
