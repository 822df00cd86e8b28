import AssetPipeline
import AssetQuery
import Foundation

/// Custom fields: their definitions, and changes to a definition that
/// reach every asset: a required field filled with its default, values a
/// new definition refuses cleared (only when asked), a key renamed or
/// merged, a field deleted. Each is done in batches of assets, one
/// transaction each, and is resumable: the definition changes last (or, for
/// a rename, the new one first), so an interrupted run, repeated, finishes.
extension Catalog {
    /// The definitions, by key order.
    public func customFields() throws(CatalogError) -> [CustomFieldDefinition] {
        try run("read the custom fields", hint: readHint) {
            try database.read { transaction in try transaction.customFields() }
        }
    }

    /// What the query language needs to read `custom.KEY` terms.
    public func customFieldShapes() throws(CatalogError) -> [String: CustomFieldShape] {
        Dictionary(try customFields().map { ($0.key, $0.shape) }, uniquingKeysWith: { first, _ in first })
    }

    /// Checks `change`'s custom values against the definitions, changing nothing.
    public func check(_ change: AnnotationChange) throws(CatalogError) {
        _ = try run("check the change", hint: readHint) {
            try database.read { transaction in try Self.resolve(change, transaction) }
        }
    }

    /// Defines a new field. A required one gives every asset its default
    /// (refused without a default when the catalog has assets). Defining a
    /// field again exactly as it is finishes an interrupted fill; any other
    /// definition of an existing key is refused (change it instead).
    /// Returns how many assets were given the default.
    public func defineField(_ definition: CustomFieldDefinition, source: ChangeSource, batchSize: Int = Catalog.annotationBatch,
                            progress: (Int) -> Void = { _ in }) throws(CatalogError) -> Int {
        let operation = "define custom.\(definition.key)"
        let existing = try customFields().first { $0.key == definition.key }
        if let existing, existing != definition {
            throw CatalogError(operation: operation, reason: "custom.\(definition.key) is defined already, as a \(existing.type.rawValue) field",
                               hint: "change it with `assetpipe fields change \(definition.key) ...`, or choose another key", refused: true)
        }
        try requireDefaultIfMissing(definition, operation)
        try run(operation, hint: writeHint) { try database.write { transaction in try transaction.saveCustomField(definition) } }
        return try fillDefault(definition, source: source, batchSize: batchSize, progress: progress)
    }

    /// What a change of definition did: values cleared (`--clear-invalid`)
    /// and assets given the default (a required field).
    public struct FieldChange: Sendable, Equatable {
        public var cleared: Int
        public var filled: Int

        public init(cleared: Int, filled: Int) {
            self.cleared = cleared
            self.filled = filled
        }
    }

    /// Replaces a field's definition. Values the new one refuses make the
    /// change refused, with their count and examples, unless
    /// `clearInvalid`, which unsets them; a required field fills assets
    /// without a value with its default.
    public func changeField(_ definition: CustomFieldDefinition, clearInvalid: Bool, source: ChangeSource,
                            batchSize: Int = Catalog.annotationBatch, progress: (Int) -> Void = { _ in }) throws(CatalogError) -> FieldChange {
        let key = definition.key, operation = "change custom.\(key)"
        guard try customFields().contains(where: { $0.key == key }) else { throw Self.noField(key, operation) }
        let broken = try violations(of: definition, in: key)
        if !broken.ids.isEmpty, !clearInvalid { throw Self.refusal(operation, key, broken) }
        if definition.required, definition.defaultValue == nil, !broken.ids.isEmpty {
            throw CatalogError(operation: operation, reason: "custom.\(key) would be required without a default, and \(broken.ids.count) "
                               + "asset\(broken.ids.count == 1 ? "" : "s") would have no value once cleared", hint: "give --default", refused: true)
        }
        try requireDefaultIfMissing(definition, operation)
        var cleared = 0
        for start in stride(from: 0, to: broken.ids.count, by: max(1, batchSize)) {
            let batch = broken.ids[start..<min(broken.ids.count, start + max(1, batchSize))]
            cleared += try rewrite(batch, operation, source) { record in
                guard record.custom?.removeValue(forKey: key) != nil else { return [:] }
                if record.custom?.isEmpty == true { record.custom = nil }
                return ["custom_unset": Annotations.list([key]) ?? ""]
            }
            progress(cleared)
        }
        try run(operation, hint: writeHint) { try database.write { transaction in try transaction.saveCustomField(definition) } }
        let filled = try fillDefault(definition, source: source, batchSize: batchSize, progress: progress)
        return FieldChange(cleared: cleared, filled: filled)
    }

