import AssetMedia
import Foundation

/// Everything assetpipe knows about one asset: the value every stage fills
/// in and the catalog stores. Its JSON form (snake_case keys; absent values
/// omitted, never empty strings or zeros) is a public contract documented in
/// the README.
///
/// The record's own fields (`Fields`) are read and written as if they were
/// the record's (`record.width`); what other stages add (`PipelineStage.Output`)
/// sits beside them under each stage's name, at the top level of the JSON.
@dynamicMemberLookup
public struct AssetRecord: Codable, Sendable, Equatable {
    /// Lifecycle of an asset in the catalog.
    public enum Status: String, Codable, Sendable {
        case processing, processed, errored
    }

    public var fields: Fields
    /// Stage outputs by stage name, as JSON; read with `output(of:)`.
    public private(set) var outputs: [String: JSONValue] = [:]

    public init(path: String, name: String) {
        fields = Fields(path: path, name: name)
    }

    public subscript<Value>(dynamicMember keyPath: WritableKeyPath<Fields, Value>) -> Value {
        get { fields[keyPath: keyPath] }
        set { fields[keyPath: keyPath] = newValue }
    }

    /// What stage `kind` added to the record, if it ran (and its output still reads as its type).
    public func output<Stage: PipelineStage>(of kind: Stage.Type) -> Stage.Output? {
        outputs[kind.name].flatMap { try? $0.decoded(as: Stage.Output.self) }
    }

    /// Sets (or, with nil, removes) what stage `kind` adds to the record.
    public mutating func setOutput<Stage: PipelineStage>(_ value: Stage.Output?, of kind: Stage.Type) {
        outputs[kind.name] = value.flatMap { try? JSONValue(encoding: $0) }
    }

