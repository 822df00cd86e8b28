/// The types of a user-defined field (ImageKit's custom metadata types).
/// The catalog keeps each field's definition; the query language needs
/// only its type, and a select's options, to read `custom.KEY` terms.
public enum CustomFieldType: String, Sendable, Codable, CaseIterable {
    case text, textarea, number, date, boolean
    case singleSelect = "single_select"
    case multiSelect = "multi_select"

    /// What its values are in a query.
    public var valueType: QueryField.ValueType {
        switch self {
        case .text, .textarea, .singleSelect: .string
        case .number: .decimal
        case .date: .date
        case .boolean: .boolean
        case .multiSelect: .stringList
        }
    }

    /// The operators a `custom.KEY` term of this type takes: those of its
    /// value type, with `EXISTS` (any asset may lack the field) and without
    /// `HAS` (`text HAS` searches every custom text value).
    public var operators: [QueryOperator] {
        var operators = QueryField.operators(of: valueType, hasWords: false)
        if !operators.contains(.exists) { operators.append(.exists) }
        return operators
    }
}

/// What a query needs to know of one custom field.
public struct CustomFieldShape: Sendable, Equatable {
    public var type: CustomFieldType
    /// A select's options: a value outside them is refused, not an empty result.
    public var options: [String]

    public init(type: CustomFieldType, options: [String] = []) {
        self.type = type
        self.options = options
    }
}

/// A custom field as a term names it (`custom.KEY`).
public struct CustomFieldReference: Sendable, Equatable {
    public var key: String
    public var type: CustomFieldType

    public init(key: String, type: CustomFieldType) {
        self.key = key
        self.type = type
    }
}
