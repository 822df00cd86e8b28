import Foundation

/// A colour in CIELAB (D65 white), the space where Euclidean distance
/// (ΔE76) follows perceived difference; palettes are clustered here.
public struct LabColor: Sendable, Equatable {
    public var l: Double
    public var a: Double
    public var b: Double

    public init(l: Double, a: Double, b: Double) {
        self.l = l
        self.a = a
        self.b = b
    }

    /// ΔE76: the Euclidean distance; about 2.3 is a just-noticeable difference.
    public func distance(to other: LabColor) -> Double {
        squaredDistance(to: other).squareRoot()
    }

    /// CIEDE2000 (Sharma, Wu and Dalal's formulation, kL = kC = kH = 1):
    /// the difference colour search ranks by; about 1 is just noticeable,
    /// and it weighs hue and chroma as the eye does, which ΔE76 does not.
    public func ciede2000(to other: LabColor) -> Double {
        let radiansPerDegree = Double.pi / 180
        let c1 = (a * a + b * b).squareRoot(), c2 = (other.a * other.a + other.b * other.b).squareRoot()
        let meanC = (c1 + c2) / 2
        let meanC7 = pow(meanC, 7)
        let g = 0.5 * (1 - (meanC7 / (meanC7 + pow(25, 7))).squareRoot())
        let a1 = (1 + g) * a, a2 = (1 + g) * other.a
        let c1p = (a1 * a1 + b * b).squareRoot(), c2p = (a2 * a2 + other.b * other.b).squareRoot()
        func hue(_ b: Double, _ a: Double) -> Double {
            guard b != 0 || a != 0 else { return 0 }
            let degrees = atan2(b, a) / radiansPerDegree
            return degrees < 0 ? degrees + 360 : degrees
        }
        let h1 = hue(b, a1), h2 = hue(other.b, a2)
        let deltaL = other.l - l, deltaC = c2p - c1p
        var deltaH = 0.0
        if c1p * c2p != 0 {
            deltaH = h2 - h1
            if deltaH > 180 { deltaH -= 360 } else if deltaH < -180 { deltaH += 360 }
        }
        let deltaBigH = 2 * (c1p * c2p).squareRoot() * sin(deltaH / 2 * radiansPerDegree)
        let meanL = (l + other.l) / 2, meanCp = (c1p + c2p) / 2
        var meanH = h1 + h2
        if c1p * c2p != 0 {
            if abs(h1 - h2) <= 180 { meanH /= 2 } else if h1 + h2 < 360 { meanH = (meanH + 360) / 2 } else { meanH = (meanH - 360) / 2 }
        }
        let t = 1 - 0.17 * cos((meanH - 30) * radiansPerDegree) + 0.24 * cos(2 * meanH * radiansPerDegree)
            + 0.32 * cos((3 * meanH + 6) * radiansPerDegree) - 0.20 * cos((4 * meanH - 63) * radiansPerDegree)
        let deltaTheta = 30 * exp(-pow((meanH - 275) / 25, 2))
        let meanCp7 = pow(meanCp, 7)
        let rc = 2 * (meanCp7 / (meanCp7 + pow(25, 7))).squareRoot()
        let lOffset = (meanL - 50) * (meanL - 50)
        let sl = 1 + 0.015 * lOffset / (20 + lOffset).squareRoot()
        let sc = 1 + 0.045 * meanCp, sh = 1 + 0.015 * meanCp * t
        let rt = -sin(2 * deltaTheta * radiansPerDegree) * rc
        let lTerm = deltaL / sl, cTerm = deltaC / sc, hTerm = deltaBigH / sh
        return max(0, lTerm * lTerm + cTerm * cTerm + hTerm * hTerm + rt * cTerm * hTerm).squareRoot()
    }

    func squaredDistance(to other: LabColor) -> Double {
        let dl = l - other.l, da = a - other.a, db = b - other.b
        return dl * dl + da * da + db * db
    }
}

/// sRGB (IEC 61966-2-1) ↔ CIELAB through XYZ, D65.
public enum ColorConversion {
    private static let white = (x: 0.95047, y: 1.0, z: 1.08883)
    private static let epsilon = 216.0 / 24389.0
    private static let kappa = 24389.0 / 27.0

