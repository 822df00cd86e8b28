import AssetPipeline
import AssetQuery
import Foundation
import PostgresNIO

/// `LabelRewrite` on PostgreSQL: the batch is read first (ids, the old
/// tag's source, whether the new name is there already), then each part of
/// every asset in it is written by one statement over those arrays.
extension PostgresCatalogTransaction {
    func rewriteLabel(_ rewrite: LabelRewrite, limit: Int, after cursor: String?) throws -> (changed: Int, cursor: String?) {
        // By the label index, from where the last batch stopped: a scan from
        // its start would pass every entry the batches before left dead.
        let after = cursor ?? ""
        let kind = rewrite.kind.rawValue, old = rewrite.old, new = rewrite.new
        var ids: [String] = [], sources: [String] = [], hasNew: [Bool] = []
        for row in try run("""
            SELECT a.id,
                   CASE WHEN \(kind) = 'tags' THEN COALESCE((SELECT t->>'source' FROM jsonb_array_elements(
                        CASE WHEN jsonb_typeof(a.record->'tags') = 'array' THEN a.record->'tags' END) t WHERE t->>'name' = \(old) LIMIT 1), '') ELSE '' END,
                   EXISTS (SELECT 1 FROM asset_label n WHERE n.asset_id = a.id AND n.kind = \(kind) AND n.name = \(new)::TEXT AND NOT n.removed)
            FROM asset_label l JOIN asset a ON a.id = l.asset_id
            WHERE l.kind = \(kind) AND l.name = \(old) AND l.removed = FALSE AND l.asset_id > \(after)
            ORDER BY l.asset_id LIMIT \(limit)
            """) {
            let (id, source, has) = try row.decode((String, String, Bool).self)
            ids.append(id)
            sources.append(source)
            hasNew.append(has)
        }
        guard let last = ids.last else { return (0, nil) }

        // Label rows: the statement triggers keep the counts.
        _ = try run("DELETE FROM asset_label WHERE kind = \(kind) AND name = \(old) AND asset_id = ANY(\(ids)::TEXT[])")
        if rewrite.kind == .tags {
            _ = try run("""
                INSERT INTO asset_label (asset_id, kind, name, removed)
                SELECT b.id, 'tags', \(old), TRUE FROM unnest(\(ids)::TEXT[], \(sources)::TEXT[]) AS b(id, source) WHERE b.source <> 'manual'
                """)
        }
        if let new {
            _ = try run("DELETE FROM asset_label WHERE kind = \(kind) AND name = \(new) AND removed AND asset_id = ANY(\(ids)::TEXT[])")
            _ = try run("""
                INSERT INTO asset_label (asset_id, kind, name, removed)
                SELECT b.id, \(kind), \(new), FALSE FROM unnest(\(ids)::TEXT[]) AS b(id) ON CONFLICT DO NOTHING
                """)
        }

        // The words of the names each asset has now, as lexemes.
        var wordNames: [String] = [], lexemes: [String] = []
        if let column = rewrite.textColumn {
            let held = try run("""
                SELECT DISTINCT name FROM asset_label WHERE kind = \(kind) AND NOT removed AND asset_id = ANY(\(ids)::TEXT[])
                """).map { try $0.decode(String.self) }
            for name in held {
                wordNames.append(name)
                lexemes.append(SearchText.words(name).map { SearchFields.lexeme(column, $0) }.joined(separator: " "))
            }
        }
        // One statement for the record's list, `updated_at` and the words,
        // its parameters numbered once: $1 old, $2 new, $3 the kind.
        var binds = PostgresBindings()
        binds.append(old)
        binds.append(new)
        binds.append(kind)
        binds.append(rewrite.at)
        binds.append(rewrite.at.epochMilliseconds)
        binds.append(Timestamp.format(rewrite.at))
        binds.append(ids)
        binds.append(hasNew)
        binds.append(wordNames)
        binds.append(lexemes)
        // A collection has no words: a code no lexeme starts with keeps them all.
        binds.append(rewrite.textColumn.map { SearchFields.lexeme($0, "") } ?? "-")
        let list = rewrite.kind == .tags ? Self.renamedTags : Self.renamedNames
        _ = try run(PostgresQuery(unsafeSQL: """
            UPDATE asset a SET updated_at = $4, search_updated = $5,
                -- jsonb_set of a NULL list (nothing left) is NULL: the key goes.
                record = COALESCE(jsonb_set(a.record, ARRAY[$3::TEXT], \(list)), a.record - $3::TEXT)
                         || jsonb_build_object('updated_at', $6::TEXT),
                search_words = array_to_tsvector(ARRAY(SELECT w FROM unnest(tsvector_to_array(a.search_words)) w WHERE left(w, 2) <> $11::TEXT)
                    || ARRAY(SELECT DISTINCT w FROM asset_label al JOIN unnest($9::TEXT[], $10::TEXT[]) AS m(name, lexemes) ON m.name = al.name
                             CROSS JOIN LATERAL unnest(string_to_array(m.lexemes, ' ')) AS w
                             WHERE al.asset_id = a.id AND al.kind = $3::TEXT AND NOT al.removed))
            FROM unnest($7::TEXT[], $8::BOOL[]) AS b(id, has_new)
            WHERE a.id = b.id
            """, binds: binds))

        _ = try run("""
            INSERT INTO asset_event (asset_id, version, path, at, actor, action, detail, job_id)
            SELECT a.id, a.version, a.path, \(rewrite.at), \(rewrite.actor), 'annotated', \(rewrite.detailJSON)::JSONB, \(rewrite.jobID)
            FROM asset a WHERE a.id = ANY(\(ids)::TEXT[])
            """)
        return (ids.count, last)
    }

