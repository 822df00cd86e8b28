import Foundation

/// A render parameter that cannot be used, as the API reports it:
/// `{"error": {"code", "message", "param"}}` with status 400.
public struct EditParameterError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case unknownParameter = "unknown_parameter"
        case duplicateParameter = "duplicate_parameter"
        case invalidValue = "invalid_value"
    }

    public let code: Code
    public let message: String
    /// The parameter at fault.
    public let param: String

    public var description: String { "\(param): \(message)" }
}

extension RenderParameters {
    /// The query parameter that carries a signature; never a render parameter.
    public static let signatureParameter = "s"

    /// Reads query parameters (names and values already percent-decoded).
    /// Every name must be known and appear once, every value be valid;
    /// `s`, the signature, is skipped.
    public init(query: [(name: String, value: String)]) throws(EditParameterError) {
        self.init()
        var seen = Set<String>()
        for (name, value) in query where name != Self.signatureParameter {
            guard let field = Self.fieldsByName[name] else {
                throw EditParameterError(code: .unknownParameter, message: "unknown parameter '\(name)'; known: "
                                         + Self.fields.map(\.name).joined(separator: ", "), param: name)
            }
            guard seen.insert(name).inserted else {
                throw EditParameterError(code: .duplicateParameter, message: "'\(name)' is given more than once", param: name)
            }
            try field.read(&self, value)
        }
    }

    /// Reads a query string (`w=400&fit=cover`), percent-encoded as in a URL.
    public init(queryString: String) throws(EditParameterError) {
        let pairs = queryString.split(separator: "&", omittingEmptySubsequences: true).map { pair -> (name: String, value: String) in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let decode = { (text: Substring) in
                String(text).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(text)
            }
            return (decode(parts[0]), parts.count > 1 ? decode(parts[1]) : "")
        }
        try self.init(query: pairs)
    }

    /// The one spelling of these parameters: names in alphabetical order,
    /// values normalised (`#FFF` → `ffffff`, `dpr=2.0` → `2`), percent-encoded
    /// but for RFC 3986's unreserved characters; no signature. Requests that
    /// mean the same get the same string: the cache key, the ETag and what
    /// a signature signs.
    public var canonicalQuery: String {
        Self.fields.compactMap { field in
            field.write(self).map { "\(field.name)=\(Self.percentEncoded($0))" }
        }.joined(separator: "&")
    }

    /// `text` percent-encoded but for RFC 3986's unreserved characters.
    public static func percentEncoded(_ text: String) -> String {
        var unreserved = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        unreserved.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? text
    }
}

// MARK: - The vocabulary, one entry per parameter

extension RenderParameters {
    /// How one parameter is read from the query and written back canonically.
    struct Field: Sendable {
        let name: String
        let read: @Sendable (inout RenderParameters, String) throws(EditParameterError) -> Void
        let write: @Sendable (RenderParameters) -> String?
    }

    /// In alphabetical order, which is also the canonical order.
    static let fields: [Field] = [
        .double("blur", \.blur, 0.3...100),
        .color("bg", \.background),
        .double("dpr", \.devicePixelRatio, 0.5...4),
        .choice("fit", \.fit),
        .choice("flip", \.flip),
        .choice("fm", \.format),
        .choice("gravity", \.gravity),
        .integer("h", \.height, 1...8192),
        .text("mark", \.mark, maxLength: 100),
        .choice("mark-align", \.markAlign),
        .integer("mark-alpha", \.markAlpha, 0...100),
        .integer("mark-pad", \.markPad, 0...1000),
        .integer("mark-w", \.markWidth, 1...8192),
        .integer("px", \.pixelate, 2...256),
        .integer("q", \.quality, 1...100),
        .cropRect("rect", \.rect),
        .quarterTurns("rot", \.rotation),
        .text("txt", \.text, maxLength: 500),
        .choice("txt-align", \.textAlign),
        .color("txt-color", \.textColor),
        .text("txt-font", \.textFont, maxLength: 100, allowed: Field.fontNameCharacters),
        .integer("txt-pad", \.textPad, 0...1000),
        .integer("txt-size", \.textSize, 4...512),
        .integer("w", \.width, 1...8192),
    ].sorted { $0.name < $1.name }

    static let fieldsByName = Dictionary(uniqueKeysWithValues: fields.map { ($0.name, $0) })
}

extension RenderParameters.Field {
    typealias Parameters = RenderParameters

    static func invalid(_ name: String, _ value: String, _ expected: String) -> EditParameterError {
        EditParameterError(code: .invalidValue, message: "'\(value)' is not \(expected)", param: name)
    }

    static func integer(_ name: String, _ path: WritableKeyPath<Parameters, Int?> & Sendable,
                        _ range: ClosedRange<Int>) -> Self {
        Self(name: name, read: { parameters, value throws(EditParameterError) in
            guard let number = Int(value), range.contains(number) else {
                throw invalid(name, value, "a whole number from \(range.lowerBound) to \(range.upperBound)")
            }
            parameters[keyPath: path] = number
        }, write: { $0[keyPath: path].map(String.init) })
    }

