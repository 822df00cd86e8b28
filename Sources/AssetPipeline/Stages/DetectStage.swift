import AssetMedia

/// Decides what the file is from its bytes, notes a name that says
/// otherwise, and refuses empty and over-size files before anything reads them whole.
public struct DetectStage: PipelineStage {
    public static let name = "detect"
    public static let summary = "type from the bytes (magic numbers), size and file-size limit"
    let limits: PipelineDefinition.Limits

    public init(settings: NoSettings, pipeline: PipelineSettings) {
        limits = pipeline.limits
    }

    public func run(_ context: inout AssetContext) throws(AssetError) {
        let size = context.file.size
        context.record.size = size
        if size == 0 {
            throw AssetError(.empty, "the file is empty (0 bytes); it may still be uploading or was saved incorrectly")
        }
        let head: [UInt8]
        do {
            head = try context.file.read(upTo: MediaType.sniffLength, at: 0)
        } catch {
            throw AssetError(.inaccessible, error.message)
        }
        let type = MediaType.sniff(head)
        context.mediaType = type
        context.record.kind = type.kind
        context.record.mime = type.mime
        if let ext = context.source.fileExtension, let promised = MediaType.mimeTypes(forExtension: ext), !promised.contains(type.mime) {
            context.record.extensionMismatch = ExtensionMismatch(extension: ext, detected: type.mime)
        }
        if size > limits.maxFileSize {
            throw AssetError(.tooLarge, "the file is \(ByteCount.describe(size)), over the pipeline's limit of \(ByteCount.describe(limits.maxFileSize)) (limits.max_file_size)")
        }
    }
}
