import AssetMedia
import Foundation
import Yams

/// One section of a pipeline file (or a mapping inside one), read by a
/// stage's `Settings`. Each getter takes the value's default: an absent key
/// gives it, a present one must be valid, and any key no getter asked for is
/// refused once the settings are read, naming the keys that are allowed.
public final class SettingsSection {
    /// Where the section is, for errors: "colors", "renditions.thumb".
    public let place: String
    let file: String
    let node: Node?
    private let entries: [(key: Node, name: String, value: Node)]
    private var asked: [String] = []
    /// The sections of `namedSections()`, checked with this one.
    private var children: [SettingsSection] = []

    private init(absentAt place: String) {
        self.place = place
        self.file = ""
        self.node = nil
        self.entries = []
    }

    /// A whole file's top level, whose keys are the sections.
    convenience init(topLevelOf root: Node, file: String) throws(PipelineDefinitionError) {
        try self.init(place: "the top level", file: file, node: root)
        isTopLevel = true
    }

    private var isTopLevel = false

    init(place: String, file: String, node: Node?) throws(PipelineDefinitionError) {
        self.place = place
        self.file = file
        self.node = node
        guard let node else {
            entries = []
            return
        }
        guard let mapping = node.mapping else {
            throw PipelineDefinitionError(at: node, in: file, "\(place) must be a mapping of keys to values")
        }
        var entries: [(key: Node, name: String, value: Node)] = []
        for (key, value) in mapping {
            guard let name = key.string else { throw PipelineDefinitionError(at: key, in: file, "keys in \(place) must be text") }
            guard !entries.contains(where: { $0.name == name }) else {
                throw PipelineDefinitionError(at: key, in: file, "'\(name)' appears twice in \(place)")
            }
            entries.append((key, name, value))
        }
        self.entries = entries
    }

    /// The defaults: a section that is not in the file.
    static func absent(_ place: String) -> SettingsSection {
        SettingsSection(absentAt: place)
    }

    /// The section's keys in file order (for mappings whose keys the user
    /// chooses, as header names); each must still be asked for.
    public var keys: [String] { entries.map(\.name) }

    /// True when the file has this section at all.
    public var isPresent: Bool { node != nil }

    /// An error located at `key`'s value (or the section itself when absent).
    public func error(at key: String? = nil, _ problem: String) -> PipelineDefinitionError {
        let located = key.flatMap { name in entries.first { $0.name == name }?.value } ?? node
        guard let located else { return PipelineDefinitionError(file: file, line: nil, column: nil, problem: problem) }
        return PipelineDefinitionError(at: located, in: file, problem)
    }

    /// The value at `key`, which counts as asked for.
    func value(at key: String) -> Node? {
        if !asked.contains(key) { asked.append(key) }
        return entries.first { $0.name == key }?.value
    }

    /// Whether the file gives `key` (for values that have no default).
    public func contains(_ key: String) -> Bool {
        value(at: key) != nil
    }

    public func integer(_ key: String, range: ClosedRange<Int>, default fallback: Int) throws(PipelineDefinitionError) -> Int {
        guard let node = value(at: key) else { return fallback }
        let location = "\(place).\(key)"
        guard let scalar = node.scalar, let value = Int(scalar.string.replacingOccurrences(of: "_", with: "")) else {
            throw PipelineDefinitionError(at: node, in: file, "\(location) must be a whole number")
        }
        guard range.contains(value) else {
            throw PipelineDefinitionError(at: node, in: file, "\(location) is \(value); it must be between \(range.lowerBound) and \(range.upperBound)")
        }
        return value
    }

    /// A number, fractions allowed (seconds, thresholds).
    public func number(_ key: String, range: ClosedRange<Double>, unit: String = "a number", default fallback: Double) throws(PipelineDefinitionError) -> Double {
        guard let node = value(at: key) else { return fallback }
        guard let text = node.scalar?.string, let value = Double(text), range.contains(value) else {
            throw PipelineDefinitionError(at: node, in: file, "\(place).\(key) must be \(unit) between \(range.lowerBound) and \(range.upperBound)")
        }
        return value
    }

    public func string(_ key: String, default fallback: String) throws(PipelineDefinitionError) -> String {
        guard let node = value(at: key) else { return fallback }
        guard let scalar = node.scalar else { throw PipelineDefinitionError(at: node, in: file, "\(place).\(key) must be a single value") }
        return scalar.string
    }

