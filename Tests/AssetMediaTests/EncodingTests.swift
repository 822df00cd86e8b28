import AssetMedia
import Foundation
import TestSupport
import Testing

@Suite struct EncodingTests {
    /// Each rendition format encodes, and libvips reads the bytes back as that
    /// format, at that size, in sRGB, with no metadata blocks.
    @Test(arguments: EncodedFormat.allCases)
    func everyFormatRoundTrips(format: EncodedFormat) throws {
        let source = try SourceFile(path: Package.sample("photos/camera-gps-south.jpg")).open()
        let image = try Image.decode(source, maxSize: 200)
        let bytes = try image.encoded(as: format, quality: 80)
        let path = try Package.temporaryDirectory("encode") + "/out." + format.fileExtension
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        #expect(try Oracle.vipsheaderInt("width", path) == image.width)
        #expect(try Oracle.vipsheaderInt("height", path) == image.height)
        #expect(try Oracle.mimeType(path) == format.mimeType)
        let tags = try Oracle.exiftool(path, ["-G"])
        #expect(!tags.keys.contains { $0.hasPrefix("EXIF:") || $0.hasPrefix("XMP") || $0.hasPrefix("IPTC:") }, "\(tags.keys.sorted())")
    }
}
