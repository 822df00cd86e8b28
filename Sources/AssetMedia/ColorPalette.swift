/// Dominant colours of an image: weighted k-means in CIELAB over a sample
/// of its pixels. Deterministic (no random seeding): the same pixels always
/// give the same palette.
public struct ColorPalette: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public var rgb: RGBColor
        public var lab: LabColor
        /// Share of the counted pixels, 0–1; the weights of a palette sum to 1.
        public var weight: Double
    }

    /// Heaviest first.
    public var entries: [Entry]

    /// Clusters closer than this (ΔE76) are one colour to a person: merged.
    static let mergeDistance = 5.0

    /// Computes up to `count` colours from 8-bit sRGB pixels (3 bands, or 4
    /// with alpha: pixels under half opacity are not counted). Returns nil
    /// when no pixel counts.
    public static func compute(pixels: [UInt8], bands: Int, count: Int) -> ColorPalette? {
        precondition(bands == 3 || bands == 4, "palette input is 8-bit sRGB with optional alpha")
        let points = histogram(pixels: pixels, bands: bands)
        guard !points.isEmpty, count > 0 else { return nil }
        var clusters = kMeans(points, count: count)
        clusters = merged(clusters)
        let total = clusters.reduce(0) { $0 + $1.weight }
        var entries = clusters.map { cluster in
            Entry(rgb: ColorConversion.rgb(cluster.center), lab: cluster.center, weight: cluster.weight / total)
        }
        entries.sort { $0.weight != $1.weight ? $0.weight > $1.weight : $0.lab.l < $1.lab.l }
        return ColorPalette(entries: entries)
    }

    /// A weighted point: the exact mean Lab of the pixels that fell in one
    /// 15-bit RGB bin, and how many they were.
    struct Point {
        var lab: LabColor
        var weight: Double
    }

    struct Cluster {
        var center: LabColor
        var weight: Double
    }

    static func histogram(pixels: [UInt8], bands: Int) -> [Point] {
        var sums = [(l: Double, a: Double, b: Double, n: Double)](repeating: (0, 0, 0, 0), count: 1 << 15)
        var cache: [Int: LabColor] = [:]
        var index = 0
        while index + bands <= pixels.count {
            defer { index += bands }
            if bands == 4, pixels[index + 3] < 128 { continue }
            let r = pixels[index], g = pixels[index + 1], b = pixels[index + 2]
            let key = Int(r) << 16 | Int(g) << 8 | Int(b)
            let lab: LabColor
            if let known = cache[key] {
                lab = known
            } else {
                lab = ColorConversion.lab(RGBColor(red: r, green: g, blue: b))
                cache[key] = lab
            }
            let bin = Int(r >> 3) << 10 | Int(g >> 3) << 5 | Int(b >> 3)
            sums[bin].l += lab.l
            sums[bin].a += lab.a
            sums[bin].b += lab.b
            sums[bin].n += 1
        }
        return sums.compactMap { sum in
            sum.n > 0 ? Point(lab: LabColor(l: sum.l / sum.n, a: sum.a / sum.n, b: sum.b / sum.n), weight: sum.n) : nil
        }
    }

    /// Lloyd's algorithm on weighted points. Seeds are chosen greedily: the
    /// heaviest point, then each time the point with the largest weight ×
    /// squared distance to its nearest seed (k-means++ without the dice).
    static func kMeans(_ points: [Point], count: Int) -> [Cluster] {
        var centers: [LabColor] = []
        var nearest = [Double](repeating: .infinity, count: points.count)
        while centers.count < min(count, points.count) {
            var best = -1
            var bestScore = -1.0
            for (index, point) in points.enumerated() {
                let score = centers.isEmpty ? point.weight : point.weight * nearest[index]
                if score > bestScore {
                    bestScore = score
                    best = index
                }
            }
            guard best >= 0, centers.isEmpty || bestScore > 0 else { break }
            centers.append(points[best].lab)
            for (index, point) in points.enumerated() {
                nearest[index] = min(nearest[index], point.lab.squaredDistance(to: points[best].lab))
            }
        }

        var assignment = [Int](repeating: -1, count: points.count)
        var clusters: [Cluster] = []
        for _ in 0..<100 {
            var changed = false
            for (index, point) in points.enumerated() {
                var closest = 0
                var closestDistance = Double.infinity
                for (centerIndex, center) in centers.enumerated() {
                    let distance = point.lab.squaredDistance(to: center)
                    if distance < closestDistance {
                        closestDistance = distance
                        closest = centerIndex
                    }
                }
                if assignment[index] != closest {
                    assignment[index] = closest
                    changed = true
                }
            }
            var sums = [(l: Double, a: Double, b: Double, w: Double)](repeating: (0, 0, 0, 0), count: centers.count)
            for (index, point) in points.enumerated() {
                let cluster = assignment[index]
                sums[cluster].l += point.lab.l * point.weight
                sums[cluster].a += point.lab.a * point.weight
                sums[cluster].b += point.lab.b * point.weight
                sums[cluster].w += point.weight
            }
            clusters = sums.enumerated().compactMap { index, sum in
                sum.w > 0 ? Cluster(center: LabColor(l: sum.l / sum.w, a: sum.a / sum.w, b: sum.b / sum.w), weight: sum.w) : nil
            }
            centers = sums.enumerated().map { index, sum in
                sum.w > 0 ? LabColor(l: sum.l / sum.w, a: sum.a / sum.w, b: sum.b / sum.w) : centers[index]
            }
            if !changed { break }
        }
        return clusters
    }

    /// Merges clusters a person would call the same colour, heaviest first.
    static func merged(_ clusters: [Cluster]) -> [Cluster] {
        var result: [Cluster] = []
        for cluster in clusters.sorted(by: { $0.weight > $1.weight }) {
            if let index = result.firstIndex(where: { $0.center.distance(to: cluster.center) < mergeDistance }) {
                let target = result[index]
                let weight = target.weight + cluster.weight
                func mix(_ a: Double, _ b: Double) -> Double { (a * target.weight + b * cluster.weight) / weight }
                result[index] = Cluster(
                    center: LabColor(l: mix(target.center.l, cluster.center.l), a: mix(target.center.a, cluster.center.a),
                                     b: mix(target.center.b, cluster.center.b)),
                    weight: weight)
            } else {
                result.append(cluster)
            }
        }
        return result
    }
}
