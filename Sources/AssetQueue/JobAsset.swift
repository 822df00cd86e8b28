import AssetPipeline

/// What a job made or changed: the asset's id, its final path (after a
/// rename or a new version) and version, and the change (`created`,
/// `versioned`, `refreshed`, `edited`, `deleted`, `unchanged`, ...).
public struct JobAsset: Sendable, Equatable, Codable {
    /// The change of a `process` job whose file the catalog already holds.
    public static let unchanged = "unchanged"

    public var assetID: String
    public var path: String?
    public var version: Int?
    /// Absent until the job has completed.
    public var change: String?

    public init(assetID: String, path: String? = nil, version: Int? = nil, change: String? = nil) {
        self.assetID = assetID
        self.path = path
        self.version = version
        self.change = change
    }

    public init(_ record: AssetRecord, change: String) {
        self.init(assetID: record.id ?? "", path: record.path, version: record.version, change: change)
    }

    enum CodingKeys: String, CodingKey {
        case assetID = "asset_id"
        case path, version, change
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        assetID = try container.decodeIfPresent(String.self, forKey: .assetID) ?? ""
        path = try container.decodeIfPresent(String.self, forKey: .path)
        version = try container.decodeIfPresent(Int.self, forKey: .version)
        change = try container.decodeIfPresent(String.self, forKey: .change)
    }
}
