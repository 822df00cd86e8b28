import AssetQuery
import Foundation

/// The search query language (`find QUERY`, `GET /v1/assets?q=`), with its
/// sort, limit, facets and cursor, as the doors parse them.
///
/// Properties, for every input:
/// - parsing never traps (deep nesting, long lists, unclosed quotes, any
///   Unicode) and an error's position lies within the text;
/// - a parsed query has at most `QueryParser.maximumTerms` terms;
/// - a smart collection's query is read in its place, and one that
///   reaches itself is refused (never followed forever);
/// - a `custom.KEY` term names a defined field, with an operator its type
///   takes and, for a select, only its options;
/// - a cursor made for a query and sort is taken back by them, and refused
///   by another sort.
public struct FindQueryTarget: FuzzTarget {
    public let name = "find-query"

    public init() {}

    /// One custom field of every type, as a catalog's definitions give them.
    static let customFields: [String: CustomFieldShape] = Dictionary(uniqueKeysWithValues: CustomFieldType.allCases.map { type in
        (type.rawValue, CustomFieldShape(type: type, options: type == .singleSelect || type == .multiSelect ? ["a", "b c"] : []))
    })

    /// Collections: static ones, smart ones naming others, and a cycle (which must be refused, not followed).
    static let collections: [String: String?] = [
        "Picks": nil, "Web": nil, "Smart": .some("width > 100 OR collection = Picks"), "Smarter": .some("collection IN [Smart, Web]"),
        "A": .some("collection = B"), "B": .some("collection = A"), "Broken": .some("width >> 3"),
    ]

    static let words = QueryField.allCases.map(\.rawValue) + QueryOperator.allCases.map(\.rawValue) + collections.keys.sorted()
        + CustomFieldType.allCases.map { "custom." + $0.rawValue } + ["custom.", "custom.nope", "\"b c\"", "\"2024-05-01\""]
        + ["AND", "OR", "NOT", "(", ")", "[", "]", ",", "WITHIN", "WEIGHT", "\"", "'", "*", "\\", "7d", "5mb", "#1e88e5",
           "\"48.85,2.29 5km\"", "true", "false", "1e308", "-0", "nan", "café", "\u{0}", "\u{301}", "０"]

    public var seeds: [[UInt8]] {
        ["", "sunset", #"exif.make = "Canon" AND width >= 4000"#, #"path : "/photos/2024" AND NOT keywords IN [private, draft]"#,
         ##"color NEAR "#1e88e5" WITHIN 8 WEIGHT >= 0.2"##, #"gps NEAR "48.8584,2.2945 2km" OR taken_at > "1y""#,
         #"(size > "5mb" OR duration > 60) NOT status = errored"#, #"name HAS "caf* été""#,
         #"tags = beach AND categories IN [Travel, "Product shots"] AND custom.number >= 4"#,
         #"custom.date < "2024-05-01" OR custom.multi_select IN ["a", "b c"] OR NOT custom.boolean = true"#,
         #"collection IN [Smarter, Picks] AND NOT collection = A"#, "collection EXISTS"]
            .map { Array($0.utf8) }
    }

    public var dictionary: [[UInt8]] { Self.words.map { Array($0.utf8) } }

    public func generate(_ random: inout FuzzRandom) -> [UInt8] {
        var text = ""
        let count = 1 + random.below(12)
        for _ in 0..<count {
            switch random.below(10) {
            case 0: text += String(repeating: "(", count: random.below(80))
            case 1: text += "\"" + (random.pick(Self.words) ?? "") + (random.chance(0.8) ? "\"" : "")
            case 2: text += "[" + (0..<random.below(6)).map { _ in random.pick(Self.words) ?? "" }.joined(separator: ",") + "]"
            default: text += random.pick(Self.words) ?? ""
            }
            text += random.chance(0.8) ? " " : ""
        }
        return Array(text.utf8)
    }

    public func run(_ input: [UInt8]) throws(PropertyFailure) -> Verdict {
        let text = String(decoding: input, as: UTF8.self)
        let request: FindRequest
        do {
            request = try FindRequest(q: text, sort: "-size", limit: 10, facets: ["format"], customFields: Self.customFields, collections: Self.collections)
        } catch {
            guard (0...text.count).contains(error.position) else {
                throw PropertyFailure("the error position \(error.position) is outside the \(text.count) characters of the query")
            }
            return .refused
        }
        guard request.query.terms.count <= QueryParser.maximumTerms else {
            throw PropertyFailure("\(request.query.terms.count) terms passed the limit of \(QueryParser.maximumTerms)")
        }
        let token = QueryCursor(value: .number(42), id: "some-id", fingerprint: request.fingerprint).token
        guard let again = try? FindRequest(q: text, sort: "-size", limit: 10, cursor: token, customFields: Self.customFields, collections: Self.collections),
              again.after?.id == "some-id" else {
            throw PropertyFailure("a cursor made for this query is refused by it")
        }
        for term in request.query.terms {
            guard let custom = term.custom else { continue }
            guard let shape = Self.customFields[custom.key], shape.type == custom.type else {
                throw PropertyFailure("custom.\(custom.key) parsed without its definition")
            }
            let values: [QueryValue]
            switch term.condition {
            case .compare(let op, let value):
                guard shape.type.operators.contains(op) else { throw PropertyFailure("custom.\(custom.key) took \(op.rawValue)") }
                values = [value]
            case .oneOf(let list, _): values = list
            case .exists: values = []
            default: throw PropertyFailure("custom.\(custom.key) took a condition it has no operator for")
            }
            for case .string(let text) in values where !shape.options.isEmpty && !shape.options.contains(text) {
                throw PropertyFailure("custom.\(custom.key) took \(text), which is not one of its options")
            }
        }
        if (try? FindRequest(q: text, sort: "size", cursor: token, customFields: Self.customFields, collections: Self.collections)) != nil {
            throw PropertyFailure("a cursor made for -size is taken by size")
        }
        return .accepted
    }
}
