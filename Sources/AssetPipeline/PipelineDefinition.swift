import AssetMedia
import Foundation
import Yams

/// A pipeline file (pipelines/*.yaml): which stages run, in order, and their
/// settings. Read strictly: an unknown key, a wrong type or an out-of-range
/// value is refused with the file, line and what is wrong, before any work.
public struct PipelineDefinition: Sendable, Equatable {
    /// Stage names, in order. `detect` always runs first.
    public var stages: [String]
    public var limits: Limits
    public var decode: DecodeSettings
    /// Thumbnail renditions, in the order the file lists them.
    public var renditions: [RenditionSettings]
    public var colors: ColorSettings
    public var pixelate: PixelateSettings
    /// What alpha is flattened onto for formats that cannot carry it (JPEG).
    public var background: RGBColor
    public var video: VideoSettings
    /// What a queued upload does when its target path is taken.
    public var onConflict: ConflictPolicy = .reject

    public struct Limits: Sendable, Equatable {
        /// Bytes. Larger files are catalogued as `too_large` without being read.
        public var maxFileSize: Int64
        /// Width × height, checked from the header before any pixel is decoded.
        public var maxPixels: Int64
    }

    public struct DecodeSettings: Sendable, Equatable {
        /// How strictly damage in a file fails its decode.
        public var failOn: Image.DamagePolicy
    }

    /// One thumbnail: its name (also its file name), long side, format and quality.
    public struct RenditionSettings: Sendable, Equatable {
        public var name: String
        /// Long side in pixels; never upscaled beyond the source.
        public var size: Int
        public var format: EncodedFormat
        public var quality: Int
    }

    public struct ColorSettings: Sendable, Equatable {
        /// Colours in the palette, at most.
        public var count: Int
        /// Long side, in pixels, of the sample the palette is computed from.
        public var sampleSize: Int
    }

    public struct PixelateSettings: Sendable, Equatable {
        /// Blocks on the long side, at most.
        public var blocks: Int
        /// Long side of the rendition, in pixels.
        public var size: Int
        public var format: EncodedFormat
        public var quality: Int
    }

    public struct VideoSettings: Sendable, Equatable {
        /// Seconds; shorter videos end `too_short`. Exactly this long passes.
        public var minDuration: Double
        /// Seconds allowed for opening, probing and decoding the poster of one file.
        public var timeout: Double
    }

    /// The built-in pipeline; pipelines/default.yaml spells out the same values.
    public static let `default` = PipelineDefinition(
        stages: ["detect", "hash", "metadata", "exif", "video", "decode", "poster", "thumbnails", "colors", "pixelate"],
        limits: Limits(maxFileSize: 500 * 1_000_000, maxPixels: 100_000_000),
        decode: DecodeSettings(failOn: .error),
        renditions: [
            RenditionSettings(name: "thumb", size: 256, format: .webp, quality: 80),
            RenditionSettings(name: "preview", size: 1024, format: .webp, quality: 80),
        ],
        colors: ColorSettings(count: 5, sampleSize: 128),
        pixelate: PixelateSettings(blocks: 16, size: 256, format: .webp, quality: 70),
        background: RGBColor(red: 255, green: 255, blue: 255),
        video: VideoSettings(minDuration: 0.5, timeout: 30))

    /// The long side of the one decode: the largest size any derivative
    /// stage of this pipeline needs. Everything smaller is made from it.
    public var decodeSize: Int {
        var sizes = [colors.sampleSize]
        if stages.contains("thumbnails") { sizes += renditions.map(\.size) }
        if stages.contains("pixelate") { sizes.append(pixelate.size) }
        return sizes.max() ?? 256
    }
}

/// A pipeline file that cannot be used, located as precisely as possible.
public struct PipelineDefinitionError: Error, Sendable, CustomStringConvertible {
    public let file: String
    public let line: Int?
    public let column: Int?
    public let problem: String

    public var description: String {
        var location = file
        if let line { location += ":\(line)" }
        if let column { location += ":\(column)" }
        return "\(location): \(problem)"
    }
}

