import AssetCatalog
import AssetMedia
import AssetPipeline
import AssetQuery
import Foundation
import TestSupport
import Testing

/// `find` against a brute-force oracle, on every driver (SQLite, and
/// PostgreSQL when `make test` runs one): 2,000 generated records written
/// as JSON, stored through the catalog, and 500 generated queries (random
/// trees over every field and operator, every sort, random page sizes)
/// whose pages, concatenated, must be exactly the oracle's ordered matches.
/// Equal to the oracle on both, the drivers are equal to each other.
@Suite(.serialized) struct FindDifferentialTests {
    static let now = Date(timeIntervalSince1970: 1_796_000_000)
    static let drivers = ["SQLite"] + (CatalogDriver.postgresURL == nil ? [] : ["PostgreSQL"])

    @Test(arguments: drivers)
    func generatedQueriesMatchTheOracle(driver: String) async throws {
        var random = SeededRandom(seed: 13)
        let corpus = try Corpus(count: 2_000, random: &random)
        let database = try await corpus.store(on: driver)
        var checked = 0, nonEmpty = 0
        for index in 0..<500 {
            let text = QueryGenerator(corpus: corpus).query(&random, depth: 3)
            let sort = random.pick(SortKey.allCases.filter { $0 != .relevance })
            let descending = random.chance(0.5)
            let sortText = (descending ? "-" : "") + sort.rawValue
            let expected = try corpus.oracle(text, sort: QuerySort(sort, descending: descending))
            let pageSize = 100 + random.below(901)
            var found: [String] = [], cursor: String?
            repeat {
                let request = try FindRequest(q: text, sort: sortText, limit: pageSize, cursor: cursor, count: cursor == nil, now: Self.now,
                                              customFields: Corpus.customShapes, collections: Corpus.collections)
                let page = try database.read { try $0.findIDs(request) }
                if cursor == nil { #expect(page.count == expected.count, "count of \(text)") }
                found += page.items
                cursor = page.nextCursor
            } while cursor != nil && found.count <= corpus.records.count
            #expect(found == expected, "query \(index): \(text) sorted \(sortText): \(found.count) found, \(expected.count) expected")
            checked += 1
            if !expected.isEmpty { nonEmpty += 1 }
        }
        #expect(checked == 500)
        // Queries that match nothing test little: most must match something.
        #expect(nonEmpty > 250, "only \(nonEmpty) of 500 queries matched anything")
    }

    @Test(arguments: drivers)
    func facetsCountTheWholeResult(driver: String) async throws {
        var random = SeededRandom(seed: 14)
        let corpus = try Corpus(count: 600, random: &random)
        let database = try await corpus.store(on: driver)
        for text in ["", "kind = image", "width > 2000 OR keywords = sunset", "NOT status = errored", "tags = beach OR categories EXISTS"] {
            let request = try FindRequest(q: text, limit: 5, facets: ["format,keywords,exif.make,status,animated,tags,categories,collections"], now: Self.now)
            let page = try database.read { try $0.find(request) }
            let matches = try corpus.oracle(text, sort: .default)
            for facet in request.facets {
                let got = (page.facets[facet] ?? []).map { "\($0.value)=\($0.count)" }
                #expect(got == corpus.facet(facet, of: matches), "\(facet.rawValue) of \(text)")
            }
        }
    }

    /// The whole catalog's facets and count come from counts the write
    /// triggers keep: after rows are rewritten with other values and others
    /// deleted, they must still equal the oracle's over what is left.
    @Test(arguments: drivers)
    func keptCountsFollowEveryWrite(driver: String) async throws {
        var random = SeededRandom(seed: 16)
        var corpus = try Corpus(count: 400, random: &random)
        let database = try await corpus.store(on: driver)
        let replacement = try Corpus(count: 400, random: &random)
        let decoder = AssetRecord.makeDecoder()
        var kept: [[String: Any]] = []
        try database.write { transaction in
            for (index, object) in corpus.records.enumerated() {
                guard let id = object["id"] as? String else { continue }
                switch index % 3 {
                case 0:
                    try transaction.deleteAsset(id: id)
                case 1:
                    // Another record's values at this id and path.
                    var changed = replacement.records[index].filter { !$0.key.hasPrefix("_") }
                    changed["id"] = id
                    changed["path"] = object["path"]
                    changed["name"] = object["name"]
                    let record = try decoder.decode(AssetRecord.self, from: try JSONSerialization.data(withJSONObject: changed))
                    try transaction.upsert(try AssetRow(record))
                    kept.append(changed)
                default:
                    kept.append(object)
                }
            }
        }
        corpus.records = kept
        let ids = kept.compactMap { $0["id"] as? String }
        let request = try FindRequest(q: "", limit: 1, count: true, facets: ["format,kind,mime,status,error.reason,exif.make,exif.model,exif.lens,keywords,orientation,animated,tags,categories,collections"],
                                      now: Self.now)
        let page = try database.read { try $0.find(request) }
        #expect(page.count == kept.count)
        for facet in request.facets {
            let got = (page.facets[facet] ?? []).map { "\($0.value)=\($0.count)" }
            #expect(got == corpus.facet(facet, of: ids), "\(facet.rawValue)")
        }
    }

    @Test(arguments: drivers)
    func colourSearchAgreesWithCIEDE2000OverTheStoredPalettes(driver: String) async throws {
        var random = SeededRandom(seed: 15)
        let corpus = try Corpus(count: 800, random: &random)
        let database = try await corpus.store(on: driver)
        for _ in 0..<40 {
            let hex = String(format: "#%02x%02x%02x", random.below(256), random.below(256), random.below(256))
            let within = [2.0, 5, 10, 20][random.below(4)]
            let text = "color NEAR \"\(hex)\" WITHIN \(within)" + (random.chance(0.5) ? " WEIGHT >= 0.1" : "")
            let expected = try corpus.oracle(text, sort: QuerySort(.relevance, descending: false))
            let request = try FindRequest(q: text, sort: "relevance", limit: 1000, now: Self.now)
            let found = try database.read { try $0.find(request) }.items.compactMap(\.id)
            #expect(found == expected, "\(text)")
        }
    }

    /// Sharma, Wu and Dalal (2005), Table 1: the reference pairs for CIEDE2000.
    @Test(arguments: [
        ((50.0, 2.6772, -79.7751), (50.0, 0.0, -82.7485), 2.0425),
        ((50.0, 3.1571, -77.2803), (50.0, 0.0, -82.7485), 2.8615),
        ((50.0, 2.8361, -74.0200), (50.0, 0.0, -82.7485), 3.4412),
        ((50.0, 0.0, 0.0), (50.0, -1.0, 2.0), 2.3669),
        ((50.0, 2.5, 0.0), (73.0, 25.0, -18.0), 27.1492),
        ((50.0, 2.5, 0.0), (61.0, -5.0, 29.0), 22.8977),
        ((50.0, 2.5, 0.0), (56.0, -27.0, -3.0), 31.9030),
        ((50.0, 2.5, 0.0), (58.0, 24.0, 15.0), 19.4535),
        ((60.2574, -34.0099, 36.2677), (60.4626, -34.1751, 39.4387), 1.2644),
    ])
    func ciede2000MatchesTheReferencePairs(pair: ((Double, Double, Double), (Double, Double, Double), Double)) {
        let (one, two, expected) = pair
        let distance = LabColor(l: one.0, a: one.1, b: one.2).ciede2000(to: LabColor(l: two.0, a: two.1, b: two.2))
        #expect(abs(distance - expected) < 0.0001, "\(distance) for \(expected)")
    }
}

// MARK: - The corpus and its oracle

/// Records as JSON objects, the form the oracle reads, decoded into
/// `AssetRecord`s for the catalog.
struct Corpus {
    var records: [[String: Any]] = []
    var edited: Set<String> = []

