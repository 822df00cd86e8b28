import AssetEdits
import Foundation

/// The render vocabulary as a fuzzer sees it: every parameter name of
/// `RenderParameters` with the kind of value it takes, and values chosen
/// on and past the edges of what the parser accepts.
///
/// The names are spelled out here because the parser's table is internal;
/// `AssetFuzzTests` checks that the parser knows every one of them.
enum RenderVocabulary {
    enum Kind: Sendable {
        case integer(ClosedRange<Int>)
        case number(ClosedRange<Double>)
        case choice([String])
        case color
        case text(maxLength: Int)
        case font
        case rect
        case quarterTurns
    }

    static let parameters: [(name: String, kind: Kind)] = [
        ("blur", .number(0.3...100)),
        ("bg", .color),
        ("dpr", .number(0.5...4)),
        ("fit", .choice(RenderParameters.Fit.allCases.map(\.rawValue))),
        ("flip", .choice(RenderParameters.Flip.allCases.map(\.rawValue))),
        ("fm", .choice(RenderParameters.OutputFormat.allCases.map(\.rawValue))),
        ("gravity", .choice(RenderParameters.Gravity.allCases.map(\.rawValue))),
        ("h", .integer(1...8192)),
        ("mark", .text(maxLength: 100)),
        ("mark-align", .choice(RenderParameters.Placement.allCases.map(\.rawValue))),
        ("mark-alpha", .integer(0...100)),
        ("mark-pad", .integer(0...1000)),
        ("mark-w", .integer(1...8192)),
        ("px", .integer(2...256)),
        ("q", .integer(1...100)),
        ("rect", .rect),
        ("rot", .quarterTurns),
        ("txt", .text(maxLength: 500)),
        ("txt-align", .choice(RenderParameters.Placement.allCases.map(\.rawValue))),
        ("txt-color", .color),
        ("txt-font", .font),
        ("txt-pad", .integer(0...1000)),
        ("txt-size", .integer(4...512)),
        ("w", .integer(1...8192)),
    ]

    static let names = parameters.map(\.name)

    /// Names the parser must refuse: near misses of real ones.
    static let unknownNames = ["W", "width", "txt_color", "w\u{0}", "", " w", "w ", "ｗ", "fit\u{301}", "FIT", "txt-", "-", "x", "ops", "S"]

    /// Integers on the edges of Swift's parsing and of every range.
    static let boundaryIntegers = [
        "0", "-0", "+0", "1", "-1", "+1", "2", "4", "100", "101", "256", "257", "512", "513", "1000", "1001", "8192", "8193",
        "9223372036854775807", "9223372036854775808", "-9223372036854775808", "-9223372036854775809",
        "99999999999999999999999999", "00000000000000000000000001", "1e3", "0x10", "1_000", "1.0", "1.", ".5", " 5", "5 ",
        "０", "１２", "٣", "५", "Ⅻ", "1\u{301}", "", "+", "-", "--1", "1-", "2147483647", "2147483648", "4294967296",
    ]

    /// Doubles on the edges of `Double(_:)` and of the three-decimal rounding.
    static let boundaryNumbers = [
        "0", "-0", "-0.0", "0.3", "0.2995", "0.2994", "0.3004", "0.5", "0.4995", "0.4994", "4", "4.0004", "4.0005", "3.9995",
        "100", "100.0004", "100.0005", "2.0", "2.0005", "2.00049999", "1e308", "-1e308", "1e309", "1.7976931348623157e308",
        "4.9e-324", "1e-320", "2.2250738585072014e-308", "nan", "NaN", "-nan", "snan", "inf", "-inf", "infinity", "Infinity",
        "0x1p1", "0x1.8p1", "1e0", "1E0", ".5", "5.", "+2", "2e", "e2", "0.30000000000000004", "1.0000000000000002",
        "０.５", "２", "1,5", "1 ", "", "999999999999999999999999999999.5",
    ]

    static let boundaryColors = [
        "fff", "FFF", "#fff", "#FFF", "ffff", "ffffff", "FFFFFF", "ffffff80", "#00000000", "abc", "ABCD", "#", "##fff", "ggg",
        "fffff", "fffffff", "fffffffff", "0x123", "-12", "+ff", "１２３", "０００", "０００００００", "ｆｆｆ", "fff\u{301}",
        "f\u{301}ff", "é12", "", " fff", "fff ", "#ｆｆｆｆｆｆ",
    ]

    static let boundaryRects = [
        "0,0,1,1", "0,0,100,100", "10,20,30,40", "9223372036854775807,0,1,1", "0,9223372036854775807,1,1",
        "0,0,9223372036854775807,9223372036854775807", "9223372036854775806,9223372036854775806,1,1",
        "4611686018427387904,4611686018427387904,4611686018427387904,4611686018427387904", "-1,0,1,1", "0,0,0,1",
        "0,0,1,0", "1,2,3", "1,2,3,4,5", ",,,", "0,0,1,1,", " 0,0,1,1", "0, 0, 1, 1", "０,0,1,1", "1.5,0,1,1", "99999,99999,1,1",
        "0,0,99999,1", "0,0,1,99999", "",
    ]

