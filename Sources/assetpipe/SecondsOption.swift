import ArgumentParser
import Foundation

/// Options given in seconds become `Duration`s through `Int64`
/// milliseconds: a value past a year (or infinite, or not a number) is
/// refused here, before that conversion could trap on it.
enum SecondsOption {
    static let longest: Double = 366 * 86_400

    static func checkBounded(_ options: KeyValuePairs<String, Double>) throws {
        for (flag, seconds) in options where !(seconds <= longest) {
            throw ValidationError("\(flag) must be a number of seconds up to \(Int(longest)) (a year); got \(seconds)")
        }
    }

    /// Seconds from `90`, `90s`, `5m`, `1h` or `1d`; nil for anything else.
    static func duration(_ text: String) -> Double? {
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86_400]
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        guard let last = trimmed.last else { return nil }
        let (digits, unit) = units[last].map { (String(trimmed.dropLast()), $0) } ?? (trimmed, 1)
        guard let number = Double(digits), number.isFinite, number >= 0 else { return nil }
        return number * unit
    }
}