    static let words = ["sunset", "beach", "Café", "été", "Zürich", "mountain", "night", "portrait", "Åre", "niño", "forest", "city",
                        "river", "snow", "family", "birthday", "street", "dog", "cat", "flower"]
    static let makes = ["Canon", "NIKON CORPORATION", "SONY", "FUJIFILM", "Apple", "Google"]
    static let models = ["EOS R5", "NIKON D850", "ILCE-7M4", "X-T5", "iPhone 15 Pro", "Pixel 8", "EOS 5D Mark IV", "Z 9"]
    static let lenses = ["RF24-70mm F2.8 L IS USM", "NIKKOR Z 50mm f/1.8 S", "FE 35mm F1.4 GM", "XF23mmF1.4 R"]
    static let folders = ["/photos/2019", "/photos/2020/summer", "/photos/2020/winter", "/photos/2021", "/video/raw", "/video",
                          "/docs", "/photos", "/photos/2020"]
    static let formats: [(kind: String, format: String, mime: String)] = [
        ("image", "jpeg", "image/jpeg"), ("image", "png", "image/png"), ("image", "gif", "image/gif"), ("image", "webp", "image/webp"),
        ("image", "heif", "image/heif"), ("video", "mp4", "video/mp4"), ("video", "webm", "video/webm"), ("audio", "m4a", "audio/mp4"),
        ("other", "pdf", "application/pdf"),
    ]
    static let reasons = ["corrupt", "too_short", "unsupported_format", "empty"]
    static let categories = ["Travel", "Product shots", "Événements", "People", "Archive 2019"]
    /// Static collections (members in the records) and smart ones (saved
    /// queries, one naming a static collection and one another smart one).
    static let staticCollections = ["Picks", "Print run", "Web"]
    static let collections: [String: String?] = [
        "Picks": nil, "Print run": nil, "Web": nil,
        "Canon or picks": .some(#"exif.make = "Canon" OR collection = Picks"#),
        "Big": .some("width >= 3000 AND NOT collection = \"Canon or picks\""),
    ]
    /// A custom field of every type, as the catalog's definitions would give them to the query parser.
    static let customShapes: [String: CustomFieldShape] = [
        "rating": CustomFieldShape(type: .number), "shot": CustomFieldShape(type: .date),
        "status": CustomFieldShape(type: .singleSelect, options: ["draft", "approved", "rejected"]),
        "labels": CustomFieldShape(type: .multiSelect, options: ["red", "green", "blue"]),
        "note": CustomFieldShape(type: .text), "summary": CustomFieldShape(type: .textarea), "flag": CustomFieldShape(type: .boolean),
    ]

    init(count: Int, random: inout SeededRandom) throws {
        let base = FindDifferentialTests.now.timeIntervalSince1970 - 10 * 365 * 86_400
        for index in 0..<count {
            let type = Self.formats[random.below(Self.formats.count)]
            let folder = Self.folders[random.below(Self.folders.count)]
            let stem = (0..<(1 + random.below(3))).map { _ in Self.words[random.zipf(Self.words.count)] }.joined(separator: "_")
            let name = "\(stem)-\(index).\(type.format)"
            let id = String(format: "%08x-0000-4000-8000-%012x", random.below(1 << 30), index)
            let created = base + Double(random.below(10 * 365 * 86_400)) + Double(random.below(1000)) / 1000
            let status = random.chance(0.1) ? "errored" : (random.chance(0.03) ? "processing" : "processed")
            var record: [String: Any] = [
                "id": id, "path": folder + "/" + name, "name": name, "status": status, "version": 1 + random.below(3), "attempts": 1,
                "created_at": Self.iso(created), "updated_at": Self.iso(created + Double(random.below(400 * 86_400))),
            ]
            if status != "processing" || random.chance(0.5) {
                record["kind"] = type.kind
                record["format"] = type.format
                record["mime"] = type.mime
                record["size"] = random.below(50_000_000) + 1
            }
            if status == "errored" {
                record["error"] = ["reason": Self.reasons[random.below(Self.reasons.count)], "message": "generated"]
            }
            if type.kind == "image" || type.kind == "video", status == "processed" {
                record["width"] = [640, 1024, 1920, 2048, 3000, 4000, 6000][random.below(7)]
                record["height"] = [480, 768, 1080, 1536, 2000, 3000, 4000][random.below(7)]
                record["orientation"] = [1, 1, 1, 6, 8, 3][random.below(6)]
                // What the analysis stages and the hidden state leave.
                if random.chance(0.7) {
                    let count = [0, 0, 0, 1, 1, 2, 5][random.below(7)]
                    record["faces"] = ["count": count, "boxes": (0..<count).map { _ in ["x": 1, "y": 2, "width": 30, "height": 30] }]
                }
                var alerts: [String: Any] = [:]
                for category in ["adult", "violent", "racy"] where random.chance(category == "adult" ? 0.7 : 0.2) {
                    alerts[category] = ["score": Double(random.below(10_000)) / 10_000, "level": QueryField.levels[random.below(5)]]
                }
                if !alerts.isEmpty { record["content_alerts"] = alerts }
                let byUser = random.chance(0.2)
                record["hidden"] = byUser ? random.chance(0.5) : random.chance(0.15)
                record["hidden_by"] = byUser ? "user" : "rule"
            }
            if type.kind == "image", status == "processed" {
                if type.format == "gif" || random.chance(0.05) { record["pages"] = random.chance(0.7) ? 2 + random.below(20) : 1 }
                record["color"] = ["model": "rgb", "interpretation": "srgb", "depth": 8, "alpha": false, "bands": 3,
                                   "dominant": Self.palette(&random)]
                if random.chance(0.8) {
                    var exif: [String: Any] = ["make": Self.makes[random.below(Self.makes.count)],
                                               "model": Self.models[random.below(Self.models.count)],
                                               "iso": [100, 200, 400, 800, 1600, 3200, 6400][random.below(7)],
                                               "f_number": [1.4, 1.8, 2.8, 4, 5.6, 8, 11][random.below(7)],
                                               "focal_length": [16, 24, 35, 50, 85, 135, 200][random.below(7)]]
                    if random.chance(0.6) { exif["lens"] = Self.lenses[random.below(Self.lenses.count)] }
                    if random.chance(0.9) { exif["taken_at"] = Self.exifTime(created - Double(random.below(30 * 86_400))) }
                    if random.chance(0.5) {
                        exif["gps"] = ["lat": Double(random.below(1_600_000)) / 10_000 - 80, "lon": Double(random.below(3_600_000)) / 10_000 - 180]
                    }
                    record["exif"] = exif
                }
                if random.chance(0.6) {
                    record["keywords"] = Array(Set((0..<(1 + random.below(4))).map { _ in Self.words[random.zipf(Self.words.count)] })).sorted()
                }
                if random.chance(0.3) {
                    record["xmp"] = ["title": (0..<2).map { _ in Self.words[random.below(Self.words.count)] }.joined(separator: " "),
                                     "description": "Taken in " + Self.words[random.below(Self.words.count)]]
                }
            }
            if random.chance(0.5) {
                // Tags of every source, some removed (which no query may match).
                let names = Set((0..<(1 + random.below(4))).map { _ in Self.words[random.zipf(Self.words.count)] }).sorted()
                record["tags"] = names.map { name -> [String: Any] in
                    let removed = random.chance(0.2)
                    return ["name": name, "source": ["manual", "embedded", "ai"][random.below(3)],
                            "confidence": removed ? 0 : Double(1 + random.below(100)) / 100, "removed": removed]
                }
            }
            if random.chance(0.3) {
                record["categories"] = Array(Set((0..<(1 + random.below(3))).map { _ in Self.categories[random.below(Self.categories.count)] })).sorted()
            }
            if random.chance(0.35) {
                record["collections"] = Array(Set((0..<(1 + random.below(2))).map { _ in Self.staticCollections[random.below(3)] })).sorted()
            }
            var custom: [String: Any] = [:]
            if random.chance(0.5) { custom["rating"] = random.chance(0.7) ? 1 + random.below(5) : Double(random.below(500)) / 100 }
            if random.chance(0.4) { custom["shot"] = Self.iso(created - Double(random.below(900 * 86_400))) }
            if random.chance(0.4) { custom["status"] = ["draft", "approved", "rejected"][random.below(3)] }
            if random.chance(0.3) { custom["labels"] = Array(Set((0..<(1 + random.below(3))).map { _ in ["red", "green", "blue"][random.below(3)] })).sorted() }
            if random.chance(0.3) { custom["note"] = (0..<(1 + random.below(3))).map { _ in Self.words[random.zipf(Self.words.count)] }.joined(separator: " ") }
            if random.chance(0.2) { custom["summary"] = "Shot in\n" + Self.words[random.below(Self.words.count)] }
            if random.chance(0.3) { custom["flag"] = random.chance(0.5) }
            if !custom.isEmpty { record["custom"] = custom }
            if type.kind == "video", status == "processed" {
                record["video"] = ["container": type.format, "codec": "h264", "rotation": 0,
                                   "duration": Double(random.below(600_000)) / 1000]
            }
            if random.chance(0.05) { edited.insert(id) }
            // The instants, parsed once for the oracle (kept out of what is stored).
            record["_created_ms"] = Self.milliseconds(iso: record["created_at"] as? String)
            record["_updated_ms"] = Self.milliseconds(iso: record["updated_at"] as? String)
            record["_taken_ms"] = Self.milliseconds(iso: (record["exif"] as? [String: Any])?["taken_at"] as? String)
            records.append(record)
        }
    }

    static func iso(_ seconds: Double) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date(timeIntervalSince1970: (seconds * 1000).rounded() / 1000))
    }