    static let boundaryTexts = [
        "Hello", "hello world", "A", "<span font=\"sans 200\">big</span>", "<b>bold</b>", "<span size=\"9999999\">x</span>",
        "&amp;", "&", "<", ">", "&#0;", "&#x1F4A9;", "line\nbreak", "tab\there", "cr\rhere", "\u{7F}", "\u{0}", "\u{1B}[31m",
        "\u{200B}", "\u{202E}txet", "\u{FEFF}", "🏳️‍🌈", "👨‍👩‍👧‍👦", "e\u{301}", "Z̸̢̛̛̛̗̗̪̘̙̯̱̪͇̺̤̮̼̮̬̰̠̙͈̣̝̞͕̜͓̱͙̥̰͔̲̜̮̱̫̟̥̩̫̪̲̲͔͖̻̻̠̜͕͉̟̝͍̪̭̳̜̹̺̗̜͑̈́̋̇̓̐͆͛̿̄̒̉̀̽͋̅̾̒͛̒̽̌̈́̔͗̃͌̂̈̐̊̑̓̿̚̚̚͘͘̚͜͝͠͝",
        "%", "%00", "%zz", "+", "=", "&w=1", "日本語", "سلام", "\u{10FFFF}", "\u{FFFD}", " ", "   ", "sans bold", "DejaVu Serif, italic",
        "monospace 200", "sans 9999999",
    ]

    static let boundaryChoices = ["", " cover", "cover ", "COVER", "Cover", "coveR\u{0}", "ﬁll", "İ", "h\u{301}", "hv", "vh", "HV", "jpg", "JPEG", "gif", "none"]

    static let boundaryQuarterTurns = ["0", "90", "180", "270", "360", "-90", "450", "90.0", "+90", "０", "9223372036854775807", "", "1"]

    /// A value for a parameter of `kind`: mostly within the vocabulary, often on its edge, sometimes far past it.
    static func value(of kind: Kind, _ random: inout FuzzRandom) -> String {
        if random.chance(0.04) { return junk(&random) }
        switch kind {
        case .integer(let range):
            if random.chance(0.5) { return random.pick(boundaryIntegers) ?? "0" }
            let bound = random.chance(0.8) ? range : (range.lowerBound - 10)...(range.upperBound + 10)
            return String(Int.random(in: bound, using: &random))
        case .number(let range):
            if random.chance(0.5) { return random.pick(boundaryNumbers) ?? "0" }
            let number = Double.random(in: (range.lowerBound - 1)...(range.upperBound + 1), using: &random)
            return random.chance(0.5) ? String(number) : String(format: "%.\(random.below(6))f", number)
        case .choice(let choices):
            if random.chance(0.25) { return random.pick(boundaryChoices) ?? "" }
            let choice = random.pick(choices) ?? ""
            return random.chance(0.1) ? choice.uppercased() : choice
        case .color:
            if random.chance(0.5) { return random.pick(boundaryColors) ?? "" }
            let digits = [3, 4, 6, 8][random.below(4)]
            let hex = (0..<digits).map { _ in String(random.below(16), radix: 16, uppercase: random.chance(0.3)) }.joined()
            return (random.chance(0.3) ? "#" : "") + hex
        case .text(let maxLength):
            switch random.below(6) {
            case 0: return String(repeating: random.pick(["a", "é", "e\u{301}", "日", "🏳️‍🌈", " "]) ?? "a",
                                  count: [maxLength - 1, maxLength, maxLength + 1, maxLength * 4][random.below(4)])
            case 1: return String(repeating: "\u{301}", count: 1 + random.below(2000)) // combining marks alone
            case 2: return "e" + String(repeating: "\u{301}", count: random.below(maxLength * 2))
            default: return random.pick(boundaryTexts) ?? "x"
            }
        case .font:
            return random.chance(0.5) ? (random.pick(["sans", "sans bold", "serif italic", "DejaVu Sans, 12", "mono 200"]) ?? "sans")
                : (random.pick(boundaryTexts) ?? "sans")
        case .rect:
            if random.chance(0.5) { return random.pick(boundaryRects) ?? "" }
            return (0..<4).map { _ in String(random.chance(0.8) ? random.below(5000) : Int.random(in: -5...Int.max, using: &random)) }
                .joined(separator: ",")
        case .quarterTurns:
            return random.pick(boundaryQuarterTurns) ?? "0"
        }
    }

