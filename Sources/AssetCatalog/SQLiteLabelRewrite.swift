import AssetPipeline
import Foundation
import GRDB

/// `LabelRewrite` on SQLite: the batch is noted in a temporary table, then
/// each part of every asset in it is written by one statement.
extension SQLiteCatalogTransaction {
    func rewriteLabel(_ rewrite: LabelRewrite, limit: Int, after cursor: String?) throws -> (changed: Int, cursor: String?) {
        let kind = rewrite.kind.rawValue
        try db.execute(sql: """
            CREATE TEMP TABLE IF NOT EXISTS label_batch (row INTEGER PRIMARY KEY, id TEXT NOT NULL, old_source TEXT, has_new INTEGER NOT NULL);
            DELETE FROM temp.label_batch;
            """)
        // ?1 the old name, ?2 the new one (NULL for a removal).
        let names: StatementArguments = [rewrite.old, rewrite.new]
        let walk = try BatchWalk(cursor) ?? BatchWalk.choose(rewrite, in: db)
        let source = switch walk {
        case .byRow:
            // Assets in table order, each asked whether it has the name: a
            // batch is then a few hundred neighbouring pages, not as many
            // scattered ones as it has assets.
            "FROM asset a CROSS JOIN asset_label l ON l.asset_id = a.id AND l.kind = ?3 AND l.name = ?1 AND l.removed = 0 WHERE a.rowid > ?5 ORDER BY a.rowid"
        case .byID:
            "FROM asset_label l JOIN asset a ON a.id = l.asset_id WHERE l.kind = ?3 AND l.name = ?1 AND l.removed = 0 AND l.asset_id > ?5 ORDER BY l.asset_id"
        }
        try db.execute(sql: """
            INSERT INTO temp.label_batch (row, id, old_source, has_new)
            SELECT a.rowid, a.id,
                   CASE WHEN ?3 = 'tags' THEN (SELECT e.value ->> 'source' FROM json_each(a.record, '$.tags') e WHERE e.value ->> 'name' = ?1) END,
                   EXISTS (SELECT 1 FROM asset_label n WHERE n.asset_id = a.id AND n.kind = ?3 AND n.name = ?2 AND NOT n.removed)
            \(source) LIMIT ?4
            """, arguments: names + [kind, limit, walk.position])
        let batch = db.changesCount
        guard batch > 0 else { return (0, nil) }
        let next: BatchWalk = switch walk {
        case .byRow: .byRow(after: try Int64.fetchOne(db, sql: "SELECT MAX(row) FROM temp.label_batch") ?? 0)
        case .byID: .byID(after: try String.fetchOne(db, sql: "SELECT MAX(id) FROM temp.label_batch") ?? "")
        }

        // Label rows: the triggers keep the counts.
        try db.execute(sql: "DELETE FROM asset_label WHERE kind = ?3 AND name = ?1 AND asset_id IN (SELECT id FROM temp.label_batch)",
                       arguments: names + [kind])
        if rewrite.kind == .tags {
            try db.execute(sql: """
                INSERT INTO asset_label (asset_id, kind, name, removed) SELECT id, 'tags', ?1, 1 FROM temp.label_batch WHERE old_source IS NOT 'manual'
                """, arguments: [rewrite.old])
        }
        if rewrite.new != nil {
            try db.execute(sql: "DELETE FROM asset_label WHERE kind = ?3 AND name = ?2 AND removed AND asset_id IN (SELECT id FROM temp.label_batch)",
                           arguments: names + [kind])
            try db.execute(sql: "INSERT OR IGNORE INTO asset_label (asset_id, kind, name) SELECT id, ?3, ?2 FROM temp.label_batch",
                           arguments: names + [kind])
        }

        // The record's list, `updated_at` in it and in the columns. (Rows
        // by rowid IN the batch: a join would scan every asset.)
        let list = rewrite.kind == .tags ? Self.renamedTags : Self.renamedNames(kind)
        try db.execute(sql: """
            UPDATE asset SET record = json_set(record, '$.\(kind)', json(\(list)), '$.updated_at', ?3), updated_at = ?3, search_updated = ?4
            WHERE rowid IN (SELECT row FROM temp.label_batch)
            """, arguments: names + [Timestamp.format(rewrite.at), rewrite.at.epochMilliseconds])
        if rewrite.new == nil {
            try db.execute(sql: """
                UPDATE asset SET record = json_remove(record, '$.\(kind)')
                WHERE rowid IN (SELECT row FROM temp.label_batch) AND json_array_length(record, '$.\(kind)') = 0
                """)
        }

        // The words of the names each asset has now, from its list.
        if let column = rewrite.textColumn {
            let words = rewrite.kind == .tags
                ? "ap_words(e.value ->> 'name')) FROM asset a, json_each(a.record, '$.tags') e WHERE NOT (e.value ->> 'removed') AND"
                : "ap_words(e.value)) FROM asset a, json_each(a.record, '$.\(kind)') e WHERE"
            try db.execute(sql: """
                UPDATE asset_text SET \(column.rawValue) = COALESCE((SELECT group_concat(\(words) a.rowid = asset_text.rowid), '')
                WHERE rowid IN (SELECT row FROM temp.label_batch)
                """)
        }

        try db.execute(sql: """
            INSERT INTO asset_event (asset_id, version, path, at, actor, action, detail, job_id)
            SELECT a.id, a.version, a.path, ?, ?, 'annotated', ?, ? FROM temp.label_batch b JOIN asset a ON a.rowid = b.row
            """, arguments: [Timestamp.format(rewrite.at), rewrite.actor, rewrite.detailJSON, rewrite.jobID])
        return (batch, next.cursor)
    }

