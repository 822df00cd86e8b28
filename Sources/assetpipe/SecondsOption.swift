import ArgumentParser

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
}
