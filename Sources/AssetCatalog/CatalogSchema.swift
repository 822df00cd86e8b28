import AssetPipeline
import Foundation
import GRDB

/// The catalog's tables, built by ordered migrations. Never edit a shipped
/// migration: add a new one, so existing catalogs upgrade in place.
enum CatalogSchema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: assets") { db in
            // Columns hold what is queried and indexed; `record` holds the
            // whole JSON record, the form `show` prints.
            try db.execute(sql: """
                CREATE TABLE asset (
                    id TEXT PRIMARY KEY NOT NULL,
                    path TEXT NOT NULL UNIQUE,
                    name TEXT NOT NULL,
                    kind TEXT,
                    mime TEXT,
                    format TEXT,
                    size INTEGER,
                    sha256 TEXT,
                    status TEXT NOT NULL CHECK (status IN ('processing', 'processed', 'errored')),
                    error_reason TEXT,
                    error_message TEXT,
                    width INTEGER,
                    height INTEGER,
                    taken_at TEXT,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    record TEXT NOT NULL,
                    created_at TEXT NOT NULL,
                    updated_at TEXT NOT NULL,
                    processed_at TEXT
                );
                CREATE INDEX asset_by_sha256 ON asset(sha256);
                CREATE INDEX asset_by_status ON asset(status, error_reason);
                CREATE INDEX asset_by_kind ON asset(kind, mime);
                CREATE INDEX asset_by_taken_at ON asset(taken_at);
                """)
        }
        migrator.registerMigration("v2: versions, origins and history") { db in
            // `origin` is the file a refresh reads again; until now it was the path.
            // `asset_event` is the audit trail; a deleted asset's events stay.
            // `job_id` holds a job run's effect key: unique, so a job that runs
            // again after a crash finds its effect made and does not repeat it.
            try db.execute(sql: """
                ALTER TABLE asset ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
                ALTER TABLE asset ADD COLUMN origin TEXT;
                UPDATE asset SET origin = path;
                CREATE TABLE asset_event (
                    seq INTEGER PRIMARY KEY,
                    asset_id TEXT NOT NULL,
                    version INTEGER NOT NULL,
                    path TEXT NOT NULL,
                    at TEXT NOT NULL,
                    actor TEXT NOT NULL,
                    action TEXT NOT NULL
                        CHECK (action IN ('created', 'updated', 'versioned', 'refreshed', 'deleted', 'edited')),
                    detail TEXT NOT NULL,
                    job_id TEXT
                );
                CREATE INDEX asset_event_by_asset ON asset_event(asset_id, seq);
                CREATE INDEX asset_event_by_path ON asset_event(path);
                CREATE UNIQUE INDEX asset_event_by_job ON asset_event(job_id) WHERE job_id IS NOT NULL;
                INSERT INTO asset_event (asset_id, version, path, at, actor, action, detail)
                    SELECT id, 1, path, created_at, 'migration', 'created',
                           CASE WHEN sha256 IS NULL THEN json_object('status', status)
                                ELSE json_object('sha256', sha256, 'status', status) END
                    FROM asset WHERE status != 'processing';
                """)
        }
        migrator.registerMigration("v3: search") { db in
            // What `find` filters and sorts by: columns (instants as
            // milliseconds), keywords and palettes as rows, and the folded
            // words of the keyword search in FTS5 (rowid = the asset's).
            try db.execute(sql: """
                ALTER TABLE asset ADD COLUMN search_created INTEGER;
                ALTER TABLE asset ADD COLUMN search_updated INTEGER;
                ALTER TABLE asset ADD COLUMN search_taken INTEGER;
                ALTER TABLE asset ADD COLUMN duration REAL;
                ALTER TABLE asset ADD COLUMN orientation INTEGER;
                ALTER TABLE asset ADD COLUMN animated INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE asset ADD COLUMN exif_make TEXT;
                ALTER TABLE asset ADD COLUMN exif_model TEXT;
                ALTER TABLE asset ADD COLUMN exif_lens TEXT;
                ALTER TABLE asset ADD COLUMN exif_iso INTEGER;
                ALTER TABLE asset ADD COLUMN exif_f_number REAL;
                ALTER TABLE asset ADD COLUMN exif_focal_length REAL;
                ALTER TABLE asset ADD COLUMN gps_lat REAL;
                ALTER TABLE asset ADD COLUMN gps_lon REAL;
                CREATE INDEX asset_by_created ON asset(search_created, id);
                CREATE INDEX asset_by_updated ON asset(search_updated, id);
                CREATE INDEX asset_by_taken ON asset(search_taken, id);
                CREATE INDEX asset_by_size ON asset(size, id);
                CREATE INDEX asset_by_name ON asset(name, id);
                CREATE INDEX asset_by_width ON asset(width, id);
                CREATE INDEX asset_by_height ON asset(height, id);
                CREATE INDEX asset_by_duration ON asset(duration, id);
                CREATE INDEX asset_by_format ON asset(format);
                CREATE INDEX asset_by_camera ON asset(exif_make, exif_model);
                CREATE INDEX asset_by_model ON asset(exif_model);
                CREATE INDEX asset_by_lens ON asset(exif_lens);
                CREATE INDEX asset_by_iso ON asset(exif_iso);
                CREATE INDEX asset_by_gps ON asset(gps_lat);
                CREATE TABLE asset_keyword (
                    asset_id TEXT NOT NULL,
                    keyword TEXT NOT NULL,
                    PRIMARY KEY (asset_id, keyword)
                ) WITHOUT ROWID;
                CREATE INDEX asset_keyword_by_keyword ON asset_keyword(keyword, asset_id);
                CREATE TABLE asset_color (
                    asset_id TEXT NOT NULL,
                    l REAL NOT NULL,
                    a REAL NOT NULL,
                    b REAL NOT NULL,
                    weight REAL NOT NULL
                );
                CREATE INDEX asset_color_by_asset ON asset_color(asset_id);
                CREATE INDEX asset_color_by_lightness ON asset_color(l);
                CREATE VIRTUAL TABLE asset_text USING fts5(
                    name, path, title, description, keywords, make, model, lens,
                    tokenize = 'unicode61 remove_diacritics 2'
                );
                """)
            // Catalogs made before: every stored record indexed now.
            for path in try String.fetchAll(db, sql: "SELECT path FROM asset") {
                try SQLiteSearch.reindex(path: path, in: db, tables: .v3)
            }
        }
        migrator.registerMigration("v4: colour boxes, facet counts, positions") { db in
            // Palette colours as points of an R*Tree over (L, a, b, weight),
            // kept by triggers: a colour search reads only the rows in its
            // neighbourhood box (`LabColor.ciede2000Bounds`).
            // `asset_facet` counts the assets per value of each facet,
            // kept by triggers on every write, so the whole catalog's facets
            // and count are a few rows, not a scan of a million.
            // Positions as one index over latitude and longitude.
            let facets = SQLiteFacetColumns.all
            // The facet values of `row` as rows (facet, value).
            func facetRows(_ row: String) -> String {
                facets.map { "SELECT '\($0.facet)' AS facet, \($0.expression(row)) AS value" }.joined(separator: " UNION ALL ")
            }
            let changed = facets.map(\.column).joined(separator: ", ")
            try db.execute(sql: """
                CREATE VIRTUAL TABLE asset_color_box USING rtree(id, l0, l1, a0, a1, b0, b1, w0, w1);
                INSERT INTO asset_color_box SELECT rowid, l, l, a, a, b, b, weight, weight FROM asset_color;
                CREATE TRIGGER asset_color_boxed AFTER INSERT ON asset_color BEGIN
                    INSERT INTO asset_color_box VALUES (new.rowid, new.l, new.l, new.a, new.a, new.b, new.b, new.weight, new.weight);
                END;
                CREATE TRIGGER asset_color_unboxed AFTER DELETE ON asset_color BEGIN
                    DELETE FROM asset_color_box WHERE id = old.rowid;
                END;
                DROP INDEX asset_color_by_lightness;

                CREATE TABLE asset_facet (
                    facet TEXT NOT NULL,
                    value TEXT NOT NULL,
                    n INTEGER NOT NULL,
                    PRIMARY KEY (facet, value)
                ) WITHOUT ROWID;
                INSERT INTO asset_facet (facet, value, n)
                    \(facets.map { "SELECT '\($0.facet)', \($0.expression("asset")), COUNT(*) FROM asset WHERE \($0.column) IS NOT NULL GROUP BY 2" }
                        .joined(separator: "\n UNION ALL "));
                INSERT INTO asset_facet (facet, value, n)
                    SELECT 'keywords', keyword, COUNT(*) FROM asset_keyword GROUP BY keyword;
                CREATE TRIGGER asset_facet_added AFTER INSERT ON asset BEGIN
                    INSERT INTO asset_facet (facet, value, n)
                        SELECT facet, value, 1 FROM (\(facetRows("new"))) WHERE value IS NOT NULL
                        ON CONFLICT (facet, value) DO UPDATE SET n = n + 1;
                END;
                CREATE TRIGGER asset_facet_removed AFTER DELETE ON asset BEGIN
                    UPDATE asset_facet SET n = n - 1 WHERE (facet, value) IN (\(facetRows("old")));
                END;
                CREATE TRIGGER asset_facet_changed AFTER UPDATE OF \(changed) ON asset BEGIN
                    UPDATE asset_facet SET n = n - 1 WHERE (facet, value) IN (\(facetRows("old")));
                    INSERT INTO asset_facet (facet, value, n)
                        SELECT facet, value, 1 FROM (\(facetRows("new"))) WHERE value IS NOT NULL
                        ON CONFLICT (facet, value) DO UPDATE SET n = n + 1;
                END;
                CREATE TRIGGER asset_facet_keyword_added AFTER INSERT ON asset_keyword BEGIN
                    INSERT INTO asset_facet (facet, value, n) VALUES ('keywords', new.keyword, 1)
                        ON CONFLICT (facet, value) DO UPDATE SET n = n + 1;
                END;
                CREATE TRIGGER asset_facet_keyword_removed AFTER DELETE ON asset_keyword BEGIN
                    UPDATE asset_facet SET n = n - 1 WHERE facet = 'keywords' AND value = old.keyword;
                END;

                DROP INDEX asset_by_gps;
                CREATE INDEX asset_by_position ON asset(gps_lat, gps_lon);
                """)
        }
        migrator.registerMigration("v5: tags, categories, collections and custom fields") { db in
            // `asset_label` holds each asset's tags and categories as rows
            // (a removed tag too, flagged, so renames and deletes find it),
            // counted per name in `asset_facet` by triggers as keywords are.
            // The history learns `annotated`: SQLite cannot change a CHECK,
            // so the event table is copied into one with the new list. The
            // keyword search gains columns for tags and categories: FTS5
            // cannot add columns, so its rows are copied into a new table.
            // The keywords of assets already catalogued become their
            // embedded tags, as processing makes them from now on.
            // `collection` holds the collections: a smart one's saved
            // query, none for a static one (whose members are label rows).
            // `custom_field` holds the definitions of custom fields (JSON);
            // `asset_custom` each asset's values as rows, a text or a number
            // (dates in milliseconds, booleans 0 and 1), one per option of
            // a multi select.
            let textColumns = "name, path, title, description, keywords, make, model, lens"
            try db.execute(sql: """
                CREATE TABLE asset_event_v5 (
                    seq INTEGER PRIMARY KEY,
                    asset_id TEXT NOT NULL,
                    version INTEGER NOT NULL,
                    path TEXT NOT NULL,
                    at TEXT NOT NULL,
                    actor TEXT NOT NULL,
                    action TEXT NOT NULL
                        CHECK (action IN ('created', 'updated', 'versioned', 'refreshed', 'deleted', 'edited', 'annotated')),
                    detail TEXT NOT NULL,
                    job_id TEXT
                );
                INSERT INTO asset_event_v5 SELECT seq, asset_id, version, path, at, actor, action, detail, job_id FROM asset_event;
                DROP TABLE asset_event;
                ALTER TABLE asset_event_v5 RENAME TO asset_event;
                CREATE INDEX asset_event_by_asset ON asset_event(asset_id, seq);
                CREATE INDEX asset_event_by_path ON asset_event(path);
                CREATE UNIQUE INDEX asset_event_by_job ON asset_event(job_id) WHERE job_id IS NOT NULL;

                CREATE TABLE asset_label (
                    asset_id TEXT NOT NULL,
                    kind TEXT NOT NULL CHECK (kind IN ('tags', 'categories', 'collections')),
                    name TEXT NOT NULL,
                    removed INTEGER NOT NULL DEFAULT 0,
                    PRIMARY KEY (asset_id, kind, name)
                ) WITHOUT ROWID;
                CREATE INDEX asset_label_by_name ON asset_label(kind, name, removed, asset_id);
                CREATE TRIGGER asset_facet_label_added AFTER INSERT ON asset_label WHEN NOT new.removed BEGIN
                    INSERT INTO asset_facet (facet, value, n) VALUES (new.kind, new.name, 1)
                        ON CONFLICT (facet, value) DO UPDATE SET n = n + 1;
                END;
                CREATE TRIGGER asset_facet_label_removed AFTER DELETE ON asset_label WHEN NOT old.removed BEGIN
                    UPDATE asset_facet SET n = n - 1 WHERE facet = old.kind AND value = old.name;
                END;
                UPDATE asset SET record = json_set(record, '$.tags', (
                        SELECT json_group_array(json_object('name', k.keyword, 'source', 'embedded', 'confidence', 1, 'removed', json('false')))
                        FROM asset_keyword k WHERE k.asset_id = asset.id))
                    WHERE EXISTS (SELECT 1 FROM asset_keyword k WHERE k.asset_id = asset.id);
                INSERT INTO asset_label (asset_id, kind, name) SELECT asset_id, 'tags', keyword FROM asset_keyword;

                CREATE TABLE collection (
                    name TEXT PRIMARY KEY NOT NULL,
                    query TEXT,
                    created_at TEXT NOT NULL
                ) WITHOUT ROWID;
                CREATE TABLE custom_field (
                    key TEXT PRIMARY KEY NOT NULL,
                    definition TEXT NOT NULL
                ) WITHOUT ROWID;
                CREATE TABLE asset_custom (
                    asset_id TEXT NOT NULL,
                    key TEXT NOT NULL,
                    text_value TEXT,
                    number_value REAL
                );
                CREATE INDEX asset_custom_by_asset ON asset_custom(asset_id, key);
                CREATE INDEX asset_custom_by_text ON asset_custom(key, text_value);
                CREATE INDEX asset_custom_by_number ON asset_custom(key, number_value);

                CREATE VIRTUAL TABLE asset_text_v5 USING fts5(
                    \(textColumns), tags, categories, custom,
                    tokenize = 'unicode61 remove_diacritics 2'
                );
                INSERT INTO asset_text_v5 (rowid, \(textColumns), tags, categories, custom)
                    SELECT rowid, \(textColumns), keywords, '', '' FROM asset_text;
                DROP TABLE asset_text;
                ALTER TABLE asset_text_v5 RENAME TO asset_text;
                """)
        }
        migrator.registerMigration("v6: hidden state, faces and content alerts") { db in
            // Columns for the analysis stages' answers, filled from the
            // records already stored; images and videos catalogued before
            // the hidden state are shown (their rule had no alerts to read).
            let levels = AnalysisColumns.levelRank { "json_extract(record, '$.content_alerts.\($0).level')" }
            try db.execute(sql: """
                ALTER TABLE asset ADD COLUMN hidden INTEGER;
                ALTER TABLE asset ADD COLUMN faces INTEGER;
                \(SearchFields.alertColumns.map { "ALTER TABLE asset ADD COLUMN \($0) INTEGER;" }.joined(separator: "\n"))
                UPDATE asset SET record = json_set(record, '$.hidden', json('false'), '$.hidden_by', 'rule', '$.hidden_rule', json('false'),
                                                   '$.display', 'original')
                    WHERE kind IN ('image', 'video') AND json_extract(record, '$.hidden') IS NULL;
                UPDATE asset SET hidden = json_extract(record, '$.hidden'), faces = json_extract(record, '$.faces.count'),
                    \(zip(SearchFields.alertColumns, levels).map { "\($0) = \($1)" }.joined(separator: ", "));
                CREATE INDEX asset_by_hidden ON asset(hidden) WHERE hidden;
                CREATE INDEX asset_by_faces ON asset(faces) WHERE faces IS NOT NULL;
                CREATE INDEX asset_by_alert_adult ON asset(alert_adult) WHERE alert_adult IS NOT NULL;
                """)
        }
        migrator.registerMigration("v7: sources") { db in
            // Named places assets come from: a local folder or an S3 bucket and prefix.
            try db.execute(sql: """
                CREATE TABLE source (
                    name TEXT PRIMARY KEY NOT NULL,
                    location TEXT NOT NULL,
                    created_at TEXT NOT NULL
                ) WITHOUT ROWID;
                """)
        }
        migrator.registerMigration("v8: source settings") { db in
            // The path of an S3 source's own settings file (endpoint, keys); NULL: the standard AWS variables.
            try db.execute(sql: "ALTER TABLE source ADD COLUMN settings TEXT")
        }
        return migrator
    }
}

