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
                try SQLiteSearch.reindex(path: path, in: db)
            }
        }
        return migrator
    }
}
