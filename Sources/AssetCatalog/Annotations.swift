import AssetPipeline
import Foundation

/// The user-made labels of an asset that the catalog keeps apart from
/// what processing reads: tags and categories.
public enum LabelKind: String, Sendable, CaseIterable {
    case tags, categories
    /// Membership of static collections.
    case collections

    /// "tag", "category" or "collection", for messages.
    public var singular: String {
        switch self {
        case .tags: "tag"
        case .categories: "category"
        case .collections: "collection"
        }
    }
}

/// A tag or category name as a user gives it: trimmed; refused when empty,
/// longer than `maximumLength` characters, or holding a control character
/// (it would break a table, a log line or the terminal).
public enum LabelName {
    public static let maximumLength = AssetTag.maximumNameLength

    public static func checked(_ text: String, _ kind: LabelKind) throws(AnnotationError) -> String {
        try checked(text, what: kind.singular, flag: kind == .tags ? "--tag" : kind == .categories ? "--category" : "create")
    }

    /// The same rules for another kind of name (`what`, given with `flag`).
    public static func checked(_ text: String, what: String, flag: String) throws(AnnotationError) -> String {
        let name = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if let problem = AssetTag.problem(withName: name, what: what, flag: flag) { throw AnnotationError(problem) }
        return name
    }
}

/// A refused annotation: a bad name, or a change that contradicts itself.
public struct AnnotationError: Error, Sendable, CustomStringConvertible, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// A custom field's value as a door received it: text from a command
/// line (`--field rating=5`), read by the field's type; or a JSON value.
public enum CustomFieldInput: Sendable, Equatable {
    case text(String)
    case value(CustomValue)
}

/// What `annotate` does to each asset: tags and categories to add and to
/// remove, custom fields to set and unset. Names are checked when the
/// change is made; custom values against the catalog's definitions when it
/// is applied (`resolved(against:)`), in the transaction that writes them.
public struct AnnotationChange: Sendable, Equatable {
    public private(set) var addTags: [String]
    public private(set) var removeTags: [String]
    public private(set) var addCategories: [String]
    public private(set) var removeCategories: [String]
    public private(set) var setFields: [String: CustomFieldInput]
    public private(set) var unsetFields: [String]
    /// Static collections to join and leave (`collections add`, `remove`).
    public private(set) var addCollections: [String]
    public private(set) var removeCollections: [String]
    /// Hide, show, or go back to the pipeline's rule.
    public private(set) var hidden: HiddenChoice?

    public init(addTags: [String] = [], removeTags: [String] = [],
                addCategories: [String] = [], removeCategories: [String] = [],
                setFields: [String: CustomFieldInput] = [:], unsetFields: [String] = [],
                addCollections: [String] = [], removeCollections: [String] = [],
                hidden: HiddenChoice? = nil) throws(AnnotationError) {
        func names(_ texts: [String], _ kind: LabelKind) throws(AnnotationError) -> [String] {
            var seen = Set<String>(), names: [String] = []
            for text in texts {
                let name = try LabelName.checked(text, kind)
                if seen.insert(name).inserted { names.append(name) }
            }
            return names
        }
        self.addTags = try names(addTags, .tags)
        self.removeTags = try names(removeTags, .tags)
        self.addCategories = try names(addCategories, .categories)
        self.removeCategories = try names(removeCategories, .categories)
        if let both = self.addTags.first(where: self.removeTags.contains) {
            throw AnnotationError("the tag '\(both)' is both added and removed; say one")
        }
        if let both = self.addCategories.first(where: self.removeCategories.contains) {
            throw AnnotationError("the category '\(both)' is both added and removed; say one")
        }
        for key in setFields.keys.sorted() + unsetFields { try CustomFieldDefinition.checkKey(key) }
        if let both = unsetFields.first(where: { setFields[$0] != nil }) {
            throw AnnotationError("custom.\(both) is both set and unset; say one")
        }
        self.setFields = setFields
        self.unsetFields = Array(Set(unsetFields)).sorted()
        self.addCollections = try names(addCollections, .collections)
        self.removeCollections = try names(removeCollections, .collections)
        self.hidden = hidden
    }

    public var isEmpty: Bool {
        addTags.isEmpty && removeTags.isEmpty && addCategories.isEmpty && removeCategories.isEmpty && setFields.isEmpty && unsetFields.isEmpty
            && addCollections.isEmpty && removeCollections.isEmpty && hidden == nil
    }