    static func exifTime(_ seconds: Double) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd'T'HH:mm:ss"
        return formatter.string(from: Date(timeIntervalSince1970: seconds))
    }

    static func palette(_ random: inout SeededRandom) -> [[String: Any]] {
        var left = 1.0
        return (0..<5).map { index in
            let weight = index == 4 ? left : (left * Double(20 + random.below(60)) / 100)
            left -= weight
            let rgb = [random.below(256), random.below(256), random.below(256)]
            let lab = ColorConversion.lab(RGBColor(red: UInt8(rgb[0]), green: UInt8(rgb[1]), blue: UInt8(rgb[2])))
            let rounded = [lab.l, lab.a, lab.b].map { ($0 * 100).rounded() / 100 }
            return ["hex": String(format: "#%02x%02x%02x", rgb[0], rgb[1], rgb[2]), "rgb": rgb, "lab": rounded,
                    "weight": (weight * 10_000).rounded() / 10_000]
        }
    }

    /// A fresh catalog of `driver` holding the records, through the
    /// catalog's own row writes; the edited ones with an `edited` event.
    func store(on driver: String) async throws -> any CatalogDatabase {
        let database: any CatalogDatabase
        if driver == "PostgreSQL", let url = CatalogDriver.postgresURL {
            let schema = "find_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16)
            database = try await PostgresCatalogDatabase.connect(url: url + (url.contains("?") ? "&" : "?") + "search_path=\(schema)")
        } else {
            database = try SQLiteCatalogDatabase(dataDirectory: try Package.temporaryDirectory("find"))
        }
        let decoder = AssetRecord.makeDecoder()
        // Half row by row (what `process` and jobs do), half through the bulk path.
        var rows: [(AssetRow, String?)] = []
        for object in records {
            let stored = object.filter { !$0.key.hasPrefix("_") }
            let record = try decoder.decode(AssetRecord.self, from: try JSONSerialization.data(withJSONObject: stored))
            rows.append((try AssetRow(record), record.id))
        }
        try database.write { transaction in
            for (index, (row, _)) in rows.enumerated() where index % 2 == 0 { try transaction.upsert(row) }
            try transaction.insertMany(rows.enumerated().filter { $0.offset % 2 == 1 }.map(\.element.0))
            for (row, id) in rows {
                if let id, edited.contains(id) {
                    try transaction.insert(AssetEvent(assetID: id, version: row.version, path: row.record.path, at: Date(),
                                                      actor: "test", action: .edited, detail: [:], jobID: nil))
                }
            }
        }
        return database
    }

    // MARK: The oracle: the query evaluated over the JSON objects

    func oracle(_ text: String, sort: QuerySort) throws -> [String] {
        let query = try QueryParser.parse(text, now: FindDifferentialTests.now, customFields: Self.customShapes, collections: Self.collections)
        let matching = records.filter { matches(query, $0) }
        let ranked = matching.map { (record: $0, key: sortValue(sort, query, $0)) }
        func idFirst(_ left: String, _ right: String) -> Bool {
            sort.descending ? Array(right.utf8).lexicographicallyPrecedes(Array(left.utf8))
                : Array(left.utf8).lexicographicallyPrecedes(Array(right.utf8))
        }
        // Nulls last in both directions; ties by id in the sort's direction.
        return ranked.sorted { left, right in
            let leftID = left.record["id"] as? String ?? "", rightID = right.record["id"] as? String ?? ""
            switch (left.key, right.key) {
            case (nil, nil): return idFirst(leftID, rightID)
            case (nil, _): return false
            case (_, nil): return true
            case (let a?, let b?):
                if a == b { return idFirst(leftID, rightID) }
                return sort.descending ? b < a : a < b
            }
        }.map { $0.record["id"] as? String ?? "" }
    }

    func facet(_ facet: FacetField, of ids: [String]) -> [String] {
        let chosen = Set(ids)
        var counts: [SortValue: Int] = [:]
        for record in records where chosen.contains(record["id"] as? String ?? "") {
            switch facet {
            case .keywords, .tags, .categories, .collections:
                let field = facet == .collections ? .collection : QueryField(rawValue: facet.rawValue) ?? .keywords
                for member in Set(members(field, record)) { counts[.text(member), default: 0] += 1 }
            case .animated: counts[.number(isAnimated(record) ? 1 : 0), default: 0] += 1
            case .edited: counts[.number(edited.contains(record["id"] as? String ?? "") ? 1 : 0), default: 0] += 1
            default:
                let field = QueryField(rawValue: facet.rawValue) ?? .format
                if let value = scalar(field, record) { counts[value, default: 0] += 1 }
            }
        }
        return counts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(100).map { key, count in
            switch key {
            case .text(let text): "\(text)=\(count)"
            case .number(let number) where facet == .animated || facet == .edited: "\(number != 0)=\(count)"
            case .number(let number): "\(Int(number))=\(count)"
            }
        }
    }

    /// A sort or comparison value: numbers before strings never mix, strings by their UTF-8 bytes.
    enum SortValue: Hashable, Comparable {
        case number(Double)
        case text(String)

        static func < (left: SortValue, right: SortValue) -> Bool {
            switch (left, right) {
            case (.number(let a), .number(let b)): a < b
            case (.text(let a), .text(let b)): Array(a.utf8).lexicographicallyPrecedes(Array(b.utf8))
            case (.number, .text): true
            case (.text, .number): false
            }
        }
    }

    static func milliseconds(iso text: String?) -> Double? {
        guard let text else { return nil }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return (date.timeIntervalSince1970 * 1000).rounded() }
        let plain = DateFormatter()
        plain.locale = Locale(identifier: "en_US_POSIX")
        plain.timeZone = TimeZone(identifier: "UTC")
        plain.dateFormat = "yyyy-MM-dd'T'HH:mm:ss"
        return plain.date(from: text).map { ($0.timeIntervalSince1970 * 1000).rounded() }
    }

    func isAnimated(_ record: [String: Any]) -> Bool {
        (record["pages"] as? Int ?? 1) > 1 && ["gif", "webp", "png", "avif", "heif"].contains(record["format"] as? String ?? "")
    }

    func scalar(_ field: QueryField, _ record: [String: Any]) -> SortValue? {
        let exif = record["exif"] as? [String: Any]
        func number(_ value: Any?) -> SortValue? { (value as? NSNumber).map { .number($0.doubleValue) } }
        func text(_ value: Any?) -> SortValue? { (value as? String).map(SortValue.text) }
        switch field {
        case .name, .path, .kind, .format, .mime, .status: return text(record[field.rawValue])
        case .errorReason: return text((record["error"] as? [String: Any])?["reason"])
        case .width, .height, .size, .orientation, .version: return number(record[field.rawValue])
        case .duration: return number((record["video"] as? [String: Any])?["duration"])
        case .createdAt: return number(record["_created_ms"])
        case .updatedAt: return number(record["_updated_ms"])
        case .takenAt: return number(record["_taken_ms"])
        case .exifMake: return text(exif?["make"])
        case .exifModel: return text(exif?["model"])
        case .exifLens: return text(exif?["lens"])
        case .exifISO: return number(exif?["iso"])
        case .exifFNumber: return number(exif?["f_number"])
        case .exifFocalLength: return number(exif?["focal_length"])
        case .animated: return .number(isAnimated(record) ? 1 : 0)
        case .edited: return .number(edited.contains(record["id"] as? String ?? "") ? 1 : 0)
        case .gps: return number((exif?["gps"] as? [String: Any])?["lat"])
        case .hidden: return (record["hidden"] as? Bool).map { .number($0 ? 1 : 0) }
        case .faces: return number((record["faces"] as? [String: Any])?["count"])
        case .alertAdult, .alertViolent, .alertMedical, .alertRacy, .alertSpoof:
            let category = String(field.rawValue.dropFirst("content_alerts.".count))
            let level = ((record["content_alerts"] as? [String: Any])?[category] as? [String: Any])?["level"] as? String
            return level.flatMap { QueryField.levels.firstIndex(of: $0) }.map { .number(Double($0)) }
        case .text, .keywords, .tags, .categories, .collection, .color: return nil
        }
    }

    /// The values of a many-valued field: keywords, tags not removed, categories.
    func members(_ field: QueryField, _ record: [String: Any]) -> [String] {
        switch field {
        case .keywords: record["keywords"] as? [String] ?? []
        case .tags: (record["tags"] as? [[String: Any]] ?? []).filter { $0["removed"] as? Bool != true }.compactMap { $0["name"] as? String }
        case .categories: record["categories"] as? [String] ?? []
        case .collection: record["collections"] as? [String] ?? []
        default: []
        }
    }

    func sortValue(_ sort: QuerySort, _ query: Query, _ record: [String: Any]) -> SortValue? {
        switch sort.key {
        case .createdAt: scalar(.createdAt, record)
        case .updatedAt: scalar(.updatedAt, record)
        case .size: scalar(.size, record)
        case .name: scalar(.name, record)
        case .takenAt: scalar(.takenAt, record)
        case .width: scalar(.width, record)
        case .height: scalar(.height, record)
        case .duration: scalar(.duration, record)
        case .relevance:
            query.terms.compactMap { term -> ColorMatch? in
                if case .color(let match) = term.condition { return match }
                return nil
            }.first.flatMap { match in
                matchingColours(match, record).map { $0.lab.ciede2000(to: match.lab) }.min()
            }.map(SortValue.number)
        }
    }

    /// The documented match: of the weight, in the colour's neighbourhood
    /// box, within the CIEDE2000 distance.
    func matchingColours(_ match: ColorMatch, _ record: [String: Any]) -> [(lab: LabColor, weight: Double)] {
        // Measured again from the colour and radius, not read from the parsed match.
        let box = match.lab.ciede2000Bounds(radius: match.within)
        return palette(record).filter { colour in
            colour.weight >= (match.minimumWeight ?? -1) && box.contains(colour.lab) && colour.lab.ciede2000(to: match.lab) <= match.within
        }
    }

    func palette(_ record: [String: Any]) -> [(lab: LabColor, weight: Double)] {
        ((record["color"] as? [String: Any])?["dominant"] as? [[String: Any]] ?? []).compactMap { color in
            guard let lab = color["lab"] as? [Double], lab.count == 3, let weight = (color["weight"] as? NSNumber)?.doubleValue else { return nil }
            return (LabColor(l: lab[0], a: lab[1], b: lab[2]), weight)
        }
    }

    /// Words as the oracle cuts them: decomposed, marks dropped, lowercased, split at anything not a letter or digit.
    static func words(_ text: String) -> [String] {
        let plain = String(String.UnicodeScalarView(text.decomposedStringWithCanonicalMapping.unicodeScalars.filter {
            $0.properties.generalCategory != .nonspacingMark
        })).lowercased()
        return plain.split(whereSeparator: { !($0.isLetter || $0.isNumber) }).map(String.init)
    }

    func words(_ field: QueryField, _ record: [String: Any]) -> [String] {
        let exif = record["exif"] as? [String: Any], xmp = record["xmp"] as? [String: Any]
        let keywords = (record["keywords"] as? [String] ?? []).joined(separator: " ")
        let tags = members(.tags, record).joined(separator: " "), categories = members(.categories, record).joined(separator: " ")
        // Custom values that are text (not numbers, dates or booleans).
        let customText = Self.customShapes.filter { [.text, .textarea, .singleSelect, .multiSelect].contains($0.value.type) }.keys.sorted()
            .flatMap { key -> [String] in
                let value = (record["custom"] as? [String: Any])?[key]
                return (value as? [String]) ?? (value as? String).map { [$0] } ?? []
            }.joined(separator: " ")
        let parts: [Any?]
        switch field {
        case .name: parts = [record["name"]]
        case .path: parts = [record["path"]]
        case .keywords: parts = [keywords]
        case .tags: parts = [tags]
        case .categories: parts = [categories]
        case .exifMake: parts = [exif?["make"]]
        case .exifModel: parts = [exif?["model"]]
        case .exifLens: parts = [exif?["lens"]]
        default: parts = [record["name"], record["path"], xmp?["title"], xmp?["description"], exif?["description"], keywords,
                          exif?["make"], exif?["model"], exif?["lens"], tags, categories, customText]
        }
        return parts.compactMap { $0 as? String }.flatMap(Self.words)
    }

    func matches(_ query: Query, _ record: [String: Any]) -> Bool {
        switch query {
        case .all: return true
        case .and(let parts): return parts.allSatisfy { matches($0, record) }
        case .or(let parts): return parts.contains { matches($0, record) }
        case .not(let inner): return !matches(inner, record)
        case .term(let term): return matches(term, record)
        }
    }

    /// A custom field's values: numbers, dates (milliseconds) and booleans (0, 1) as numbers, the rest as text.
    func customValues(_ custom: CustomFieldReference, _ record: [String: Any]) -> [SortValue] {
        let value = (record["custom"] as? [String: Any])?[custom.key]
        switch custom.type {
        case .number: return (value as? NSNumber).map { [.number($0.doubleValue)] } ?? []
        case .boolean: return (value as? Bool).map { [.number($0 ? 1 : 0)] } ?? []
        case .date: return Self.milliseconds(iso: value as? String).map { [.number($0)] } ?? []
        case .multiSelect: return (value as? [String] ?? []).map(SortValue.text)
        case .text, .textarea, .singleSelect: return (value as? String).map { [.text($0)] } ?? []
        }
    }

    func matches(_ custom: CustomFieldReference, _ condition: QueryCondition, _ record: [String: Any]) -> Bool {
        let values = customValues(custom, record)
        func operand(_ value: QueryValue) -> SortValue {
            switch value {
            case .string(let text): .text(text)
            case .number(let number): .number(number)
            case .boolean(let flag): .number(flag ? 1 : 0)
            }
        }
        switch condition {
        case .exists: return !values.isEmpty
        case .compare(let op, let value):
            let want = operand(value)
            switch op {
            case .notEqual: return !values.contains(want)
            case .equal: return values.contains(want)
            case .less: return values.contains { $0 < want }
            case .lessOrEqual: return values.contains { $0 <= want }
            case .greater: return values.contains { $0 > want }
            case .greaterOrEqual: return values.contains { $0 >= want }
            default: return false
            }
        case .oneOf(let operands, let negated):
            let wanted = Set(operands.map(operand))
            return negated != values.contains(where: wanted.contains)
        default: return false
        }
    }

    func matches(_ term: QueryTerm, _ record: [String: Any]) -> Bool {
        if let custom = term.custom { return matches(custom, term.condition, record) }
        let field = term.field
        let listed = [QueryField.keywords, .tags, .categories, .collection].contains(field)
        let list = members(field, record)
        func value(_ operand: QueryValue) -> SortValue? {
            switch operand {
            case .string(let text): .text(text)
            case .number(let number): .number(number)
            case .boolean(let flag): .number(flag ? 1 : 0)
            }
        }
        switch term.condition {
        case .has(let wanted):
            let words = words(field, record)
            return wanted.allSatisfy { word in words.contains { word.isPrefix ? $0.hasPrefix(word.text) : $0 == word.text } }
        case .exists:
            switch field {
            case .keywords, .tags, .categories, .collection: return !list.isEmpty
            case .color: return !palette(record).isEmpty
            default: return scalar(field, record) != nil
            }
        case .under(let folder):
            let path = record["path"] as? String ?? ""
            return path == folder || path.hasPrefix(folder == "/" ? "/" : folder + "/")
        case .near(let circle):
            guard let gps = (record["exif"] as? [String: Any])?["gps"] as? [String: Any],
                  let lat = (gps["lat"] as? NSNumber)?.doubleValue, let lon = (gps["lon"] as? NSNumber)?.doubleValue else { return false }
            return Self.haversine(lat, lon, circle.latitude, circle.longitude) <= circle.radius
        case .color(let match):
            return !matchingColours(match, record).isEmpty
        case .compare(let op, let operand):
            if listed {
                guard case .string(let wanted) = operand else { return false }
                return (op == .notEqual) != list.contains(wanted)
            }
            let have = scalar(field, record), want = value(operand)
            guard let have, let want else { return op == .notEqual }
            switch op {
            case .equal: return have == want
            case .notEqual: return have != want
            case .less: return have < want
            case .lessOrEqual: return have <= want
            case .greater: return have > want
            case .greaterOrEqual: return have >= want
            default: return false
            }
        case .oneOf(let operands, let negated):
            if listed {
                let wanted = Set(operands.compactMap { if case .string(let text) = $0 { text } else { nil } })
                return negated != list.contains(where: wanted.contains)
            }
            guard let have = scalar(field, record) else { return negated }
            return negated != operands.compactMap(value).contains(have)
        }
    }

    static func haversine(_ lat1: Double, _ lon1: Double, _ lat2: Double, _ lon2: Double) -> Double {
        let r = Double.pi / 180
        let a = pow(sin((lat2 - lat1) * r / 2), 2) + cos(lat1 * r) * cos(lat2 * r) * pow(sin((lon2 - lon1) * r / 2), 2)
        return 2 * 6_371_000 * asin(min(1, a.squareRoot()))
    }
}

