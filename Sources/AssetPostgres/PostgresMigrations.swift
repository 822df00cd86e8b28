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
