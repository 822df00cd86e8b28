import Foundation

/// One tag of an asset: its name, where it came from and how sure that
/// source is. Tags are the catalog's: a stage never writes them, it reads
/// keywords or suggests tags, which the catalog merges (`merging`).
public struct AssetTag: Codable, Sendable, Equatable {
    public enum Source: String, Codable, Sendable, CaseIterable {
        /// Added by a user.
        case manual
        /// The file's own keywords (XMP dc:subject, IPTC), read at processing.
        case embedded
        /// Filled by an analyzer.
        case ai
    }

    public var name: String
    public var source: Source
    /// 0 to 1; 1 for manual and embedded tags, 0 once removed.
    public var confidence: Double
    /// A removed embedded or AI tag: kept so that a refresh or an analyzer
    /// run does not bring it back, and matched by no query.
    public var removed: Bool

    public init(name: String, source: Source, confidence: Double = 1, removed: Bool = false) {
        self.name = name
        self.source = source
        self.confidence = confidence
        self.removed = removed
    }

    /// The tags a record has after processing read `keywords` from its
    /// file and, when an analyzer answered, its `suggested` tags: the
    /// earlier tags kept as they were (a removed one stays removed), embedded
    /// tags the file no longer has dropped, AI tags replaced by the new
    /// answer (kept when there is none: a failed analysis loses nothing),
    /// and a keyword or suggestion that is no tag yet added.
    public static func merging(keywords: [String]?, suggested: [SuggestedTag]? = nil, into previous: [AssetTag]?) -> [AssetTag]? {
        let keywords = keywords ?? []
        let present = Set(keywords)
        var tags = (previous ?? []).filter { tag in
            switch tag.source {
            case .manual: true
            case .embedded: tag.removed || present.contains(tag.name)
            case .ai: tag.removed || suggested == nil
            }
        }
        var named = Set(tags.map(\.name))
        for keyword in keywords where named.insert(keyword).inserted {
            tags.append(AssetTag(name: keyword, source: .embedded))
        }
        for suggestion in suggested ?? [] where named.insert(suggestion.name).inserted {
            tags.append(AssetTag(name: suggestion.name, source: .ai, confidence: min(max(suggestion.confidence, 0), 1)))
        }
        return tags.isEmpty ? nil : tags
    }

    public static let maximumNameLength = 200

    /// Why a (trimmed) name cannot be a tag's, or a category's (`what`,
    /// given with `flag`), or nil: empty, longer than `maximumNameLength`
    /// characters, or holding a control character (it would break a
    /// table, a log line or the terminal).
    public static func problem(withName name: String, what: String = "tag", flag: String = "--tag") -> String? {
        if name.isEmpty { return "a \(what) name is empty; give one, as \(flag) beach" }
        if name.count > maximumNameLength { return "the \(what) '\(name.prefix(40))…' is longer than \(maximumNameLength) characters" }
        if name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            return "the \(what) \(String(reflecting: name)) holds a control character"
        }
        return nil
    }

    /// The names of the tags that count: not removed.
    public static func activeNames(_ tags: [AssetTag]?) -> [String] {
        (tags ?? []).filter { !$0.removed }.map(\.name)
    }
}
