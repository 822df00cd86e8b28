/// The fields a query can name, and what each holds. One list for the
/// parser, the catalog's compilers and the documentation.
public enum QueryField: String, Sendable, CaseIterable, Codable {
    /// Keyword search over name, path, title, description, keywords, the
    /// camera's make, model and lens, tags and categories (`HAS` only).
    case text
    case name, path, kind, format, mime, status
    case errorReason = "error.reason"
    case width, height, size, duration, orientation, animated, edited, version
    case createdAt = "created_at"
    case updatedAt = "updated_at"
    case takenAt = "taken_at"
    case exifMake = "exif.make"
    case exifModel = "exif.model"
    case exifLens = "exif.lens"
    case exifISO = "exif.iso"
    case exifFNumber = "exif.f_number"
    case exifFocalLength = "exif.focal_length"
    case gps, keywords, color
    /// The asset's tags that are not removed (manual, embedded and AI alike).
    case tags
    case categories
    /// A collection the asset is in: a static one's members, or a smart
    /// one's saved query (read in its place when the query is parsed).
    case collection
    /// Whether the asset is shown hidden (pixelated).
    case hidden
    /// How many faces the `faces` stage found.
    case faces
    /// A content alert category's level: `content_alerts.adult >= "likely"`.
    case alertAdult = "content_alerts.adult"
    case alertViolent = "content_alerts.violent"
    case alertMedical = "content_alerts.medical"
    case alertRacy = "content_alerts.racy"
    case alertSpoof = "content_alerts.spoof"

    /// What a field's values are, which decides the operators it takes.
    public enum ValueType: Sendable, Equatable {
        /// Words to search (`HAS`).
        case words
        /// A string compared exactly (`=`, `IN`, `HAS` for its words, `EXISTS`).
        case string
        /// The catalog path: a string that also takes `:` (a folder and its subfolders).
        case path
        case integer
        case decimal
        /// Bytes: a number or a size such as "5mb".
        case bytes
        /// An instant: an ISO 8601 date or time, or a relative one ("7d").
        case date
        case boolean
        /// Many strings per asset: `=` and `IN` match when any one does.
        case stringList
        /// A place: `NEAR "lat,lon 5km"`.
        case position
        /// Dominant colours: `NEAR "#1e88e5" [WITHIN dE] [WEIGHT >= w]`.
        case palette
        /// One of imgix's ordered likelihoods, `doubtful` < `unlikely` <
        /// `possible` < `likely` < `probable`; compared by that order.
        case level
    }

    /// The likelihoods of `level` fields, lowest first.
    public static let levels = ["doubtful", "unlikely", "possible", "likely", "probable"]

    public var valueType: ValueType {
        switch self {
        case .text: .words
        case .name, .kind, .format, .mime, .status, .errorReason, .exifMake, .exifModel, .exifLens: .string
        case .path: .path
        case .width, .height, .orientation, .version, .exifISO, .faces: .integer
        case .duration, .exifFNumber, .exifFocalLength: .decimal
        case .size: .bytes
        case .createdAt, .updatedAt, .takenAt: .date
        case .animated, .edited, .hidden: .boolean
        case .keywords, .tags, .categories, .collection: .stringList
        case .gps: .position
        case .color: .palette
        case .alertAdult, .alertViolent, .alertMedical, .alertRacy, .alertSpoof: .level
        }
    }

    /// Whether the field's words are indexed for `HAS` (names, places and
    /// cameras are; codes such as `kind` or `mime` are compared whole).
    public var hasWords: Bool {
        switch self {
        case .text, .name, .path, .keywords, .tags, .categories, .exifMake, .exifModel, .exifLens: true
        default: false
        }
    }

    /// The operators this field takes, for the parser and for messages.
    public var operators: [QueryOperator] { Self.operators(of: valueType, hasWords: hasWords) }

    /// The operators values of `type` take (`HAS` when their words are indexed).
    public static func operators(of type: ValueType, hasWords: Bool) -> [QueryOperator] {
        switch type {
        case .words: [.has]
        case .string: [.equal, .notEqual, .in, .notIn, .exists] + (hasWords ? [.has] : [])
        case .path: [.equal, .notEqual, .in, .notIn, .has, .exists, .under]
        case .integer, .decimal, .bytes, .level:
            [.equal, .notEqual, .less, .lessOrEqual, .greater, .greaterOrEqual, .in, .notIn, .exists]
        case .date: [.less, .lessOrEqual, .greater, .greaterOrEqual, .exists]
        case .boolean: [.equal, .notEqual]
        case .stringList: [.equal, .notEqual, .in, .notIn, .exists] + (hasWords ? [.has] : [])
        case .position: [.near, .exists]
        case .palette: [.near, .exists]
        }
    }

    /// How a message names the fields: the built-in ones, and custom ones.
    public static var listed: String { allCases.map(\.rawValue).joined(separator: ", ") + ", custom.KEY" }
}

/// A comparison in a term.
public enum QueryOperator: String, Sendable, CaseIterable, Codable {
    case equal = "="
    case notEqual = "!="
    case less = "<"
    case lessOrEqual = "<="
    case greater = ">"
    case greaterOrEqual = ">="
    case `in` = "IN"
    case notIn = "NOT IN"
    case has = "HAS"
    case exists = "EXISTS"
    /// A folder and everything under it.
    case under = ":"
    case near = "NEAR"
}

/// The keys a result can be sorted by. Ties are broken by id, in the same
/// direction, so an order is total and a cursor is exact.
public enum SortKey: String, Sendable, CaseIterable, Codable {
    case createdAt = "created_at"
    case updatedAt = "updated_at"
    case size, name
    case takenAt = "taken_at"
    case width, height, duration
    /// Best matches first: the most `HAS` words' weight (bm25), or the closest colour.
    case relevance
}

/// The fields a result can be counted by (`facets`).
public enum FacetField: String, Sendable, CaseIterable, Codable {
    case format, kind, mime, status
    case errorReason = "error.reason"
    case exifMake = "exif.make"
    case exifModel = "exif.model"
    case exifLens = "exif.lens"
    case keywords, orientation, animated, edited, tags, categories
    /// Static collections (a smart one's members are its query's matches).
    case collections
}