    /// Bytes from nowhere in particular.
    static func junk(_ random: inout FuzzRandom) -> String {
        let count = [1, 4, 16, 200, 5000][random.below(5)]
        switch random.below(3) {
        case 0: return String(repeating: random.pick(["9", "０", "%", "&", "=", "\u{0}", "\u{301}", "<", "#"]) ?? "x", count: count)
        case 1: return String(String.UnicodeScalarView((0..<count).compactMap { _ in Unicode.Scalar(UInt32(random.below(0x3000))) }))
        default: return String(decoding: (0..<count).map { _ in UInt8.random(in: 0...255, using: &random) }, as: UTF8.self)
        }
    }
}

/// Builds query strings as a browser, a client library or an attacker would:
/// real names and values, encoded in every way a URL allows and some it does not.
enum RenderQueryGrammar {
    /// A decoded (name, value) list.
    static func pairs(_ random: inout FuzzRandom) -> [(name: String, value: String)] {
        var pairs: [(name: String, value: String)] = []
        for _ in 0..<random.below(9) {
            if random.chance(0.04) {
                pairs.append((random.pick(RenderVocabulary.unknownNames) ?? "x", "1"))
            } else if let (name, kind) = random.pick(RenderVocabulary.parameters) {
                pairs.append((name, RenderVocabulary.value(of: kind, &random)))
            }
        }
        if random.chance(0.05), let repeated = random.pick(pairs) {
            pairs.insert(repeated, at: random.below(pairs.count + 1)) // duplicated key
        }
        if random.chance(0.05) {
            pairs.append((RenderParameters.signatureParameter, String(repeating: "0", count: 64)))
        }
        return pairs
    }

    /// `pairs` as a query string.
    static func queryString(_ pairs: [(name: String, value: String)], _ random: inout FuzzRandom) -> String {
        let style = random.below(10)
        var parts = pairs.map { pair -> String in
            let name = encode(pair.name, style: style, &random)
            if pair.value.isEmpty, random.chance(0.3) { return name } // `name` without `=`
            return name + "=" + encode(pair.value, style: style, &random)
        }
        if random.chance(0.05) { parts.insert(random.pick(["", "=", "==", "=1", "&", "%", "%26=1", "s"]) ?? "", at: random.below(parts.count + 1)) }
        return parts.joined(separator: random.chance(0.02) ? "&&" : "&")
    }

    /// One component, encoded by `style`: as a browser does, every byte
    /// encoded, raw, `+` for spaces, lowercase hex, or broken escapes.
    static func encode(_ text: String, style: Int, _ random: inout FuzzRandom) -> String {
        switch style {
        case 0: // every byte, uppercase or lowercase hex
            let lower = random.chance(0.5)
            return text.utf8.map { String(format: lower ? "%%%02x" : "%%%02X", $0) }.joined()
        case 1: // raw: `&`, `=`, `%` and `+` reach the splitter and the decoder as they are
            return text
        case 2: // spaces as `+`
            return RenderParameters.percentEncoded(text).replacingOccurrences(of: "%20", with: "+")
        case 3: // a broken escape somewhere
            var encoded = RenderParameters.percentEncoded(text)
            encoded.insert(contentsOf: random.pick(["%", "%z", "%0", "%00", "%C3%28", "%ED%A0%80", "%FF", "%25"]) ?? "%",
                           at: encoded.index(encoded.startIndex, offsetBy: random.below(encoded.count + 1)))
            return encoded
        default: // what a browser sends
            return RenderParameters.percentEncoded(text)
        }
    }

    /// A whole query string from the grammar.
    static func generate(_ random: inout FuzzRandom) -> String {
        let pairs = pairs(&random)
        return queryString(pairs, &random)
    }

    /// Tokens for the byte mutator: names, `=`, `&`, escapes, and the boundary values.
    static let dictionary: [[UInt8]] = {
        let tokens = RenderVocabulary.names.map { $0 + "=" } + ["&", "=", "+", "%", "%00", "%26", "%3D", "%25", "%2B", "%EF%BC%90",
                                                               "%CC%81", "%C3%28", "%FF", "s="]
            + RenderVocabulary.boundaryIntegers + RenderVocabulary.boundaryNumbers + RenderVocabulary.boundaryColors
            + RenderVocabulary.boundaryRects + RenderVocabulary.boundaryChoices
        return tokens.filter { !$0.isEmpty }.map { Array($0.utf8) }
    }()

    /// How the render route reads a query string: split on `&`, then on the
    /// first `=`, `+` as a space, percent-decoded (undecodable text kept as
    /// sent). The oracle decodes the same way to know which names were sent.
    static func decodedPairs(_ query: String) -> [(name: String, value: String)] {
        query.split(separator: "&", omittingEmptySubsequences: true).map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let decode = { (text: Substring) in
                String(text).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(text)
            }
            return (decode(parts.first ?? ""), parts.count > 1 ? decode(parts[1]) : "")
        }
    }
}
