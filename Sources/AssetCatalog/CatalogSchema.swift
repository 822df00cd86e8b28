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
        return migrator
    }
}
