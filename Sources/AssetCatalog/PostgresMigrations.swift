import Logging
import PostgresNIO

/// Schema changes for PostgreSQL, applied in order on start. Several
/// processes starting at once take turns under an advisory lock, so each
/// change runs once. Never edit a shipped migration: add a new one.
package enum PostgresMigrations {
    package struct Migration: Sendable {
        let identifier: String
        let statements: [String]

        package init(identifier: String, statements: [String]) {
            self.identifier = identifier
            self.statements = statements
        }
    }

    /// The advisory lock is two keys: this constant, which no other program
    /// uses on the database ("apmg"), and a hash of the schema, so that
    /// installations in different schemas do not wait on each other.
    static let lockClass: Int32 = 0x6170_6D67

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
    package static func apply(_ migrations: [Migration], inSchema schema: String?, on connection: PostgresConnection,
                      logger: Logger) async throws {
        let lockedSchema = schema ?? ""
        _ = try await connection.query("SELECT pg_advisory_lock(\(lockClass), hashtext(\(lockedSchema)))", logger: logger)
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
            _ = try? await connection.query("SELECT pg_advisory_unlock(\(lockClass), hashtext(\(lockedSchema)))", logger: logger)
            throw error
        }
        _ = try await connection.query("SELECT pg_advisory_unlock(\(lockClass), hashtext(\(lockedSchema)))", logger: logger)
    }
}
