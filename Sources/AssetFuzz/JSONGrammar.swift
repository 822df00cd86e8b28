import Foundation

/// JSON made from a list of keys a decoder looks for, with values of every
/// JSON type (and some that are not JSON): boundary numbers, escapes, deep
/// nesting, duplicated keys. Shared by the job-payload and HTTP-body targets.
struct JSONGrammar: Sendable {
    /// The keys, each with values that suit it; any key may also get any value.
    let keys: [(key: String, values: [String])]

    static let boundaryNumbers = [
        "0", "-0", "1", "-1", "5", "50", "51", "1000", "1001", "-1000", "-1001", "9223372036854775807", "9223372036854775808",
        "-9223372036854775808", "-9223372036854775809", "18446744073709551616", "1e308", "1e309", "-1e309", "1.0", "1.5", "0.1",
        "1e2", "1E+2", "4.9e-324", "1e-400", "2147483648", "00", "01", "-", "+1", ".5", "NaN", "Infinity", "0x10",
        "123456789012345678901234567890",
    ]

    static let boundaryStrings = [
        #""""#, #""/""#, #""/etc/shadow""#, #""../../etc/passwd""#, #""/tmp/a\u0000b""#, #""\u0000""#, #""\ud800""#,
        #""\udc00\ud800""#, #""\ud83d\ude00""#, #""\uFFFF""#, #""\""#, #""\x41""#, #""\/""#, #""é""#, #""e\u0301""#,
        #""０""#, #""a\nb""#, #""\t""#, "\"\u{7F}\"", #""  ""#, #""process""#, #""edit""#, #""PROCESS""#,
    ]

    static let otherValues = ["null", "true", "false", "[]", "{}", "[1]", #"{"a":1}"#, "[null]", #"["a","b"]"#]

    /// Tokens for the byte mutator.
    var dictionary: [[UInt8]] {
        let tokens = keys.map { "\"\($0.key)\":" } + keys.flatMap(\.values) + Self.boundaryNumbers + Self.boundaryStrings
            + Self.otherValues + ["{", "}", "[", "]", ",", ":", "\"", "\\u", "\\", " ", "\u{FEFF}", "//", "/*"]
        return tokens.map { Array($0.utf8) }
    }

    func generate(_ random: inout FuzzRandom) -> [UInt8] {
        if random.chance(0.03) { return Array(deepNesting(&random).utf8) }
        var members: [String] = []
        for _ in 0..<random.below(keys.count + 3) {
            guard let (key, values) = random.pick(keys) else { break }
            members.append("\"\(key)\": " + value(values, depth: 0, &random))
        }
        if random.chance(0.05), let repeated = random.pick(members) { members.append(repeated) }
        if random.chance(0.05) { members.append(#""unknown": 1"#) }
        var text = "{" + members.joined(separator: random.chance(0.02) ? ",," : ", ") + "}"
        switch random.below(40) {
        case 0: text += " garbage"
        case 1: text = "\u{FEFF}" + text
        case 2: text = "[" + text + "]"
        case 3: text = String(text.dropLast())
        case 4: return Array(text.utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }) // UTF-16LE, no BOM
        default: break
        }
        return Array(text.utf8)
    }

    func value(_ suitable: [String], depth: Int, _ random: inout FuzzRandom) -> String {
        switch random.below(10) {
        case 0...4 where !suitable.isEmpty: return random.pick(suitable) ?? "null"
        case 5: return random.pick(Self.boundaryNumbers) ?? "0"
        case 6: return random.pick(Self.boundaryStrings) ?? "\"\""
        case 7 where depth < 3: // an object of the same keys, one level down
            let inner = (0..<random.below(4)).compactMap { _ -> String? in
                guard let (key, values) = random.pick(keys) else { return nil }
                return "\"\(key)\": " + value(values, depth: depth + 1, &random)
            }
            return "{" + inner.joined(separator: ",") + "}"
        case 8: return "\"" + String(repeating: random.pick(["a", "é", "\\u0000", "\\\"", "%"]) ?? "a", count: [1, 100, 10_000][random.below(3)]) + "\""
        default: return random.pick(Self.otherValues) ?? "null"
        }
    }

    /// `[[[[...` or `{"a":{"a":...`, past any decoder's depth limit.
    func deepNesting(_ random: inout FuzzRandom) -> String {
        let depth = [100, 600, 10_000, 50_000][random.below(4)]
        let key = random.pick(keys)?.key ?? "a"
        if random.chance(0.5) {
            return String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        }
        return "{" + String(repeating: "\"\(key)\":{", count: depth) + String(repeating: "}", count: depth + 1)
    }
}
