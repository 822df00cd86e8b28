import AssetMedia

/// SHA-256 of the bytes, streamed.
public struct HashStage: PipelineStage {
    public static let name = "hash"
    public static let summary = "SHA-256 of the bytes, streamed"

    public init(settings: NoSettings, pipeline: PipelineSettings) {}

    public func run(_ context: inout AssetContext) throws(AssetError) {
        do {
            context.record.sha256 = try context.file.sha256()
        } catch {
            throw AssetError(error, otherwise: .inaccessible)
        }
    }
}