extension PipelineDefinition {
    /// Reads and validates a pipeline file.
    public static func load(contentsOf path: String) throws -> PipelineDefinition {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw PipelineDefinitionError(file: path, line: nil, column: nil,
                                          problem: "cannot read the pipeline file (\(error.localizedDescription)); check the path given to --pipeline")
        }
        return try parse(text, file: path)
    }

    /// Parses pipeline YAML; `file` names the source in errors.
    public static func parse(_ text: String, file: String) throws -> PipelineDefinition {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw PipelineDefinitionError(yaml: error, file: file)
        }
        guard let root else {
            throw PipelineDefinitionError(file: file, line: nil, column: nil, problem: "the file is empty; it needs at least a 'stages' list")
        }
        let reader = DefinitionReader(file: file)
        let top = try reader.mapping(root, at: "the top level",
                                     allowed: ["version", "stages", "limits", "decode", "renditions", "colors", "pixelate", "background", "video", "uploads"])
        var definition = PipelineDefinition.default

        if let version = top["version"] {
            let number = try reader.integer(version, at: "version")
            guard number == 1 else {
                throw reader.error(at: version, "unsupported version \(number); this assetpipe reads version 1")
            }
        }
        guard let stagesNode = top["stages"] else {
            throw reader.error(at: root, "missing 'stages': list the stages to run, e.g. [\(PipelineDefinition.default.stages.joined(separator: ", "))]")
        }
        definition.stages = try reader.stageList(stagesNode)

        if let limits = top["limits"] {
            let fields = try reader.mapping(limits, at: "limits", allowed: ["max_file_size", "max_pixels"])
            if let node = fields["max_file_size"] { definition.limits.maxFileSize = try reader.byteSize(node, at: "limits.max_file_size") }
            if let node = fields["max_pixels"] { definition.limits.maxPixels = Int64(try reader.integer(node, at: "limits.max_pixels", range: 1...Int(Int32.max) * 64)) }
        }
        if let decode = top["decode"] {
            let fields = try reader.mapping(decode, at: "decode", allowed: ["fail_on"])
            if let node = fields["fail_on"] { definition.decode.failOn = try reader.choice(node, at: "decode.fail_on") }
        }
        if let renditions = top["renditions"] {
            definition.renditions = try reader.renditions(renditions)
        }
        if let colors = top["colors"] {
            let fields = try reader.mapping(colors, at: "colors", allowed: ["count", "sample_size"])
            if let node = fields["count"] { definition.colors.count = try reader.integer(node, at: "colors.count", range: 1...32) }
            if let node = fields["sample_size"] { definition.colors.sampleSize = try reader.integer(node, at: "colors.sample_size", range: 16...1024) }
        }
        if let pixelate = top["pixelate"] {
            let fields = try reader.mapping(pixelate, at: "pixelate", allowed: ["blocks", "size", "format", "quality"])
            if let node = fields["blocks"] { definition.pixelate.blocks = try reader.integer(node, at: "pixelate.blocks", range: 1...256) }
            if let node = fields["size"] { definition.pixelate.size = try reader.integer(node, at: "pixelate.size", range: 1...4096) }
            if let node = fields["format"] { definition.pixelate.format = try reader.choice(node, at: "pixelate.format") }
            if let node = fields["quality"] { definition.pixelate.quality = try reader.integer(node, at: "pixelate.quality", range: 1...100) }
        }
        if let video = top["video"] {
            let fields = try reader.mapping(video, at: "video", allowed: ["min_duration", "timeout"])
            if let node = fields["min_duration"] { definition.video.minDuration = try reader.seconds(node, at: "video.min_duration", range: 0...3600) }
            if let node = fields["timeout"] { definition.video.timeout = try reader.seconds(node, at: "video.timeout", range: 0.1...3600) }
        }
        if let uploads = top["uploads"] {
            let fields = try reader.mapping(uploads, at: "uploads", allowed: ["on_conflict"])
            if let node = fields["on_conflict"] { definition.onConflict = try reader.choice(node, at: "uploads.on_conflict") }
        }
        if let background = top["background"] {
            let text = try reader.string(background, at: "background")
            guard let color = RGBColor(hex: text) else {
                throw reader.error(at: background, "background is '\(text)'; give a hex colour such as \"#ffffff\"")
            }
            definition.background = color
        }
        if definition.stages.contains("thumbnails"), definition.renditions.isEmpty {
            throw reader.error(at: stagesNode, "stage 'thumbnails' needs at least one entry under 'renditions'")
        }
        return definition
    }
}

extension PipelineDefinitionError {
    init(yaml error: YamlError, file: String) {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _), .composer(_, let problem, let mark, _):
            self.init(file: file, line: mark.line, column: mark.column, problem: "not valid YAML: \(problem)")
        default:
            self.init(file: file, line: nil, column: nil, problem: "not valid YAML: \(error)")
        }
    }
}

/// Typed access to YAML nodes that turns every surprise into a located error.
private struct DefinitionReader {
    let file: String

    func error(at node: Node, _ problem: String) -> PipelineDefinitionError {
        PipelineDefinitionError(file: file, line: node.mark?.line, column: node.mark?.column, problem: problem)
    }

    func mapping(_ node: Node, at place: String, allowed: [String]) throws -> [String: Node] {
        guard let mapping = node.mapping else {
            throw error(at: node, "\(place) must be a mapping of keys to values")
        }
        var result: [String: Node] = [:]
        for (key, value) in mapping {
            guard let name = key.string else { throw error(at: key, "keys in \(place) must be text") }
            guard allowed.contains(name) else {
                throw error(at: key, "unknown key '\(name)' in \(place); allowed: \(allowed.joined(separator: ", "))")
            }
            guard result[name] == nil else { throw error(at: key, "'\(name)' appears twice in \(place)") }
            result[name] = value
        }
        return result
    }

    func string(_ node: Node, at place: String) throws -> String {
        guard let scalar = node.scalar else { throw error(at: node, "\(place) must be a single value") }
        return scalar.string
    }