    public init(from decoder: any Decoder) throws {
        fields = try Fields(from: decoder)
        let container = try decoder.container(keyedBy: OutputKey.self)
        for key in container.allKeys where Fields.CodingKeys(stringValue: key.stringValue) == nil {
            outputs[key.stringValue] = try container.decode(JSONValue.self, forKey: key)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        try fields.encode(to: encoder)
        var container = encoder.container(keyedBy: OutputKey.self)
        for (name, value) in outputs {
            try container.encode(value, forKey: OutputKey(name))
        }
    }

    private struct OutputKey: CodingKey {
        let stringValue: String
        var intValue: Int? { nil }
        init(_ name: String) { stringValue = name }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}

extension AssetRecord {
    /// The fields every record has, whichever stages ran.
    public struct Fields: Codable, Sendable, Equatable {
        /// Assigned by the catalog on first commit; stable across re-processing and new versions.
        public var id: String?
        /// The asset's path in the catalog: unique, and by default the absolute
        /// path of the original (`enqueue --as` chooses another).
        public var path: String
        /// Absolute path of the file the asset was read from, which a refresh reads again.
        public var origin: String?
        /// 1 when catalogued; each new version (conflict policy `version`, a saved edit) adds one.
        public var version: Int?
        public var name: String
        public var kind: MediaType.Kind?
        public var mime: String?
        public var format: String?
        public var size: Int64?
        public var sha256: String?
        public var status: Status
        public var error: AssetError?
        /// Present when the file name's extension promises another type than the bytes hold.
        public var extensionMismatch: ExtensionMismatch?
        /// As displayed, after EXIF orientation.
        public var width: Int?
        public var height: Int?
        /// As stored in the file, before orientation.
        public var storedWidth: Int?
        public var storedHeight: Int?
        public var orientation: Int?
        /// Frames of an animation or pages of a document, when more than one.
        public var pages: Int?
        public var color: ColorInfo?
        public var exif: Exif?
        public var exifRaw: [String: MetadataValue]?
        public var xmp: XMPSummary?
        /// IPTC keywords and XMP dc:subject, merged, in order, without repeats.
        public var keywords: [String]?
        /// Tags: the file's keywords (`embedded`, filled at processing), a
        /// user's (`manual`) and analyzers' (`ai`). A removed embedded or AI tag
        /// stays, `removed` with confidence 0, so a refresh does not bring it back.
        public var tags: [AssetTag]?
        /// User-defined categories, in the order they were added.
        public var categories: [String]?
        /// The static collections the asset is in (a smart collection is a
        /// saved query, so its members are not listed).
        public var collections: [String]?
        /// Values of the catalog's custom fields, by key, each valid for its
        /// field's definition when it was set.
        public var custom: [String: CustomValue]?
        /// Videos: what the container and its streams say.
        public var video: VideoInfo?
        /// Audio-only files.
        public var audio: AudioInfo?
        /// Stored derivatives: thumbnails and the pixelated preview.
        public var renditions: [Rendition]?
        /// How many times the catalog has committed this asset.
        public var attempts: Int?
        public var createdAt: Date?
        public var updatedAt: Date?
        public var processedAt: Date?
        /// The origin file's size, modification time and inode as it was read:
        /// a re-run of `process` skips a file whose signature is unchanged.
        public var originFile: FileSignature?
        /// For an asset read from an object store: the object's ETag and size
        /// as it was read, which `sync` compares with the bucket's listing.
        public var originObject: ObjectSignature?
        /// Set when a refresh could not read the origin: the record is the last
        /// good reading, kept with its renditions, and this says why it is old.
        public var stale: StaleState?
        /// Whether the asset is shown hidden (its `pixelated` rendition in
        /// place of the original): images and videos always say, by the
        /// pipeline's rule unless a user chose (`hiddenBy`).
        public var hidden: Bool?
        public var hiddenBy: HiddenSource?
        /// What the pipeline's `hidden` rule says (content alerts at or above
        /// its level), kept so that a user's choice can be undone back to it.
        public var hiddenRule: Bool?
        /// The rendition to show: `pixelated` when hidden, else `original`.
        public var display: DisplayChoice?

        init(path: String, name: String) {
            self.path = path
            self.name = name
            self.status = .processing
        }

        enum CodingKeys: String, CodingKey {
            case id, path, origin, version, name, kind, mime, format, size, sha256, status, error
            case extensionMismatch = "extension_mismatch"
            case width, height
            case storedWidth = "stored_width"
            case storedHeight = "stored_height"
            case orientation, pages, color, exif
            case exifRaw = "exif_raw"
            case xmp, keywords, tags, categories, collections, custom, video, audio, renditions, attempts
            case createdAt = "created_at"
            case updatedAt = "updated_at"
            case processedAt = "processed_at"
            case originFile = "origin_file"
            case originObject = "origin_object"
            case stale, hidden
            case hiddenBy = "hidden_by"
            case hiddenRule = "hidden_rule"
            case display
        }
    }
}

/// Why an asset's record is older than its origin (`AssetRecord.stale`).
public struct StaleState: Codable, Sendable, Equatable {
    /// The refresh's error: `inaccessible` (the origin is gone or unreadable), ...
    public var reason: AssetError.Reason
    public var message: String
    /// When the refresh failed.
    public var since: Date

    public init(reason: AssetError.Reason, message: String, since: Date) {
        self.reason = reason
        self.message = message
        self.since = since
    }
}

public struct ExtensionMismatch: Codable, Sendable, Equatable {
    /// The extension of the file name, lowercased.
    public var `extension`: String
    /// The MIME type the bytes hold, which is what the asset is handled as.
    public var detected: String
}

public struct ColorInfo: Codable, Sendable, Equatable {
    /// "rgb", "cmyk", "gray", "lab" or "multiband".
    public var model: String
    /// libvips's interpretation: "srgb", "cmyk", "b-w", "rgb16", "grey16", ...
    public var interpretation: String
    /// The embedded ICC profile's description, when there is one.
    public var profile: String?
    /// Bits per sample.
    public var depth: Int
    public var alpha: Bool
    public var bands: Int
    /// The palette, heaviest first; weights sum to 1.
    public var dominant: [DominantColor]?
}

/// One colour of an image's palette.
public struct DominantColor: Codable, Sendable, Equatable {
    /// "#rrggbb".
    public var hex: String
    /// [red, green, blue], 0–255.
    public var rgb: [Int]
    /// [L, a, b], CIELAB D65, two decimals.
    public var lab: [Double]
    /// Share of the counted pixels, four decimals.
    public var weight: Double

    /// The record's form of a palette. Weights are rounded to four decimals
    /// and the rounding remainder goes to the heaviest, so they still sum to 1.
    static func list(_ palette: ColorPalette) -> [DominantColor] {
        func round(_ value: Double, _ places: Double) -> Double { (value * places).rounded() / places }
        var colors = palette.entries.map { entry in
            DominantColor(
                hex: entry.rgb.hex,
                rgb: [Int(entry.rgb.red), Int(entry.rgb.green), Int(entry.rgb.blue)],
                lab: [round(entry.lab.l, 100), round(entry.lab.a, 100), round(entry.lab.b, 100)],
                weight: round(entry.weight, 10_000))
        }
        if !colors.isEmpty {
            colors[0].weight = round(1 - colors.dropFirst().reduce(0) { $0 + $1.weight }, 10_000)
        }
        return colors
    }
}

public struct VideoInfo: Codable, Sendable, Equatable {
    /// libavformat's demuxer name, as ffprobe's format_name.
    public var container: String
    /// Seconds, millisecond precision.
    public var duration: Double?
    /// Present (true) when FFmpeg only estimated the duration from the bit rate.
    public var durationEstimated: Bool?
    public var codec: String
    /// Degrees clockwise applied to show the stored picture upright (display matrix).
    public var rotation: Int
    public var fps: Double?
    /// Bits per second.
    public var bitRate: Int?
    /// When the container says.
    public var frameCount: Int?
    public var audio: AudioTrack?

    init(_ streams: MediaStreams, _ video: VideoTrack) {
        container = streams.container
        duration = streams.duration.map(wholeMilliseconds)
        durationEstimated = streams.durationEstimated ? true : nil
        codec = video.codec
        rotation = video.rotation
        fps = video.fps.map(wholeMilliseconds)
        bitRate = streams.bitRate
        frameCount = video.frameCount
        audio = streams.audio
    }

    enum CodingKeys: String, CodingKey {
        case container, duration
        case durationEstimated = "duration_estimated"
        case codec, rotation, fps
        case bitRate = "bit_rate"
        case frameCount = "frame_count"
        case audio
    }
}

/// Durations and rates in the record carry three decimals, as ffprobe's do.
private func wholeMilliseconds(_ value: Double) -> Double { (value * 1000).rounded() / 1000 }

public struct AudioInfo: Codable, Sendable, Equatable {
    public var container: String
    /// Seconds, millisecond precision.
    public var duration: Double?
    public var durationEstimated: Bool?
    public var codec: String
    public var channels: Int?
    public var sampleRate: Int?
    public var bitRate: Int?

    init(_ streams: MediaStreams, _ audio: AudioTrack) {
        container = streams.container
        duration = streams.duration.map(wholeMilliseconds)
        durationEstimated = streams.durationEstimated ? true : nil
        codec = audio.codec
        channels = audio.channels
        sampleRate = audio.sampleRate
        bitRate = streams.bitRate
    }

    enum CodingKeys: String, CodingKey {
        case container, duration
        case durationEstimated = "duration_estimated"
        case codec, channels
        case sampleRate = "sample_rate"
        case bitRate = "bit_rate"
    }
}

public struct XMPSummary: Codable, Sendable, Equatable {
    public var title: String?
    public var description: String?
    public var subject: [String]?
}

extension AssetRecord {
    /// The encoder for the record's public JSON form: one line, stable key
    /// order, dates as ISO 8601 UTC with milliseconds.
    public static func makeEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(Timestamp.format(date))
        }
        return encoder
    }

