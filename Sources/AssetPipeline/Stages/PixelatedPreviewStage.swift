import AssetMedia

/// The hidden state of a sensitive image: a mosaic of at most `blocks`
/// blocks on the long side, each the average colour beneath it, sized like
/// the `thumb` rendition. Too coarse for the content to be made out.
public struct PixelatedPreviewStage: PipelineStage {
    public static let name = "pixelate"
    public static let prerequisites = ["decode", "poster"]
    public static let summary = "a block mosaic (the \"hidden\" state), from that decode"

    public struct Settings: StageSettings {
        /// Blocks on the long side, at most.
        public var blocks: Int
        /// Long side of the rendition, in pixels.
        public var size: Int
        public var format: EncodedFormat
        public var quality: Int

        public init(section: SettingsSection) throws(PipelineDefinitionError) {
            blocks = try section.integer("blocks", range: 1...256, default: 16)
            size = try section.integer("size", range: 1...4096, default: 256)
            format = try section.choice("format", default: .webp)
            quality = try section.integer("quality", range: 1...100, default: 70)
        }
    }

    public static func decodeSize(for settings: Settings) -> Int? { settings.size }

    let settings: Settings
    let background: RGBColor

    public init(settings: Settings, pipeline: PipelineSettings) {
        self.settings = settings
        background = pipeline.background
    }

    public func run(_ context: inout AssetContext) throws(AssetError) {
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
