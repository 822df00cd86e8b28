import AssetEdits
import AssetMedia
import Foundation
import Synchronization
import TestSupport
import Testing

/// Renders checked from the outside: vipsheader for sizes, `vips getpoint`
/// and `vips min` for pixels, exiftool for metadata, `vips autorot` for
/// orientation. Sources are made with the vips command line from plain PPM.
@Suite struct RendererTests {
    /// A 400 × 300 picture of four 200 × 150 quadrants: red, green / blue, yellow.
    static let quadrants: String = {
        var pixels = [UInt8]()
        for y in 0..<300 {
            for x in 0..<400 {
                switch (x < 200, y < 150) {
                case (true, true): pixels += [255, 0, 0]
                case (false, true): pixels += [0, 255, 0]
                case (true, false): pixels += [0, 0, 255]
                case (false, false): pixels += [255, 255, 0]
                }
            }
        }
        return try! makePNG(width: 400, height: 300, pixels: pixels, name: "quadrants")
    }()

    static let white = try! makePNG(width: 400, height: 300, pixels: Array(repeating: 255, count: 400 * 300 * 3), name: "white")
    static let redSquare = try! makePNG(width: 50, height: 50, pixels: Array([255, 0, 0].repeated(2500)), name: "red")

    static func makePNG(width: Int, height: Int, pixels: [UInt8], name: String) throws -> String {
        let directory = try Package.temporaryDirectory("render-src")
        let ppm = directory + "/\(name).ppm", png = directory + "/\(name).png"
        try (Data("P6\n\(width) \(height)\n255\n".utf8) + Data(pixels)).write(to: URL(fileURLWithPath: ppm))
        let result = try Command.run("vips", ["copy", ppm, png])
        guard result.status == 0 else { throw TestFailure("vips copy: \(result.summary)") }
        return png
    }

    /// Renders `source` with `query` and writes the result to a file for the oracles.
    private func render(_ source: String, _ query: String, mark: String? = nil) throws -> (path: String, image: RenderedImage) {
        let parameters = try RenderParameters(queryString: query)
        let image = try Renderer().render(try SourceFile(path: source).open(), parameters,
                                          mark: try mark.map { try SourceFile(path: $0).open() })
        let path = try Package.temporaryDirectory("render-out") + "/out.\(image.format.rawValue)"
        try Data(image.bytes).write(to: URL(fileURLWithPath: path))
        return (path, image)
    }

    private func size(_ path: String) throws -> [Int] {
        [try Oracle.vipsheaderInt("width", path), try Oracle.vipsheaderInt("height", path)]
    }

    /// `vips getpoint FILE X Y`: the pixel's band values.
    private func pixel(_ path: String, _ x: Int, _ y: Int) throws -> [Int] {
        let result = try Command.run("vips", ["getpoint", path, "\(x)", "\(y)"])
        guard result.status == 0 else { throw TestFailure("vips getpoint: \(result.summary)") }
        return result.output.split(separator: " ").compactMap { Double($0).map { Int($0.rounded()) } }
    }

    private func close(_ actual: [Int], _ expected: [Int], within tolerance: Int = 3) -> Bool {
        actual.count >= expected.count && zip(actual, expected).allSatisfy { abs($0 - $1) <= tolerance }
    }

    /// The darkest value in an area (`vips crop` then `vips min`).
    static func darkest(_ path: String, x: Int, y: Int, width: Int, height: Int) throws -> Double {
        let area = try Package.temporaryDirectory("render-area") + "/area.v"
        guard try Command.run("vips", ["crop", path, area, "\(x)", "\(y)", "\(width)", "\(height)"]).status == 0 else {
            throw TestFailure("vips crop failed")
        }
        let result = try Command.run("vips", ["min", area])
        return try #require(Double(result.output.trimmingCharacters(in: .whitespacesAndNewlines)))
    }

    // MARK: - Sizes

    @Test(arguments: [
        ("w=200&h=200", [200, 150]),
        ("w=200&h=200&fit=contain", [200, 150]),
        ("w=200&h=200&fit=cover", [200, 200]),
        ("w=200&h=200&fit=fill", [200, 200]),
        ("w=200&h=200&fit=pad", [200, 200]),
        ("w=100", [100, 75]),
        ("h=60&fit=cover", [80, 60]),
        ("w=100&dpr=2", [200, 150]),
        ("w=800&h=100&fit=contain", [133, 100]),
        ("", [400, 300]),
        ("rect=0,0,100,50&rot=90", [50, 100]),
    ])
    func everyFitGivesItsExactSize(query: String, expected: [Int]) throws {
        let (path, image) = try render(Self.quadrants, query + (query.isEmpty ? "" : "&") + "fm=png")
        #expect(try size(path) == expected, "\(query)")
        #expect([image.width, image.height] == expected)
    }

