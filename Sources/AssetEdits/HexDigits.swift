/// Hexadecimal as URLs spell it: ASCII `0-9`, `a-f`, `A-F` only.
///
/// `Character.isHexDigit` also accepts fullwidth digits (`０`), which
/// `UInt8(_:radix:)` then refuses: checking with one and decoding with the
/// other lets a request trap the server. Everything here works on UTF-8
/// bytes and answers nil for anything else.
enum HexDigits {
    /// The bytes `text` spells, two digits each; nil unless every character
    /// is an ASCII hex digit and there is an even number of them.
    static func bytes<Text: StringProtocol>(_ text: Text) -> [UInt8]? {
        let utf8 = Array(text.utf8)
        guard utf8.count.isMultiple(of: 2) else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(utf8.count / 2)
        var index = 0
        while index < utf8.count {
            guard let high = value(of: utf8[index]), let low = value(of: utf8[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }

    /// Whether every character of `text` is an ASCII hex digit.
    static func isHex<Text: StringProtocol>(_ text: Text) -> Bool {
        text.utf8.allSatisfy { value(of: $0) != nil }
    }

    private static func value(of digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
