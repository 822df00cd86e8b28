import AssetMedia
import AssetPipeline
import Foundation
import TestSupport
import Testing

/// The palette accuracy bar: on synthetic images of known proportions, every
/// true colour is found within ΔE76 ≤ 3 and its weight within ±0.03.
@Suite struct DominantColorsTests {
    struct Region {
        let color: RGBColor
        let share: Double
        var alpha: UInt8 = 255
    }

    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        /// Expected colours and weights among the pixels that count.
        let expected: [(hex: String, weight: Double)]
        let format: String
        let pixels: @Sendable (_ x: Int, _ y: Int, _ width: Int, _ height: Int) -> (RGBColor, UInt8)
        var usesAlpha = false
        var testDescription: String { name }
    }

    static func bands(_ regions: [(String, Double)]) -> @Sendable (Int, Int, Int, Int) -> (RGBColor, UInt8) {
        let colors = regions.map { (RGBColor(hex: $0.0)!, $0.1) }
        return { _, y, _, height in
            var edge = 0.0
            let position = (Double(y) + 0.5) / Double(height)
            for (color, share) in colors {
                edge += share
                if position < edge { return (color, 255) }
            }
            return (colors.last!.0, 255)
        }
    }

    static let cases: [Case] = [
        Case(name: "60/30/10 red, navy, yellow",
             expected: [("#d62828", 0.6), ("#003049", 0.3), ("#fcbf49", 0.1)], format: "png",
             pixels: bands([("#d62828", 0.6), ("#003049", 0.3), ("#fcbf49", 0.1)])),
        Case(name: "same, as a JPEG q90",
             expected: [("#d62828", 0.6), ("#003049", 0.3), ("#fcbf49", 0.1)], format: "jpg",
             pixels: bands([("#d62828", 0.6), ("#003049", 0.3), ("#fcbf49", 0.1)])),
        Case(name: "near-grey with teal",
             expected: [("#8a8a86", 0.7), ("#2a9d8f", 0.3)], format: "png",
             pixels: bands([("#8a8a86", 0.7), ("#2a9d8f", 0.3)])),
        Case(name: "four equal quarters",
             expected: [("#e63946", 0.25), ("#f1faee", 0.25), ("#a8dadc", 0.25), ("#1d3557", 0.25)], format: "png",
             pixels: bands([("#e63946", 0.25), ("#f1faee", 0.25), ("#a8dadc", 0.25), ("#1d3557", 0.25)])),
        // Two colours joined by a soft ramp over the middle 4% of the width.
        Case(name: "two-colour gradient",
             expected: [("#ff6b35", 0.5), ("#004e89", 0.5)], format: "png",
             pixels: { x, _, width, _ in
                 let a = RGBColor(hex: "#ff6b35")!, b = RGBColor(hex: "#004e89")!
                 let t = min(1, max(0, ((Double(x) + 0.5) / Double(width) - 0.48) / 0.04))
                 func mix(_ p: UInt8, _ q: UInt8) -> UInt8 { UInt8((Double(p) * (1 - t) + Double(q) * t).rounded()) }
                 return (RGBColor(red: mix(a.red, b.red), green: mix(a.green, b.green), blue: mix(a.blue, b.blue)), 255)
             }),
        // 30% fully transparent red must not count: teal 50/70, sand 20/70.
        Case(name: "alpha: transparent pixels do not count",
             expected: [("#2a9d8f", 5.0 / 7.0), ("#e9c46a", 2.0 / 7.0)], format: "png",
             pixels: { _, y, _, height in
                 let position = (Double(y) + 0.5) / Double(height)
                 if position < 0.5 { return (RGBColor(hex: "#2a9d8f")!, 255) }
                 if position < 0.7 { return (RGBColor(hex: "#e9c46a")!, 255) }
                 return (RGBColor(hex: "#ff0000")!, 0)
             }, usesAlpha: true),
    ]

    /// Renders the case as raw RGBA bytes and has the `vips` CLI turn them into
    /// a PNG or JPEG (RGB unless the case is about alpha).
    private func makeImage(_ testCase: Case, width: Int = 1200, height: Int = 800) throws -> String {
        let directory = try Package.temporaryDirectory("palette")
        var bytes = [UInt8]()
        bytes.reserveCapacity(width * height * 4)
        for y in 0..<height {
            for x in 0..<width {
                let (color, alpha) = testCase.pixels(x, y, width, height)
                bytes += [color.red, color.green, color.blue, alpha]
            }
        }
        let raw = directory + "/image.raw"
        try Data(bytes).write(to: URL(fileURLWithPath: raw))
        let hasAlpha = testCase.usesAlpha
        let output = directory + "/image.\(testCase.format)" + (testCase.format == "jpg" ? "[Q=90]" : "")
        let loaded = directory + "/image.v"
        var result = try Command.run("vips", ["rawload", raw, loaded, "\(width)", "\(height)", "4"])
        guard result.status == 0 else { throw TestFailure("vips rawload: \(result.summary)") }
        let source: String
        if hasAlpha {
            source = directory + "/srgb.v"
            result = try Command.run("vips", ["copy", loaded, source, "--interpretation", "srgb"])
        } else {
            source = directory + "/rgb.v"
            result = try Command.run("vips", ["extract_band", loaded, source, "0", "--n", "3"])
        }
        guard result.status == 0 else { throw TestFailure("vips: \(result.summary)") }
        result = try Command.run("vips", ["copy", source, output])
        guard result.status == 0 else { throw TestFailure("vips copy: \(result.summary)") }
        return directory + "/image.\(testCase.format)"
    }

    @Test(arguments: cases)
    func paletteFindsEveryTrueColour(testCase: Case) throws {
        let path = try makeImage(testCase)
        let record = Runner(definition: .default).process(SourceFile(path: path)).record
        let palette = try #require(record.color?.dominant, "no palette for \(testCase.name)")
        for (hex, weight) in testCase.expected {
            let truth = ColorConversion.lab(try #require(RGBColor(hex: hex)))
            let found = palette.min { lhs, rhs in
                distance(truth, lhs) < distance(truth, rhs)
            }
            let match = try #require(found)
            #expect(distance(truth, match) <= 3, "\(testCase.name): \(hex) nearest is \(match.hex) at ΔE \(distance(truth, match))")
            #expect(abs(match.weight - weight) <= 0.03, "\(testCase.name): \(hex) weight \(match.weight), expected \(weight)")
        }
        #expect(abs(palette.reduce(0) { $0 + $1.weight } - 1) < 1e-9)
        #expect(palette.map(\.weight) == palette.map(\.weight).sorted(by: >))
        #expect(palette.count <= PipelineDefinition.default.settings(of: DominantColorsStage.self).count)
        // Deterministic: the same image gives the same palette.
        #expect(Runner(definition: .default).process(SourceFile(path: path)).record.color?.dominant == palette)
    }

    private func distance(_ truth: LabColor, _ color: DominantColor) -> Double {
        truth.distance(to: LabColor(l: color.lab[0], a: color.lab[1], b: color.lab[2]))
    }
}
