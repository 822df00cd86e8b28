import AssetMedia
import AssetPipeline
import Foundation
import TestSupport
import Testing

/// Renditions checked against what libvips's own CLI (`vips thumbnail`,
/// `vipsheader`, `vips stats`, `vips getpoint`, `vips rawsave`) and exiftool
/// say about the written files: never against our own numbers.
@Suite struct RenditionTests {
    static let thumbnailsOnly: PipelineDefinition = {
        do {
            return try PipelineDefinition.load(contentsOf: Package.root + "/pipelines/thumbnails-only.yaml")
        } catch {
            fatalError("cannot load pipelines/thumbnails-only.yaml: \(error)")
        }
    }()

    // MARK: Helpers

    /// Runs `definition` over the sample; fails the test unless it was processed.
    private func process(_ sample: String, _ definition: PipelineDefinition = .default) throws -> ProcessedAsset {
        let result = Runner(definition: definition).process(SourceFile(path: Package.sample(sample)))
        guard result.record.status == .processed else {
            throw TestFailure("\(sample) was not processed: \(result.record.status) \(String(describing: result.record.error))")
        }
        return result
    }

    /// Writes every rendition's bytes to `directory` as `<name>.<ext>`: name → path.
    private func write(_ renditions: [EncodedRendition], to directory: String) throws -> [String: String] {
        var paths: [String: String] = [:]
        for rendition in renditions {
            let path = directory + "/" + rendition.name + "." + rendition.format.fileExtension
            try Data(rendition.bytes).write(to: URL(fileURLWithPath: path))
            paths[rendition.name] = path
        }
        return paths
    }

    private func vips(_ arguments: [String]) throws -> CommandResult {
        let result = try Command.run("vips", arguments)
        guard result.status == 0 else { throw TestFailure("vips \(arguments.joined(separator: " ")): \(result.summary)") }
        return result
    }

    /// `vips thumbnail IN OUT.v SIZE --size down`: libvips's own upright, never-enlarged thumbnail.
    private func libvipsThumbnail(_ input: String, _ size: Int, scratch: String) throws -> String {
        let output = scratch + "/oracle-\(UUID().uuidString.prefix(8)).v"
        _ = try vips(["thumbnail", input, output, String(size), "--size", "down"])
        return output
    }

    /// As libvips's CLI converts it to 8-bit sRGB (`vips colourspace IN OUT srgb`).
    private func libvipsSRGB(_ input: String, scratch: String) throws -> String {
        let output = scratch + "/srgb-\(UUID().uuidString.prefix(8)).v"
        _ = try vips(["colourspace", input, output, "srgb"])
        return output
    }

    /// Band format, bands and interpretation as `vipsheader FILE` prints them
    /// ("W x H uchar, 3 bands, srgb, webpload"); `vipsheader -f format` prints enum names instead.
    private func decoded(_ path: String) throws -> (format: String, bands: Int, interpretation: String) {
        let result = try Command.run("vipsheader", [path])
        guard result.status == 0, let colon = result.output.range(of: ": ", options: .backwards) else {
            throw TestFailure("vipsheader \(path): \(result.summary)")
        }
        let fields = result.output[colon.upperBound...].trimmingCharacters(in: .whitespacesAndNewlines)
            .components(separatedBy: ", ")
        guard fields.count >= 3, let format = fields[0].split(separator: " ").last,
              let bands = fields[1].split(separator: " ").first.flatMap({ Int($0) }) else {
            throw TestFailure("vipsheader \(path) printed \(result.output)")
        }
        return (String(format), bands, fields[2])
    }

    private func size(_ path: String) throws -> (width: Int, height: Int) {
        (try Oracle.vipsheaderInt("width", path), try Oracle.vipsheaderInt("height", path))
    }

    /// Mean of each band, from `vips stats` (row b+1, column 4 of its matrix).
    private func bandMeans(_ path: String, scratch: String) throws -> [Double] {
        let csv = scratch + "/stats-\(UUID().uuidString.prefix(8)).csv"
        _ = try vips(["stats", path, csv])
        let rows = try String(contentsOfFile: csv, encoding: .utf8)
            .split(separator: "\n").map { $0.split(whereSeparator: { $0 == "\t" || $0 == " " }).compactMap { Double($0) } }
        let bands = try Oracle.vipsheaderInt("bands", path)
        guard rows.count >= bands + 1 else { throw TestFailure("vips stats \(path) printed \(rows)") }
        return (1...bands).map { rows[$0][4] }
    }

