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
        return migrator
    }
}
