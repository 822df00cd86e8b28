import AssetPipeline
import Foundation

/// One tag, category or collection renamed or removed across a batch of
/// the assets that have it, written set-based by each driver: a handful of
/// statements per batch (label rows, the record's list, the annotation
/// words, updated_at, history), whatever the batch's size. Asset by asset
/// (decoding, patching and re-indexing each) a rename that 100,000 assets
/// hold took over a minute; this way it takes seconds.
///
/// What each asset ends with (`AnnotationTests` holds both drivers to a
/// model of it, tag by tag and place by place):
/// - a category or collection keeps its place in the list; where the
///   asset already has the new name, the old one is dropped (a merge);
/// - an old manual tag is deleted, an embedded or AI one stays removed at
///   confidence 0; the new tag is manual, in place of a removed one of that
///   name or after the others;
/// - a list left empty leaves the record.
public struct LabelRewrite: Sendable {
    let kind: LabelKind
    let old: String
    /// nil: `old` is removed, not renamed.
    let new: String?
    let at: Date
    let actor: String
    let jobID: String?

    /// The history entry every asset of the batch gets: the same for each.
    var detail: [String: String] {
        if let new { ["\(kind.rawValue)_renamed": Annotations.list([old, new]) ?? ""] } else { ["\(kind.rawValue)_removed": Annotations.list([old]) ?? ""] }
    }

    var detailJSON: String { AssetEvent.json(detail) }

    /// The full-text column (and lexeme code) the kind's names fill; none for collections.
    var textColumn: SearchFields.SearchColumn? {
        switch kind {
        case .tags: .tags
        case .categories: .categories
        case .collections: nil
        }
    }
}