    /// `vips getpoint FILE X Y`: the pixel's band values.
    private func point(_ path: String, _ x: Int, _ y: Int) throws -> [Double] {
        try vips(["getpoint", path, String(x), String(y)]).output
            .split(whereSeparator: \.isWhitespace).compactMap { Double($0) }
    }

    /// The decoded pixels as libvips's CLI writes them (`vips rawsave`): 8-bit, band-interleaved.
    private struct Pixels {
        let width: Int, height: Int, bands: Int
        let bytes: [UInt8]
        func at(_ x: Int, _ y: Int) -> ArraySlice<UInt8> {
            let start = (y * width + x) * bands
            return bytes[start..<start + bands]
        }
    }

    private func pixels(_ path: String, scratch: String) throws -> Pixels {
        let header = try decoded(path)
        guard header.format == "uchar" else { throw TestFailure("\(path) decodes as \(header.format), not uchar") }
        let raw = scratch + "/raw-\(UUID().uuidString.prefix(8)).raw"
        _ = try vips(["rawsave", path, raw])
        let (width, height) = try size(path)
        let bands = header.bands
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: raw)))
        guard bytes.count == width * height * bands else {
            throw TestFailure("vips rawsave \(path) wrote \(bytes.count) bytes for \(width)x\(height)x\(bands)")
        }
        return Pixels(width: width, height: height, bands: bands, bytes: bytes)
    }

    /// Mean absolute difference per colour sample (alpha ignored) between two images of the same size.
    private func meanAbsoluteDifference(_ a: Pixels, _ b: Pixels) -> Double {
        precondition(a.width == b.width && a.height == b.height)
        let colours = min(3, a.bands, b.bands)
        var total = 0
        for pixel in 0..<(a.width * a.height) {
            for band in 0..<colours {
                total += abs(Int(a.bytes[pixel * a.bands + band]) - Int(b.bytes[pixel * b.bands + band]))
            }
        }
        return Double(total) / Double(a.width * a.height * colours)
    }

    // MARK: 1. Orientation

    @Test(arguments: 1...8)
    func renditionsAreUprightLikeLibvipsThumbnail(orientation: Int) throws {
        let scratch = try Package.temporaryDirectory("orientation")
        let source = Package.sample("orientation/orientation-\(orientation).jpg")
        let asset = try process("orientation/orientation-\(orientation).jpg")
        let files = try write(asset.renditions, to: scratch)

        let thumbPath = try #require(files["thumb"])
        let oracle = try libvipsThumbnail(source, 256, scratch: scratch)
        let ours = try size(thumbPath)
        let theirs = try size(oracle)
        #expect(ours.width == theirs.width && ours.height == theirs.height,
                "thumb of orientation-\(orientation): ours \(ours), vips thumbnail \(theirs)")

        // Same content, not merely the same box: a mirror or a half-turn would differ greatly.
        if ours.width == theirs.width && ours.height == theirs.height {
            let difference = meanAbsoluteDifference(try pixels(thumbPath, scratch: scratch),
                                                    try pixels(oracle, scratch: scratch))
            #expect(difference < 6, "thumb of orientation-\(orientation) differs from vips thumbnail by \(difference) per sample")
        }

        let previewPath = try #require(files["preview"])
        let preview = try size(previewPath)
        let previewOracle = try size(try libvipsThumbnail(source, 1024, scratch: scratch))
        #expect(preview.width == previewOracle.width && preview.height == previewOracle.height,
                "preview of orientation-\(orientation): ours \(preview), vips thumbnail \(previewOracle)")

        if orientation == 6 {
            #expect(ours.height > ours.width, "orientation-6 thumb is \(ours), not portrait")
        }
        let pixelated = try size(try #require(files["pixelated"]))
        if orientation >= 5 {
            #expect(pixelated.height > pixelated.width, "orientation-\(orientation) pixelated is \(pixelated), not portrait")
        } else {
            #expect(pixelated.width > pixelated.height, "orientation-\(orientation) pixelated is \(pixelated), not landscape")
        }
    }

    // MARK: 2. Metadata stripped

    @Test func renditionsCarryNoEXIFGPSXMPOrIPTC() throws {
        let scratch = try Package.temporaryDirectory("strip")
        let sample = "photos/camera-gps-south.jpg"
        // The source has every kind, so an empty answer below means stripped, not absent.
        let sourceKeys = Array(try Oracle.exiftool(Package.sample(sample), ["-G"]).keys)
        for prefix in ["EXIF:", "XMP", "IPTC", "Composite:GPS"] {
            #expect(sourceKeys.contains { $0.hasPrefix(prefix) }, "the sample has no \(prefix) tags")
        }

        var renditions = try process(sample).renditions
        renditions += try process(sample, Self.thumbnailsOnly).renditions.filter { $0.name == "large" }
        #expect(Set(renditions.map(\.name)) == ["thumb", "preview", "pixelated", "large"])
        for (name, path) in try write(renditions, to: scratch) {
            let grouped = Array(try Oracle.exiftool(path, ["-G"]).keys)
            let byLocation = Array(try Oracle.exiftool(path, ["-G1"]).keys)
            let forbidden = Set(grouped + byLocation).filter { key in
                ["EXIF:", "GPS:", "XMP", "IPTC", "Composite:GPS", "IFD0:", "ExifIFD:"].contains { key.hasPrefix($0) }
            }.sorted()
            let leaked = forbidden.filter { $0.contains("GPS") || $0.hasPrefix("XMP:") || $0.hasPrefix("IPTC:") }
            #expect(forbidden.count == 0,
                    "\(name) (\(name == "large" ? "jpeg" : "webp")) still carries \(forbidden.count) tags, among them \(leaked)")
        }
    }

    // MARK: 3. Colour space

    @Test(arguments: ["formats/cmyk-icc.jpg", "formats/rgb16.tif", "formats/gray.jpg"])
    func renditionsAreEightBitSRGBWithLibvipsColours(sample: String) throws {
        let scratch = try Package.temporaryDirectory("colour")
        let asset = try process(sample)
        let files = try write(asset.renditions, to: scratch)
        #expect(Set(files.keys) == ["thumb", "preview", "pixelated"])
        for (name, path) in files {
            let header = try decoded(path)
            #expect(header.format == "uchar" && header.interpretation == "srgb" && header.bands == 3,
                    "\(sample) \(name) decodes as \(header)")
        }

        // libvips's thumbnail imports through the embedded profile (CMYK) and
        // its colourspace conversion is the reference for 16-bit and grey.
        let oracle = try libvipsSRGB(try libvipsThumbnail(Package.sample(sample), 256, scratch: scratch), scratch: scratch)
        let theirs = try bandMeans(oracle, scratch: scratch)
        let ours = try bandMeans(try #require(files["thumb"]), scratch: scratch)
        #expect(theirs.count == 3 && ours.count == 3)
        for (band, (mine, reference)) in zip(ours, theirs).enumerated() {
            #expect(abs(mine - reference) < 4,
                    "\(sample) thumb band \(band) mean: ours \(mine), vips thumbnail \(reference)")
        }
    }

    // MARK: 4. Alpha

    @Test func alphaIsKeptInWebPAndFlattenedOntoWhiteInJPEG() throws {
        let scratch = try Package.temporaryDirectory("alpha")
        let source = Package.sample("formats/alpha.png")
        // Where the source is fully transparent, per libvips.
        let corners = [(399, 299), (0, 299), (399, 0)]
        for (x, y) in corners {
            let value = try point(source, x, y)
            #expect(value.count == 4 && value[3] == 0, "source pixel (\(x),\(y)) is \(value), not transparent")
        }

        let webp = try write(try process("formats/alpha.png").renditions, to: scratch)
        for name in ["thumb", "preview", "pixelated"] {
            let path = try #require(webp[name])
            #expect(try Oracle.vipsheaderInt("bands", path) == 4, "\(name) lost its alpha")
        }
        let thumb = try #require(webp["thumb"])
        let thumbSize = try size(thumb)
        let thumbCorner = try point(thumb, thumbSize.width - 1, thumbSize.height - 1)
        #expect(thumbCorner.count == 4 && thumbCorner[3] == 0, "thumb bottom-right is \(thumbCorner), not transparent")

        let jpegDirectory = scratch + "/jpeg"
        try FileManager.default.createDirectory(atPath: jpegDirectory, withIntermediateDirectories: true)
        let jpeg = try write(try process("formats/alpha.png", Self.thumbnailsOnly).renditions, to: jpegDirectory)
        let large = try #require(jpeg["large"])
        #expect(try Oracle.vipsheader("vips-loader", large) == "jpegload")
        #expect(try Oracle.vipsheaderInt("bands", large) == 3)
        #expect(try decoded(large).interpretation == "srgb")
        let largeSize = try size(large)
        #expect(largeSize.width == 400 && largeSize.height == 300)
        if largeSize.width == 400 && largeSize.height == 300 {
            for (x, y) in corners {
                let value = try point(large, x, y)
                #expect(value.count == 3 && value.allSatisfy { $0 >= 250 }, "large (\(x),\(y)) is \(value), not white")
            }
        }
    }

    // MARK: 5. Never upscaled

    @Test func renditionsAreNeverEnlarged() throws {
        let scratch = try Package.temporaryDirectory("upscale")
        let source = Package.sample("formats/alpha.png")
        let original = try size(source)
        #expect(original.width == 400 && original.height == 300)

        let files = try write(try process("formats/alpha.png").renditions, to: scratch)
            .merging(try write(try process("formats/alpha.png", Self.thumbnailsOnly).renditions.filter { $0.name == "large" },
                               to: scratch)) { first, _ in first }
        for name in ["preview", "large"] {
            let dimensions = try size(try #require(files[name]))
            #expect(dimensions.width == original.width && dimensions.height == original.height,
                    "\(name) of a \(original) source is \(dimensions)")
        }
        let thumb = try size(try #require(files["thumb"]))
        let oracle = try size(try libvipsThumbnail(source, 256, scratch: scratch))
        #expect(thumb.width == oracle.width && thumb.height == oracle.height, "thumb: ours \(thumb), vips thumbnail \(oracle)")
    }

    // MARK: 6. Pixelated

    /// Positions along `count` samples where the colour jumps by more than
    /// `threshold` in some band; jumps within `merge` of the start of a
    /// cluster are one boundary (lossy WebP smears an edge over a pixel or two).
    private func boundaries(count: Int, threshold: Int = 12, merge: Int = 3, pixel: (Int) -> ArraySlice<UInt8>) -> [Int] {
        var clusters: [Int] = []
        for position in 1..<count {
            let jump = zip(pixel(position - 1), pixel(position)).map { abs(Int($0) - Int($1)) }.max() ?? 0
            if jump > threshold, position - (clusters.last ?? Int.min / 2) > merge { clusters.append(position) }
        }
        return clusters
    }

    /// Rows across the image, at fifths and tenths of its height.
    /// Checks the sampled rows for at most 16 blocks (15 colour boundaries) and
    /// that at least one row is not flat; returns each row's boundaries.
    @discardableResult
    private func expectAtMostSixteenBlocksPerRow(_ image: Pixels, sourceLocation: SourceLocation = #_sourceLocation) -> [(Int, [Int])] {
        let rows = sampleRows(image).map { y in (y, boundaries(count: image.width) { image.at($0, y) }) }
        for (y, row) in rows {
            #expect(row.count <= 15, "row \(y) has \(row.count + 1) blocks, boundaries at \(row)", sourceLocation: sourceLocation)
        }
        #expect(rows.contains { !$0.1.isEmpty }, "the pixelated preview is one flat colour along every row tried", sourceLocation: sourceLocation)
        return rows
    }

    private func sampleRows(_ image: Pixels) -> [Int] {
        [0.2, 0.35, 0.5, 0.65, 0.8].map { Int(Double(image.height) * $0) }
    }

    /// A 2048x1536 PNG of random colours in 48-pixel cells (seeded): detail at
    /// a much finer scale than 16 blocks across, so a finer mosaic or no
    /// mosaic at all shows many more colour changes along a row.
    private func makeRandomCells(in directory: String) throws -> String {
        let width = 2048, height = 1536, cell = 48
        var generator = SeededGenerator(seed: 0x5EED_B10C)
        func next() -> UInt8 { UInt8(truncatingIfNeeded: generator.next()) }
        var bytes = [UInt8]()
        bytes.reserveCapacity(width * height * 3)
        for _ in 0..<(height + cell - 1) / cell {
            var row = [UInt8]()
            row.reserveCapacity(width * 3)
            for _ in 0..<(width + cell - 1) / cell {
                let colour = [next(), next(), next()]
                for _ in 0..<cell where row.count < width * 3 { row += colour }
            }
            for _ in 0..<cell where bytes.count < width * height * 3 { bytes += row }
        }
        let raw = directory + "/cells.raw", loaded = directory + "/cells.v", output = directory + "/cells.png"
        try Data(bytes).write(to: URL(fileURLWithPath: raw))
        _ = try vips(["rawload", raw, loaded, String(width), String(height), "3"])
        let tagged = directory + "/cells-srgb.v"
        _ = try vips(["copy", loaded, tagged, "--interpretation", "srgb"])
        _ = try vips(["copy", tagged, output])
        return output
    }

    @Test func pixelatedPreviewIsAtMostSixteenBlocksAlongTheLongSide() throws {
        let scratch = try Package.temporaryDirectory("pixelated")
        let source = try makeRandomCells(in: scratch)
        let result = Runner(definition: .default).process(SourceFile(path: source))
        #expect(result.record.status == .processed)
        let files = try write(result.renditions, to: scratch)
        let image = try pixels(try #require(files["pixelated"]), scratch: scratch)
        let thumb = try pixels(try #require(files["thumb"]), scratch: scratch)
        #expect(max(image.width, image.height) == max(thumb.width, thumb.height),
                "pixelated \(image.width)x\(image.height), thumb \(thumb.width)x\(thumb.height)")
        #expect(image.width > image.height, "the source is landscape")

        let rows = expectAtMostSixteenBlocksPerRow(image)
        for (y, row) in rows {
            // Blocks of at most 16 across are at least width/16 wide (less a pixel of blur each side).
            let gaps = zip(row.dropFirst(), row).map { $0 - $1 }
            #expect(gaps.allSatisfy { $0 >= image.width / 16 - 4 }, "row \(y): blocks narrower than 1/16 of the width, boundaries at \(row)")
        }
        let x = image.width / 2
        let column = boundaries(count: image.height) { image.at(x, $0) }
        #expect(column.count <= 15, "column \(x) has \(column.count + 1) blocks, boundaries at \(column)")

        // The detector is not blind: the plain thumb of the same source changes colour far more often.
        let thumbRow = boundaries(count: thumb.width) { thumb.at($0, thumb.height / 2) }
        #expect(thumbRow.count > 15, "only \(thumbRow.count) colour changes across the thumb: the check proves nothing")
    }

    @Test func pixelatedPreviewOfAPhotoIsCoarseAndSizedLikeTheThumb() throws {
        let scratch = try Package.temporaryDirectory("pixelated-photo")
        let files = try write(try process("photos/camera-gps-south.jpg").renditions, to: scratch)
        let image = try pixels(try #require(files["pixelated"]), scratch: scratch)
        let thumb = try size(try #require(files["thumb"]))
        let oracle = try size(try libvipsThumbnail(Package.sample("photos/camera-gps-south.jpg"), 256, scratch: scratch))
        #expect(thumb.width == oracle.width && thumb.height == oracle.height, "thumb \(thumb), vips thumbnail \(oracle)")
        #expect(max(image.width, image.height) == max(thumb.width, thumb.height),
                "pixelated \(image.width)x\(image.height), thumb \(thumb)")
        #expect(image.width > image.height, "the photo is landscape")
        _ = expectAtMostSixteenBlocksPerRow(image)
    }

    // MARK: 7. Animation

    @Test func animatedGIFThumbIsTheFirstFrame() throws {
        let scratch = try Package.temporaryDirectory("gif")
        let source = Package.sample("formats/animated.gif")
        let files = try write(try process("formats/animated.gif").renditions, to: scratch)
        let oraclePath = try libvipsThumbnail(source, 256, scratch: scratch)
        let oracle = try size(oraclePath)
        #expect(oracle.width == 200 && oracle.height == 150)
        for name in ["thumb", "preview"] {
            let path = try #require(files[name])
            let ours = try size(path)
            #expect(ours.width == oracle.width && ours.height == oracle.height, "\(name): ours \(ours), vips thumbnail \(oracle)")
            if ours.width == oracle.width && ours.height == oracle.height {
                // The first frame's pixels, as libvips loads page 0.
                let reference = try pixels(try libvipsSRGB(oraclePath, scratch: scratch), scratch: scratch)
                let difference = meanAbsoluteDifference(try pixels(path, scratch: scratch), reference)
                #expect(difference < 8, "\(name) differs from the first frame by \(difference) per sample")
            }
        }
    }
}
