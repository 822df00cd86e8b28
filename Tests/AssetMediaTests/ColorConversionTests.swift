import AssetMedia
import Foundation
import TestSupport
import Testing

@Suite struct ColorConversionTests {
    /// libvips's own sRGB → CIELAB for a 1×1 image of the colour.
    private func libvipsLab(_ color: RGBColor, in directory: String) throws -> LabColor {
        let steps: [[String]] = [
            ["black", "\(directory)/black.v", "1", "1", "--bands", "3"],
            ["linear", "\(directory)/black.v", "\(directory)/rgb.v", "1 1 1", "\(color.red) \(color.green) \(color.blue)"],
            ["cast", "\(directory)/rgb.v", "\(directory)/uchar.v", "uchar"],
            ["copy", "\(directory)/uchar.v", "\(directory)/srgb.v", "--interpretation", "srgb"],
            ["colourspace", "\(directory)/srgb.v", "\(directory)/lab.v", "lab"],
        ]
        for step in steps {
            let result = try Command.run("vips", step)
            guard result.status == 0 else { throw TestFailure("vips \(step.joined(separator: " ")): \(result.summary)") }
        }
        let values = try Command.run("vips", ["getpoint", "\(directory)/lab.v", "0", "0"]).output
            .split(separator: " ").compactMap { Double($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        guard values.count == 3 else { throw TestFailure("vips getpoint printed \(values)") }
        return LabColor(l: values[0], a: values[1], b: values[2])
    }

    @Test(arguments: ["#d62828", "#003049", "#fcbf49", "#808080", "#000000", "#ffffff", "#2a9d8f", "#7f8c8d"])
    func labAgreesWithLibvips(hex: String) throws {
        let color = try #require(RGBColor(hex: hex))
        let expected = try libvipsLab(color, in: try Package.temporaryDirectory("lab"))
        let ours = ColorConversion.lab(color)
        #expect(ours.distance(to: expected) < 0.5, "\(hex): ours \(ours), libvips \(expected)")
        // And back: the round trip lands on the same 8-bit colour.
        #expect(ColorConversion.rgb(ours) == color)
    }
}
