import AssetMedia
import Foundation

/// The palette for the info panel and colour search: up to N colours with
/// their share of the image, from an unblended sample of the one decode.
/// Transparent pixels do not count.
struct DominantColorsStage: Stage {
    let settings: PipelineDefinition.ColorSettings

    func run(_ context: inout AssetContext) throws(AssetError) {
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
