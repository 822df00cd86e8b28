import Foundation

/// Sizes for people: read as they write them (1048576, "500MB", "2 GiB",
/// "64k": decimal k/M/G, binary KiB/MiB/GiB, any case), written in decimal
/// units ("512 MB", "3.1 kB").
public enum ByteCount {
    public static func describe(_ bytes: Int64) -> String {
        let units = ["bytes", "kB", "MB", "GB", "TB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1000, unit < units.count - 1 {
            value /= 1000
            unit += 1
        }
        return unit == 0 ? "\(bytes) bytes" : String(format: value < 10 ? "%.1f %@" : "%.0f %@", value, units[unit])
    }

    /// The number of bytes, at least 1; nil for anything else.
    public static func parse(_ text: String) -> Int64? {
        let text = text.trimmingCharacters(in: .whitespaces)
        let digits = text.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
        let unit = text.dropFirst(digits.count).trimmingCharacters(in: .whitespaces).lowercased()
        let multipliers: [String: Double] = [
            "": 1, "b": 1, "k": 1e3, "kb": 1e3, "m": 1e6, "mb": 1e6, "g": 1e9, "gb": 1e9, "t": 1e12, "tb": 1e12,
            "kib": 1024, "mib": 1_048_576, "gib": 1_073_741_824, "tib": 1_099_511_627_776,
        ]
        // Below 2^63 (Int64.max rounds up to it as a Double), so the conversion cannot trap.
        guard let number = Double(digits), let multiplier = multipliers[unit], number * multiplier >= 1,
              number * multiplier < Double(Int64.max) else { return nil }
        return Int64(number * multiplier)
    }
}
