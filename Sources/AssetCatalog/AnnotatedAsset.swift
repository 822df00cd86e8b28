import AssetPipeline
import Foundation

/// The part of an asset's record that annotations change (tags,
/// categories, collections, custom values), read and written without
/// the rest: a bulk change asset by asset (an annotate over a query, a
/// custom field's rename) then neither decodes whole records nor rewrites
/// the index rows annotations do not touch (palettes, keywords, counts).
/// A tag's or category's rename is set-based instead (`LabelRewrite`).
public struct AnnotatedAsset: Sendable {
    public var id: String
    public var path: String
    public var version: Int
    public var tags: [AssetTag]?
    public var categories: [String]?
    public var collections: [String]?
    public var custom: [String: CustomValue]?
    /// The hidden state (`hidden`, `hidden_by`, `hidden_rule`; `display` follows `hidden`).
    public var hidden: Bool?
    public var hiddenBy: HiddenSource?
    public var hiddenRule: Bool?

    /// A record holding only these parts, for the changes that rewrite them.
    var record: AssetRecord {
        get {
            var record = AssetRecord(path: path, name: "")
            record.id = id
            record.version = version
            record.tags = tags
            record.categories = categories
            record.collections = collections
            record.custom = custom
            record.hidden = hidden
            record.hiddenBy = hiddenBy
            record.hiddenRule = hiddenRule
            record.display = hidden.map { $0 ? .pixelated : .original }
            return record
        }
        set {
            tags = newValue.tags
            categories = newValue.categories
            collections = newValue.collections
            custom = newValue.custom
            hidden = newValue.hidden
            hiddenBy = newValue.hiddenBy
            hiddenRule = newValue.hiddenRule
        }
    }

    /// The annotated keys as a JSON object holding those that are set, and
    /// `updated_at`: what is merged into the stored record.
    func patch(updatedAt: Date) throws -> String {
        struct Patch: Encodable {
            var tags: [AssetTag]?
            var categories: [String]?
            var collections: [String]?
            var custom: [String: CustomValue]?
            var hidden: Bool?
            var hiddenBy: HiddenSource?
            var hiddenRule: Bool?
            var display: DisplayChoice?
            var updatedAt: Date

            enum CodingKeys: String, CodingKey {
                case tags, categories, collections, custom, hidden, display
                case hiddenBy = "hidden_by"
                case hiddenRule = "hidden_rule"
                case updatedAt = "updated_at"
            }
        }
        let data = try AssetRecord.makeEncoder().encode(Patch(tags: tags, categories: categories, collections: collections, custom: custom,
                                                              hidden: hidden, hiddenBy: hiddenBy, hiddenRule: hiddenRule,
                                                              display: hidden.map { $0 ? .pixelated : .original }, updatedAt: updatedAt))
        return String(decoding: data, as: UTF8.self)
    }

    /// From the stored JSON of each part (nil when the record has none).
    init(id: String, path: String, version: Int, tags: String?, categories: String?, collections: String?, custom: String?,
         hidden: Bool?, hiddenBy: String?, hiddenRule: Bool?) throws {
        let decoder = JSONDecoder()
        func decode<T: Decodable>(_ text: String?) throws -> T? {
            guard let text, text != "null" else { return nil }
            return try decoder.decode(T.self, from: Data(text.utf8))
        }
        self.id = id
        self.path = path
        self.version = version
        self.tags = try decode(tags)
        self.categories = try decode(categories)
        self.collections = try decode(collections)
        self.custom = try decode(custom)
        self.hidden = hidden
        self.hiddenBy = hiddenBy.flatMap(HiddenSource.init(rawValue:))
        self.hiddenRule = hiddenRule
    }

    /// The record keys a patch replaces.
    static let keys = ["tags", "categories", "collections", "custom", "hidden", "hidden_by", "hidden_rule", "display"]
}
