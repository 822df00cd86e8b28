import AssetMedia

/// The one decode of an image: shrink-on-load to the size the derivative
/// stages need, upright, into memory. It also proves the pixels are
/// readable: a truncated or damaged file ends here as `corrupt`.
struct DecodeStage: Stage {
    let settings: PipelineDefinition.DecodeSettings

    func run(_ context: inout AssetContext) throws(AssetError) {
        guard context.header != nil else { return }
        do {
            context.decoded = try Image.decode(context.file, maxSize: settings.maxSize, damage: settings.failOn)
        } catch {
            throw AssetError(.corrupt, error.message)
        }
    }
}
