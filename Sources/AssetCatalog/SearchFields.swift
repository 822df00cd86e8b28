import AssetPipeline
import AssetQuery
import Foundation

/// What the search index holds for one record, derived once here for
/// every driver: the columns that filter and sort, keywords and palette
/// rows, and the folded words of the keyword search.
struct SearchFields: Sendable {
    var createdMilliseconds: Int64
    var updatedMilliseconds: Int64
    var takenMilliseconds: Int64?
    var duration: Double?
    var orientation: Int?
    var animated: Bool
    var hidden: Bool?
    /// Faces found, when the `faces` stage ran.
    var faces: Int?
    /// Each content alert category's level, as its rank (0 doubtful … 4 probable), in `alertColumns` order.
    var alerts: [Int?]
    var exifMake: String?
    var exifModel: String?
    var exifLens: String?
    var exifISO: Int?
    var exifFNumber: Double?
    var exifFocalLength: Double?
    var latitude: Double?
    var longitude: Double?
    var keywords: [String]
    /// Tag rows: every tag's name, once, and whether it was removed (a
    /// removed one is kept for renames and deletes, matched by no query).
    var tags: [(name: String, removed: Bool)]
    var categories: [String]
    /// The static collections it is in.
    var collections: [String]
    /// Custom values as rows: a text or a number (dates in milliseconds,
    /// booleans 0 and 1); a multi select gives a row per option.
    var custom: [(key: String, text: String?, number: Double?)]
    var palette: [(l: Double, a: Double, b: Double, weight: Double)]
    /// Folded words, space-separated, per full-text column.
    var text: [SearchColumn: String]

    /// The full-text columns; `text HAS` searches them all.
    enum SearchColumn: String, CaseIterable {
        case name, path, title, description, keywords, make, model, lens, tags, categories, custom
    }

    /// PostgreSQL's one tsvector holds every column's words as
    /// `code_word` lexemes, so a search can name its columns.
    static func lexeme(_ column: SearchColumn, _ word: String) -> String {
        let code: String
        switch column {
        case .name: code = "n"
        case .path: code = "p"
        case .title: code = "t"
        case .description: code = "d"
        case .keywords: code = "k"
        case .make: code = "m"
        case .model: code = "o"
        case .lens: code = "l"
        case .tags: code = "g"
        case .categories: code = "c"
        case .custom: code = "u"
        }
        return code + "_" + word
    }

    /// Every lexeme of the record, for PostgreSQL's tsvector.
    var lexemes: [String] {
        var all = Set<String>()
        for (column, words) in text {
            for word in words.split(separator: " ") { all.insert(Self.lexeme(column, String(word))) }
        }
        return all.sorted()
    }

    /// The columns of the content alert levels, in `HiddenStage.Category` order.
    static let alertColumns = HiddenStage.Category.allCases.map { "alert_" + $0.rawValue }

    /// The rank of `category`'s level, when it was scored.
    func alert(_ category: HiddenStage.Category) -> Int? {
        HiddenStage.Category.allCases.firstIndex(of: category).flatMap { alerts.indices.contains($0) ? alerts[$0] : nil }
    }

    /// Formats whose extra frames are an animation (a TIFF's or PDF's are pages).
    static let animatedFormats: Set<String> = ["gif", "webp", "png", "avif", "heif"]

    init(_ record: AssetRecord) {
        func milliseconds(_ date: Date?) -> Int64 {
            (date ?? Date()).epochMilliseconds
        }
        createdMilliseconds = milliseconds(record.createdAt)
        updatedMilliseconds = milliseconds(record.updatedAt)
        takenMilliseconds = record.exif?.takenAt.flatMap(Timestamps.parse).map(milliseconds)
        duration = (record.video?.duration ?? record.audio?.duration).flatMap { $0.isFinite ? $0 : nil }
        orientation = record.orientation
        animated = (record.pages ?? 1) > 1 && Self.animatedFormats.contains(record.format ?? "")
        hidden = record.hidden
        faces = record.output(of: FacesStage.self)?.count
        let scored = record.output(of: ContentAlertsStage.self)
        alerts = HiddenStage.Category.allCases.map { scored?.alert($0)?.level.rank }
        let exif = record.exif
        exifMake = exif?.make
        exifModel = exif?.model
        exifLens = exif?.lens
        exifISO = exif?.iso
        exifFNumber = exif?.fNumber.flatMap { $0.isFinite ? $0 : nil }
        exifFocalLength = exif?.focalLength.flatMap { $0.isFinite ? $0 : nil }
        if let latitude = exif?.gps?.latitude, let longitude = exif?.gps?.longitude, latitude.isFinite, longitude.isFinite {
            (self.latitude, self.longitude) = (latitude, longitude)
        }
        var seen = Set<String>()
        keywords = (record.keywords ?? []).filter { !$0.isEmpty && seen.insert($0).inserted }
        var tagNames = Set<String>()
        tags = (record.tags ?? []).filter { !$0.name.isEmpty && tagNames.insert($0.name).inserted }.map { ($0.name, $0.removed) }
        var categoryNames = Set<String>()
        categories = (record.categories ?? []).filter { !$0.isEmpty && categoryNames.insert($0).inserted }
        var collectionNames = Set<String>()
        collections = (record.collections ?? []).filter { !$0.isEmpty && collectionNames.insert($0).inserted }
        custom = (record.custom ?? [:]).sorted { $0.key < $1.key }.flatMap { key, value -> [(key: String, text: String?, number: Double?)] in
            switch value {
            case .string(let text):
                // A date is stored as ISO 8601; its instant is what ranges compare.
                let instant = Timestamps.parse(text).map { ($0.timeIntervalSince1970 * 1000).rounded() }
                return [(key, text, instant)]
            case .number(let number): return number.isFinite ? [(key, nil, number)] : []
            case .boolean(let flag): return [(key, nil, flag ? 1 : 0)]
            case .strings(let list): return Array(Set(list)).sorted().map { (key, $0, nil) }
            }
        }
        palette = (record.color?.dominant ?? []).compactMap { color in
            guard color.lab.count == 3, color.lab.allSatisfy(\.isFinite), color.weight.isFinite else { return nil }
            return (color.lab[0], color.lab[1], color.lab[2], color.weight)
        }
        func folded(_ parts: [String?]) -> String {
            parts.compactMap { $0 }.flatMap(SearchText.words).joined(separator: " ")
        }
        text = [
            .name: folded([record.name]),
            .path: folded([record.path]),
            .title: folded([record.xmp?.title]),
            .description: folded([record.xmp?.description, exif?.description]),
            .keywords: folded(keywords),
            .make: folded([exif?.make]),
            .model: folded([exif?.model]),
            .lens: folded([exif?.lens]),
            .tags: folded(tags.filter { !$0.removed }.map(\.name)),
            .categories: folded(categories),
            // Text values, not dates (whose ISO form is no words to search for).
            .custom: folded(custom.filter { $0.number == nil }.compactMap(\.text)),
        ]
    }
}
