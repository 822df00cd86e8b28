import AssetPipeline
import Foundation

/// Pipeline files (`--pipeline FILE`, `pipelines/*.yaml`): YAML through
/// Yams, then the definition's own checks.
///
/// Properties, for every input:
/// - parsing never traps;
/// - a refusal is a `PipelineDefinitionError` (what the CLI prints as
///   `FILE:LINE:COLUMN: what is wrong`), never another error;
/// - an accepted definition starts with `detect`, lists each stage once and
///   holds only values in the documented ranges.
public struct PipelineYAMLTarget: FuzzTarget {
    public let name = "pipeline-yaml"
    let shipped: [[UInt8]]

    /// `pipelines`: the folder of shipped pipeline files used as seeds, when it exists.
    public init(pipelines: String? = FuzzCorpus.packageRoot.map { $0 + "/pipelines" }) {
        let files = pipelines.flatMap { try? FileManager.default.contentsOfDirectory(atPath: $0) } ?? []
        shipped = files.sorted().filter { $0.hasSuffix(".yaml") }.compactMap { name in
            pipelines.flatMap { FileManager.default.contents(atPath: $0 + "/" + name) }.map(Array.init)
        }
    }

    static let stages = ["detect", "hash", "metadata", "exif", "decode", "thumbnails", "colors", "pixelate", "video", "nope", "DETECT", ""]

    static let values: [String: [String]] = [
        "version": ["1", "2", "0", "-1", "1.0", "9223372036854775808", "one"],
        "max_file_size": ["500MB", "2GB", "64MiB", "1", "0", "0.5", "1e30", "99999999999999999999GB", "9223372036854775807",
                          "9223372036854775808", "9.3e18", "18446744073709551615kb", "１MB", "½GB", ".", "1..2MB", "-5MB", "5 TB", "nan", "inf"],
        "max_pixels": ["100000000", "1", "0", "137438953408", "137438953409", "9223372036854775807", "1_000", "-1", "1e9"],
        "fail_on": ["none", "truncated", "error", "warning", "ERROR", ""],
        "size": ["256", "1", "0", "8192", "8193", "4096", "4097", "-1", "9223372036854775808", "1_024", "0x100", "1e3"],
        "format": ["webp", "jpeg", "png", "avif", "gif", "WEBP", ""],
        "quality": ["80", "1", "0", "100", "101", "-1"],
        "count": ["5", "1", "0", "32", "33"],
        "sample_size": ["128", "16", "15", "1024", "1025"],
        "blocks": ["16", "1", "0", "256", "257"],
        "min_duration": ["0.5", "0", "-0", "3600", "3600.0001", "nan", ".nan", "inf", "1e308", "0x10"],
        "timeout": ["30", "0.1", "0.09", "3600", "-1", "nan"],
        "on_conflict": ["reject", "version", "rename", "overwrite"],
        "background": ["\"#ffffff\"", "\"#fff\"", "\"ffffff\"", "\"#ffffff80\"", "\"#ｆｆｆｆｆｆ\"", "\"０００\"", "red", "\"#\"", "[1, 2]"],
    ]

    static let sections: [(name: String, keys: [String])] = [
        ("limits", ["max_file_size", "max_pixels"]), ("decode", ["fail_on"]), ("colors", ["count", "sample_size"]),
        ("pixelate", ["blocks", "size", "format", "quality"]), ("video", ["min_duration", "timeout"]), ("uploads", ["on_conflict"]),
    ]

    public var seeds: [[UInt8]] {
        shipped + [
            "version: 1\nstages: [detect]\n",
            "version: 1\nstages: [detect, hash, metadata, exif, decode, thumbnails]\nrenditions:\n  thumb: {size: 256, format: webp, quality: 80}\n",
            "stages: [detect, hash]\nlimits:\n  max_file_size: 99999999999999999999GB\n",
            "stages: &a [detect, *a]\n", "", "---\n...\n", "stages: !!binary aGVsbG8=\n", "? [detect]\n: x\n",
        ].map { Array($0.utf8) }
    }

    public var dictionary: [[UInt8]] {
        let tokens = Self.stages + Self.values.keys + Self.values.values.flatMap { $0 } + Self.sections.map { $0.name + ":" }
            + ["stages: [", "renditions:", "version: 1", "\n", "  ", ": ", "- ", "{", "}", "[", "]", ",", "&a ", "*a", "!!str ", "!!int ",
               "---", "...", "#", "\"", "'", "|", ">", "\t", "%YAML 1.1", "<<: *a", "? "]
        return tokens.filter { !$0.isEmpty }.map { Array($0.utf8) }
    }

