import AssetMedia
import Foundation

/// A parsed query: a tree of terms joined by AND, OR and NOT. Every door
/// (the CLI's `find`, `GET /v1/assets?q=`, `POST /v1/assets/search`) parses
/// into this one value; each catalog driver compiles it to its SQL, and
/// nothing here knows SQL.
public indirect enum Query: Sendable, Equatable {
    /// No filter: every asset.
    case all
    case and([Query])
    case or([Query])
    case not(Query)
    case term(QueryTerm)

    /// The terms anywhere in the tree, in order.
    public var terms: [QueryTerm] {
        switch self {
        case .all: []
        case .and(let parts), .or(let parts): parts.flatMap(\.terms)
        case .not(let inner): inner.terms
        case .term(let term): [term]
        }
    }
}

/// `FIELD OP VALUE`, its value already checked and converted for the field.
public struct QueryTerm: Sendable, Equatable {
    /// For a custom field, `.text`'s place is taken by `custom`.
    public var field: QueryField
    public var condition: QueryCondition
    /// `custom.KEY`: a user-defined field, when the term names one.
    public var custom: CustomFieldReference?

    public init(_ field: QueryField, _ condition: QueryCondition) {
        self.field = field
        self.condition = condition
    }

    /// A term on the custom field `reference`.
    public init(custom reference: CustomFieldReference, _ condition: QueryCondition) {
        field = .text
        self.condition = condition
        custom = reference
    }
}

/// What a term asks of its field.
public enum QueryCondition: Sendable, Equatable {
    /// `=`, `!=`, `<`, `<=`, `>`, `>=`. An asset without the field matches
    /// `!=` (it is not equal) and none of the others.
    case compare(QueryOperator, QueryValue)
    /// `IN [..]`, or `NOT IN [..]` when `negated` (which an asset without
    /// the field matches).
    case oneOf([QueryValue], negated: Bool)
    /// `HAS "words"`: every word is in the field's text, diacritics and
    /// case aside; a word ending in `*` is a prefix.
    case has([SearchWord])
    /// The asset has a value for the field.
    case exists
    /// `path : "/a/b"`: the folder and everything under it.
    case under(folder: String)
    /// `gps NEAR "lat,lon 5km"`.
    case near(GeoCircle)
    /// `color NEAR "#1e88e5" [WITHIN dE] [WEIGHT >= w]`.
    case color(ColorMatch)
}

/// A term's value: strings as given, numbers (sizes in bytes, instants in
/// milliseconds since 1970), booleans.
public enum QueryValue: Sendable, Equatable, Hashable {
    case string(String)
    case number(Double)
    case boolean(Bool)
}

/// One word of a `HAS` search, folded (lowercase, no diacritics).
public struct SearchWord: Sendable, Equatable, Hashable {
    public var text: String
    /// Matches any word that starts with `text` (written `text*`).
    public var isPrefix: Bool

    public init(_ text: String, isPrefix: Bool) {
        self.text = text
        self.isPrefix = isPrefix
    }
}

/// A circle on the Earth: assets whose GPS position lies within `radius`
/// metres of the centre (great-circle distance on a sphere of 6,371 km).
public struct GeoCircle: Sendable, Equatable {
    public var latitude: Double
    public var longitude: Double
    public var radius: Double

    public init(latitude: Double, longitude: Double, radius: Double) {
        self.latitude = latitude
        self.longitude = longitude
        self.radius = radius
    }

    public static let earthRadius = 6_371_000.0

    /// How far in longitude (degrees, either way) the circle reaches: the
    /// widest point of a spherical cap. Nil when the circle holds a pole,
    /// where every longitude is within reach.
    public var longitudeSpan: Double? {
        let angle = radius / Self.earthRadius, latitudeRadians = latitude * .pi / 180
        guard abs(latitudeRadians) + angle < .pi / 2 else { return nil }
        let span = asin(min(1, sin(angle) / cos(latitudeRadians))) * 180 / .pi
        return span < 179 ? span : nil
    }
}

/// Assets with a dominant colour within `within` CIEDE2000 of `lab`, and,
/// when `minimumWeight` is set, covering at least that share of the image.
public struct ColorMatch: Sendable, Equatable {
    public var hex: String
    public var lab: LabColor
    public var within: Double {
        didSet { neighbourhood = lab.ciede2000Bounds(radius: within) }
    }
    public var minimumWeight: Double?
    /// The box a match must also lie in (`LabColor.ciede2000Bounds`),
    /// measured once here: every statement a query compiles to reads it.
    public private(set) var neighbourhood: LabBox

    public init(hex: String, lab: LabColor, within: Double, minimumWeight: Double? = nil) {
        self.hex = hex
        self.lab = lab
        self.within = within
        self.minimumWeight = minimumWeight
        neighbourhood = lab.ciede2000Bounds(radius: within)
    }

    public static let defaultWithin = 10.0
}

/// A sort: a key and a direction. Ties are broken by id in the same direction.
public struct QuerySort: Sendable, Equatable {
    public var key: SortKey
    public var descending: Bool

    public init(_ key: SortKey, descending: Bool) {
        self.key = key
        self.descending = descending
    }

    /// Newest first.
    public static let `default` = QuerySort(.createdAt, descending: true)

    /// `created_at`, `-size`, `relevance`...: a `-` prefix for descending.
    public init(parsing text: String) throws(QueryError) {
        let descending = text.hasPrefix("-")
        let name = descending ? String(text.dropFirst()) : text
        guard let key = SortKey(rawValue: name) else {
            throw QueryError("unknown sort '\(text)'; sort by one of \(SortKey.allCases.map(\.rawValue).joined(separator: ", ")), "
                             + "with a - in front for descending", position: 0, param: "sort")
        }
        self.init(key, descending: descending)
    }

    public var description: String { (descending ? "-" : "") + key.rawValue }
}

extension GeoCircle {
    /// Great-circle distance in metres between two positions (haversine).
    public static func distance(_ latitude1: Double, _ longitude1: Double, _ latitude2: Double, _ longitude2: Double) -> Double {
        let radians = Double.pi / 180
        let dLatitude = (latitude2 - latitude1) * radians, dLongitude = (longitude2 - longitude1) * radians
        let h = sin(dLatitude / 2) * sin(dLatitude / 2)
            + cos(latitude1 * radians) * cos(latitude2 * radians) * sin(dLongitude / 2) * sin(dLongitude / 2)
        return 2 * earthRadius * asin(min(1, h.squareRoot()))
    }
}
