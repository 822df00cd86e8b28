import AssetMedia

/// The hidden state of a sensitive image: a mosaic of at most `blocks`
/// blocks on the long side, each the average colour beneath it, sized like
/// the `thumb` rendition. Too coarse for the content to be made out.
struct PixelatedPreviewStage: Stage {
    let settings: PipelineDefinition.PixelateSettings
    let background: RGBColor

    func run(_ context: inout AssetContext) throws(AssetError) {
        guard let decoded = context.decoded else { return }
        let width = decoded.width, height = decoded.height
        let long = max(width, height)
        let blocks = min(settings.blocks, long)
        func blocksAlong(_ side: Int) -> Int { max(1, Int((Double(blocks) * Double(side) / Double(long)).rounded())) }
        // Whole-pixel blocks, as large as fit the target size (never enlarging the source).
        let blockSize = max(1, min(settings.size, long) / blocks)
        do {
            let mosaic = try decoded.prepared(for: settings.format, background: background)
                .resized(width: blocksAlong(width), height: blocksAlong(height))
                .zoomed(x: blockSize, y: blockSize)
            let bytes = try mosaic.encoded(as: settings.format, quality: settings.quality)
            context.renditions.append(EncodedRendition(
                name: "pixelated", role: .pixelated, width: mosaic.width, height: mosaic.height,
                format: settings.format, bytes: bytes))
        } catch {
            throw AssetError(error, otherwise: .internalError, "cannot make the pixelated preview: \(error.message)")
        }
    }
}