    /// A category or collection list ($3) with $1 renamed $2 in its place,
    /// or dropped where the asset has $2 already or $2 is NULL (a removal).
    private static let renamedNames = """
        (SELECT jsonb_agg(to_jsonb(CASE WHEN e = $1::TEXT THEN $2::TEXT ELSE e END) ORDER BY i)
         FROM jsonb_array_elements_text(CASE WHEN jsonb_typeof(a.record->$3::TEXT) = 'array' THEN a.record->$3::TEXT END) WITH ORDINALITY AS x(e, i)
         WHERE NOT (e = $1::TEXT AND ($2::TEXT IS NULL OR b.has_new)))
        """

    /// The tag list with $1 deleted (manual) or kept removed (embedded,
    /// AI), and $2 (unless NULL) manual: in place of a removed $2, or last.
    private static let renamedTags = """
        (SELECT jsonb_agg(v ORDER BY k) FROM (
            SELECT i AS k, CASE
                WHEN t->>'name' = $1::TEXT THEN t || '{"confidence": 0, "removed": true}'::JSONB
                WHEN t->>'name' = $2::TEXT AND (t->>'removed')::BOOLEAN
                    THEN jsonb_build_object('confidence', 1, 'name', $2::TEXT, 'removed', FALSE, 'source', 'manual')
                ELSE t END AS v
            FROM jsonb_array_elements(CASE WHEN jsonb_typeof(a.record->'tags') = 'array' THEN a.record->'tags' END) WITH ORDINALITY AS x(t, i)
            WHERE NOT (t->>'name' = $1::TEXT AND t->>'source' IS NOT DISTINCT FROM 'manual')
            UNION ALL
            SELECT 9223372036854775807, jsonb_build_object('confidence', 1, 'name', $2::TEXT, 'removed', FALSE, 'source', 'manual')
            WHERE $2::TEXT IS NOT NULL
              AND NOT COALESCE(a.record->'tags' @> jsonb_build_array(jsonb_build_object('name', $2::TEXT)), FALSE)) s)
        """
}
