import AssetCatalog
import AssetEdits
import AssetQuery
import AssetQueue
import AssetServer
import Foundation

/// The JSON bodies of the write routes, as `AssetServer` decodes them:
/// `POST /v1/jobs` (`{"kind", "origin", "as", ...}`),
/// `POST /v1/assets/{id}/edits` (`{"ops": {"w": 400}, "save_as", ...}`) and
/// the annotation routes (`{"add_tags": [...], "q", "ids", ...}`).
///
/// Properties, for every input:
/// - decoding either body, and explaining why it does not decode, never traps;
/// - an explanation names no Swift type (it is shown to clients);
/// - a field definition (`POST /v1/fields`), when accepted, takes its own
///   default;
/// - an annotation's names, when accepted, are trimmed, non-empty, at most
///   `LabelName.maximumLength` characters and free of control characters;
/// - the ops of an edit body go through the render parser without a trap,
///   and when accepted their canonical form parses back to the same value,
///   which is what the edit job stores.
public struct JSONBodyTarget: FuzzTarget {
    public let name = "json-body"
    let grammar = JSONGrammar(keys: [
        ("kind", Job.Kind.allCases.map { "\"\($0.rawValue)\"" }),
        ("origin", [#""/srv/photos/a.jpg""#, #""/etc/shadow""#, #""/srv/../etc/passwd""#, #""relative""#]),
        ("as", [#""/catalog/a.jpg""#, #""folder/""#]),
        ("on_conflict", ConflictValues.all),
        ("asset_id", [#""0f8fad5b-d9cb-469f-a165-70867728950e""#]),
        ("priority", ["0", "10", "-1000", "1000", "1001", "9223372036854775807"]),
        ("max_attempts", ["1", "5", "50", "51", "0", "9223372036854775807"]),
        ("ops", [#"{"w": 400}"#, #"{"w": "400", "fit": "cover"}"#, #"{"dpr": 2.5}"#, #"{"rect": "9223372036854775807,0,1,1"}"#,
                 #"{"bg": "\uff10\uff10\uff10"}"#, #"{"txt": "<span font=\"sans 200\">x</span>"}"#, #"{"w": 1e308}"#,
                 #"{"w": 9223372036854775808}"#, #"{"w": true}"#, #"{"w": null}"#, #"{"s": "x"}"#, #"{"nope": 1}"#, "{}"]),
        ("save_as", [#""/catalog/b.jpg""#]),
    ] + JSONBodyTarget.annotationKeys + RenderVocabulary.parameters.map { parameter in
        // Render parameter names as keys too, so that nested `ops` objects get them.
        (parameter.name, JSONBodyTarget.jsonValues(of: parameter.kind))
    })

    /// The annotation routes' keys, with names that must be refused among them.
    static let annotationKeys: [(String, [String])] = {
        let names: [String] = [#"["beach"]"#, #"[" sea ", "sea"]"#, #"[""]"#, #"["a\u001b[31m"]"#, #"["\u0000"]"#, "[]", #""beach""#,
                               "[1]", "null", "[\"" + String(repeating: "x", count: 201) + "\"]", #"["Événements", "😀"]"#]
        let lists: [(String, [String])] = ["add_tags", "remove_tags", "add_categories", "remove_categories", "ids"].map { ($0, names) }
        let fields: [(String, [String])] = [
            ("set_fields", [#"{"rating": 5}"#, #"{"shot": "2024-05-01", "colours": ["red", "red"]}"#, #"{"x": null}"#, #"{"": 1}"#,
                            #"{"flag": true, "n": 1e308}"#, "[]", #"{"a": {"b": 1}}"#]),
            ("unset_fields", [#"["rating"]"#, #"["bad key?"]"#, "[]", #""rating""#]),
            ("hidden", ["true", "false", #""rule""#, #""yes""#, "null", "1"]),
            ("type", CustomFieldType.allCases.map { "\"\($0.rawValue)\"" } + [#""nope""#]),
            ("min", ["1", #""2024-01-01""#, "1e309", "null"]), ("max", ["5", #""1999-01-01""#, "-1"]),
            ("min_length", ["0", "-1", "10001"]), ("max_length", ["1", "0", "1000"]),
            ("options", [#"["a", "b"]"#, "[]", #"["", "a\u0007"]"#]), ("required", ["true", "false"]),
            ("default", ["3", #""draft""#, "true", #"["a"]"#]), ("clear_invalid", ["true"]), ("key", [#""rating""#, #""9x""#]),
        ]
        return lists + fields + [("q", [#""kind = image""#, #""width >> 3""#, "null"]), ("dry_run", ["true", "false", "1"])]
    }()

    public init() {}

    static func jsonValues(of kind: RenderVocabulary.Kind) -> [String] {
        var random = FuzzRandom(seed: 12)
        return (0..<12).map { _ in
            let value = RenderVocabulary.value(of: kind, &random)
            if Double(value) != nil, random.chance(0.5), value.allSatisfy({ $0.isASCII }) { return value } // as a JSON number, when it is one
            let data = (try? JSONEncoder().encode(value)) ?? Data("\"\"".utf8)
            return String(decoding: data, as: UTF8.self)
        }
    }

    public var seeds: [[UInt8]] {
        [
            #"{"kind": "process", "origin": "/srv/a.jpg", "as": "/a.jpg", "on_conflict": "reject", "priority": 10}"#,
            #"{"kind": "refresh", "asset_id": "0f8fad5b", "max_attempts": 3}"#, #"{"kind": "delete", "asset_id": "x"}"#,
            #"{"ops": {"w": 400, "fit": "cover", "dpr": 2.5}, "save_as": "/b.jpg", "on_conflict": "version"}"#,
            #"{"ops": {"rect": "9223372036854775807,0,1,1"}}"#, #"{"ops": {"bg": "０００"}}"#, "{}", "", "null",
            #"{"add_tags": ["beach", " sea "], "remove_categories": ["Travel"]}"#, #"{"q": "kind = image", "add_tags": ["x"], "dry_run": true}"#,
        ].map { Array($0.utf8) }
    }

    public var dictionary: [[UInt8]] { grammar.dictionary }

    public func generate(_ random: inout FuzzRandom) -> [UInt8] {
        grammar.generate(&random)
    }

    public func run(_ input: [UInt8]) throws(PropertyFailure) -> Verdict {
        let body = Data(input)
        var accepted = false
        do throws(APIRequestBodies.Refusal) {
            let job = try APIRequestBodies.job(body)
            accepted = true
            _ = JobRequest(kind: job.kind, payload: JobPayload(origin: job.origin, assetID: job.assetID),
                           priority: job.priority ?? 0, maxAttempts: job.maxAttempts ?? JobRequest.defaultMaxAttempts)
        } catch {
            try Self.checkExplanation(error.explanation)
        }
        let edit: APIRequestBodies.EditFields?
        do throws(APIRequestBodies.Refusal) {
            edit = try APIRequestBodies.edit(body)
        } catch {
            edit = nil
            try Self.checkExplanation(error.explanation)
        }
        let change: AnnotationChange?
        do throws(APIRequestBodies.Refusal) {
            change = try APIRequestBodies.annotation(body)
        } catch {
            change = nil
            try Self.checkExplanation(error.explanation)
        }
        let definition: CustomFieldDefinition?
        do throws(APIRequestBodies.Refusal) {
            definition = try APIRequestBodies.fieldDefinition(body)
        } catch {
            definition = nil
            try Self.checkExplanation(error.explanation)
        }
        if let definition {
            accepted = true
            // A definition that was accepted takes its own default back.
            if let value = definition.defaultValue, (try? definition.checked(value)) != value {
                throw PropertyFailure("the definition of custom.\(definition.key) was accepted with a default it refuses")
            }
        }
        if let change {
            accepted = true
            for name in change.addTags + change.removeTags + change.addCategories + change.removeCategories {
                guard !name.isEmpty, name.count <= LabelName.maximumLength, name == name.trimmingCharacters(in: .whitespacesAndNewlines),
                      !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
                    throw PropertyFailure("the annotation body was accepted with the name \(String(reflecting: name))")
                }
            }
        }
        if let edit {
            accepted = true
            if let parameters = try? RenderParameters(query: edit.operations) {
                try RenderQueryTarget.checkCanonicalForm(of: parameters, from: "")
            }
        }
        return accepted ? .accepted : .refused
    }

    /// Clients see the explanation: no Swift type names, no bodies echoed at length.
    static func checkExplanation(_ explanation: String) throws(PropertyFailure) {
        for leak in ["Swift.", "AssetAPI", "JobBody", "EditBody", "AnnotationBody", "ParameterValue", "Foundation."] where explanation.contains(leak) {
            throw PropertyFailure("the 400 explanation names a Swift type: \(explanation)")
        }
        guard explanation.count <= 2000 else {
            throw PropertyFailure("the 400 explanation is \(explanation.count) characters long")
        }
    }
}