    /// Linear light for each 8-bit sRGB value.
    private static let linearTable: [Double] = (0..<256).map { value in
        let channel = Double(value) / 255
        return channel <= 0.04045 ? channel / 12.92 : pow((channel + 0.055) / 1.055, 2.4)
    }

    public static func lab(_ color: RGBColor) -> LabColor {
        let r = linearTable[Int(color.red)], g = linearTable[Int(color.green)], b = linearTable[Int(color.blue)]
        let x = (0.4124564 * r + 0.3575761 * g + 0.1804375 * b) / white.x
        let y = (0.2126729 * r + 0.7151522 * g + 0.0721750 * b) / white.y
        let z = (0.0193339 * r + 0.1191920 * g + 0.9503041 * b) / white.z
        func f(_ t: Double) -> Double { t > epsilon ? cbrt(t) : (kappa * t + 16) / 116 }
        let fx = f(x), fy = f(y), fz = f(z)
        return LabColor(l: 116 * fy - 16, a: 500 * (fx - fy), b: 200 * (fy - fz))
    }

    /// The nearest 8-bit sRGB colour (out-of-gamut values are clipped).
    public static func rgb(_ color: LabColor) -> RGBColor {
        let fy = (color.l + 16) / 116
        let fx = fy + color.a / 500
        let fz = fy - color.b / 200
        func inverse(_ t: Double) -> Double { t * t * t > epsilon ? t * t * t : (116 * t - 16) / kappa }
        let x = inverse(fx) * white.x
        let y = (color.l > kappa * epsilon ? fy * fy * fy : color.l / kappa) * white.y
        let z = inverse(fz) * white.z
        let linear = [
            3.2404542 * x - 1.5371385 * y - 0.4985314 * z,
            -0.9692660 * x + 1.8760108 * y + 0.0415560 * z,
            0.0556434 * x - 0.2040259 * y + 1.0572252 * z,
        ]
        let encoded = linear.map { value -> UInt8 in
            let clipped = min(1, max(0, value))
            let gamma = clipped <= 0.0031308 ? 12.92 * clipped : 1.055 * pow(clipped, 1 / 2.4) - 0.055
            return UInt8((gamma * 255).rounded())
        }
        return RGBColor(red: encoded[0], green: encoded[1], blue: encoded[2])
    }
}

/// A box in CIELAB, bounds included.
public struct LabBox: Sendable, Equatable {
    public var lower: LabColor
    public var upper: LabColor

    public init(lower: LabColor, upper: LabColor) {
        self.lower = lower
        self.upper = upper
    }

    public func contains(_ color: LabColor) -> Bool {
        (lower.l...upper.l).contains(color.l) && (lower.a...upper.a).contains(color.a) && (lower.b...upper.b).contains(color.b)
    }

    /// A bound no coordinate reaches: an open side of a box (finite, so
    /// every index takes it).
    public static let open = 1e6

    /// Open on every side.
    public static let unbounded = LabBox(lower: LabColor(l: -open, a: -open, b: -open), upper: LabColor(l: open, a: open, b: open))

    /// Every colour 8-bit sRGB can give, and then some: L from 0 to 100, a and b within ±128.
    public static let everything = LabBox(lower: LabColor(l: 0, a: -128, b: -128), upper: LabColor(l: 100, a: 128, b: 128))
}

