import AssetPipeline
import Foundation

/// An external analyzer's answer, as the analysis stage reads it: bytes
/// from a server the user configured, which may be wrong, hostile or cut
/// short.
///
/// Properties, for every input:
/// - parsing never traps (deep nesting, huge numbers, NaN, invalid UTF-8);
/// - an accepted answer holds at most `maxTags` tags, each with a name the
///   catalog takes (trimmed, no control character, at most 200 characters),
///   named once, with a confidence from 0 to 1; content alert scores are
///   from 0 to 1; the alt text is trimmed, non-empty and at most
///   `maxAltText` characters.
/// Verdict: accepted when the answer is taken, refused when it is malformed.
public struct AnalyzerAnswerTarget: FuzzTarget {
    public let name = "analyzer-answer"
    let grammar = JSONGrammar(keys: [
        ("tags", [#"[{"name": "beach", "confidence": 0.9}]"#, #"[{"name": " sea ", "confidence": 1}, {"name": "sea", "confidence": 0.2}]"#,
                  #"[{"name": ""}]"#, #"[{"name": "a\u0007b"}]"#, #"[{"name": 5}]"#, #"[{"name": "x", "confidence": 1.0000001}]"#,
                  #"[{"name": "x", "confidence": -0}]"#, "[]", "null", #""beach""#]),
        ("content_alerts", [#"{"violent": {"score": 0.7}}"#, #"{"racy": {"score": 0.1, "level": "likely"}}"#,
                            #"{"gore": {"score": 0.5}}"#, #"{"adult": {"score": 2}}"#, #"{"adult": {"level": "probable"}}"#,
                            #"{"spoof": {"score": 1e-400, "level": "nope"}}"#, "[]", "null"]),
        ("alt_text", [#""A beach at dusk""#, #""   ""#, #""\n\t""#, "null", "3"]),
        ("model", [#""v1""#]),
    ])

    public init() {}

    public var seeds: [[UInt8]] {
        [#"{"tags": [{"name": "beach", "confidence": 0.91}, {"name": "sky", "confidence": 0.5}], "content_alerts": {"violent": {"score": 0.7}}, "alt_text": "A test image"}"#,
         "{}", "[]", "null", #"{"tags": null, "content_alerts": null}"#, String(repeating: "[", count: 20) + String(repeating: "]", count: 20),
         #"{"tags": [{"name": "x"}], "extra": {"nested": [1, 2, {"a": null}]}}"#].map { Array($0.utf8) }
    }

    public var dictionary: [[UInt8]] { grammar.dictionary }

    public func generate(_ random: inout FuzzRandom) -> [UInt8] {
        grammar.generate(&random)
    }

    public func run(_ input: [UInt8]) throws(PropertyFailure) -> Verdict {
        let answer: AnalyzerAnswer
        do {
            answer = try AnalyzerAnswer.parse(input, levels: .standard)
        } catch {
            return .refused
        }
        guard answer.tags.count <= AnalyzerAnswer.maxTags else { throw PropertyFailure("\(answer.tags.count) tags accepted") }
        var names = Set<String>()
        for tag in answer.tags {
            if let problem = AssetTag.problem(withName: tag.name) { throw PropertyFailure("accepted a tag the catalog refuses: \(problem)") }
            guard tag.name == tag.name.trimmingCharacters(in: .whitespacesAndNewlines) else { throw PropertyFailure("an untrimmed tag name") }
            guard names.insert(tag.name).inserted else { throw PropertyFailure("the tag \(tag.name) twice") }
            guard (0...1).contains(tag.confidence) else { throw PropertyFailure("confidence \(tag.confidence) accepted") }
        }
        for category in HiddenStage.Category.allCases {
            if let alert = answer.contentAlerts.alert(category), !(0...1).contains(alert.score) {
                throw PropertyFailure("a \(category) score of \(alert.score) accepted")
            }
        }
        if let text = answer.altText {
            guard !text.isEmpty, text.count <= AnalyzerAnswer.maxAltText, text == text.trimmingCharacters(in: .whitespacesAndNewlines) else {
                throw PropertyFailure("alt text \(String(reflecting: text.prefix(40))) accepted")
            }
        }
        return .accepted
    }
}