    @Test func padFillsTheRestWithTheBackground() throws {
        let (path, _) = try render(Self.quadrants, "w=200&h=200&fit=pad&bg=00ff00&fm=png")
        // The 200 × 150 picture sits in the middle: 25 rows of background above and below.
        #expect(close(try pixel(path, 100, 5), [0, 255, 0]))
        #expect(close(try pixel(path, 100, 195), [0, 255, 0]))
        #expect(close(try pixel(path, 10, 35), [255, 0, 0]))
    }

    // MARK: - Crop, orientation, gravity

    @Test func aRectKeepsThatPartOfTheSource() throws {
        let (path, _) = try render(Self.quadrants, "rect=200,0,200,150&fm=png")
        #expect(try size(path) == [200, 150])
        for (x, y) in [(0, 0), (199, 0), (0, 149), (199, 149), (100, 75)] {
            #expect(close(try pixel(path, x, y), [0, 255, 0]), "(\(x), \(y))")
        }
        // Cropped before resizing: the lower-left quadrant, halved.
        let (small, _) = try render(Self.quadrants, "rect=0,150,200,150&w=100&fm=png")
        #expect(try size(small) == [100, 75])
        #expect(close(try pixel(small, 50, 37), [0, 0, 255]))
    }

    @Test func rotationAndFlipsTurnThePicture() throws {
        let (turned, _) = try render(Self.quadrants, "rot=90&fm=png")
        #expect(try size(turned) == [300, 400])
        // A quarter turn clockwise brings the lower-left (blue) to the top left.
        #expect(close(try pixel(turned, 10, 10), [0, 0, 255]))
        let (mirrored, _) = try render(Self.quadrants, "flip=h&fm=png")
        #expect(close(try pixel(mirrored, 10, 10), [0, 255, 0]))
        let (upsideDown, _) = try render(Self.quadrants, "flip=v&fm=png")
        #expect(close(try pixel(upsideDown, 10, 10), [0, 0, 255]))
    }

    @Test(arguments: [("west", [255, 0, 0], [0, 0, 255]), ("east", [0, 255, 0], [255, 255, 0])])
    func coverKeepsThePartGravityNames(gravity: String, top: [Int], bottom: [Int]) throws {
        let (path, _) = try render(Self.quadrants, "w=100&h=300&fit=cover&gravity=\(gravity)&fm=png")
        #expect(try size(path) == [100, 300])
        #expect(close(try pixel(path, 50, 10), top))
        #expect(close(try pixel(path, 50, 290), bottom))
    }

    @Test func anEXIFRotatedSourceComesOutUpright() throws {
        let source = Package.sample("orientation/orientation-6.jpg")
        let (path, _) = try render(source, "fm=png")
        let upright = try Oracle.autorotatedSize(source, scratch: try Package.temporaryDirectory("autorot"))
        #expect(try size(path) == [upright.width, upright.height])
        #expect(upright.width == (try Oracle.vipsheaderInt("height", source)))
    }

    // MARK: - Overlays

    @Test(arguments: ["top-left", "bottom-right"])
    func textLandsInTheRequestedCorner(align: String) throws {
        let (path, _) = try render(Self.white, "txt=MMMM&txt-size=40&txt-color=000000&txt-align=\(align)&fm=png")
        let topLeft = try Self.darkest(path, x: 0, y: 0, width: 200, height: 100)
        let bottomRight = try Self.darkest(path, x: 200, y: 200, width: 200, height: 100)
        let (inked, blank) = align == "top-left" ? (topLeft, bottomRight) : (bottomRight, topLeft)
        #expect(inked < 60, "no dark glyph pixels where the text should be")
        #expect(blank == 255, "ink where no text was asked for")
    }