    /// The custom values to set, each checked against its field's
    /// definition; refused for an unknown field, a value that breaks its
    /// definition, or unsetting a required field.
    func resolved(against schema: [String: CustomFieldDefinition]) throws(AnnotationError) -> [String: CustomValue] {
        func definition(_ key: String) throws(AnnotationError) -> CustomFieldDefinition {
            guard let definition = schema[key] else {
                throw AnnotationError("there is no custom field '\(key)'; define it first with `assetpipe fields define \(key) --type TYPE`"
                                      + (schema.isEmpty ? "" : " (defined: \(schema.keys.sorted().joined(separator: ", ")))"))
            }
            return definition
        }
        var values: [String: CustomValue] = [:]
        for (key, input) in setFields.sorted(by: { $0.key < $1.key }) {
            let field = try definition(key)
            switch input {
            case .text(let text): values[key] = try field.parse(text)
            case .value(let value): values[key] = try field.checked(value)
            }
        }
        for key in unsetFields where try definition(key).required {
            throw AnnotationError("custom.\(key) is required: every asset has a value; set another instead of unsetting it")
        }
        return values
    }

    /// Applies the change to `record`; returns the history detail of what
    /// changed (`tags_added`, `tags_removed`, `categories_added`,
    /// `categories_removed`, each a JSON list), empty when nothing did.
    /// Adding a tag the asset has as removed brings it back as a manual
    /// tag; removing a manual tag deletes it, an embedded or AI one is kept
    /// removed with confidence 0.
    func apply(to record: inout AssetRecord, fields: [String: CustomValue] = [:]) -> [String: String] {
        var tags = record.tags ?? []
        var added: [String] = [], removed: [String] = []
        for name in addTags {
            if let index = tags.firstIndex(where: { $0.name == name }) {
                guard tags[index].removed else { continue }
                tags[index] = AssetTag(name: name, source: .manual)
            } else {
                tags.append(AssetTag(name: name, source: .manual))
            }
            added.append(name)
        }
        for name in removeTags {
            guard let index = tags.firstIndex(where: { $0.name == name && !$0.removed }) else { continue }
            Annotations.remove(at: index, from: &tags)
            removed.append(name)
        }
        record.tags = tags.isEmpty ? nil : tags
        let (categoriesAdded, categoriesRemoved) = Annotations.change(&record.categories, adding: addCategories, removing: removeCategories)
        let (collectionsAdded, collectionsRemoved) = Annotations.change(&record.collections, adding: addCollections, removing: removeCollections)
        var custom = record.custom ?? [:]
        var set: [String: CustomValue] = [:]
        for (key, value) in fields where custom[key] != value {
            custom[key] = value
            set[key] = value
        }
        let unset = unsetFields.filter { custom.removeValue(forKey: $0) != nil }
        record.custom = custom.isEmpty ? nil : custom
        var detail: [String: String] = [:]
        if let hidden, record.apply(hidden) {
            detail["hidden"] = record.hidden.map { $0 ? "true" : "false" } ?? "unset"
            detail["hidden_by"] = record.hiddenBy?.rawValue
        }
        detail["collections_added"] = Annotations.list(collectionsAdded)
        detail["collections_removed"] = Annotations.list(collectionsRemoved)
        detail["custom_set"] = Annotations.object(set)
        detail["custom_unset"] = Annotations.list(unset)
        detail["tags_added"] = Annotations.list(added)
        detail["tags_removed"] = Annotations.list(removed)
        detail["categories_added"] = Annotations.list(categoriesAdded)
        detail["categories_removed"] = Annotations.list(categoriesRemoved)
        return detail
    }
}

/// What `annotate` does to one list of names or tags, and history details.
enum Annotations {
    /// Adds the names a list lacks and removes those it has; what was
    /// added and removed. An empty list becomes nil (the record omits it).
    static func change(_ list: inout [String]?, adding: [String], removing: [String]) -> (added: [String], removed: [String]) {
        var names = list ?? []
        let added = adding.filter { !names.contains($0) }
        names += added
        let removed = removing.filter(names.contains)
        names.removeAll(where: removed.contains)
        list = names.isEmpty ? nil : names
        return (added, removed)
    }

    /// Removes the tag at `index`: a manual one is deleted; an embedded or
    /// AI one stays, removed, so that its source does not bring it back.
    static func remove(at index: Int, from tags: inout [AssetTag]) {
        if tags[index].source == .manual {
            tags.remove(at: index)
        } else {
            tags[index].removed = true
            tags[index].confidence = 0
        }
    }

    /// Values as a JSON object, for a history detail; nil for none.
    static func object(_ values: [String: CustomValue]) -> String? {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard !values.isEmpty, let data = try? encoder.encode(values) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    /// Names as a JSON list, for a history detail; nil for none.
    static func list(_ names: [String]) -> String? {
        guard !names.isEmpty, let data = try? JSONEncoder().encode(names) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }
}