    public static func makeDecoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let text = try decoder.singleValueContainer().decode(String.self)
            guard let date = Timestamp.parse(text) else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not an ISO 8601 timestamp: \(text)"))
            }
            return date
        }
        return decoder
    }
}

/// ISO 8601 timestamps with milliseconds, UTC ("2026-11-23T19:30:00.123Z").
///
/// Dates are carried as whole milliseconds, so formatting and parsing
/// round-trip exactly: a record read back equals the record stored.
public enum Timestamp {
    public static func format(_ date: Date) -> String {
        let milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded())
        let seconds = milliseconds.quotientAndRemainder(dividingBy: 1000)
        let wholeSeconds = seconds.remainder < 0 ? seconds.quotient - 1 : seconds.quotient
        let fraction = seconds.remainder < 0 ? seconds.remainder + 1000 : seconds.remainder
        let day = Date(timeIntervalSince1970: TimeInterval(wholeSeconds))
        let base = day.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: false).year().month().day()
            .dateSeparator(.dash).time(includingFractionalSeconds: false).timeSeparator(.colon))
        return base + String(format: ".%03dZ", fraction)
    }

    public static func parse(_ text: String) -> Date? {
        guard let date = (try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text))
                ?? (try? Date.ISO8601FormatStyle().parse(text)) else { return nil }
        return Date(timeIntervalSince1970: (date.timeIntervalSince1970 * 1000).rounded() / 1000)
    }
}

/// One state of an object in an S3 bucket: what a listing says of it.
public struct ObjectSignature: Codable, Sendable, Equatable {
    public var etag: String
    public var size: Int64

    public init(etag: String, size: Int64) {
        self.etag = etag
        self.size = size
    }
}
