import AssetMedia

/// The one decode of an image: shrink-on-load to the size of the largest
/// derivative, upright, in memory. Every derivative stage after it works on
/// this image; none reloads the file. It also proves the pixels readable: a
/// truncated or damaged file ends here as `corrupt`. A picture handed over
/// in memory (an edit's render) is shrunk the same way instead.
public struct DecodeStage: PipelineStage {
    public static let name = "decode"
    public static let prerequisites = ["metadata"]
    public static let summary = "images: the one shrink-on-load decode, at the size of the largest derivative"

    public struct Settings: StageSettings {
        /// How strictly damage in a file fails its decode.
        public var failOn: Image.DamagePolicy

        public init(section: SettingsSection) throws(PipelineDefinitionError) {
            failOn = try section.choice("fail_on", default: .error)
        }
    }

    let maxSize: Int
    let damage: Image.DamagePolicy

    public init(settings: Settings, pipeline: PipelineSettings) {
        maxSize = pipeline.decodeSize
        damage = settings.failOn
    }

    public func run(_ context: inout AssetContext) throws(AssetError) {
        guard context.header != nil else { return }
        do {
            if let picture = context.handedOver {
                context.decoded = try picture.shrunk(maxSize: maxSize)
            } else {
                context.decoded = try Image.decode(context.file, maxSize: maxSize, damage: damage)
            }
        } catch {
            throw AssetError(error, otherwise: .corrupt)
        }
    }
}
