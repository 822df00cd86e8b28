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
