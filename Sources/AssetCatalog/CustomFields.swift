import AssetPipeline
import AssetQuery
import Foundation

/// One user-defined field: its key, type and constraints (ImageKit's
/// custom metadata). Every value set on an asset is checked against it;
/// a definition is JSON in the catalog (`{"key", "type", "min", ...}`).
public struct CustomFieldDefinition: Codable, Sendable, Equatable {
    public var key: String
    public var type: CustomFieldType
    /// Numbers: the least and greatest value; dates: the earliest and latest, as ISO 8601.
    public var minimum: CustomValue?
    public var maximum: CustomValue?
    /// Text and textarea: the fewest and most characters.
    public var minimumLength: Int?
    public var maximumLength: Int?
    /// Selects: the values allowed.
    public var options: [String]?
    /// Every asset has a value: unsetting it is refused, and a required
    /// field gives assets without one its `defaultValue`.
    public var required: Bool
    /// What a new asset gets (and, for a required field, one without a value).
    public var defaultValue: CustomValue?

    enum CodingKeys: String, CodingKey {
        case key, type, options, required
        case minimum = "min"
        case maximum = "max"
        case minimumLength = "min_length"
        case maximumLength = "max_length"
        case defaultValue = "default"
    }

    /// The most characters any text value has (a textarea's; a text's is `textLimit`).
    public static let textareaLimit = 10_000
    public static let textLimit = 1_000
    public static let optionLimit = 500

    /// A key is 1–64 letters, digits, `_` or `-`, starting with a letter,
    /// so that `custom.KEY` reads as one word in a query.
    public static func checkKey(_ key: String) throws(AnnotationError) {
        guard let first = key.unicodeScalars.first, key.unicodeScalars.count <= 64, first.properties.isAlphabetic, first.isASCII,
              key.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_" || $0 == "-") })
        else {
            throw AnnotationError("a custom field key is 1 to 64 ASCII letters, digits, _ or -, starting with a letter; '\(key.prefix(70))' is not")
        }
    }

    /// A definition, checked: its constraints fit its type and each other,
    /// and its default is a valid value.
    public init(key: String, type: CustomFieldType, minimum: CustomValue? = nil, maximum: CustomValue? = nil,
                minimumLength: Int? = nil, maximumLength: Int? = nil, options: [String]? = nil, required: Bool = false,
                defaultValue: CustomValue? = nil) throws(AnnotationError) {
        try Self.checkKey(key)
        self.key = key
        self.type = type
        self.required = required
        let isText = type == .text || type == .textarea
        guard minimumLength == nil && maximumLength == nil || isText else {
            throw AnnotationError("min_length and max_length are for text and textarea fields, not \(type.rawValue)")
        }
        guard minimum == nil && maximum == nil || type == .number || type == .date else {
            throw AnnotationError("min and max are for number and date fields, not \(type.rawValue)")
        }
        let isSelect = type == .singleSelect || type == .multiSelect
        guard options == nil || isSelect else { throw AnnotationError("options are for single_select and multi_select fields") }
        if isSelect {
            var seen = Set<String>(), list: [String] = []
            for option in options ?? [] {
                let name = try LabelName.checked(option, what: "select option", flag: "--option")
                if seen.insert(name).inserted { list.append(name) }
            }
            guard !list.isEmpty, list.count <= Self.optionLimit else {
                throw AnnotationError("a \(type.rawValue) field needs 1 to \(Self.optionLimit) options (--option VALUE, repeatable)")
            }
            self.options = list
        }
        let limit = type == .textarea ? Self.textareaLimit : Self.textLimit
        if let minimumLength, !(0...limit).contains(minimumLength) { throw AnnotationError("min_length is 0 to \(limit)") }
        if let maximumLength, !(1...limit).contains(maximumLength) { throw AnnotationError("max_length is 1 to \(limit)") }
        if let minimumLength, let maximumLength, minimumLength > maximumLength {
            throw AnnotationError("min_length \(minimumLength) is more than max_length \(maximumLength)")
        }
        self.minimumLength = minimumLength
        self.maximumLength = maximumLength
        // Bounds are values of the field's own type, checked as such.
        var unbounded = self
        unbounded.required = false
        self.minimum = try minimum.map { (value: CustomValue) throws(AnnotationError) in try unbounded.checked(value, rule: "min") }
        self.maximum = try maximum.map { (value: CustomValue) throws(AnnotationError) in try unbounded.checked(value, rule: "max") }
        if let low = self.minimum, let high = self.maximum, Self.order(low) > Self.order(high) {
            throw AnnotationError("min \(low.display) is more than max \(high.display)")
        }
        self.defaultValue = try defaultValue.map { (value: CustomValue) throws(AnnotationError) in try self.checked(value) }
    }

    /// The definition with an other key (a rename).
    func renamed(_ key: String) -> CustomFieldDefinition {
        var copy = self
        copy.key = key
        return copy
    }

