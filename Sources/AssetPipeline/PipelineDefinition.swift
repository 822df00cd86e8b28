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

    public struct Limits: Sendable, Equatable {
        /// Bytes. Larger files are catalogued as `too_large` without being read.
        public var maxFileSize: Int64
        /// Width × height, checked from the header before any pixel is decoded.
        public var maxPixels: Int64
    }

    public struct DecodeSettings: Sendable, Equatable {
        /// The long side, in pixels, of the one in-memory decode that every
        /// derivative is made from; shrink-on-load gets as close as it can.
        public var maxSize: Int
        /// How strictly damage in a file fails its decode.
        public var failOn: Image.DamagePolicy
    }

    /// The built-in pipeline; pipelines/default.yaml spells out the same values.
    public static let `default` = PipelineDefinition(
        stages: ["detect", "hash", "metadata", "exif", "decode"],
        limits: Limits(maxFileSize: 500 * 1_000_000, maxPixels: 100_000_000),
        decode: DecodeSettings(maxSize: 1024, failOn: .error))
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
        let top = try reader.mapping(root, at: "the top level", allowed: ["version", "stages", "limits", "decode"])
        var definition = PipelineDefinition.default

        if let version = top["version"] {
            let number = try reader.integer(version, at: "version")
            guard number == 1 else {
                throw reader.error(at: version, "unsupported version \(number); this assetpipe reads version 1")
            }
        }
        guard let stagesNode = top["stages"] else {
            throw reader.error(at: root, "missing 'stages': list the stages to run, e.g. [detect, hash, metadata, exif, decode]")
        }
        definition.stages = try reader.stageList(stagesNode)

        if let limits = top["limits"] {
            let fields = try reader.mapping(limits, at: "limits", allowed: ["max_file_size", "max_pixels"])
            if let node = fields["max_file_size"] { definition.limits.maxFileSize = try reader.byteSize(node, at: "limits.max_file_size") }
            if let node = fields["max_pixels"] { definition.limits.maxPixels = Int64(try reader.integer(node, at: "limits.max_pixels", range: 1...Int(Int32.max) * 64)) }
        }
        if let decode = top["decode"] {
            let fields = try reader.mapping(decode, at: "decode", allowed: ["max_size", "fail_on"])
            if let node = fields["max_size"] { definition.decode.maxSize = try reader.integer(node, at: "decode.max_size", range: 16...16384) }
            if let node = fields["fail_on"] {
                let name = try reader.string(node, at: "decode.fail_on")
                guard let policy = Image.DamagePolicy(rawValue: name) else {
                    throw reader.error(at: node, "decode.fail_on is '\(name)'; use one of: \(Image.DamagePolicy.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                definition.decode.failOn = policy
            }
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

    func integer(_ node: Node, at place: String, range: ClosedRange<Int>? = nil) throws -> Int {
        guard let scalar = node.scalar, let value = Int(scalar.string.replacingOccurrences(of: "_", with: "")) else {
            throw error(at: node, "\(place) must be a whole number")
        }
        if let range, !range.contains(value) {
            throw error(at: node, "\(place) is \(value); it must be between \(range.lowerBound) and \(range.upperBound)")
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
        guard let number = Double(digits), let multiplier = multipliers[unit], number * multiplier >= 1 else {
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
            for needed in StageCatalog.prerequisites(of: name) where !names.contains(needed) {
                throw error(at: item, "stage '\(name)' needs '\(needed)' listed before it")
            }
            names.append(name)
        }
        guard names.first == "detect" else {
            throw error(at: sequence[0], "the first stage must be 'detect': every other stage needs to know what the file is")
        }
        return names
    }
}