    /// Renames a field's key on every asset; onto an existing field of the
    /// same type, merges (an asset with both keeps the new key's value).
    /// Values the target refuses make it refused unless `clearInvalid`.
    /// Returns how many assets changed.
    public func renameField(_ old: String, to new: String, clearInvalid: Bool, source: ChangeSource,
                            batchSize: Int = Catalog.annotationBatch, progress: (Int) -> Void = { _ in }) throws(CatalogError) -> Int {
        let operation = "rename custom.\(old)"
        let fields = try customFields()
        guard let from = fields.first(where: { $0.key == old }) else { throw Self.noField(old, operation) }
        guard old != new else { return 0 }
        do {
            try CustomFieldDefinition.checkKey(new)
        } catch {
            throw CatalogError.refusal(operation, error)
        }
        let target: CustomFieldDefinition
        if let existing = fields.first(where: { $0.key == new }) {
            guard existing.type == from.type else {
                throw CatalogError(operation: operation, reason: "custom.\(new) is a \(existing.type.rawValue) field and custom.\(old) a "
                                   + "\(from.type.rawValue) field; only fields of one type merge", hint: "choose another name", refused: true)
            }
            target = existing
            let broken = try violations(of: existing.renamed(old), in: old)
            if !broken.ids.isEmpty, !clearInvalid { throw Self.refusal(operation + " onto custom.\(new)", new, broken) }
        } else {
            target = from.renamed(new)
            try run(operation, hint: writeHint) { try database.write { transaction in try transaction.saveCustomField(target) } }
        }
        var changed = 0
        while true {
            let done = try run(operation, hint: writeHint) {
                try database.write { transaction in
                    let ids = try transaction.assetIDs(customKey: old, present: true, after: nil, limit: max(1, batchSize))
                    return try self.rewriteAnnotations(ids, source, transaction) { record in
                        guard let value = record.custom?.removeValue(forKey: old) else { return [:] }
                        if record.custom?[new] == nil, let kept = try? target.checked(value) { record.custom?[new] = kept }
                        if record.custom?.isEmpty == true { record.custom = nil }
                        return ["custom_renamed": Annotations.list([old, new]) ?? ""]
                    }
                }
            }
            guard done > 0 else { break }
            changed += done
            progress(changed)
        }
        try run(operation, hint: writeHint) { try database.write { transaction in try transaction.deleteCustomField(key: old) } }
        return changed
    }

    /// Unsets the field on every asset, then deletes its definition.
    /// Returns how many assets changed.
    public func deleteField(_ key: String, source: ChangeSource, batchSize: Int = Catalog.annotationBatch,
                            progress: (Int) -> Void = { _ in }) throws(CatalogError) -> Int {
        let operation = "delete custom.\(key)"
        guard try customFields().contains(where: { $0.key == key }) else { throw Self.noField(key, operation) }
        var changed = 0
        while true {
            let ids = try run(operation, hint: readHint) {
                try database.read { transaction in try transaction.assetIDs(customKey: key, present: true, after: nil, limit: max(1, batchSize)) }
            }
            guard !ids.isEmpty else { break }
            let done = try rewrite(ids[...], operation, source) { record in
                guard record.custom?.removeValue(forKey: key) != nil else { return [:] }
                if record.custom?.isEmpty == true { record.custom = nil }
                return ["custom_unset": Annotations.list([key]) ?? ""]
            }
            guard done > 0 else { break }
            changed += done
            progress(changed)
        }
        try run(operation, hint: writeHint) { try database.write { transaction in try transaction.deleteCustomField(key: key) } }
        return changed
    }

    // MARK: - Inside

