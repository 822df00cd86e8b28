import AssetCatalog
import AssetQueue
import Foundation

/// The JSON bodies of `POST /v1/jobs`, `POST /v1/assets/{id}/edits` and
/// the annotation routes (`PATCH /v1/assets/{id}`, `POST /v1/assets/annotate`),
/// decoded with the routes' own body types and decoder, for the fuzz
/// targets (`AssetFuzz`), which cannot see those internal types.
package enum APIRequestBodies {
    /// A body that does not decode, with the explanation a client gets in its 400.
    package struct Refusal: Error, Sendable {
        package let explanation: String
    }

    /// What `POST /v1/jobs` reads from its body before any check of its own.
    package struct JobFields: Sendable {
        package var kind: Job.Kind
        package var origin: String?
        package var assetID: String?
        package var priority: Int?
        package var maxAttempts: Int?
    }

    /// What `POST /v1/assets/{id}/edits` reads from its body: the ops as the
    /// (name, value) pairs it hands to `RenderParameters(query:)`.
    package struct EditFields: Sendable {
        package var operations: [(name: String, value: String)]
        package var saveAs: String?
        package var priority: Int?
    }

    package static func job(_ body: Data) throws(Refusal) -> JobFields {
        let decoded = try decode(AssetAPI.JobBody.self, body)
        return JobFields(kind: decoded.kind, origin: decoded.origin, assetID: decoded.assetID, priority: decoded.priority,
                         maxAttempts: decoded.maxAttempts)
    }

    package static func edit(_ body: Data) throws(Refusal) -> EditFields {
        let decoded = try decode(AssetAPI.EditBody.self, body)
        return EditFields(operations: decoded.ops.map { (name: $0.key, value: $0.value.text) }, saveAs: decoded.saveAs,
                          priority: decoded.priority)
    }

    /// What the annotation routes make of their body: the change, checked
    /// (a bad name is a refusal with the message a client gets).
    package static func annotation(_ body: Data) throws(Refusal) -> AnnotationChange {
        let decoded = try decode(AssetAPI.AnnotationBody.self, body)
        do {
            return try decoded.change(required: false)
        } catch {
            throw Refusal(explanation: error.message)
        }
    }

    /// What `POST /v1/fields` makes of its body: a checked definition.
    package static func fieldDefinition(_ body: Data) throws(Refusal) -> CustomFieldDefinition {
        let decoded = try decode(AssetAPI.FieldBody.self, body)
        do {
            return try decoded.definition(key: decoded.key ?? "", current: nil)
        } catch {
            throw Refusal(explanation: error.message)
        }
    }

    private static func decode<Body: Decodable>(_ type: Body.Type, _ body: Data) throws(Refusal) -> Body {
        do {
            return try JSONDecoder().decode(Body.self, from: body)
        } catch {
            throw Refusal(explanation: AssetAPI.explain(error))
        }
    }
}