    /// One of an enumeration's raw values, e.g. a format name.
    func choice<Choice: RawRepresentable & CaseIterable>(_ node: Node, at place: String) throws -> Choice where Choice.RawValue == String {
        let name = try string(node, at: place)
        guard let value = Choice(rawValue: name) else {
            throw error(at: node, "\(place) is '\(name)'; use one of: \(Choice.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return value
    }

    /// `renditions`: a mapping of name → {size, format, quality}, in file order.
    func renditions(_ node: Node) throws -> [PipelineDefinition.RenditionSettings] {
        guard let entries = node.mapping else {
            throw error(at: node, "renditions must map names to settings, e.g. thumb: {size: 256, format: webp, quality: 80}")
        }
        var result: [PipelineDefinition.RenditionSettings] = []
        for (key, value) in entries {
            let name = try string(key, at: "a rendition name")
            guard !name.isEmpty, name.count <= 64,
                  name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else {
                throw error(at: key, "rendition name '\(name)' must be 1–64 letters, digits, '-' or '_' (it names the file)")
            }
            guard !result.contains(where: { $0.name == name }) else { throw error(at: key, "rendition '\(name)' appears twice") }
            guard name != "pixelated" else { throw error(at: key, "'pixelated' is the pixelate stage's rendition; choose another name") }
            let place = "renditions.\(name)"
            let fields = try mapping(value, at: place, allowed: ["size", "format", "quality"])
            guard let sizeNode = fields["size"] else { throw error(at: value, "\(place) needs a size (long side in pixels)") }
            var rendition = PipelineDefinition.RenditionSettings(
                name: name, size: try integer(sizeNode, at: "\(place).size", range: 1...8192), format: .webp, quality: 80)
            if let node = fields["format"] { rendition.format = try choice(node, at: "\(place).format") }
            if let node = fields["quality"] { rendition.quality = try integer(node, at: "\(place).quality", range: 1...100) }
            result.append(rendition)
        }
        return result
    }

    func integer(_ node: Node, at place: String, range: ClosedRange<Int>? = nil) throws -> Int {
        guard let scalar = node.scalar, let value = Int(scalar.string.replacingOccurrences(of: "_", with: "")) else {
            throw error(at: node, "\(place) must be a whole number")
        }
        if let range, !range.contains(value) {
            throw error(at: node, "\(place) is \(value); it must be between \(range.lowerBound) and \(range.upperBound)")
        }
        return value
    }

    /// A number of seconds, fractions allowed: 0.5, 30.
    func seconds(_ node: Node, at place: String, range: ClosedRange<Double>) throws -> Double {
        guard let value = Double(try string(node, at: place)), range.contains(value) else {
            throw error(at: node, "\(place) must be a number of seconds between \(range.lowerBound) and \(range.upperBound)")
        }
        return value
    }

    /// A number of bytes: 1048576, "500MB", "2 GiB", "64k".
    func byteSize(_ node: Node, at place: String) throws -> Int64 {
        let text = try string(node, at: place).trimmingCharacters(in: .whitespaces)
        let digits = text.prefix { $0.isNumber || $0 == "." }
        let unit = text.dropFirst(digits.count).trimmingCharacters(in: .whitespaces).lowercased()
        let multipliers: [String: Double] = [
            "": 1, "b": 1, "k": 1e3, "kb": 1e3, "m": 1e6, "mb": 1e6, "g": 1e9, "gb": 1e9,
            "kib": 1024, "mib": 1_048_576, "gib": 1_073_741_824,
        ]
        // Below 2^63 (Int64.max rounds up to it as a Double), so the conversion cannot trap.
        guard let number = Double(digits), let multiplier = multipliers[unit], number * multiplier >= 1,
              number * multiplier < Double(Int64.max) else {
            throw error(at: node, "\(place) is '\(text)'; give a size such as 500MB, 2GB, 64MiB or a number of bytes")
        }
        return Int64(number * multiplier)
    }

    func stageList(_ node: Node) throws -> [String] {
        guard let sequence = node.sequence, !sequence.isEmpty else {
            throw error(at: node, "'stages' must be a non-empty list, e.g. [detect, hash, metadata, exif, decode]")
        }
        var names: [String] = []
        for item in sequence {
            let name = try string(item, at: "a stage name")
            guard StageCatalog.names.contains(name) else {
                throw error(at: item, "unknown stage '\(name)'; known stages: \(StageCatalog.names.joined(separator: ", "))")
            }
            guard !names.contains(name) else { throw error(at: item, "stage '\(name)' is listed twice") }
            let needed = StageCatalog.prerequisites(of: name)
            if !needed.isEmpty, !needed.contains(where: names.contains) {
                throw error(at: item, "stage '\(name)' needs '\(needed.joined(separator: "' or '"))' listed before it")
            }
            names.append(name)
        }
        guard names.first == "detect" else {
            throw error(at: sequence[0], "the first stage must be 'detect': every other stage needs to know what the file is")
        }
        return names
    }
}
