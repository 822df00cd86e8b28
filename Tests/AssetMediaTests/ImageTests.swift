import AssetMedia
import Foundation
import TestSupport
import Testing

@Suite struct ImageTests {
    /// Orc (libvips's run-time SIMD compiler) crashed batches in liborc 0.4.33; it stays off.
    @Test func libvipsRunsWithoutOrc() throws {
        try VipsRuntime.start()
        #expect(!VipsRuntime.generatesSIMDCode)
    }

    @Test(arguments: ["formats/alpha.png", "formats/cmyk-icc.jpg", "formats/rgb16.tif", "formats/gray.jpg", "formats/photo.webp", "formats/photo.heic"])
    func headerMatchesVipsheader(sample: String) throws {
        let path = Package.sample(sample)
        let image = try Image.openHeader(try SourceFile(path: path).open())
        #expect(image.width == Int(try Oracle.vipsheader("width", path)))
        #expect(image.height == Int(try Oracle.vipsheader("height", path)))
        #expect(image.bands == Int(try Oracle.vipsheader("bands", path)))
        // vipsheader prints "((VipsInterpretation) VIPS_INTERPRETATION_sRGB)"; libvips's nick is "srgb".
        let oracle = try Oracle.vipsheader("interpretation", path)
        let name = try #require(oracle.components(separatedBy: "VIPS_INTERPRETATION_").last?.split(separator: ")").first)
        #expect(image.interpretation.replacingOccurrences(of: "-", with: "_") == name.lowercased())
    }

    @Test func animatedGifCountsFrames() throws {
        let path = Package.sample("formats/animated.gif")
        let image = try Image.openHeader(try SourceFile(path: path).open())
        #expect(image.pageCount == Int(try Oracle.vipsheader("n-pages", path)))
        #expect(image.pageCount > 1)
    }

    @Test func decodeShrinksAndTurnsUpright() throws {
        let path = Package.sample("orientation/orientation-6.jpg")
        let decoded = try Image.decode(try SourceFile(path: path).open(), maxSize: 100)
        // Orientation 6 stores a landscape image that is displayed portrait.
        #expect(decoded.height == 100)
        #expect(decoded.width < decoded.height)
    }

    @Test(arguments: ["bad/truncated.jpg", "bad/corrupt.png"])
    func damagedFilesFailToDecode(sample: String) throws {
        let file = try SourceFile(path: Package.sample(sample)).open()
        #expect(throws: MediaError.self) { try Image.decode(file, maxSize: 256) }
    }

    @Test func sha256MatchesCoreutilsAcrossChunks() throws {
        let directory = try Package.temporaryDirectory("sha")
        let path = directory + "/three-megabytes.bin"
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<(3 << 20) + 17).map { _ in UInt8.random(in: 0...255, using: &generator) }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        #expect(try SourceFile(path: path).open().sha256() == (try Oracle.sha256sum(path)))
    }

    @Test func nonUTF8NamesOpenAndPrintEscaped() throws {
        let directory = try Package.temporaryDirectory("names")
        let bytes = Array((directory + "/caf").utf8) + [0xE9, 0xFF] + Array(".txt".utf8)
        let source = SourceFile(pathBytes: bytes)
        let descriptor = open(bytes.map { CChar(bitPattern: $0) } + [0], O_CREAT | O_WRONLY, 0o644)
        #expect(descriptor >= 0)
        _ = write(descriptor, "hello", 5)
        close(descriptor)
        #expect(source.name == "caf\\xE9\\xFF.txt")
        #expect(try source.open().size == 5)
    }
}

@Suite struct MediaTypeTests {
    /// The type from the bytes agrees with file(1), whatever the name says.
    @Test(arguments: [
        "photos/camera-gps-south.jpg", "formats/alpha.png", "formats/animated.gif", "formats/photo.webp",
        "formats/rgb16.tif", "formats/photo.heic", "video/clip-2s.mp4", "other/document.pdf",
        "other/archive.zip", "other/notes.txt", "bad/not-really.png",
    ])
    func sniffAgreesWithFile(sample: String) throws {
        let path = Package.sample(sample)
        let head = try SourceFile(path: path).open().read(upTo: MediaType.sniffLength, at: 0)
        #expect(MediaType.sniff(head).mime == (try Oracle.mimeType(path)))
    }

    @Test func kinds() throws {
        func kind(_ sample: String) throws -> MediaType.Kind {
            MediaType.sniff(try SourceFile(path: Package.sample(sample)).open().read(upTo: MediaType.sniffLength, at: 0)).kind
        }
        #expect(try kind("photos/camera-gps-south.jpg") == .image)
        #expect(try kind("video/clip-10s.mp4") == .video)
        #expect(try kind("audio/tone.m4a") == .audio)
        #expect(try kind("other/document.pdf") == .other)
    }
}
