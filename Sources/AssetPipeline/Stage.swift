import AssetMedia

/// One step of the pipeline. A stage reads and fills the shared
/// `AssetContext`; it never opens the database, reads a queue or knows
/// which door (batch, job, request) it runs for. Throwing an `AssetError`
/// ends the asset as `errored` with that reason.
public protocol Stage: Sendable {
    func run(_ context: inout AssetContext) throws(AssetError)
}

/// What the stages of one asset share: the record they fill in, the file
/// (opened once), and the images decoded from it (each decoded once).
public struct AssetContext {
    public var record: AssetRecord
    public let source: SourceFile
    /// Opened once by the runner; every stage reads through it.
    public let file: OpenedFile
    public var mediaType: MediaType?
    /// The header-only image, opened by the metadata stage.
    public var header: Image?
    /// The one shrink-on-load decode that derivatives are made from.
    public var decoded: Image?
    /// The opened video or audio file and what it holds, from the video stage.
    public var media: MediaFile?
    public var streams: MediaStreams?
    /// Encoded derivatives, stored with the record when it is committed.
    public var renditions: [EncodedRendition] = []

    public init(record: AssetRecord, source: SourceFile, file: OpenedFile) {
        self.record = record
        self.source = source
        self.file = file
    }
}

/// The stages a pipeline file can name, with what each needs to run before it.
enum StageCatalog {
    static let names = ["detect", "hash", "metadata", "exif", "video", "decode", "poster", "thumbnails", "colors", "pixelate"]

    /// Stages of which at least one must appear earlier in the list.
    static func prerequisites(of name: String) -> [String] {
        switch name {
        case "exif", "decode": return ["metadata"]
        case "poster": return ["video"]
        case "thumbnails", "colors", "pixelate": return ["decode", "poster"]
        default: return []
        }
    }

    static func make(_ name: String, _ definition: PipelineDefinition) -> any Stage {
        switch name {
        case "detect": return DetectStage(limits: definition.limits)
        case "hash": return HashStage()
        case "metadata": return MetadataStage(limits: definition.limits)
        case "exif": return ExifStage()
        case "decode": return DecodeStage(maxSize: definition.decodeSize, damage: definition.decode.failOn)
        case "video": return VideoStage(settings: definition.video)
        case "poster": return PosterFrameStage(maxSize: definition.decodeSize)
        case "thumbnails": return ThumbnailsStage(renditions: definition.renditions, background: definition.background)
        case "colors": return DominantColorsStage(settings: definition.colors)
        case "pixelate": return PixelatedPreviewStage(settings: definition.pixelate, background: definition.background)
        default: preconditionFailure("stage names are validated when the pipeline file is read")
        }
    }
}
