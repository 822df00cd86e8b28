/// Keywords from IPTC-IIM metadata, as found in `iptc-data`: either a
/// Photoshop image-resource block (JPEG APP13, "Photoshop 3.0") holding
/// resource 0x0404, or the IIM datasets themselves. Bounds-checked throughout.
public enum IPTCRecord {
    /// The Application Record's Keywords (2:25), in file order.
    public static func keywords(in block: [UInt8]) -> [String] {
        let iim = iimData(in: block)
        var keywords: [String] = []
        var index = iim.startIndex
        // Each dataset: 0x1C, record, dataset, 2-byte big-endian length, data.
        while index + 5 <= iim.endIndex, iim[index] == 0x1C {
            let record = iim[index + 1]
            let dataset = iim[index + 2]
            let length = Int(iim[index + 3]) << 8 | Int(iim[index + 4])
            index += 5
            if length & 0x8000 != 0 { break } // extended lengths are never used for text; stop rather than guess
            guard index + length <= iim.endIndex else { break }
            if record == 2, dataset == 25, let keyword = MetadataText.decode(iim[index..<index + length]) {
                keywords.append(keyword)
            }
            index += length
        }
        return keywords
    }

    private static func iimData(in block: [UInt8]) -> ArraySlice<UInt8> {
        var start = 0
        let signature = Array("Photoshop 3.0".utf8) + [0]
        if block.starts(with: signature) { start = signature.count }
        if start < block.count, block[start] == 0x1C { return block[start...] }
        let reader = BigEndianReader(block)
        var index = start
        // 8BIM resources: "8BIM", id(2), Pascal name padded to even, size(4), data padded to even.
        while index + 12 <= block.count, reader.ascii(at: index, count: 4) == "8BIM" {
            guard let id = reader.uint16(at: index + 4) else { break }
            let nameLength = Int(block[index + 6])
            var cursor = index + 6 + nameLength + 1
            if (nameLength + 1) % 2 == 1 { cursor += 1 }
            guard let size = reader.uint32(at: cursor).map(Int.init) else { break }
            cursor += 4
            guard cursor + size <= block.count else { break }
            if id == 0x0404 { return block[cursor..<cursor + size] }
            index = cursor + size + (size % 2)
        }
        return []
    }
}
