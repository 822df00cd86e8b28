import Foundation

/// How words are cut and folded, one way for the index and the query:
/// letters and digits make words, anything else separates them; case and
/// diacritics are folded away ("Café" is "cafe"). The catalog stores text
/// already folded, so its full-text index only ever sees plain words.
public enum SearchText {
    public static func isWordScalar(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
             .decimalNumber, .letterNumber, .otherNumber:
            true
        default:
            false
        }
    }

    /// Lowercase, without diacritics.
    public static func fold(_ text: String) -> String {
        text.folding(options: [.caseInsensitive, .diacriticInsensitive], locale: nil).lowercased()
    }

    /// The folded words of `text`, in order.
    public static func words(_ text: String) -> [String] {
        var words: [String] = []
        var word = ""
        for scalar in fold(text).unicodeScalars {
            if isWordScalar(scalar) {
                word.unicodeScalars.append(scalar)
            } else if !word.isEmpty {
                words.append(word)
                word = ""
            }
        }
        if !word.isEmpty { words.append(word) }
        return words
    }
}

/// ISO 8601 dates and times as queries and EXIF records write them:
/// "2024-05-01", "2024-05-01T12:30:00", "2024-05-01 12:30:00.250Z",
/// "2024-05-01T12:30:00+02:00". Without a zone, UTC.
public enum Timestamps {
    public static func parse(_ text: String) -> Date? {
        let characters = Array(text.utf8)
        func number(_ range: Range<Int>) -> Int? {
            guard range.upperBound <= characters.count else { return nil }
            var value = 0
            for index in range {
                let digit = characters[index]
                guard digit >= 48, digit <= 57 else { return nil }
                value = value * 10 + Int(digit - 48)
            }
            return value
        }
        guard let year = number(0..<4), characters.count >= 10, characters[4] == 45, characters[7] == 45,
              let month = number(5..<7), let day = number(8..<10), (1...12).contains(month), (1...31).contains(day) else { return nil }
        var components = DateComponents(year: year, month: month, day: day, hour: 0, minute: 0, second: 0)
        var offsetSeconds = 0
        var index = 10
        if index < characters.count {
            guard characters[index] == 84 || characters[index] == 32, let hour = number(11..<13), characters.count >= 19,
                  characters[13] == 58, let minute = number(14..<16), characters[16] == 58, let second = number(17..<19),
                  hour < 24, minute < 60, second < 61 else { return nil }
            components.hour = hour
            components.minute = minute
            components.second = second
            index = 19
            if index < characters.count, characters[index] == 46 {
                var digits = 0, fraction = 0
                index += 1
                while index < characters.count, characters[index] >= 48, characters[index] <= 57 {
                    if digits < 3 { fraction = fraction * 10 + Int(characters[index] - 48); digits += 1 }
                    index += 1
                }
                guard digits > 0 else { return nil }
                while digits < 3 { fraction *= 10; digits += 1 }
                components.nanosecond = fraction * 1_000_000
            }
            if index < characters.count {
                if characters[index] == 90, index + 1 == characters.count {
                    index += 1
                } else if characters[index] == 43 || characters[index] == 45, index + 6 == characters.count,
                          let hours = number(index + 1..<index + 3), characters[index + 3] == 58,
                          let minutes = number(index + 4..<index + 6), hours < 24, minutes < 60 {
                    offsetSeconds = (hours * 3600 + minutes * 60) * (characters[index] == 43 ? 1 : -1)
                    index += 6
                } else {
                    return nil
                }
            }
        }
        guard index == characters.count else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? TimeZone(secondsFromGMT: 0) ?? calendar.timeZone
        guard let date = calendar.date(from: components), calendar.component(.day, from: date) == day else { return nil }
        return date.addingTimeInterval(TimeInterval(-offsetSeconds))
    }
}