    /// `value` as stored when it is valid for this field (a date in ISO
    /// 8601 UTC with milliseconds, a multi select without repeats);
    /// refused naming the field, the rule and the value otherwise.
    public func checked(_ value: CustomValue, rule named: String? = nil) throws(AnnotationError) -> CustomValue {
        func refuse(_ rule: String) -> AnnotationError {
            AnnotationError("custom.\(key) \(rule); \(value.display.prefix(200)) is not" + (named.map { " (in \($0))" } ?? ""))
        }
        switch (type, value) {
        case (.text, .string(let text)), (.textarea, .string(let text)):
            let limit = type == .textarea ? Self.textareaLimit : Self.textLimit
            let allowed: (Unicode.Scalar) -> Bool = { scalar in
                scalar.properties.generalCategory != .control || (self.type == .textarea && (scalar == "\n" || scalar == "\t"))
            }
            guard text.unicodeScalars.allSatisfy(allowed) else {
                throw refuse(type == .textarea ? "holds text without control characters (line breaks and tabs aside)"
                                               : "holds one line of text without control characters (textarea takes more)")
            }
            let length = text.count
            guard length > 0 else { throw refuse("is not empty (unset the field instead)") }
            guard length <= (maximumLength ?? limit) else { throw refuse("holds at most \(maximumLength ?? limit) characters") }
            guard length >= (minimumLength ?? 0) else { throw refuse("holds at least \(minimumLength ?? 0) characters") }
            return value
        case (.number, .number(let number)):
            guard number.isFinite else { throw refuse("is a finite number") }
            if case .number(let low)? = minimum, number < low { throw refuse("is at least \(CustomValue.number(low).display)") }
            if case .number(let high)? = maximum, number > high { throw refuse("is at most \(CustomValue.number(high).display)") }
            return value
        case (.date, .string(let text)):
            guard let date = Self.date(text) else {
                throw refuse("is a date, as \"2024-05-01\" or \"2024-05-01T12:00:00Z\"")
            }
            if case .string(let low)? = minimum, let earliest = Self.date(low), date < earliest { throw refuse("is \(low) or later") }
            if case .string(let high)? = maximum, let latest = Self.date(high), date > latest { throw refuse("is \(high) or earlier") }
            return .string(Timestamp.format(date))
        case (.boolean, .boolean):
            return value
        case (.singleSelect, .string(let text)):
            guard options?.contains(text) == true else { throw refuse("is one of \(Self.list(options))") }
            return value
        case (.multiSelect, .strings(let list)):
            var seen = Set<String>(), kept: [String] = []
            for item in list {
                guard options?.contains(item) == true else { throw refuse("holds only \(Self.list(options))") }
                if seen.insert(item).inserted { kept.append(item) }
            }
            guard !kept.isEmpty else { throw refuse("holds at least one of \(Self.list(options))") }
            return .strings(kept)
        default:
            throw refuse("is \(Self.kindOfValue(type))")
        }
    }

    /// A value as typed on a command line: `5`, `2024-05-01`, `true`, `a,b` (a multi select).
    public func parse(_ text: String) throws(AnnotationError) -> CustomValue {
        switch type {
        case .number:
            guard let number = Double(text.trimmingCharacters(in: .whitespaces)) else {
                throw AnnotationError("custom.\(key) is a number; '\(text.prefix(200))' is not")
            }
            return try checked(.number(number))
        case .boolean:
            switch text.lowercased() {
            case "true", "yes", "1": return .boolean(true)
            case "false", "no", "0": return .boolean(false)
            default: throw AnnotationError("custom.\(key) is true or false; '\(text.prefix(200))' is not")
            }
        case .multiSelect:
            return try checked(.strings(text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }))
        case .text, .textarea, .date, .singleSelect:
            return try checked(.string(text))
        }
    }

    /// An ISO 8601 date or time (UTC unless it says otherwise).
    static func date(_ text: String) -> Date? {
        Timestamps.parse(text)
    }

    static func order(_ value: CustomValue) -> Double {
        switch value {
        case .number(let number): number
        case .string(let text): date(text)?.timeIntervalSince1970 ?? 0
        default: 0
        }
    }

    static func list(_ options: [String]?) -> String {
        (options ?? []).prefix(20).map { "\"\($0)\"" }.joined(separator: ", ") + ((options?.count ?? 0) > 20 ? ", ..." : "")
    }

    static func kindOfValue(_ type: CustomFieldType) -> String {
        switch type {
        case .text, .textarea: "text"
        case .number: "a number"
        case .date: "a date (a string, as \"2024-05-01\")"
        case .boolean: "true or false"
        case .singleSelect: "one option (a string)"
        case .multiSelect: "a list of options"
        }
    }

    /// What the query language needs of it.
    public var shape: CustomFieldShape { CustomFieldShape(type: type, options: options ?? []) }
}

/// A definition as the catalog stores it: its JSON.
enum CustomFieldStorage {
    static func encode(_ definition: CustomFieldDefinition) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(definition), as: UTF8.self)
    }

    static func decode(_ json: String) throws -> CustomFieldDefinition {
        try JSONDecoder().decode(CustomFieldDefinition.self, from: Data(json.utf8))
    }
}