    /// A category or collection list with ?1 renamed ?2 in its place, or
    /// dropped where the asset has ?2 already or ?2 is NULL (a removal).
    private static func renamedNames(_ kind: String) -> String {
        """
        (SELECT json_group_array(v) FROM (
            SELECT CASE WHEN e.value = ?1 THEN ?2 ELSE e.value END AS v FROM json_each(asset.record, '$.\(kind)') e
            WHERE NOT (e.value = ?1 AND (?2 IS NULL OR (SELECT has_new FROM temp.label_batch WHERE row = asset.rowid))) ORDER BY e.key))
        """
    }

    /// The tag list with ?1 deleted (manual) or kept removed (embedded, AI),
    /// and ?2 (unless NULL) manual: in place of a removed ?2, or last.
    private static let renamedTags = """
        (SELECT json_group_array(json(v)) FROM (
            SELECT e.key AS k, CASE
                WHEN e.value ->> 'name' = ?1 THEN json_set(e.value, '$.confidence', 0, '$.removed', json('true'))
                WHEN e.value ->> 'name' = ?2 AND e.value ->> 'removed' THEN json_object('confidence', 1, 'name', ?2, 'removed', json('false'), 'source', 'manual')
                ELSE e.value END AS v
            FROM json_each(asset.record, '$.tags') e
            WHERE NOT (e.value ->> 'name' = ?1 AND e.value ->> 'source' IS 'manual')
            UNION ALL
            SELECT 9e18, json_object('confidence', 1, 'name', ?2, 'removed', json('false'), 'source', 'manual')
            WHERE ?2 IS NOT NULL AND NOT EXISTS (SELECT 1 FROM json_each(asset.record, '$.tags') f WHERE f.value ->> 'name' = ?2)
            ORDER BY k))
        """

    /// The order a rewrite takes its batches in, and where the last one
    /// stopped; the first batch chooses, the cursor keeps the choice.
    enum BatchWalk {
        /// By table order (rowid): for a name many assets have.
        case byRow(after: Int64)
        /// By the label index: for one a few have, whose assets it finds directly.
        case byID(after: String)

        /// A name held by at least one asset in `commonShare` is walked by row.
        static let commonShare: Int64 = 20

        static func choose(_ rewrite: LabelRewrite, in db: Database) throws -> BatchWalk {
            let held = try Int64.fetchOne(db, sql: "SELECT n FROM asset_facet WHERE facet = ? AND value = ?",
                                          arguments: [rewrite.kind.rawValue, rewrite.old]) ?? 0
            let rows = try Int64.fetchOne(db, sql: "SELECT MAX(rowid) FROM asset") ?? 0
            return held >= rows / commonShare ? .byRow(after: 0) : .byID(after: "")
        }

        init?(_ cursor: String?) {
            guard let cursor else { return nil }
            if cursor.hasPrefix("r"), let row = Int64(cursor.dropFirst()) {
                self = .byRow(after: row)
            } else if cursor.hasPrefix("i") {
                self = .byID(after: String(cursor.dropFirst()))
            } else {
                return nil
            }
        }

        var cursor: String {
            switch self {
            case .byRow(let row): "r\(row)"
            case .byID(let id): "i" + id
            }
        }

        var position: DatabaseValue {
            switch self {
            case .byRow(let row): row.databaseValue
            case .byID(let id): id.databaseValue
            }
        }
    }
}
