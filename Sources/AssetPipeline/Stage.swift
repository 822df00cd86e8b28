import AssetMedia

/// One step of the pipeline, declared in one file: the name pipeline files
/// list it by, what must run before it, its settings (read from its own YAML
/// section), the decode size it needs, and what it adds to the record.
/// `StageList.builtIn` lists the stages once; the rest follows from that.
///
/// A stage reads and fills the shared `AssetContext`; it never opens the
/// database, reads a queue or knows which door (batch, job, request) it runs
/// for. Throwing an `AssetError` ends the asset as `errored` with that reason.
public protocol PipelineStage: Sendable {
    associatedtype Settings: StageSettings = NoSettings
    /// What the stage adds to the record under the key `name`, for stages
    /// whose result is not one of the record's own fields.
    associatedtype Output: Codable & Sendable & Equatable = NoOutput

    /// The name a pipeline file's `stages` list uses; also the key of its
    /// `Output` in the record.
    static var name: String { get }
    /// Stages of which at least one must be listed before this one.
    static var prerequisites: [String] { get }
    /// The top-level YAML key its settings are read from (its name, unless
    /// an older file layout says otherwise).
    static var section: String { get }
    /// One line for `pipelines/default.yaml`'s list and for errors.
    static var summary: String { get }
    /// The long side, in pixels, this stage needs of the one decode; the
    /// decode is made at the largest size any listed stage asks for.
    static func decodeSize(for settings: Settings) -> Int?

    init(settings: Settings, pipeline: PipelineSettings)
    /// Why this stage cannot run here (its model is missing, say), or nil.
    /// A stage that cannot run is reported when the pipeline starts and
    /// skipped; the rest of the pipeline runs.
    var unavailable: String? { get }
    func run(_ context: inout AssetContext) throws(AssetError)
}

extension PipelineStage {
    public static var prerequisites: [String] { [] }
    public static var section: String { name }
    public static func decodeSize(for settings: Settings) -> Int? { nil }
    public var unavailable: String? { nil }
    static var hasOutput: Bool { Output.self != NoOutput.self }
}

/// What every stage of a pipeline shares, from the file's top level.
public struct PipelineSettings: Sendable {
    public let limits: PipelineDefinition.Limits
    /// What alpha is flattened onto for formats that cannot carry it (JPEG).
    public let background: RGBColor
    /// The long side of the one decode (see `PipelineStage.decodeSize`).
    public let decodeSize: Int
    public let models: ModelLocator
}

/// A stage's settings, read from its YAML section. Every value is asked for
/// with its default, so an absent section gives the defaults, and a key
/// nobody asked for is refused with its line and column.
public protocol StageSettings: Sendable, Equatable {
    init(section: SettingsSection) throws(PipelineDefinitionError)
}

/// For stages that have nothing to configure.
public struct NoSettings: StageSettings {
    public init(section: SettingsSection) {}
}

/// For stages that write only the record's own fields.
public struct NoOutput: Codable, Sendable, Equatable {}

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
    /// The file's pixels, already in memory (an edit's render, which the
    /// file holds losslessly or was encoded from): the decode stage shrinks
    /// this instead of decoding the file again.
    public var handedOver: Image?
    /// The opened video or audio file and what it holds, from the video stage.
    public var media: MediaFile?
    public var streams: MediaStreams?
    /// Encoded derivatives, stored with the record when it is committed.
    public var renditions: [EncodedRendition] = []

    public init(record: AssetRecord, source: SourceFile, file: OpenedFile, handedOver: Image? = nil) {
        self.record = record
        self.source = source
        self.file = file
        self.handedOver = handedOver
    }
}
