/// Reads the human-readable description of an ICC profile.
///
/// The description lives in the `desc` tag: an ASCII `desc` record in ICC
/// version 2 profiles, a UTF-16BE `mluc` record in version 4. Everything is
/// bounds-checked; a malformed profile yields nil, never a crash.
public enum ICCProfile {
    public static func description(of profile: [UInt8]) -> String? {
        let reader = BigEndianReader(profile)
        // 128-byte header, then the tag count and 12-byte entries.
        guard profile.count >= 132, reader.ascii(at: 36, count: 4) == "acsp",
              let tagCount = reader.uint32(at: 128), tagCount < 1024 else {
            return nil
        }
        for entry in 0..<Int(tagCount) {
            let base = 132 + entry * 12
            guard reader.ascii(at: base, count: 4) == "desc",
                  let offset = reader.uint32(at: base + 4).map(Int.init),
                  let size = reader.uint32(at: base + 8).map(Int.init),
                  offset >= 0, size >= 12, offset + size <= profile.count else { continue }
            switch reader.ascii(at: offset, count: 4) {
            case "desc": return textDescription(reader, at: offset, size: size)
            case "mluc": return multiLocalizedDescription(reader, at: offset, size: size)
            default: return nil
            }
        }
        return nil
    }

    /// ICC v2 `textDescriptionType`: type(4) reserved(4) count(4) ASCII bytes incl. NUL.
    private static func textDescription(_ reader: BigEndianReader, at offset: Int, size: Int) -> String? {
        guard let count = reader.uint32(at: offset + 8).map(Int.init), count > 0, 12 + count <= size else { return nil }
        let bytes = reader.bytes(at: offset + 12, count: count).prefix { $0 != 0 }
        return MetadataText.clean(String(decoding: bytes, as: UTF8.self))
    }

    /// ICC v4 `multiLocalizedUnicodeType`: records of (language, country, length, offset); the first is used.
    private static func multiLocalizedDescription(_ reader: BigEndianReader, at offset: Int, size: Int) -> String? {
        guard let records = reader.uint32(at: offset + 8), records > 0,
              let length = reader.uint32(at: offset + 20).map(Int.init),
              let start = reader.uint32(at: offset + 24).map(Int.init),
              start + length <= size else { return nil }
        // An Array, indexed from 0: the slice `bytes(at:count:)` returns keeps the profile's indices.
        let bytes = Array(reader.bytes(at: offset + start, count: length))
        var units: [UInt16] = []
        var index = 0
        while index + 1 < bytes.count {
            units.append(UInt16(bytes[index]) << 8 | UInt16(bytes[index + 1]))
            index += 2
        }
        return MetadataText.clean(String(decoding: units, as: UTF16.self))
    }
}

/// Bounds-checked big-endian reads over a byte array.
struct BigEndianReader {
    let bytes: [UInt8]

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    func uint32(at offset: Int) -> UInt32? {
        guard offset >= 0, offset + 4 <= bytes.count else { return nil }
        return bytes[offset..<offset + 4].reduce(0) { $0 << 8 | UInt32($1) }
    }

    func uint16(at offset: Int) -> UInt16? {
        guard offset >= 0, offset + 2 <= bytes.count else { return nil }
        return UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
    }

    func bytes(at offset: Int, count: Int) -> ArraySlice<UInt8> {
        guard offset >= 0, count >= 0, offset <= bytes.count else { return [] }
        return bytes[offset..<min(bytes.count, offset + count)]
    }

    func ascii(at offset: Int, count: Int) -> String? {
        let slice = bytes(at: offset, count: count)
        guard slice.count == count else { return nil }
        return String(decoding: slice, as: UTF8.self)
    }
}