    static func double(_ name: String, _ path: WritableKeyPath<Parameters, Double?> & Sendable,
                       _ range: ClosedRange<Double>) -> Self {
        Self(name: name, read: { parameters, value throws(EditParameterError) in
            guard let number = Double(value), number.isFinite, range.contains(number) else {
                throw invalid(name, value, "a number from \(shortest(range.lowerBound)) to \(shortest(range.upperBound))")
            }
            // Three decimals are more than any output can show, and make one key.
            parameters[keyPath: path] = (number * 1000).rounded() / 1000
        }, write: { $0[keyPath: path].map(shortest) })
    }

    static func choice<Value: RawRepresentable & CaseIterable & Sendable>(
        _ name: String, _ path: WritableKeyPath<Parameters, Value?> & Sendable
    ) -> Self where Value.RawValue == String {
        Self(name: name, read: { parameters, value throws(EditParameterError) in
            guard let choice = Value(rawValue: value.lowercased()) else {
                throw invalid(name, value, "one of " + Value.allCases.map(\.rawValue).joined(separator: ", "))
            }
            parameters[keyPath: path] = choice
        }, write: { $0[keyPath: path]?.rawValue })
    }

    static func color(_ name: String, _ path: WritableKeyPath<Parameters, Parameters.HexColor?> & Sendable) -> Self {
        Self(name: name, read: { parameters, value throws(EditParameterError) in
            guard let color = Parameters.HexColor(hex: value) else {
                throw invalid(name, value, "a hex colour: RRGGBB or RRGGBBAA (RGB and RGBA too)")
            }
            parameters[keyPath: path] = color
        }, write: { $0[keyPath: path]?.canonical })
    }

    /// Text up to `maxLength` Unicode scalars (not grapheme clusters, which
    /// combining marks can make arbitrarily long), without control characters
    /// but line breaks; `allowed`, when given, is the only scalars accepted.
    static func text(_ name: String, _ path: WritableKeyPath<Parameters, String?> & Sendable, maxLength: Int,
                     allowed: (set: CharacterSet, description: String)? = nil) -> Self {
        Self(name: name, read: { parameters, value throws(EditParameterError) in
            // Line breaks are text; other control characters would reach Pango and the logs.
            let controls = value.unicodeScalars.contains { $0 != "\n" && $0.properties.generalCategory == .control }
            let scalars = value.unicodeScalars.count
            guard scalars >= 1, scalars <= maxLength, !controls else {
                throw invalid(name, String(value.unicodeScalars.prefix(40).map(Character.init)),
                              "text of 1 to \(maxLength) characters without control characters")
            }
            if let allowed, !value.unicodeScalars.allSatisfy(allowed.set.contains) {
                throw invalid(name, String(value.unicodeScalars.prefix(40).map(Character.init)), allowed.description)
            }
            parameters[keyPath: path] = value
        }, write: { $0[keyPath: path] })
    }

    /// A Pango font family and style: letters, digits, spaces, `-` and `,`
    /// (`sans bold`, `DejaVu Serif, italic`); nothing that could carry markup.
    static let fontNameCharacters = (
        set: CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -,"),
        description: "a font name of ASCII letters, digits, spaces, '-' and ','"
    )

    static func cropRect(_ name: String, _ path: WritableKeyPath<Parameters, Parameters.CropRect?> & Sendable) -> Self {
        Self(name: name, read: { parameters, value throws(EditParameterError) in
            let numbers = value.split(separator: ",", omittingEmptySubsequences: false).map { Int($0) }
            guard numbers.count == 4, let x = numbers[0], let y = numbers[1], let width = numbers[2], let height = numbers[3],
                  x >= 0, y >= 0, width >= 1, height >= 1 else {
                throw invalid(name, value, "x,y,w,h: whole numbers, x and y from 0, w and h from 1")
            }
            parameters[keyPath: path] = Parameters.CropRect(x: x, y: y, width: width, height: height)
        }, write: { $0[keyPath: path].map { "\($0.x),\($0.y),\($0.width),\($0.height)" } })
    }

    static func quarterTurns(_ name: String, _ path: WritableKeyPath<Parameters, Int?> & Sendable) -> Self {
        Self(name: name, read: { parameters, value throws(EditParameterError) in
            guard let degrees = Int(value), [0, 90, 180, 270].contains(degrees) else {
                throw invalid(name, value, "0, 90, 180 or 270")
            }
            // 0 is no turn: the same request as none, and one cache entry.
            parameters[keyPath: path] = degrees == 0 ? nil : degrees
        }, write: { $0[keyPath: path].map(String.init) })
    }

    /// `2` rather than `2.0`; at most three decimals.
    static func shortest(_ number: Double) -> String {
        number == number.rounded() ? String(Int(number)) : String(format: "%.3f", number)
            .replacingOccurrences(of: "0+$", with: "", options: .regularExpression)
    }
}
