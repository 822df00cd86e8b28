import AssetCatalog
import AssetPipeline
import AssetQuery
import Foundation

/// The pieces of scripts/bench-search:
///
///     search-bench build DATA N    a synthetic catalog of N assets through the bulk path
///     search-bench query DATA      the fixed query shapes, timed; prints p50/p95 per shape
///                                  (SHAPES=TEXT: only those whose name contains TEXT)
///     search-bench labels DATA [BATCH]  renames the category 100,000 assets hold, then tags
///                                  them all from a query; prints the seconds of each
///
/// DATA is a data directory (SQLite) or a postgres:// URL.
@main
struct SearchBench {
    static func main() async {
        let arguments = Array(CommandLine.arguments.dropFirst())
        guard arguments.count >= 2 else { usage() }
        do {
            let database: any CatalogDatabase = arguments[1].hasPrefix("postgres")
                ? try await PostgresCatalogDatabase.connect(url: arguments[1])
                : try SQLiteCatalogDatabase(dataDirectory: arguments[1])
            switch arguments[0] {
            case "build":
                guard arguments.count == 3, let count = Int(arguments[2]), count > 0 else { usage() }
                try build(count, into: database)
            case "objects":
                guard arguments.count == 3 else { usage() }
                try catalogObjects(listedIn: arguments[2], into: database)
            case "query":
                try query(database, runs: arguments.count == 3 ? Int(arguments[2]) ?? 15 : 15)
            case "labels":
                var batch: Int?
                if arguments.count > 2 {
                    guard let size = Int(arguments[2]), size > 0 else { usage() }
                    batch = size
                }
                try labels(database, batchSize: batch)
            default:
                usage()
            }
        } catch {
            FileHandle.standardError.write(Data("search-bench: \(error)\n".utf8))
            exit(1)
        }
    }

    static func usage() -> Never {
        FileHandle.standardError.write(Data("usage: search-bench build DATA N | search-bench query DATA [RUNS] | search-bench labels DATA [BATCH] | search-bench objects DATA TSV\n".utf8))
        exit(2)
    }

    // MARK: - The catalog