    /// The assets whose value for `key` `definition` refuses: all their
    /// ids, and a few examples for the message.
    private func violations(of definition: CustomFieldDefinition, in key: String) throws(CatalogError) -> (ids: [String], examples: [String]) {
        var ids: [String] = [], examples: [String] = [], after: String?
        while true {
            let page = try run("check custom.\(key)", hint: readHint) {
                try database.read { transaction -> (last: String?, assets: [AnnotatedAsset]) in
                    let ids = try transaction.assetIDs(customKey: key, present: true, after: after, limit: 1000)
                    return (ids.last, try transaction.annotations(ofAssets: ids))
                }
            }
            guard let last = page.last else { return (ids, examples) }
            after = last
            for stored in page.assets {
                guard let value = stored.custom?[key] else { continue }
                do {
                    _ = try definition.checked(value)
                } catch {
                    ids.append(stored.id)
                    if examples.count < 5 { examples.append("\(stored.path): \(error.message)") }
                }
            }
        }
    }

    private static func refusal(_ operation: String, _ key: String, _ broken: (ids: [String], examples: [String])) -> CatalogError {
        CatalogError(operation: operation,
                     reason: "\(broken.ids.count) asset\(broken.ids.count == 1 ? " has a value" : "s have values") the new definition refuses, "
                        + "as " + broken.examples.joined(separator: "; "),
                     hint: "nothing was changed; fix those values, or pass --clear-invalid to unset them", refused: true)
    }

    private static func noField(_ key: String, _ operation: String) -> CatalogError {
        CatalogError(operation: operation, reason: "there is no custom field '\(key)'",
                     hint: "see `assetpipe fields list`; define one with `assetpipe fields define \(key) --type TYPE`", refused: true)
    }

    /// A required field without a default is refused when some asset has no value.
    private func requireDefaultIfMissing(_ definition: CustomFieldDefinition, _ operation: String) throws(CatalogError) {
        guard definition.required, definition.defaultValue == nil else { return }
        let key = definition.key
        let missing = try run(operation, hint: readHint) {
            try database.read { transaction in try transaction.assetIDs(customKey: key, present: false, after: nil, limit: 5) }
        }
        guard missing.isEmpty else {
            throw CatalogError(operation: operation, reason: "custom.\(key) would be required, and some assets (as \(missing.joined(separator: ", "))) have no value",
                               hint: "give --default VALUE for them, or set their values first", refused: true)
        }
    }

    /// Gives every asset without a value for a required field its default.
    private func fillDefault(_ definition: CustomFieldDefinition, source: ChangeSource, batchSize: Int,
                             progress: (Int) -> Void) throws(CatalogError) -> Int {
        guard definition.required, let value = definition.defaultValue else { return 0 }
        let key = definition.key
        var filled = 0
        while true {
            let ids = try run("fill custom.\(key)", hint: readHint) {
                try database.read { transaction in try transaction.assetIDs(customKey: key, present: false, after: nil, limit: max(1, batchSize)) }
            }
            guard !ids.isEmpty else { return filled }
            let done = try rewrite(ids[...], "fill custom.\(key)", source) { record in
                guard record.custom?[key] == nil else { return [:] }
                record.custom = (record.custom ?? [:]).merging([key: value]) { current, _ in current }
                return ["custom_set": Annotations.object([key: value]) ?? ""]
            }
            guard done > 0 else { return filled }
            filled += done
            progress(filled)
        }
    }

    /// Rewrites these assets with `mutate`, in one transaction; how many changed.
    private func rewrite(_ ids: ArraySlice<String>, _ operation: String, _ source: ChangeSource,
                         _ mutate: @escaping (inout AssetRecord) -> [String: String]) throws(CatalogError) -> Int {
        try run(operation, hint: writeHint) {
            try database.write { transaction in try self.rewriteAnnotations(Array(ids), source, transaction, mutate) }
        }
    }

    /// The defaults a new asset gets.
    static func defaults(_ transaction: any CatalogTransaction) throws -> [String: CustomValue]? {
        let values = Dictionary(try transaction.customFields().compactMap { field in field.defaultValue.map { (field.key, $0) } },
                                uniquingKeysWith: { first, _ in first })
        return values.isEmpty ? nil : values
    }
}
