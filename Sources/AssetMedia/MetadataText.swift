import Foundation

/// Normalizes text found in metadata. Real files pad fields with spaces or
/// NULs, or fill them with nothing but those; such a field means "absent".
public enum MetadataText {
    /// The text trimmed of whitespace and NULs; nil when nothing is left.
    public static func clean(_ text: String) -> String? {
        let trimmed = text.trimmingCharacters(in: CharacterSet.whitespacesAndNewlines.union(CharacterSet(charactersIn: "\0")))
        return trimmed.isEmpty ? nil : trimmed
    }

    /// Decodes bytes as UTF-8, or as Latin-1 when they are not valid UTF-8
    /// (older cameras write Latin-1), up to the first NUL, then cleans.
    public static func decode<Bytes: Collection>(_ bytes: Bytes) -> String? where Bytes.Element == UInt8 {
        let text = Array(bytes.prefix { $0 != 0 })
        if let utf8 = String(validating: text, as: UTF8.self) {
            return clean(utf8)
        }
        return clean(String(text.map { Character(Unicode.Scalar($0)) }))
    }
}
