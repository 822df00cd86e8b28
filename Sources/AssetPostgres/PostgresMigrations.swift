import Logging
import PostgresNIO

/// Schema changes for PostgreSQL, applied in order on start. Several
/// processes starting at once take turns under an advisory lock, so each
/// change runs once. Never edit a shipped migration: add a new one.
enum PostgresMigrations {
    struct Migration {
        let identifier: String
        let statements: [String]
    }

    /// The advisory lock key: any constant no other program uses on the database.
    static let lockKey: Int64 = 0x6173_7365_7470_6970  // "assetpip"

    static let queue: [Migration] = [
        Migration(identifier: "queue v1: jobs", statements: [
            // `seq`: order of enqueueing, for FIFO within a priority. Times are
            // timestamptz; the queue's clock writes them, as in SQLite.
            """
            CREATE TABLE job (
                seq BIGSERIAL PRIMARY KEY,
                id TEXT NOT NULL UNIQUE,
                kind TEXT NOT NULL,
                payload JSONB NOT NULL,
                priority INTEGER NOT NULL,
                state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'dead', 'cancelled')),
                attempts INTEGER NOT NULL,
                max_attempts INTEGER NOT NULL CHECK (max_attempts >= 1),
                generation INTEGER NOT NULL DEFAULT 0,
                error_reason TEXT,
                error_message TEXT,
                run_after TIMESTAMPTZ NOT NULL,
                lease_owner TEXT,
                lease_expires_at TIMESTAMPTZ,
                created_at TIMESTAMPTZ NOT NULL,
                updated_at TIMESTAMPTZ NOT NULL,
                finished_at TIMESTAMPTZ
            )
            """,
            // Claim order within each state, as in SQLite: a claim reads the
            // first due queued entry and the running ones (one per busy worker).
            "CREATE INDEX job_claim_order ON job (state, priority DESC, seq)",
        ]),
    ]

    /// The catalog's tables: the same columns as in SQLite, with times as
    /// timestamptz and the record and event detail as JSONB.
    static let catalog: [Migration] = [
        Migration(identifier: "catalog v1: assets, versions, origins and history", statements: [
            """
            CREATE TABLE asset (
                id TEXT PRIMARY KEY,
                path TEXT NOT NULL UNIQUE,
                origin TEXT,
                version INTEGER NOT NULL DEFAULT 1,
                name TEXT NOT NULL,
                kind TEXT,
                mime TEXT,
                format TEXT,
                size BIGINT,
                sha256 TEXT,
                status TEXT NOT NULL CHECK (status IN ('processing', 'processed', 'errored')),
                error_reason TEXT,
                error_message TEXT,
                width INTEGER,
                height INTEGER,
                taken_at TEXT,
                attempts INTEGER NOT NULL DEFAULT 0,
                record JSONB NOT NULL,
                created_at TIMESTAMPTZ NOT NULL,
                updated_at TIMESTAMPTZ NOT NULL,
                processed_at TIMESTAMPTZ
            )
            """,
            "CREATE INDEX asset_by_sha256 ON asset (sha256)",
            "CREATE INDEX asset_by_status ON asset (status, error_reason)",
            "CREATE INDEX asset_by_kind ON asset (kind, mime)",
            "CREATE INDEX asset_by_taken_at ON asset (taken_at)",
            // The audit trail; a deleted asset's events stay. `job_id` holds a
            // job run's effect key: unique, so a job that runs again after a
            // crash finds its effect made and does not repeat it.
            """
            CREATE TABLE asset_event (
                seq BIGSERIAL PRIMARY KEY,
                asset_id TEXT NOT NULL,
                version INTEGER NOT NULL,
                path TEXT NOT NULL,
                at TIMESTAMPTZ NOT NULL,
                actor TEXT NOT NULL,
                action TEXT NOT NULL
                    CHECK (action IN ('created', 'updated', 'versioned', 'refreshed', 'deleted', 'edited')),
                detail JSONB NOT NULL,
                job_id TEXT
            )
            """,
            "CREATE INDEX asset_event_by_asset ON asset_event (asset_id, seq)",
            "CREATE INDEX asset_event_by_path ON asset_event (path)",
            "CREATE UNIQUE INDEX asset_event_by_job ON asset_event (job_id) WHERE job_id IS NOT NULL",
        ]),
    ]

    /// Applies the migrations `connection`'s database lacks, holding the
    /// advisory lock; creates `schema` first when one is given and missing.
    static func apply(_ migrations: [Migration], inSchema schema: String?, on connection: PostgresConnection,
                      logger: Logger) async throws {
        _ = try await connection.query("SELECT pg_advisory_lock(\(lockKey))", logger: logger)
        do {
            if let schema {
                // Under the lock: IF NOT EXISTS alone still races another creator.
                _ = try await connection.query(PostgresQuery(unsafeSQL: "CREATE SCHEMA IF NOT EXISTS \"\(schema)\""), logger: logger)
            }
            _ = try await connection.query("""
                CREATE TABLE IF NOT EXISTS assetpipe_migration (
                    identifier TEXT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())
                """, logger: logger)
            var applied = Set<String>()
            for try await identifier in try await connection.query("SELECT identifier FROM assetpipe_migration", logger: logger)
                .decode(String.self) {
                applied.insert(identifier)
            }
            for migration in migrations where !applied.contains(migration.identifier) {
                try await connection.withTransaction(logger: logger) { connection in
                    for statement in migration.statements {
                        _ = try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                    }
                    _ = try await connection.query(
                        "INSERT INTO assetpipe_migration (identifier) VALUES (\(migration.identifier))", logger: logger)
                }
                logger.info("applied migration", metadata: ["migration": "\(migration.identifier)"])
            }
        } catch {
            _ = try? await connection.query("SELECT pg_advisory_unlock(\(lockKey))", logger: logger)
            throw error
        }
        _ = try await connection.query("SELECT pg_advisory_unlock(\(lockKey))", logger: logger)
    }
}
