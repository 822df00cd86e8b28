/// Removes metadata chunks from a WebP file.
///
/// libvips 8.14's webpsave writes an EXIF chunk it builds itself (resolution,
/// orientation) even when asked to strip; a published rendition must carry
/// none. WebP is a RIFF container of chunks, so the EXIF and XMP chunks are
/// dropped, their flags cleared in the VP8X header, and the RIFF size fixed.
enum WebPMetadata {
    static func removingMetadata(_ bytes: [UInt8]) -> [UInt8] {
        guard bytes.count >= 12, bytes.starts(with: Array("RIFF".utf8)),
              Array(bytes[8..<12]) == Array("WEBP".utf8) else { return bytes }
        var output = Array(bytes[0..<12])
        var offset = 12
        while offset + 8 <= bytes.count {
            let tag = String(decoding: bytes[offset..<offset + 4], as: UTF8.self)
            let size = Int(bytes[offset + 4]) | Int(bytes[offset + 5]) << 8 | Int(bytes[offset + 6]) << 16 | Int(bytes[offset + 7]) << 24
            let end = offset + 8 + size + (size % 2) // chunks are padded to even sizes
            guard end <= bytes.count else { return bytes } // not a WebP we understand: leave it whole
            if tag != "EXIF" && tag != "XMP " {
                var chunk = Array(bytes[offset..<end])
                if tag == "VP8X", chunk.count > 8 {
                    chunk[8] &= ~(0x08 | 0x04) // the EXIF and XMP presence flags
                }
                output += chunk
            }
            offset = end
        }
        let riffSize = UInt32(output.count - 8)
        output[4] = UInt8(riffSize & 0xFF)
        output[5] = UInt8((riffSize >> 8) & 0xFF)
        output[6] = UInt8((riffSize >> 16) & 0xFF)
        output[7] = UInt8(riffSize >> 24)
        return output
    }
}