// MARK: - Queries

/// Random query text over every field and operator, with values drawn
/// from the corpus so that terms match something.
struct QueryGenerator {
    let corpus: Corpus

    func query(_ random: inout SeededRandom, depth: Int) -> String {
        guard depth > 0, random.chance(0.6) else { return term(&random) }
        let parts = (0..<(2 + random.below(2))).map { _ in query(&random, depth: depth - 1) }
        let joined = parts.joined(separator: random.chance(0.5) ? " OR " : (random.chance(0.5) ? " AND " : " "))
        return (random.chance(0.2) ? "NOT " : "") + "(" + joined + ")"
    }

    /// A `custom.KEY` term of a random field, type and operator.
    func customTerm(_ random: inout SeededRandom) -> String {
        let record = corpus.records[random.below(corpus.records.count)]
        let key = Corpus.customShapes.keys.sorted()[random.below(Corpus.customShapes.count)]
        let shape = Corpus.customShapes[key] ?? CustomFieldShape(type: .text)
        let op = shape.type.operators[random.below(shape.type.operators.count)]
        let value = (record["custom"] as? [String: Any])?[key]
        func literal() -> String {
            switch shape.type {
            case .number: return (value as? NSNumber).map { "\($0)" } ?? String(random.below(6))
            case .boolean: return random.chance(0.5) ? "true" : "false"
            case .date: return "\"" + ((value as? String) ?? Corpus.iso(FindDifferentialTests.now.timeIntervalSince1970 - Double(random.below(900 * 86_400)))) + "\""
            case .singleSelect, .multiSelect: return "\"" + shape.options[random.below(shape.options.count)] + "\""
            case .text, .textarea: return "\"" + ((value as? String) ?? Corpus.words[random.below(Corpus.words.count)]) + "\""
            }
        }
        switch op {
        case .exists: return "custom.\(key) EXISTS"
        case .in, .notIn: return "custom.\(key) \(op.rawValue) [\((0..<(1 + random.below(3))).map { _ in literal() }.joined(separator: ", "))]"
        default: return "custom.\(key) \(op.rawValue) \(literal())"
        }
    }