    /// Catalogues a bucket's objects as `sync` and a worker would have: one
    /// processed asset per line of `tsv` (`s3://bucket/key<TAB>etag<TAB>size`),
    /// with the object as its path, origin and `origin_object`. What
    /// `scripts/bench-sync` diffs a listing against.
    static func catalogObjects(listedIn tsv: String, into database: any CatalogDatabase) throws {
        let decoder = AssetRecord.makeDecoder()
        let lines = try String(contentsOfFile: tsv, encoding: .utf8).split(separator: "\n")
        let started = Date()
        for start in stride(from: 0, to: lines.count, by: 2_000) {
            var rows: [AssetRow] = []
            for (offset, line) in lines[start..<min(lines.count, start + 2_000)].enumerated() {
                let fields = line.split(separator: "\t").map(String.init)
                guard fields.count == 3, let size = Int(fields[2]) else { continue }
                let object: [String: Any] = [
                    "id": String(format: "00000000-0000-4000-8000-%012x", start + offset), "path": fields[0], "origin": fields[0],
                    "name": (fields[0] as NSString).lastPathComponent, "status": "processed", "version": 1, "attempts": 1,
                    "kind": "other", "format": "bin", "mime": "application/octet-stream", "size": size,
                    "origin_object": ["etag": fields[1], "size": size],
                    "created_at": "2026-12-01T00:00:00.000Z", "updated_at": "2026-12-01T00:00:00.000Z",
                ]
                rows.append(try AssetRow(try decoder.decode(AssetRecord.self, from: try JSONSerialization.data(withJSONObject: object))))
            }
            try database.write { transaction in try transaction.insertMany(rows) }
        }
        print("catalogued \(lines.count) objects in \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
    }

    /// The ten custom fields the catalog is built with, one or more of every type.
    static func customFields() throws -> [CustomFieldDefinition] {
        [try CustomFieldDefinition(key: "rating", type: .number, minimum: .number(1), maximum: .number(5)),
         try CustomFieldDefinition(key: "budget", type: .number),
         try CustomFieldDefinition(key: "shot_on", type: .date),
         try CustomFieldDefinition(key: "due", type: .date),
         try CustomFieldDefinition(key: "status", type: .singleSelect, options: ["draft", "review", "approved", "archived"]),
         try CustomFieldDefinition(key: "region", type: .singleSelect, options: (0..<20).map { "region \($0)" }),
         try CustomFieldDefinition(key: "channels", type: .multiSelect, options: ["web", "print", "social", "tv", "email"]),
         try CustomFieldDefinition(key: "reviewed", type: .boolean),
         try CustomFieldDefinition(key: "client", type: .text),
         try CustomFieldDefinition(key: "notes", type: .textarea)]
    }

    /// The category exactly 100,000 assets hold (all of them in a smaller catalog), for `labels`.
    static let bigCategory = "Campaign 100k"

    /// Realistic distributions: 5 palette colours each, 2,000 keywords
    /// (Zipf), dates over 10 years, 40 camera models with their lenses, GPS
    /// for half, 5,000 folders, every kind and status; 2,000 tags (Zipf),
    /// 50 categories and the ten custom fields of `customFields`.
    static func build(_ count: Int, into database: any CatalogDatabase) throws {
        var random = Generator(seed: 42)
        let tags = (0..<2000).map { "tag\($0)" + (["", " summer", " people", " product", " street"][$0 % 5]) }
        let tagWeights = Zipf(count: tags.count)
        let categories = (0..<50).map { "Category \($0)" }
        let fields = try customFields()
        try database.write { transaction in for field in fields { try transaction.saveCustomField(field) } }
        // Every asset whose index is a multiple of this holds the big category.
        let bigStride = max(1, count / 100_000)
        let keywords = (0..<2000).map { "kw\($0)" + (["", "-sunset", "-beach", "-city", "-forest"][$0 % 5]) }
        let keywordWeights = Zipf(count: keywords.count)
        let cameras = (0..<40).map { index in
            (make: ["Canon", "NIKON CORPORATION", "SONY", "FUJIFILM", "Apple", "Google", "Panasonic", "OLYMPUS"][index % 8],
             model: "Model \(index)", lens: "Lens \(index % 20)")
        }
        let folders = (0..<5000).map { String(format: "/library/f%04d/%@", $0, ["raw", "edit", "export", "misc"][$0 % 4]) }
        let types: [(kind: String, format: String, mime: String, share: Int)] = [
            ("image", "jpeg", "image/jpeg", 60), ("image", "png", "image/png", 8), ("image", "heif", "image/heif", 8),
            ("image", "webp", "image/webp", 4), ("image", "gif", "image/gif", 2), ("video", "mp4", "video/mp4", 12),
            ("audio", "m4a", "audio/mp4", 3), ("other", "pdf", "application/pdf", 3),
        ]
        let now = 1_796_000_000.0
        let started = Date()
        let batch = 2_000
        var written = 0
        let decoder = AssetRecord.makeDecoder()
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        while written < count {
            var rows: [AssetRow] = []
            for index in written..<min(count, written + batch) {
                var pick = random.below(100)
                var type = types[0]
                for candidate in types {
                    if pick < candidate.share { type = candidate; break }
                    pick -= candidate.share
                }
                let created = now - Double(random.below(10 * 365 * 86_400))
                let status = random.below(100) < 92 ? "processed" : (random.below(2) == 0 ? "errored" : "processing")
                let folder = folders[random.below(folders.count)]
                let name = "IMG_\(index).\(type.format)"
                var object: [String: Any] = [
                    "id": String(format: "%08x-%04x-4%03x-8%03x-%012x", random.below(1 << 30), random.below(1 << 16), random.below(4096),
                                 random.below(4096), index),
                    "path": folder + "/" + name, "name": name, "status": status, "version": 1, "attempts": 1,
                    "kind": type.kind, "format": type.format, "mime": type.mime, "size": 10_000 + random.below(40_000_000),
                    "created_at": formatter.string(from: Date(timeIntervalSince1970: created)),
                    "updated_at": formatter.string(from: Date(timeIntervalSince1970: created + Double(random.below(86_400 * 30)))),
                ]
                if status == "errored" { object["error"] = ["reason": ["corrupt", "too_short", "unsupported_format"][random.below(3)], "message": "-"] }
                if type.kind == "image" || type.kind == "video" {
                    object["width"] = [640, 1280, 1920, 3000, 4000, 6000, 8192][random.below(7)]
                    object["height"] = [480, 720, 1080, 2000, 3000, 4000, 5464][random.below(7)]
                }
                if type.kind == "image" {
                    object["orientation"] = [1, 1, 1, 1, 6, 8][random.below(6)]
                    if type.format == "gif" { object["pages"] = 2 + random.below(30) }
                    object["color"] = ["model": "rgb", "interpretation": "srgb", "depth": 8, "alpha": false, "bands": 3,
                                       "dominant": palette(&random)]
                    let camera = cameras[random.below(cameras.count)]
                    var exif: [String: Any] = ["make": camera.make, "model": camera.model, "lens": camera.lens,
                                               "iso": [100, 200, 400, 800, 1600, 3200, 6400][random.below(7)],
                                               "f_number": [1.8, 2.8, 4, 5.6, 8][random.below(5)], "focal_length": [24, 35, 50, 85, 200][random.below(5)],
                                               "taken_at": String(formatter.string(from: Date(timeIntervalSince1970: created - 3600)).prefix(19))]
                    if random.below(2) == 0 {
                        exif["gps"] = ["lat": Double(random.below(1_400_000)) / 10_000 - 60, "lon": Double(random.below(3_600_000)) / 10_000 - 180]
                    }
                    object["exif"] = exif
                    object["keywords"] = Array(Set((0..<(1 + random.below(5))).map { _ in keywords[keywordWeights.sample(&random)] }))
                }
                object["tags"] = Set((0..<random.below(5)).map { _ in tags[tagWeights.sample(&random)] }).sorted().map { name in
                    let source = ["manual", "embedded", "ai", "ai"][random.below(4)]
                    let removed = source != "manual" && random.below(20) == 0
                    return ["name": name, "source": source, "confidence": removed ? 0 : Double(50 + random.below(51)) / 100, "removed": removed] as [String: Any]
                }
                var held = Set((0..<random.below(3)).map { _ in categories[random.below(categories.count)] })
                if index % bigStride == 0, index / bigStride < 100_000 { held.insert(bigCategory) }
                if !held.isEmpty { object["categories"] = held.sorted() }
                var custom: [String: Any] = [:]
                if random.below(2) == 0 { custom["rating"] = 1 + random.below(5) }
                if random.below(4) == 0 { custom["budget"] = random.below(100_000) }
                if random.below(2) == 0 { custom["shot_on"] = formatter.string(from: Date(timeIntervalSince1970: created - 86_400)) }
                if random.below(5) == 0 { custom["due"] = formatter.string(from: Date(timeIntervalSince1970: created + Double(random.below(90 * 86_400)))) }
                if random.below(2) == 0 { custom["status"] = ["draft", "review", "approved", "archived"][random.below(4)] }
                if random.below(3) == 0 { custom["region"] = "region \(random.below(20))" }
                if random.below(3) == 0 { custom["channels"] = Array(Set((0..<(1 + random.below(3))).map { _ in ["web", "print", "social", "tv", "email"][random.below(5)] })).sorted() }
                if random.below(3) == 0 { custom["reviewed"] = random.below(2) == 0 }
                if random.below(4) == 0 { custom["client"] = "Client \(random.below(500))" }
                if random.below(10) == 0 { custom["notes"] = "Brief \(random.below(1000))\nShoot in " + folder }
                if !custom.isEmpty { object["custom"] = custom }
                if type.kind == "video" {
                    object["video"] = ["container": "mov,mp4,m4a,3gp,3g2,mj2", "codec": "h264", "rotation": 0,
                                       "duration": Double(random.below(1_800_000)) / 1000]
                }
                let record = try decoder.decode(AssetRecord.self, from: try JSONSerialization.data(withJSONObject: object))
                rows.append(try AssetRow(record))
            }
            try database.write { transaction in try transaction.insertMany(rows) }
            written += rows.count
            if written % 100_000 < batch {
                print("  \(written) assets written in \(String(format: "%.0f", Date().timeIntervalSince(started))) s")
            }
        }
        print("built \(count) assets in \(String(format: "%.1f", Date().timeIntervalSince(started))) s "
              + "(\(String(format: "%.0f", Double(count) / Date().timeIntervalSince(started))) assets/s) in \(database.location)")
    }

    static func palette(_ random: inout Generator) -> [[String: Any]] {
        var left = 1.0
        return (0..<5).map { index in
            let weight = index == 4 ? left : left * Double(30 + random.below(50)) / 100
            left -= weight
            // Lab spread over the sRGB gamut's range.
            let lab = [Double(random.below(10_000)) / 100, Double(random.below(16_000)) / 100 - 80, Double(random.below(18_000)) / 100 - 90]
            return ["hex": "#808080", "rgb": [128, 128, 128], "lab": lab, "weight": (weight * 10_000).rounded() / 10_000]
        }
    }

    // MARK: - The query shapes

    static let shapes: [(name: String, q: String, sort: String?, facets: [String], count: Bool)] = [
        ("keyword", "kw3", nil, [], false),
        ("keyword prefix", #"text HAS "kw12*""#, nil, [], false),
        ("camera =", #"exif.make = "Canon""#, nil, [], false),
        ("camera IN", #"exif.model IN ["Model 3", "Model 17", "Model 29"]"#, nil, [], false),
        ("numeric range", "width >= 4000 AND height >= 3000", nil, [], false),
        ("size range", #"size > "30mb""#, "-size", [], false),
        ("path prefix", #"path : "/library/f0042""#, nil, [], false),
        ("date range, -created_at", #"created_at >= "2024-01-01" AND created_at < "2024-03-01""#, "-created_at", [], false),
        ("date range, taken_at", #"created_at >= "2024-01-01" AND created_at < "2024-03-01""#, "taken_at", [], false),
        ("date range, name", #"created_at >= "2024-01-01" AND created_at < "2024-03-01""#, "name", [], false),
        ("OR", #"exif.make = "Canon" OR keywords = "kw5-sunset""#, nil, [], false),
        ("NOT", "kind = image AND NOT status = processed", nil, [], false),
        ("combination", "(kind = video AND duration > 600) OR (kind = image AND exif.iso >= 3200 AND NOT orientation = 1)", nil, [], false),
        ("colour", ##"color NEAR "#1e88e5""##, nil, [], false),
        ("colour, weight, relevance", ##"color NEAR "#e53935" WITHIN 5 WEIGHT >= 0.3"##, "relevance", [], false),
        ("gps", #"gps NEAR "48.8584,2.2945 200km""#, nil, [], false),
        ("browse, newest first", "", nil, [], false),
        ("deep cursor page (page 200)", "", "-size", [], false),
        ("facets, whole catalog", "", nil, ["format", "kind", "exif.make", "keywords", "status"], false),
        ("count, whole catalog", "", nil, [], true),
        ("count, images", "kind = image", nil, [], true),
        ("tag =", #"tags = "tag7 people""#, nil, [], false),
        ("tag IN", #"tags IN ["tag3 product", "tag40", "tag133 people"]"#, nil, [], false),
        ("tag words", #"tags HAS "tag12* summer""#, nil, [], false),
        ("category =", #"categories = "Category 7""#, nil, [], false),
        ("category AND tag", #"categories = "Category 3" AND tags = "tag1 summer""#, nil, [], false),
        ("custom number range", "custom.rating >= 4 AND custom.budget > 50000", nil, [], false),
        ("custom date range", #"custom.shot_on >= "2024-01-01" AND custom.shot_on < "2024-03-01""#, nil, [], false),
        ("custom select IN", #"custom.status IN ["review", "approved"] AND custom.channels = "print""#, nil, [], false),
        ("custom text and boolean", #"custom.client = "Client 42" OR custom.reviewed = false"#, nil, [], false),
        ("facets, tags and categories", "kind = video", nil, ["tags", "categories"], false),
    ]

    static func query(_ database: any CatalogDatabase, runs: Int) throws {
        let shapes = Dictionary(try database.read { try $0.customFields() }.map { ($0.key, $0.shape) }, uniquingKeysWith: { first, _ in first })
        func padded(_ text: String) -> String { text.padding(toLength: 34, withPad: " ", startingAt: 0) }
        print(padded("shape (limit 50)") + "   p50 ms    p95 ms  page  bar")
        // SHAPES=colour runs only the shapes whose name contains it.
        let only = ProcessInfo.processInfo.environment["SHAPES"]
        for shape in Self.shapes where only.map({ shape.name.contains($0) }) ?? true {
            var cursor: String?
            if shape.name.hasPrefix("deep cursor") {
                // The 200th page's cursor, fetched once; then that page is timed.
                for _ in 0..<199 {
                    let request = try FindRequest(q: shape.q, sort: shape.sort, limit: 50, cursor: cursor, customFields: shapes)
                    cursor = try database.read { try $0.findIDs(request) }.nextCursor
                }
            }
            var times: [Double] = []
            var shown = 0
            // One untimed run first: a serving catalog's cache is warm.
            for run in -1..<runs {
                let request = try FindRequest(q: shape.q, sort: shape.sort, limit: 50, cursor: cursor, count: shape.count, facets: shape.facets,
                                              customFields: shapes)
                let started = ContinuousClock.now
                let page = try database.read { try $0.find(request) }
                let elapsed = ContinuousClock.now - started
                if run < 0 { continue }
                times.append(Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15)
                shown = page.items.count
            }
            times.sort()
            let p50 = times[times.count / 2], p95 = times[min(times.count - 1, Int((Double(times.count) * 0.95).rounded(.up)) - 1)]
            let bar = shape.name.hasPrefix("colour") ? 100.0 : (shape.facets.isEmpty && !shape.count ? 50 : 300)
            print(padded(shape.name) + String(format: " %8.1f  %8.1f  %4d  ", p50, p95, shown)
                  + (p95 <= bar ? "PASS" : "FAIL") + String(format: " p95 ≤ %.0f ms", bar))
        }
    }
}

extension SearchBench {
    /// Renames the category 100,000 assets hold (to a second name, or back
    /// when a run before renamed it), then tags every asset that holds it
    /// from a query: issue 14's bars, ≤ 10 s and ≤ 30 s.
    static func labels(_ database: any CatalogDatabase, batchSize: Int?) throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("search-bench-renditions").path
        let catalog = Catalog(database: database, renditionStore: LocalRenditionStore(dataDirectory: scratch))
        let source = ChangeSource(actor: "search-bench")
        let held = Dictionary(try catalog.labels(.categories).map { ($0.name, $0.count) }, uniquingKeysWith: { first, _ in first })
        let (from, to) = held[bigCategory] != nil ? (bigCategory, bigCategory + " (renamed)") : (bigCategory + " (renamed)", bigCategory)
        guard let holders = held[from] else { throw CatalogError(operation: "find the big category", reason: "no asset holds it", hint: "build first") }
        var started = ContinuousClock.now
        let renamed = try catalog.rename(.categories, from, to: to, source: source, batchSize: batchSize ?? Catalog.labelBatch)
        let renameSeconds = seconds(ContinuousClock.now - started)
        print(String(format: "rename a category held by %d assets: %d renamed in %.2f s  ", holders, renamed, renameSeconds)
              + (renameSeconds <= 10 ? "PASS" : "FAIL") + " ≤ 10 s")
        let tag = "bulk \(UUID().uuidString.prefix(8))"
        let request = try FindRequest(q: "categories = \"\(to)\"", limit: FindRequest.maximumLimit, count: true)
        started = ContinuousClock.now
        let (matched, changed) = try catalog.annotate(matching: request, with: try AnnotationChange(addTags: [tag]), source: source,
                                                         batchSize: batchSize ?? Catalog.annotationBatch)
        let annotateSeconds = seconds(ContinuousClock.now - started)
        print(String(format: "annotate %d assets from a query: %d tagged in %.2f s  ", matched, changed, annotateSeconds)
              + (annotateSeconds <= 30 ? "PASS" : "FAIL") + " ≤ 30 s")
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}

/// A seeded generator: the same catalog on every run.
struct Generator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state = state &+ 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func below(_ bound: Int) -> Int { bound <= 1 ? 0 : Int(next() % UInt64(bound)) }
}

/// Ranks 0..<count drawn with probability ∝ 1 / (rank + 1).
struct Zipf {
    let cumulative: [Double]
    init(count: Int) {
        var total = 0.0
        cumulative = (1...count).map { total += 1 / Double($0); return total }
    }
    func sample(_ random: inout Generator) -> Int {
        let target = Double(random.next() % 1_000_000_000) / 1_000_000_000 * (cumulative.last ?? 1)
        var low = 0, high = cumulative.count - 1
        while low < high {
            let middle = (low + high) / 2
            if cumulative[middle] < target { low = middle + 1 } else { high = middle }
        }
        return low
    }
}