extension LabColor {
    /// The neighbourhood of a colour search: a box around this colour that
    /// holds what CIEDE2000 calls within `radius` of it near it, and that
    /// an index can serve (the exact distance is then computed only inside).
    ///
    /// CIEDE2000 was fitted to small differences. Far from the colour it
    /// turns erratic: its hue and chroma scales depend on both colours and
    /// its rotation term swings near blue and grey, so it can call a colour
    /// ΔE76 100 away "within 20" (a saturated violet of a dull blue, a grey
    /// of a magenta) while the colours between are not. A search keeps to
    /// the neighbourhood: along 162 directions (an icosphere), the farthest
    /// point reached from this colour by a straight line that stays within
    /// the radius, walked in quarter-radius steps and then bisected; the box
    /// of those points, widened by 15 % and one unit so that the gaps
    /// between directions hide nothing of the region. A side that reaches
    /// the edge of what 8-bit sRGB gives stays open.
    public func ciede2000Bounds(radius: Double) -> LabBox {
        guard radius.isFinite, radius >= 0, LabBox.everything.contains(self) else { return .unbounded }
        var found = LabBox(lower: self, upper: self)
        let step = max(radius / 4, 0.05)
        for direction in Self.searchDirections {
            func point(_ t: Double) -> LabColor { LabColor(l: l + direction.l * t, a: a + direction.a * t, b: b + direction.b * t) }
            var inside = 0.0
            while LabBox.everything.contains(point(inside + step)), ciede2000(to: point(inside + step)) <= radius {
                inside += step
            }
            var outside = inside + step
            for _ in 0..<5 {
                let middle = (inside + outside) / 2
                if ciede2000(to: point(middle)) <= radius { inside = middle } else { outside = middle }
            }
            let reached = point(outside)
            found.lower = LabColor(l: min(found.lower.l, reached.l), a: min(found.lower.a, reached.a), b: min(found.lower.b, reached.b))
            found.upper = LabColor(l: max(found.upper.l, reached.l), a: max(found.upper.a, reached.a), b: max(found.upper.b, reached.b))
        }
        func widened(_ low: Double, _ high: Double, around centre: Double, edges: ClosedRange<Double>) -> (Double, Double) {
            let below = centre - (centre - low) * 1.15 - 1, above = centre + (high - centre) * 1.15 + 1
            return (below <= edges.lowerBound ? -LabBox.open : below, above >= edges.upperBound ? LabBox.open : above)
        }
        let edges = LabBox.everything
        var box = found
        (box.lower.l, box.upper.l) = widened(found.lower.l, found.upper.l, around: l, edges: edges.lower.l...edges.upper.l)
        (box.lower.a, box.upper.a) = widened(found.lower.a, found.upper.a, around: a, edges: edges.lower.a...edges.upper.a)
        (box.lower.b, box.upper.b) = widened(found.lower.b, found.upper.b, around: b, edges: edges.lower.b...edges.upper.b)
        return box
    }

    /// Unit vectors to the 162 vertices of an icosahedron subdivided twice.
    static let searchDirections: [LabColor] = {
        let phi = (1 + 5.0.squareRoot()) / 2
        var vertices: [LabColor] = [
            (-1, phi, 0), (1, phi, 0), (-1, -phi, 0), (1, -phi, 0), (0, -1, phi), (0, 1, phi),
            (0, -1, -phi), (0, 1, -phi), (phi, 0, -1), (phi, 0, 1), (-phi, 0, -1), (-phi, 0, 1),
        ].map { LabColor(l: $0.0, a: $0.1, b: $0.2).normalised }
        var faces: [(Int, Int, Int)] = [
            (0, 11, 5), (0, 5, 1), (0, 1, 7), (0, 7, 10), (0, 10, 11), (1, 5, 9), (5, 11, 4), (11, 10, 2), (10, 7, 6), (7, 1, 8),
            (3, 9, 4), (3, 4, 2), (3, 2, 6), (3, 6, 8), (3, 8, 9), (4, 9, 5), (2, 4, 11), (6, 2, 10), (8, 6, 7), (9, 8, 1),
        ]
        for _ in 0..<2 {
            var midpoints: [Int: Int] = [:]
            func midpoint(_ i: Int, _ j: Int) -> Int {
                let key = min(i, j) * 10_000 + max(i, j)
                if let known = midpoints[key] { return known }
                let p = vertices[i], q = vertices[j]
                vertices.append(LabColor(l: p.l + q.l, a: p.a + q.a, b: p.b + q.b).normalised)
                midpoints[key] = vertices.count - 1
                return vertices.count - 1
            }
            faces = faces.flatMap { face -> [(Int, Int, Int)] in
                let ab = midpoint(face.0, face.1), bc = midpoint(face.1, face.2), ca = midpoint(face.2, face.0)
                return [(face.0, ab, ca), (face.1, bc, ab), (face.2, ca, bc), (ab, bc, ca)]
            }
        }
        return vertices
    }()

    private var normalised: LabColor {
        let length = (l * l + a * a + b * b).squareRoot()
        return LabColor(l: l / length, a: a / length, b: b / length)
    }
}