    func term(_ random: inout SeededRandom) -> String {
        if random.chance(0.12) { return customTerm(&random) }
        let record = corpus.records[random.below(corpus.records.count)]
        let field = QueryField.allCases[random.below(QueryField.allCases.count)]
        let op = field.operators[random.below(field.operators.count)]
        let exif = record["exif"] as? [String: Any]
        func quoted(_ text: String) -> String { "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\"" }
        func literal(_ field: QueryField) -> String {
            switch field.valueType {
            case .boolean: return random.chance(0.5) ? "true" : "false"
            case .level: return quoted(QueryField.levels[random.below(QueryField.levels.count)])
            case .date:
                if random.chance(0.3) { return quoted(["30d", "1y", "2w", "5y", "12h"][random.below(5)]) }
                let ms = corpus.scalar(field, record).flatMap { if case .number(let n) = $0 { n } else { nil } } ?? 1_500_000_000_000
                return quoted(Corpus.iso(ms / 1000 + Double(random.below(3)) - 1))
            case .bytes:
                return random.chance(0.5) ? quoted(["1mb", "5mb", "500kb", "20mb"][random.below(4)]) : String(random.below(50_000_000))
            case .integer, .decimal:
                if case .number(let number)? = corpus.scalar(field, record), random.chance(0.8) {
                    return number == number.rounded() ? String(Int(number)) : String(number)
                }
                return String(random.below(5000))
            case .stringList:
                if field == .collection { return quoted(Corpus.collections.keys.sorted()[random.below(Corpus.collections.count)]) }
                if field == .categories { return quoted(Corpus.categories[random.below(Corpus.categories.count)]) }
                return quoted(Corpus.words[random.zipf(Corpus.words.count)])
            default:
                if field == .kind { return ["image", "video", "audio", "other"][random.below(4)] }
                if field == .status { return ["processed", "errored", "processing"][random.below(3)] }
                if case .text(let text)? = corpus.scalar(field, record), random.chance(0.85) { return quoted(text) }
                return quoted(Corpus.makes[random.below(Corpus.makes.count)])
            }
        }
        switch op {
        case .exists: return "\(field.rawValue) EXISTS"
        case .in, .notIn:
            let values = (0..<(1 + random.below(3))).map { _ in literal(field) }
            return "\(field.rawValue) \(op.rawValue) [\(values.joined(separator: ", "))]"
        case .has:
            var pool = corpus.words(field, record)
            if pool.isEmpty { pool = Corpus.words.map { Corpus.words($0)[0] } }
            let chosen = (0..<(1 + random.below(2))).map { _ -> String in
                let word = pool[random.below(pool.count)]
                return random.chance(0.3) && word.count > 2 ? String(word.prefix(2 + random.below(word.count - 1))) + "*" : word
            }
            // Written as the user would: with their case and accents back on, sometimes.
            let text = chosen.joined(separator: " ")
            return "\(field.rawValue) HAS \(quoted(random.chance(0.3) ? text.uppercased() : text))"
        case .under:
            return "path : " + quoted(Corpus.folders[random.below(Corpus.folders.count)])
        case .near:
            if field == .gps {
                let gps = exif?["gps"] as? [String: Any]
                let lat = (gps?["lat"] as? NSNumber)?.doubleValue ?? Double(random.below(160)) - 80
                let lon = (gps?["lon"] as? NSNumber)?.doubleValue ?? Double(random.below(360)) - 180
                return "gps NEAR \"\(lat + 0.01),\(lon) \(["5km", "500km", "2000km", "800m"][random.below(4)])\""
            }
            let hex = ((record["color"] as? [String: Any])?["dominant"] as? [[String: Any]])?.first?["hex"] as? String ?? "#808080"
            return "color NEAR \"\(hex)\" WITHIN \([3, 10, 25][random.below(3)])" + (random.chance(0.4) ? " WEIGHT >= 0.2" : "")
        default:
            return "\(field.rawValue) \(op.rawValue) \(literal(field))"
        }
    }
}

/// A small, seeded generator, so a failure is the same on every run.
struct SeededRandom {
    private var state: UInt64

    init(seed: UInt64) { state = seed &+ 0x9E37_79B9_7F4A_7C15 }

    mutating func next() -> UInt64 {
        state = state &+ 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func below(_ bound: Int) -> Int { bound <= 1 ? 0 : Int(next() % UInt64(bound)) }
    mutating func chance(_ probability: Double) -> Bool { Double(next() % 1_000_000) / 1_000_000 < probability }
    mutating func pick<Element>(_ elements: [Element]) -> Element { elements[below(elements.count)] }
    /// 0..<count, Zipf-distributed (s = 1): 0 most often.
    mutating func zipf(_ count: Int) -> Int {
        let total = (1...count).reduce(0.0) { $0 + 1 / Double($1) }
        var target = Double(next() % 1_000_000) / 1_000_000 * total
        for rank in 1...count {
            target -= 1 / Double(rank)
            if target <= 0 { return rank - 1 }
        }
        return count - 1
    }
}
