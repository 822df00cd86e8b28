/// One value of a raw metadata tag, as JSON can carry it.
public enum MetadataValue: Sendable, Equatable, Codable {
    case string(String)
    case int(Int)
    case double(Double)
    case list([MetadataValue])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let value = try? container.decode(Int.self) {
            self = .int(value)
        } else if let value = try? container.decode(Double.self) {
            self = .double(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else {
            self = .list(try container.decode([MetadataValue].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let value): try container.encode(value)
        case .int(let value): try container.encode(value)
        case .double(let value): try container.encode(value)
        case .list(let values): try container.encode(values)
        }
    }

    /// The value as a number, when it is one (the first of a list).
    public var number: Double? {
        switch self {
        case .int(let value): return Double(value)
        case .double(let value): return value
        case .list(let values): return values.first?.number
        case .string: return nil
        }
    }

    public var text: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    public var numbers: [Double]? {
        switch self {
        case .list(let values):
            let numbers = values.compactMap(\.number)
            return numbers.count == values.count ? numbers : nil
        case .int, .double: return number.map { [$0] }
        case .string: return nil
        }
    }
}