/// How the analysis stages' answers sit in columns of `asset`.
enum AnalysisColumns {
    /// SQL that turns each category's level (an expression from `level`) into its rank, in `alertColumns` order.
    static func levelRank(_ level: (String) -> String) -> [String] {
        HiddenStage.Category.allCases.map { category in
            "CASE \(level(category.rawValue)) "
                + ContentAlertLevel.allCases.map { "WHEN '\($0.rawValue)' THEN \($0.rank)" }.joined(separator: " ") + " END"
        }
    }
}

/// The facets `asset_facet` counts, and each one's value as text from a
/// row of `asset` (frozen with migration v4, which wrote its triggers).
/// `edited` is not among them: it comes from the history.
enum SQLiteFacetColumns {
    struct Facet: Sendable {
        let facet: String
        let column: String
        /// The value, with `ROW` for the row's name.
        let template: String

        func expression(_ row: String) -> String { template.replacingOccurrences(of: "ROW", with: row) }
    }

    static let all: [Facet] = [
        Facet(facet: "format", column: "format", template: "ROW.format"),
        Facet(facet: "kind", column: "kind", template: "ROW.kind"),
        Facet(facet: "mime", column: "mime", template: "ROW.mime"),
        Facet(facet: "status", column: "status", template: "ROW.status"),
        Facet(facet: "error.reason", column: "error_reason", template: "ROW.error_reason"),
        Facet(facet: "exif.make", column: "exif_make", template: "ROW.exif_make"),
        Facet(facet: "exif.model", column: "exif_model", template: "ROW.exif_model"),
        Facet(facet: "exif.lens", column: "exif_lens", template: "ROW.exif_lens"),
        Facet(facet: "orientation", column: "orientation", template: "CAST(ROW.orientation AS TEXT)"),
        Facet(facet: "animated", column: "animated", template: "CASE WHEN ROW.animated THEN 'true' ELSE 'false' END"),
    ]
}
