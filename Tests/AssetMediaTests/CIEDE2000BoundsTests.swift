import AssetMedia
import Foundation
import TestSupport
import Testing

/// `LabColor.ciede2000Bounds`, the neighbourhood box a colour search
/// reads from the index, checked against CIEDE2000 itself (whose values
/// `FindDifferentialTests` checks against Sharma, Wu and Dalal's pairs).
@Suite struct CIEDE2000BoundsTests {
    static let radii = [0.5, 2.0, 5, 10, 20]

    /// Query colours as colour search makes them: from 8-bit sRGB.
    static func queries(_ count: Int, _ random: inout SeededGenerator) -> [LabColor] {
        (0..<count).map { _ in
            ColorConversion.lab(RGBColor(red: UInt8.random(in: 0...255, using: &random), green: UInt8.random(in: 0...255, using: &random), blue: UInt8.random(in: 0...255, using: &random)))
        }
    }

    static func point(from origin: LabColor, along direction: LabColor, at t: Double) -> LabColor {
        LabColor(l: origin.l + direction.l * t, a: origin.a + direction.a * t, b: origin.b + direction.b * t)
    }

    static func unitVector(_ random: inout SeededGenerator) -> LabColor {
        while true {
            let v = LabColor(l: Double.random(in: 0..<1, using: &random) * 2 - 1, a: Double.random(in: 0..<1, using: &random) * 2 - 1, b: Double.random(in: 0..<1, using: &random) * 2 - 1)
            let length = (v.l * v.l + v.a * v.a + v.b * v.b).squareRoot()
            if length > 0.1, length <= 1 { return LabColor(l: v.l / length, a: v.a / length, b: v.b / length) }
        }
    }

    /// Whatever a straight line from the colour reaches while staying
    /// within the radius is inside the box, along directions other than
    /// the ones the box was measured on, but for the tips of the long thin
    /// lobes CIEDE2000 has towards saturated blue: at least 99.5 % of the
    /// points reached, and every one for a radius of 5 or less (the
    /// distances colour search is meant for).
    @Test func whatAStraightLineReachesWithinTheRadiusIsInside() {
        var random = SeededGenerator(seed: 21)
        var reached = 0, inside = 0
        for query in Self.queries(200, &random) {
            for radius in Self.radii {
                let box = query.ciede2000Bounds(radius: radius)
                for _ in 0..<40 {
                    let direction = Self.unitVector(&random)
                    let step = radius / 100
                    var t = step
                    while true {
                        let point = Self.point(from: query, along: direction, at: t)
                        guard LabBox.everything.contains(point), query.ciede2000(to: point) <= radius else { break }
                        reached += 1
                        if box.contains(point) {
                            inside += 1
                        } else {
                            #expect(radius > 5, "\(point) is \(query.ciede2000(to: point)) from \(query) but outside \(box)")
                        }
                        t += step
                    }
                }
            }
        }
        #expect(reached > 100_000)
        #expect(Double(inside) >= 0.995 * Double(reached), "\(inside) of \(reached) inside")
    }

    /// What the box leaves out of CIEDE2000's region is rare: of random
    /// colours near the query that CIEDE2000 puts within the radius, at
    /// least 99 % are inside.
    @Test func theBoxLeavesOutOnlyFarPatches() {
        var random = SeededGenerator(seed: 22)
        var within = 0, inside = 0
        for query in Self.queries(200, &random) {
            for radius in Self.radii {
                let box = query.ciede2000Bounds(radius: radius)
                for _ in 0..<400 {
                    let direction = Self.unitVector(&random)
                    let t = Double.random(in: 0..<1, using: &random) * radius * 8
                    let point = Self.point(from: query, along: direction, at: t)
                    guard LabBox.everything.contains(point), query.ciede2000(to: point) <= radius else { continue }
                    within += 1
                    if box.contains(point) { inside += 1 }
                }
            }
        }
        #expect(within > 20_000)
        #expect(Double(inside) >= 0.99 * Double(within), "\(inside) of \(within) inside")
    }

    /// The box is what makes the index worth reading: for a saturated red
    /// within 5 it is a small part of the colours there are.
    @Test func theBoxIsSmall() {
        let red = ColorConversion.lab(RGBColor(red: 0xe5, green: 0x39, blue: 0x35))
        let box = red.ciede2000Bounds(radius: 5)
        let volume = (box.upper.l - box.lower.l) * (box.upper.a - box.lower.a) * (box.upper.b - box.lower.b)
        #expect(volume < 0.02 * 100 * 256 * 256, "\(box)")
        #expect(box.contains(red))
    }

    @Test func aColourOutsideWhatSRGBGivesSearchesEverything() {
        let box = LabColor(l: 150, a: 0, b: 0).ciede2000Bounds(radius: 5)
        #expect(box == .unbounded)
        #expect(LabColor(l: 50, a: 0, b: 0).ciede2000Bounds(radius: .infinity) == .unbounded)
    }
}
