import AssetMedia
import Foundation
import Yams

/// A pipeline file (pipelines/*.yaml): which stages run, in order, and their
/// settings. Read strictly: an unknown key, a wrong type or an out-of-range
/// value is refused with the file, line and what is wrong, before any work.
public struct PipelineDefinition: Sendable {
    /// Stage names, in order. `detect` always runs first.
    public var stages: [String]
    public var limits: Limits
    /// What alpha is flattened onto for formats that cannot carry it (JPEG).
    public var background: RGBColor
    /// What a queued upload does when its target path is taken.
    public var onConflict: ConflictPolicy = .reject
    /// The models folder (`--models`); not part of the file, so not compared.
    public var modelsDirectory: String?
    /// The stages this definition can name, and each one's settings by name.
    public let stageList: StageList
    private var settings: [String: any StageSettings]

    public struct Limits: Sendable, Equatable {
        /// Bytes. Larger files are catalogued as `too_large` without being read.
        public var maxFileSize: Int64
        /// Width × height, checked from the header before any pixel is decoded.
        public var maxPixels: Int64
    }

    /// Every stage of `stageList` with its default settings.
    public init(stages: [String], stageList: StageList = .builtIn) {
        self.stages = stages
        self.stageList = stageList
        limits = Limits(maxFileSize: 500 * 1_000_000, maxPixels: 100_000_000)
        background = RGBColor(red: 255, green: 255, blue: 255)
        settings = [:]
        for kind in stageList.kinds {
            settings[kind.name] = Self.defaults(of: kind)
        }
    }

    /// The built-in pipeline; pipelines/default.yaml spells out the same values.
    public static let `default` = PipelineDefinition(
        stages: ["detect", "hash", "metadata", "exif", "video", "decode", "poster", "thumbnails", "colors", "faces", "content_alerts", "pixelate", "hidden"])

    /// The settings of stage `kind` (its defaults when the file has no section).
    public func settings<Stage: PipelineStage>(of kind: Stage.Type) -> Stage.Settings {
        settings[kind.name] as? Stage.Settings ?? Self.defaults(of: kind)
    }

    public mutating func setSettings<Stage: PipelineStage>(_ value: Stage.Settings, of kind: Stage.Type) {
        settings[kind.name] = value
    }

    /// The long side of the one decode: the largest size any listed stage
    /// needs. Everything smaller is made from it.
    public var decodeSize: Int {
        stages.compactMap { name in stageList.kind(named: name).flatMap { decodeSize(of: $0) } }.max() ?? 256
    }

    private func decodeSize<Stage: PipelineStage>(of kind: Stage.Type) -> Int? {
        kind.decodeSize(for: settings(of: kind))
    }

    /// What the stages share, as each is made.
    public var shared: PipelineSettings {
        PipelineSettings(limits: limits, background: background, decodeSize: decodeSize, models: ModelLocator(directory: modelsDirectory))
    }

    /// The stages, made with their settings, in order.
    func makeStages() -> [any PipelineStage] {
        stages.compactMap { name in stageList.kind(named: name).map { make($0) } }
    }

    private func make<Stage: PipelineStage>(_ kind: Stage.Type) -> any PipelineStage {
        kind.init(settings: settings(of: kind), pipeline: shared)
    }

    private static func defaults<Stage: PipelineStage>(of kind: Stage.Type) -> Stage.Settings {
        do {
            return try SettingsSection.absent(kind.section).read(Stage.Settings.self)
        } catch {
            preconditionFailure("the defaults of stage \(kind.name) are not valid: \(error)")
        }
    }
}

extension PipelineDefinition: Equatable {
    public static func == (left: PipelineDefinition, right: PipelineDefinition) -> Bool {
        left.stages == right.stages && left.limits == right.limits && left.background == right.background
            && left.onConflict == right.onConflict && left.stageList.names == right.stageList.names
            && left.stageList.kinds.allSatisfy { kind in left.sameSettings(of: kind, as: right) }
    }

    private func sameSettings<Stage: PipelineStage>(of kind: Stage.Type, as other: PipelineDefinition) -> Bool {
        settings(of: kind) == other.settings(of: kind)
    }
}

/// A pipeline file that cannot be used, located as precisely as possible.
public struct PipelineDefinitionError: Error, Sendable, CustomStringConvertible {
    public let file: String
    public let line: Int?
    public let column: Int?
    public let problem: String

    public init(file: String, line: Int?, column: Int?, problem: String) {
        self.file = file
        self.line = line
        self.column = column
        self.problem = problem
    }

    public var description: String {
        var location = file
        if let line { location += ":\(line)" }
        if let column { location += ":\(column)" }
        return "\(location): \(problem)"
    }
}

