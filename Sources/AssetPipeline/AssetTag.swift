import Foundation

/// One tag of an asset: its name, where it came from and how sure that
/// source is. Tags are the catalog's; a stage never writes them.
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
    /// file: the earlier tags kept as they were (a removed one stays
    /// removed), embedded tags the file no longer has dropped, and a
    /// keyword that is no tag yet added as an embedded tag.
    public static func merging(keywords: [String]?, into previous: [AssetTag]?) -> [AssetTag]? {
        let keywords = keywords ?? []
        let present = Set(keywords)
        var tags = (previous ?? []).filter { $0.source != .embedded || $0.removed || present.contains($0.name) }
        var named = Set(tags.map(\.name))
        for keyword in keywords where named.insert(keyword).inserted {
            tags.append(AssetTag(name: keyword, source: .embedded))
        }
        return tags.isEmpty ? nil : tags
    }

    /// The names of the tags that count: not removed.
    public static func activeNames(_ tags: [AssetTag]?) -> [String] {
        (tags ?? []).filter { !$0.removed }.map(\.name)
    }
}
