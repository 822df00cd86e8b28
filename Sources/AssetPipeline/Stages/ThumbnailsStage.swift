import AssetMedia

/// The pipeline's thumbnail renditions (default `thumb` 256 px and `preview`
/// 1024 px, WebP q80), each scaled from the one decode: upright, sRGB, never
/// enlarged, alpha kept where the format carries it and flattened onto the
/// background where it does not, and no metadata.
public struct ThumbnailsStage: PipelineStage {
    public static let name = "thumbnails"
    public static let prerequisites = ["decode", "poster"]
    /// Read from `renditions`, the layout pipeline files have always had.
    public static let section = "renditions"
    public static let summary = "the renditions below, scaled from that decode"

    /// The renditions, in the order the file lists them.
    public struct Settings: StageSettings {
        public var renditions: [Rendition]

        /// One thumbnail: its name (also its file name), long side, format and quality.
        public struct Rendition: Sendable, Equatable {
            public var name: String
            /// Long side in pixels; never upscaled beyond the source.
            public var size: Int
            public var format: EncodedFormat
            public var quality: Int
        }

        public init(section: SettingsSection) throws(PipelineDefinitionError) {
            guard section.isPresent else {
                renditions = [Rendition(name: "thumb", size: 256, format: .webp, quality: 80),
                              Rendition(name: "preview", size: 1024, format: .webp, quality: 80)]
                return
            }
            renditions = []
            for (name, entry) in try section.namedSections() {
                guard !name.isEmpty, name.count <= 64,
                      name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else {
                    throw section.error(atName: name, "rendition name '\(name)' must be 1–64 letters, digits, '-' or '_' (it names the file)")
                }
                guard name != "pixelated" else {
                    throw section.error(atName: name, "'pixelated' is the pixelate stage's rendition; choose another name")
                }
                guard entry.contains("size") else { throw section.error(at: name, "\(entry.place) needs a size (long side in pixels)") }
                renditions.append(Rendition(
                    name: name, size: try entry.integer("size", range: 1...8192, default: 256),
                    format: try entry.choice("format", default: .webp), quality: try entry.integer("quality", range: 1...100, default: 80)))
            }
            guard !renditions.isEmpty else {
                throw section.error("renditions lists none; give at least one entry, e.g. thumb: {size: 256}, or drop 'thumbnails' from the stages")
            }
        }
    }

    public static func decodeSize(for settings: Settings) -> Int? {
        settings.renditions.map(\.size).max()
    }

    let renditions: [Settings.Rendition]
    let background: RGBColor

    public init(settings: Settings, pipeline: PipelineSettings) {
        renditions = settings.renditions
        background = pipeline.background
    }

    public func run(_ context: inout AssetContext) throws(AssetError) {
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
