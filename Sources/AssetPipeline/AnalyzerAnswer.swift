import Foundation

/// What an external analyzer answers about an image, read strictly:
///
///     {"tags": [{"name": "beach", "confidence": 0.93}],
///      "content_alerts": {"violent": {"score": 0.12}, "racy": {"score": 0.7, "level": "likely"}},
///      "alt_text": "Two people on a beach at sunset"}
///
/// Every key is optional; keys this build does not know are ignored, so an
/// analyzer may say more. What it says about the known keys must be right:
/// one bad tag or score makes the whole answer malformed (the asset keeps
/// its earlier AI tags) rather than half taken.
public struct AnalyzerAnswer: Sendable, Equatable {
    public var tags: [SuggestedTag]
    public var contentAlerts: ContentAlertsStage.Output
    public var altText: String?

    /// More tags than this is no description of one image.
    public static let maxTags = 200
    public static let maxAltText = 2_000
    /// JSON nested deeper than this is refused before it is decoded (the
    /// answer's shape needs 4), so a hostile answer cannot exhaust the stack.
    static let maxDepth = 16

    /// Reads an answer's bytes; the thresholds turn a category's score into
    /// its level when the analyzer gives no level.
    public static func parse(_ bytes: [UInt8], levels: LevelThresholds) throws(AnalyzerAnswerError) -> AnalyzerAnswer {
        guard nesting(of: bytes) <= maxDepth else {
            throw AnalyzerAnswerError("the answer is nested more than \(maxDepth) levels deep")
        }
        let root: JSONValue
        do {
            root = try JSONDecoder().decode(JSONValue.self, from: Data(bytes))
        } catch {
            throw AnalyzerAnswerError("the answer is not JSON")
        }
        guard case .object(let members) = root else { throw AnalyzerAnswerError("the answer is not a JSON object") }
        var answer = AnalyzerAnswer(tags: [], contentAlerts: ContentAlertsStage.Output(), altText: nil)
        if let tags = members["tags"], tags != .null { answer.tags = try readTags(tags) }
        if let alerts = members["content_alerts"], alerts != .null { answer.contentAlerts = try readAlerts(alerts, levels: levels) }
        switch members["alt_text"] {
        case nil, .null?: break
        case .string(let text)?:
            let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard trimmed.count <= maxAltText else { throw AnalyzerAnswerError("alt_text is longer than \(maxAltText) characters") }
            answer.altText = trimmed.isEmpty ? nil : trimmed
        default: throw AnalyzerAnswerError("alt_text must be a string")
        }
        return answer
    }

    private static func readTags(_ value: JSONValue) throws(AnalyzerAnswerError) -> [SuggestedTag] {
        guard case .array(let items) = value else { throw AnalyzerAnswerError("tags must be a list of {name, confidence}") }
        guard items.count <= maxTags else { throw AnalyzerAnswerError("tags has \(items.count) entries; at most \(maxTags)") }
        var tags: [SuggestedTag] = []
        for (index, item) in items.enumerated() {
            guard case .object(let fields) = item, case .string(let raw)? = fields["name"] else {
                throw AnalyzerAnswerError("tags[\(index)] needs a string name")
            }
            let name = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            if let problem = AssetTag.problem(withName: name) { throw AnalyzerAnswerError("tags[\(index)]: \(problem)") }
            let confidence: Double
            switch fields["confidence"] {
            case nil, .null?: confidence = 1
            case .some(let number):
                guard let value = number.number, (0...1).contains(value) else {
                    throw AnalyzerAnswerError("tags[\(index)].confidence must be a number from 0 to 1")
                }
                confidence = value
            }
            // The same name twice: the surer one counts.
            if let earlier = tags.firstIndex(where: { $0.name == name }) {
                tags[earlier].confidence = max(tags[earlier].confidence, confidence)
            } else {
                tags.append(SuggestedTag(name: name, confidence: confidence))
            }
        }
        return tags
    }

    private static func readAlerts(_ value: JSONValue, levels: LevelThresholds) throws(AnalyzerAnswerError) -> ContentAlertsStage.Output {
        guard case .object(let categories) = value else {
            throw AnalyzerAnswerError("content_alerts must be an object of categories, as {\"violent\": {\"score\": 0.1}}")
        }
        var output = ContentAlertsStage.Output()
        for (key, entry) in categories.sorted(by: { $0.key < $1.key }) {
            guard let category = HiddenStage.Category(rawValue: key) else {
                throw AnalyzerAnswerError("content_alerts.\(key) is no category; use \(HiddenStage.Category.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            guard case .object(let fields) = entry, let score = fields["score"]?.number, (0...1).contains(score) else {
                throw AnalyzerAnswerError("content_alerts.\(key).score must be a number from 0 to 1")
            }
            var level = levels.level(of: score)
            switch fields["level"] {
            case nil, .null?: break
            case .string(let name)?:
                guard let named = ContentAlertLevel(rawValue: name) else {
                    throw AnalyzerAnswerError("content_alerts.\(key).level is '\(name)'; use \(ContentAlertLevel.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                level = named
            default: throw AnalyzerAnswerError("content_alerts.\(key).level must be a string")
            }
            output.set(ContentAlertsStage.Alert(score: (score * 10_000).rounded() / 10_000, level: level), for: category)
        }
        return output
    }

    /// The deepest nesting of arrays and objects, strings skipped.
    static func nesting(of bytes: [UInt8]) -> Int {
        var depth = 0, deepest = 0, inString = false, escaped = false
        for byte in bytes {
            if inString {
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                deepest = max(deepest, depth)
            case UInt8(ascii: "]"), UInt8(ascii: "}"): depth -= 1
            default: break
            }
        }
        return deepest
    }
}

/// A tag an analyzer suggests; the catalog makes it an `ai` tag unless a
/// user removed that tag or has it already.
public struct SuggestedTag: Codable, Sendable, Equatable {
    public var name: String
    public var confidence: Double

    public init(name: String, confidence: Double) {
        self.name = name
        self.confidence = confidence
    }
}

/// Why an analyzer's answer was not taken, for the record's `analysis.message`.
public struct AnalyzerAnswerError: Error, Sendable, CustomStringConvertible {
    public let problem: String

    init(_ problem: String) {
        self.problem = problem
    }

    public var description: String { problem }
}

extension JSONValue {
    /// An integer or a fraction, as a Double.
    var number: Double? {
        switch self {
        case .int(let value): Double(value)
        case .double(let value): value.isFinite ? value : nil
        default: nil
        }
    }
}

extension ContentAlertsStage.Output {
    mutating func set(_ alert: ContentAlertsStage.Alert?, for category: HiddenStage.Category) {
        switch category {
        case .adult: adult = alert
        case .violent: violent = alert
        case .medical: medical = alert
        case .racy: racy = alert
        case .spoof: spoof = alert
        }
    }

    /// These alerts with `other`'s categories written over them.
    func overridden(by other: ContentAlertsStage.Output) -> ContentAlertsStage.Output {
        var merged = self
        for category in HiddenStage.Category.allCases {
            if let alert = other.alert(category) { merged.set(alert, for: category) }
        }
        return merged
    }
}