    public func boolean(_ key: String, default fallback: Bool) throws(PipelineDefinitionError) -> Bool {
        guard let node = value(at: key) else { return fallback }
        switch node.scalar?.string.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw PipelineDefinitionError(at: node, in: file, "\(place).\(key) must be true or false")
        }
    }

    /// One of an enumeration's raw values, e.g. a format name.
    public func choice<Choice: RawRepresentable & CaseIterable>(_ key: String, default fallback: Choice) throws(PipelineDefinitionError) -> Choice
    where Choice.RawValue == String {
        guard let node = value(at: key) else { return fallback }
        let name = node.scalar?.string ?? ""
        guard let choice = Choice(rawValue: name) else {
            throw PipelineDefinitionError(at: node, in: file,
                                          "\(place).\(key) is '\(name)'; use one of: \(Choice.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return choice
    }

    /// A list of an enumeration's raw values, each once: `[adult, violent]`.
    public func choices<Choice: RawRepresentable & CaseIterable & Equatable>(_ key: String, default fallback: [Choice]) throws(PipelineDefinitionError) -> [Choice]
    where Choice.RawValue == String {
        guard let node = value(at: key) else { return fallback }
        guard let sequence = node.sequence else {
            throw PipelineDefinitionError(at: node, in: file, "\(place).\(key) must be a list, as [\(fallback.map(\.rawValue).joined(separator: ", "))]")
        }
        var chosen: [Choice] = []
        for item in sequence {
            let name = item.scalar?.string ?? ""
            guard let choice = Choice(rawValue: name) else {
                throw PipelineDefinitionError(at: item, in: file,
                                              "\(place).\(key) holds '\(name)'; use some of: \(Choice.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            if !chosen.contains(choice) { chosen.append(choice) }
        }
        return chosen
    }

    /// A number of bytes: 1048576, "500MB", "2 GiB", "64k".
    public func byteSize(_ key: String, default fallback: Int64) throws(PipelineDefinitionError) -> Int64 {
        guard let node = value(at: key) else { return fallback }
        let text = (node.scalar?.string ?? "").trimmingCharacters(in: .whitespaces)
        guard let bytes = ByteCount.parse(text) else {
            throw PipelineDefinitionError(at: node, in: file, "\(place).\(key) is '\(text)'; give a size such as 500MB, 2GB, 64MiB or a number of bytes")
        }
        return bytes
    }

    /// A section that maps names the user chooses to settings of their own
    /// (`renditions: {thumb: {...}}`), in file order. Every name is allowed.
    public func namedSections() throws(PipelineDefinitionError) -> [(name: String, section: SettingsSection)] {
        var result: [(name: String, section: SettingsSection)] = []
        for entry in entries {
            asked.append(entry.name)
            let child = try SettingsSection(place: "\(place).\(entry.name)", file: file, node: entry.value)
            children.append(child)
            result.append((entry.name, child))
        }
        return result
    }

    /// The mapping at `key`, read as a section of its own (checked with this one).
    public func section(_ key: String) throws(PipelineDefinitionError) -> SettingsSection {
        let child = try SettingsSection(place: isTopLevel ? key : "\(place).\(key)", file: file, node: value(at: key))
        children.append(child)
        return child
    }

    /// Where a user-chosen name is in the file, for errors about the name itself.
    public func error(atName name: String, _ problem: String) -> PipelineDefinitionError {
        guard let key = entries.first(where: { $0.name == name })?.key else { return error(problem) }
        return PipelineDefinitionError(at: key, in: file, problem)
    }

    /// Refuses the keys nobody asked for; called once the settings are read.
    func refuseUnknownKeys() throws(PipelineDefinitionError) {
        for entry in entries where !asked.contains(entry.name) {
            throw PipelineDefinitionError(at: entry.key, in: file,
                                          "unknown key '\(entry.name)' in \(place); allowed: \(asked.joined(separator: ", "))")
        }
        for child in children { try child.refuseUnknownKeys() }
    }

    /// Reads `Settings` from this section and refuses what it did not read.
    func read<Settings: StageSettings>(_ type: Settings.Type) throws(PipelineDefinitionError) -> Settings {
        let settings = try Settings(section: self)
        try refuseUnknownKeys()
        return settings
    }
}

extension PipelineDefinitionError {
    init(at node: Node, in file: String, _ problem: String) {
        self.init(file: file, line: node.mark?.line, column: node.mark?.column, problem: problem)
    }
}