    public func generate(_ random: inout FuzzRandom) -> [UInt8] {
        if random.chance(0.02) { return Array(Self.deepNesting(&random).utf8) }
        var lines: [String] = []
        if random.chance(0.7) { lines.append("version: " + (random.chance(0.8) ? "1" : random.pick(Self.values["version"] ?? []) ?? "1")) }
        if random.chance(0.9) {
            var stages = ["detect"] + Self.stages.filter { _ in random.chance(0.4) }.shuffled(using: &random)
            if random.chance(0.1) { stages.shuffle(using: &random) }
            lines.append(random.chance(0.5) ? "stages: [" + stages.joined(separator: ", ") + "]"
                         : "stages:\n" + stages.map { "  - " + $0 }.joined(separator: "\n"))
        }
        for (section, keys) in Self.sections where random.chance(0.3) {
            let entries = keys.filter { _ in random.chance(0.7) }.map { key in key + ": " + (random.pick(Self.values[key] ?? []) ?? "1") }
            lines.append(random.chance(0.5) ? "\(section): {" + entries.joined(separator: ", ") + "}"
                         : "\(section):\n" + entries.map { "  " + $0 }.joined(separator: "\n"))
        }
        if random.chance(0.5) {
            let renditions = (0..<random.below(4)).map { index -> String in
                let name = random.pick(["thumb", "preview", "pixelated", "a b", "../x", "", String(repeating: "n", count: 65), "thumb"]) ?? "r\(index)"
                let fields = ["size", "format", "quality"].filter { _ in random.chance(0.8) }
                    .map { $0 + ": " + (random.pick(Self.values[$0] ?? []) ?? "1") }
                return "  \(name): {" + fields.joined(separator: ", ") + "}"
            }
            lines.append("renditions:" + (renditions.isEmpty ? " {}" : "\n" + renditions.joined(separator: "\n")))
        }
        if random.chance(0.2) { lines.append("background: " + (random.pick(Self.values["background"] ?? []) ?? "\"#fff\"")) }
        if random.chance(0.05) { lines.append(random.pick(["unknown: 1", "stages: [detect]", "limits: 5", "colors: [1, 2]"]) ?? "") }
        lines.shuffle(using: &random)
        return Array(lines.joined(separator: "\n").utf8)
    }

    /// Flow collections nested past any reasonable depth.
    static func deepNesting(_ random: inout FuzzRandom) -> String {
        let depth = [100, 1000, 10_000][random.below(3)]
        return random.chance(0.5)
            ? "stages: " + String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
            : "stages: " + String(repeating: "{a: ", count: depth) + "1" + String(repeating: "}", count: depth)
    }

    public func run(_ input: [UInt8]) throws(PropertyFailure) -> Verdict {
        let text = String(decoding: input, as: UTF8.self)
        let definition: PipelineDefinition
        do {
            definition = try PipelineDefinition.parse(text, file: "fuzz.yaml")
        } catch is PipelineDefinitionError {
            return .refused
        } catch {
            throw PropertyFailure("a bad pipeline file was refused with \(type(of: error)), not a located PipelineDefinitionError: \(error)")
        }
        try Self.check(definition)
        return .accepted
    }

    static func check(_ definition: PipelineDefinition) throws(PropertyFailure) {
        func require(_ condition: Bool, _ what: String) throws(PropertyFailure) {
            guard condition else { throw PropertyFailure("an accepted pipeline has \(what): \(definition)") }
        }
        try require(definition.stages.first == "detect", "a first stage other than detect")
        try require(Set(definition.stages).count == definition.stages.count, "a stage listed twice")
        try require(definition.limits.maxFileSize >= 1, "max_file_size below 1")
        try require(definition.limits.maxPixels >= 1, "max_pixels below 1")
        let renditions = definition.settings(of: ThumbnailsStage.self).renditions
        try require(!renditions.isEmpty && renditions.allSatisfy { (1...8192).contains($0.size) && (1...100).contains($0.quality) },
                    "no rendition, or a rendition size or quality out of range")
        let colors = definition.settings(of: DominantColorsStage.self)
        try require((1...32).contains(colors.count) && (16...1024).contains(colors.sampleSize), "colors out of range")
        let pixelate = definition.settings(of: PixelatedPreviewStage.self)
        try require((1...256).contains(pixelate.blocks) && (1...4096).contains(pixelate.size)
                    && (1...100).contains(pixelate.quality), "pixelate settings out of range")
        try require((0...3600).contains(definition.settings(of: VideoStage.self).minDuration), "video.min_duration out of range")
        try require(definition.decodeSize >= 1, "a decode size below 1")
    }
}
