import AssetCatalog
import AssetPipeline
import AssetQuery
import Foundation
import Hummingbird

/// Custom fields over HTTP: `GET /v1/fields`, `POST /v1/fields` (define),
/// `PATCH /v1/fields/{key}` (change, or rename with `"key"`), `DELETE
/// /v1/fields/{key}`. Writes need the token.
extension AssetAPI {
    /// A definition, or the parts of one a PATCH changes: a key that is in
    /// the body replaces the current value (`null` drops it), one that is
    /// not keeps it.
    struct FieldBody: Decodable {
        var key: String?
        var type: CustomFieldType?
        var minimum: CustomValue??
        var maximum: CustomValue??
        var minimumLength: Int??
        var maximumLength: Int??
        var options: [String]??
        var required: Bool?
        var defaultValue: CustomValue??
        var clearInvalid: Bool?

        enum CodingKeys: String, CodingKey {
            case key, type, options, required
            case minimum = "min"
            case maximum = "max"
            case minimumLength = "min_length"
            case maximumLength = "max_length"
            case defaultValue = "default"
            case clearInvalid = "clear_invalid"
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            func given<T: Decodable>(_ key: CodingKeys) throws -> T?? {
                guard container.contains(key) else { return nil }
                return .some(try container.decodeIfPresent(T.self, forKey: key))
            }
            key = try container.decodeIfPresent(String.self, forKey: .key)
            type = try container.decodeIfPresent(CustomFieldType.self, forKey: .type)
            minimum = try given(.minimum)
            maximum = try given(.maximum)
            minimumLength = try given(.minimumLength)
            maximumLength = try given(.maximumLength)
            options = try given(.options)
            required = try container.decodeIfPresent(Bool.self, forKey: .required)
            defaultValue = try given(.defaultValue)
            clearInvalid = try container.decodeIfPresent(Bool.self, forKey: .clearInvalid)
        }

        static let shape = #"{"key": "rating", "type": "number", "min": 1, "max": 5, "required": false, "default": 3}"#

        /// The definition this body makes of `current` (nil: a new field).
        func definition(key: String, current: CustomFieldDefinition?) throws(APIError) -> CustomFieldDefinition {
            guard let type = type ?? current?.type else {
                throw APIError(.badRequest, "invalid_value", "a field needs a `type`: \(CustomFieldType.allCases.map(\.rawValue).joined(separator: ", "))",
                               param: "type")
            }
            let keep = current?.type == type ? current : nil
            do {
                return try CustomFieldDefinition(
                    key: key, type: type, minimum: minimum ?? keep?.minimum, maximum: maximum ?? keep?.maximum,
                    minimumLength: minimumLength ?? keep?.minimumLength, maximumLength: maximumLength ?? keep?.maximumLength,
                    options: options ?? keep?.options, required: required ?? current?.required ?? false,
                    defaultValue: defaultValue ?? keep?.defaultValue)
            } catch {
                throw APIError(.badRequest, "invalid_value", error.message)
            }
        }
    }

    struct FieldList: Encodable {
        var fields: [CustomFieldDefinition]
    }

    struct FieldOutcome: Encodable {
        var field: CustomFieldDefinition?
        /// Assets the change rewrote: given the default, cleared, renamed or unset.
        var changed: Int
    }

    func addFieldRoutes(to router: Router<BasicRequestContext>) {
        router.get("/v1/fields") { request, _ in
            await answer {
                try access.authorizeRead(request)
                let catalog = self.catalog
                return JSONResponse.make(FieldList(fields: try await catalogRead { try catalog.customFields() }))
            }
        }
        router.post("/v1/fields") { request, _ in
            await answer {
                try access.authorizeWrite(request)
                let body = try await decodeBody(request, as: FieldBody.self, shape: FieldBody.shape)
                guard let key = body.key else { throw APIError(.badRequest, "invalid_value", "a field needs a `key`", param: "key") }
                let definition = try body.definition(key: key, current: nil)
                let catalog = self.catalog
                let filled = try await catalogWrite { try catalog.defineField(definition, source: Self.changeSource) }
                return JSONResponse.make(FieldOutcome(field: definition, changed: filled), status: .created)
            }
        }
        router.patch("/v1/fields/:key") { request, context in
            await answer {
                try access.authorizeWrite(request)
                let key = try Self.decodedParameter(context, "key")
                let body = try await decodeBody(request, as: FieldBody.self, shape: FieldBody.shape + #" (and "clear_invalid": true)"#)
                let catalog = self.catalog
                let fields = try await catalogRead { try catalog.customFields() }
                guard let current = fields.first(where: { $0.key == key }) else { throw APIError.notFound("there is no custom field \(key)") }
                let clear = body.clearInvalid ?? false
                if let newKey = body.key, newKey != key {
                    guard body.type == nil, body.minimum == nil, body.maximum == nil, body.minimumLength == nil, body.maximumLength == nil,
                          body.options == nil, body.required == nil, body.defaultValue == nil else {
                        throw APIError(.badRequest, "invalid_value", "rename (`key`) and change the definition in two requests", param: "key")
                    }
                    let changed = try await catalogWrite {
                        try catalog.renameField(key, to: newKey, clearInvalid: clear, source: Self.changeSource)
                    }
                    let renamed = try await catalogRead { try catalog.customFields() }.first { $0.key == newKey }
                    return JSONResponse.make(FieldOutcome(field: renamed, changed: changed))
                }
                let definition = try body.definition(key: key, current: current)
                let outcome = try await catalogWrite {
                    try catalog.changeField(definition, clearInvalid: clear, source: Self.changeSource)
                }
                return JSONResponse.make(FieldOutcome(field: definition, changed: outcome.cleared + outcome.filled))
            }
        }
        router.delete("/v1/fields/:key") { request, context in
            await answer {
                try access.authorizeWrite(request)
                let key = try Self.decodedParameter(context, "key")
                let catalog = self.catalog
                guard try await catalogRead({ try catalog.customFields() }).contains(where: { $0.key == key }) else {
                    throw APIError.notFound("there is no custom field \(key)")
                }
                let changed = try await catalogWrite { try catalog.deleteField(key, source: Self.changeSource) }
                return JSONResponse.make(FieldOutcome(field: nil, changed: changed))
            }
        }
    }
}
