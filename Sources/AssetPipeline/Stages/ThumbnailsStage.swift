import AssetMedia

/// The pipeline's thumbnail renditions (default `thumb` 256 px and `preview`
/// 1024 px, WebP q80), each scaled from the one decode: upright, sRGB, never
/// enlarged, alpha kept where the format carries it and flattened onto the
/// background where it does not, and no metadata.
struct ThumbnailsStage: Stage {
    let renditions: [PipelineDefinition.RenditionSettings]
    let background: RGBColor

    func run(_ context: inout AssetContext) throws(AssetError) {
        guard let decoded = context.decoded else { return }
        for settings in renditions {
            do {
                let image = try decoded.fitted(within: settings.size).prepared(for: settings.format, background: background)
                let bytes = try image.encoded(as: settings.format, quality: settings.quality)
                context.renditions.append(EncodedRendition(
                    name: settings.name, role: .thumbnail, width: image.width, height: image.height,
                    format: settings.format, bytes: bytes))
            } catch {
                throw AssetError(error, otherwise: .internalError, "cannot make rendition '\(settings.name)': \(error.message)")
            }
        }
    }
}

extension Image {
    /// Ready to encode as `format`: 8-bit sRGB, alpha flattened if the format has none.
    func prepared(for format: EncodedFormat, background: RGBColor) throws(MediaError) -> Image {
        let srgb = try inSRGB()
        return format.carriesAlpha ? srgb : try srgb.flattened(onto: background)
    }
}