    /// Debian's libvips 8.14.1 shares Pango's font map between threads
    /// unsafely; many renders with text at once, on threads of their own,
    /// must each come out right.
    @Test func manyTextOverlaysAtOnceAllRender() throws {
        let darkness = Mutex([Double]())
        let failures = Mutex([String]())
        let threads = (0..<16).map { index in
            Thread {
                for round in 0..<3 {
                    do {
                        let (path, _) = try self.render(Self.white, "txt=W\(index)W\(round)&txt-size=48&txt-align=center&fm=png")
                        let value = try Self.darkest(path, x: 100, y: 100, width: 200, height: 100)
                        darkness.withLock { $0.append(value) }
                    } catch {
                        failures.withLock { $0.append("\(error)") }
                    }
                }
            }
        }
        threads.forEach { $0.start() }
        while darkness.withLock({ $0.count }) + failures.withLock({ $0.count }) < 48 { Thread.sleep(forTimeInterval: 0.02) }
        #expect(failures.withLock { $0 }.isEmpty, "\(failures.withLock { $0 })")
        #expect(darkness.withLock { $0 }.allSatisfy { $0 < 60 }, "\(darkness.withLock { $0 })")
    }

    @Test func markAlphaBlendsTheOverlay() throws {
        let (path, _) = try render(Self.white, "mark=red&mark-alpha=50&mark-align=top-left&mark-pad=0&fm=png", mark: Self.redSquare)
        #expect(close(try pixel(path, 10, 10), [255, 128, 128], within: 4))
        #expect(close(try pixel(path, 60, 60), [255, 255, 255]))
        let (opaque, _) = try render(Self.white, "mark=red&mark-w=100&mark-align=bottom-right&mark-pad=10&fm=png", mark: Self.redSquare)
        #expect(close(try pixel(opaque, 300, 200), [255, 0, 0]))
        #expect(close(try pixel(opaque, 285, 185), [255, 255, 255]))
        #expect(close(try pixel(opaque, 395, 295), [255, 255, 255]), "the pad is not kept")
    }

    // MARK: - Output

    @Test func outputsCarryNoMetadata() throws {
        let source = Package.sample("photos/camera-gps-north.jpg")
        #expect(try Oracle.exiftool(source)["GPSLatitude"] != nil, "the sample lost its GPS: the test proves nothing")
        for format in ["jpeg", "png", "webp", "avif"] {
            let (path, image) = try render(source, "w=120&fm=\(format)")
            let tags = try Oracle.exiftool(path)
            #expect(tags["GPSLatitude"] == nil && tags["Make"] == nil && tags["Model"] == nil, "\(format): \(tags.keys.sorted())")
            #expect(image.contentType == (try Oracle.mimeType(path)), "\(format)")
        }
    }

    @Test func pixelateMakesBlocksOfTheRequestedSize() throws {
        let (path, _) = try render(Self.quadrants, "px=50&fm=png")
        #expect(try size(path) == [400, 300])
        // One block: the same colour at its corners.
        #expect(try pixel(path, 150, 100) == (try pixel(path, 199, 149)))
    }

    // MARK: - Refusals

    @Test func aCropPastTheSourceIsAParameterError() throws {
        do {
            _ = try render(Self.quadrants, "rect=300,0,200,100")
            Issue.record("accepted a crop past the edge")
        } catch let RenderError.parameter(error) {
            #expect(error.param == "rect")
        }
    }

    @Test func anOversizedOutputIsAParameterError() throws {
        do {
            _ = try render(Self.quadrants, "w=8000&dpr=4")
            Issue.record("accepted a 32000-pixel output")
        } catch let RenderError.parameter(error) {
            #expect(error.param == "w")
        }
    }

    @Test func theSourcePixelLimitHoldsWhetherTheSizeIsReadOrGiven() throws {
        var limits = RenderLimits()
        limits.maxSourcePixels = 400 * 300 - 1
        let parameters = try RenderParameters(queryString: "w=10")
        for known in [nil, (width: 400, height: 300)] as [(width: Int, height: Int)?] {
            do {
                _ = try Renderer(limits: limits).render(try SourceFile(path: Self.quadrants).open(), parameters, uprightSize: known)
                Issue.record("rendered a source over the pixel limit (size \(known == nil ? "read" : "given"))")
            } catch RenderError.tooLarge(let message) {
                #expect(message.contains("400 × 300"))
            }
        }
    }

    @Test func aFileThatIsNotAnImageIsUnrenderable() throws {
        do {
            _ = try render(Package.sample("other/notes.txt"), "w=100")
            Issue.record("rendered a text file")
        } catch RenderError.unrenderable(let message) {
            #expect(message.contains("notes.txt"))
        }
    }
}

extension Array {
    func repeated(_ count: Int) -> [Element] { Array((0..<count).map { _ in self }.joined()) }
}