extension PipelineDefinition {
    /// Reads and validates a pipeline file.
    public static func load(contentsOf path: String, stageList: StageList = .builtIn) throws -> PipelineDefinition {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw PipelineDefinitionError(file: path, line: nil, column: nil,
                                          problem: "cannot read the pipeline file (\(error.localizedDescription)); check the path given to --pipeline")
        }
        return try parse(text, file: path, stageList: stageList)
    }

    /// Top-level keys that are not a stage's section.
    static let sharedKeys = ["version", "stages", "limits", "background", "uploads"]

    /// Parses pipeline YAML; `file` names the source in errors.
    public static func parse(_ text: String, file: String, stageList: StageList = .builtIn) throws -> PipelineDefinition {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw PipelineDefinitionError(yaml: error, file: file)
        }
        guard let root else {
            throw PipelineDefinitionError(file: file, line: nil, column: nil, problem: "the file is empty; it needs at least a 'stages' list")
        }
        let top = try SettingsSection(topLevelOf: root, file: file)
        var definition = PipelineDefinition(stages: [], stageList: stageList)

        let version = try top.integer("version", range: 1...Int.max, default: 1)
        guard version == 1 else {
            throw top.error(at: "version", "unsupported version \(version); this assetpipe reads version 1")
        }
        guard top.contains("stages") else {
            throw top.error("missing 'stages': list the stages to run, e.g. [\(PipelineDefinition.default.stages.joined(separator: ", "))]")
        }
        definition.stages = try top.stageList("stages", of: stageList)
        definition.limits = try top.section("limits").read(LimitsSettings.self).limits
        definition.background = try top.color("background", default: definition.background)
        definition.onConflict = try top.section("uploads").read(UploadSettings.self).onConflict
        for kind in stageList.kinds {
            try definition.readSettings(of: kind, from: top)
        }
        try top.refuseUnknownKeys()
        return definition
    }

    private mutating func readSettings<Stage: PipelineStage>(of kind: Stage.Type, from top: SettingsSection) throws(PipelineDefinitionError) {
        // A stage with nothing to set has no section, so its name is no top-level key.
        guard Stage.Settings.self != NoSettings.self else { return }
        settings[kind.name] = try top.section(kind.section).read(Stage.Settings.self)
    }
}

/// `limits`: shared by `detect` (file size) and `metadata` (pixels).
private struct LimitsSettings: StageSettings {
    var limits: PipelineDefinition.Limits

    init(section: SettingsSection) throws(PipelineDefinitionError) {
        limits = PipelineDefinition.Limits(
            maxFileSize: try section.byteSize("max_file_size", default: 500 * 1_000_000),
            maxPixels: Int64(try section.integer("max_pixels", range: 1...Int(Int32.max) * 64, default: 100_000_000)))
    }
}

/// `uploads`: what a queued upload does at a taken path.
private struct UploadSettings: StageSettings {
    var onConflict: ConflictPolicy

    init(section: SettingsSection) throws(PipelineDefinitionError) {
        onConflict = try section.choice("on_conflict", default: .reject)
    }
}

extension SettingsSection {
    func color(_ key: String, default fallback: RGBColor) throws(PipelineDefinitionError) -> RGBColor {
        let text = try string(key, default: fallback.hex)
        guard let color = RGBColor(hex: text) else {
            throw error(at: key, "\(key) is '\(text)'; give a hex colour such as \"#ffffff\"")
        }
        return color
    }

    /// `stages`: known names, each once, each after what it needs, `detect` first.
    func stageList(_ key: String, of list: StageList) throws(PipelineDefinitionError) -> [String] {
        let example = "e.g. [detect, hash, metadata, exif, decode]"
        guard let node = value(at: key), let sequence = node.sequence, !sequence.isEmpty else {
            throw error(at: key, "'stages' must be a non-empty list, \(example)")
        }
        var names: [String] = []
        for item in sequence {
            guard let name = item.scalar?.string else { throw PipelineDefinitionError(at: item, in: file, "a stage name must be a single value") }
            guard let kind = list.kind(named: name) else {
                throw PipelineDefinitionError(at: item, in: file, "unknown stage '\(name)'; known stages: \(list.names.joined(separator: ", "))")
            }
            guard !names.contains(name) else { throw PipelineDefinitionError(at: item, in: file, "stage '\(name)' is listed twice") }
            let needed = kind.prerequisites
            if !needed.isEmpty, !needed.contains(where: names.contains) {
                throw PipelineDefinitionError(at: item, in: file, "stage '\(name)' needs '\(needed.joined(separator: "' or '"))' listed before it")
            }
            names.append(name)
        }
        guard names.first == "detect" else {
            throw PipelineDefinitionError(at: sequence[0], in: file, "the first stage must be 'detect': every other stage needs to know what the file is")
        }
        return names
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
