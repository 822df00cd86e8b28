import AssetMedia

/// Format, dimensions, orientation and colour of an image, from its header
/// alone: no pixel is decoded here. Refuses images over the pixel limit
/// before anything decodes them.
public struct MetadataStage: PipelineStage {
    public static let name = "metadata"
    public static let summary = "images: format, dimensions, orientation, colour (header only)"
    let limits: PipelineDefinition.Limits

    public init(settings: NoSettings, pipeline: PipelineSettings) {
        limits = pipeline.limits
    }

    public func run(_ context: inout AssetContext) throws(AssetError) {
        guard context.mediaType?.kind == .image else { return }
        let header: Image
        do {
            header = try Image.openHeader(context.file)
        } catch {
            throw AssetError(error.kind == .unsupported ? .unsupportedFormat : .corrupt, unsupportedHint(error, mime: context.mediaType?.mime))
        }
        context.header = header
        var record = context.record
        record.format = header.formatName
        let pageCount = header.pageCount
        // Animated and multi-page images stack their pages vertically in libvips.
        let storedHeight = pageCount > 1 && header.pageHeight > 0 ? header.pageHeight : header.height
        record.storedWidth = header.width
        record.storedHeight = storedHeight
        record.pages = pageCount > 1 ? pageCount : nil
        // libheif applies HEIF's irot/imir on load; an EXIF Orientation inside a
        // HEIF file must then be ignored, or the image turns twice.
        let orientation = record.format == "heif" || record.format == "avif" ? 1 : header.orientation
        record.orientation = orientation
        let swapsSides = orientation >= 5
        record.width = swapsSides ? storedHeight : header.width
        record.height = swapsSides ? header.width : storedHeight
        record.color = ColorInfo(
            model: header.colorModel,
            interpretation: header.interpretation,
            profile: header.blob(named: "icc-profile-data").flatMap(ICCProfile.description(of:)),
            depth: header.bitDepth,
            alpha: header.hasAlpha,
            bands: header.bands)
        context.record = record

        let pixels = Int64(header.width) * Int64(storedHeight)
        if pixels > limits.maxPixels {
            throw AssetError(.tooLarge, "the image is \(header.width)×\(storedHeight) (\(pixels / 1_000_000) MP), over the pipeline's limit of \(limits.maxPixels / 1_000_000) MP (limits.max_pixels)")
        }
    }

    private func unsupportedHint(_ error: MediaError, mime: String?) -> String {
        guard error.kind == .unsupported else { return error.message }
        return "\(error.message) (\(mime ?? "unknown type")); the file is catalogued but no metadata or derivatives are made. Loaders libvips marks untrusted (SVG, PDF, ImageMagick) are disabled for safety"
    }
}
