import Foundation

/// The value of a user-defined field in the record's `custom`: a string
/// (text, textarea, a date as ISO 8601, a single select), a number, a
/// boolean or a list of strings (a multi select). Its JSON is the plain
/// JSON value.
public enum CustomValue: Codable, Sendable, Equatable, Hashable {
    case string(String)
    case number(Double)
    case boolean(Bool)
    case strings([String])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let flag = try? container.decode(Bool.self) {
            self = .boolean(flag)
        } else if let number = try? container.decode(Double.self) {
            self = .number(number)
        } else if let text = try? container.decode(String.self) {
            self = .string(text)
        } else {
            self = .strings(try container.decode([String].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let text): try container.encode(text)
        case .number(let number): try container.encode(number)
        case .boolean(let flag): try container.encode(flag)
        case .strings(let list): try container.encode(list)
        }
    }

    /// The value as one line of text, for messages and the history.
    public var display: String {
        switch self {
        case .string(let text): String(reflecting: text)
        case .number(let number): number == number.rounded() && abs(number) < 1e15 ? String(Int64(number)) : String(number)
        case .boolean(let flag): String(flag)
        case .strings(let list): "[" + list.map { String(reflecting: $0) }.joined(separator: ", ") + "]"
        }
    }
}
