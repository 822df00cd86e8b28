import AssetMedia
import Foundation

/// The palette for the info panel and colour search: up to N colours with
/// their share of the image, from an unblended sample of the one decode.
/// Transparent pixels do not count.
public struct DominantColorsStage: PipelineStage {
    public static let name = "colors"
    public static let prerequisites = ["decode", "poster"]
    public static let summary = "the dominant-colour palette, from a sample of that decode"

    public struct Settings: StageSettings {
        /// Colours in the palette, at most.
        public var count: Int
        /// Long side, in pixels, of the sample the palette is computed from.
        public var sampleSize: Int

        public init(section: SettingsSection) throws(PipelineDefinitionError) {
            count = try section.integer("count", range: 1...32, default: 5)
            sampleSize = try section.integer("sample_size", range: 16...1024, default: 128)
        }
    }

    public static func decodeSize(for settings: Settings) -> Int? { settings.sampleSize }

    let settings: Settings

    public init(settings: Settings, pipeline: PipelineSettings) {
        self.settings = settings
    }

    public func run(_ context: inout AssetContext) throws(AssetError) {
        guard let decoded = context.decoded else { return }
        // Point sampling keeps region colours exact; a blending resize would
        // invent in-between colours along every edge.
        let step = Int((Double(max(decoded.width, decoded.height)) / Double(settings.sampleSize)).rounded(.up))
        let palette: ColorPalette?
        do {
            let sample = try decoded.subsampled(x: step, y: step).inSRGB()
            guard sample.bands == 3 || sample.bands == 4 else { return }
            palette = ColorPalette.compute(pixels: try sample.pixelBytes(), bands: sample.bands, count: settings.count)
        } catch {
            throw AssetError(error, otherwise: .internalError, "cannot sample colours: \(error.message)")
        }
        guard let palette else { return }
        context.record.color?.dominant = DominantColor.list(palette)
    }
}
