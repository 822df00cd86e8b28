import AssetCatalog
import GRDB

/// The queue's table, in the catalog's file, built by migrations the catalog
/// runs with its own (`Catalog(dataDirectory:migrations:)`). Never edit a
/// shipped migration: add a new one.
enum JobSchema {
    static let migrations: [CatalogMigration] = [
        CatalogMigration("queue v1: jobs") { db in
            // `seq` is the order of enqueueing, as the database committed it:
            // FIFO within a priority, whatever the clocks of the enqueuers say.
            // Times are ISO 8601 UTC text with milliseconds, like the asset
            // table's, so they compare as strings.
            try db.execute(sql: """
                CREATE TABLE job (
                    seq INTEGER PRIMARY KEY,
                    id TEXT NOT NULL UNIQUE,
                    kind TEXT NOT NULL,
                    payload TEXT NOT NULL,
                    priority INTEGER NOT NULL,
                    state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'dead', 'cancelled')),
                    attempts INTEGER NOT NULL,
                    max_attempts INTEGER NOT NULL CHECK (max_attempts >= 1),
                    error_reason TEXT,
                    error_message TEXT,
                    run_after TEXT NOT NULL,
                    lease_owner TEXT,
                    lease_expires_at TEXT,
                    created_at TEXT NOT NULL,
                    updated_at TEXT NOT NULL,
                    finished_at TEXT
                );
                -- Claim order within each state. A claim reads the first queued
                -- entry, and walks the running jobs (one per busy worker) for an
                -- expired lease; neither sorts nor scans the finished history.
                -- It also serves counts by state and listing one state. The only
                -- index every state change rewrites: one more (on updated_at, for
                -- listing) cost a fifth of the claim rate.
                CREATE INDEX job_claim_order ON job(state, priority DESC, seq);
                """)
        },
        CatalogMigration("queue v2: job generation") { db in
            // Counts retries by hand, so each run of a job has its own effect key.
            try db.execute(sql: "ALTER TABLE job ADD COLUMN generation INTEGER NOT NULL DEFAULT 0")
        },
        CatalogMigration("queue v3: the job's asset") { db in
            // What the job made or changed (JobAsset as JSON), so a client
            // learns the asset's id and final path from the job itself.
            try db.execute(sql: "ALTER TABLE job ADD COLUMN asset TEXT")
        },
    ]
}
