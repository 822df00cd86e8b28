import AssetCatalog
import AssetPipeline
import Foundation
import GRDB

/// The job queue in the catalog's SQLite file, shared by every process that
/// opens it: WAL, the catalog's busy timeout, and write transactions that take
/// the write lock at BEGIN (IMMEDIATE), so that a claim's read of the next job
/// is still true when it writes, in whichever process it runs.
public final class SQLiteJobQueue: JobQueue {
    /// The queue's tables; open the catalog with them
    /// (`Catalog(dataDirectory:migrations: SQLiteJobQueue.migrations)`).
    public static let migrations: [CatalogMigration] = JobSchema.migrations

    /// The catalog whose file holds the queue.
    public let catalog: Catalog
    private let pool: DatabasePool
    private let clock: QueueClock
    private let backoff: Backoff

    /// A queue in `catalog`'s file, which must have been opened with `migrations`.
    public init(catalog: Catalog, clock: QueueClock = .system, backoff: Backoff = .standard) throws(QueueError) {
        guard let file = catalog.database as? SQLiteCatalogDatabase else {
            throw QueueError(.storage, operation: "open the job queue in \(catalog.location)", reason: "that catalog is not in SQLite",
                             hint: "use PostgresJobQueue with a PostgreSQL catalog")
        }
        self.catalog = catalog
        self.pool = file.pool
        self.clock = clock
        self.backoff = backoff
        let hasTable: Bool
        do {
            hasTable = try pool.read { try $0.tableExists("job") }
        } catch {
            throw QueueError(operation: "open the job queue in \(catalog.location)", underlying: error,
                             hint: "check that it is an assetpipe catalog")
        }
        guard hasTable else {
            throw QueueError(.storage, operation: "open the job queue in \(catalog.location)", reason: "it has no job table",
                             hint: "open the catalog with Catalog(dataDirectory:migrations: SQLiteJobQueue.migrations)")
        }
    }

    /// Opens (creating if needed) the catalog in `dataDirectory` with the queue's tables.
    public convenience init(dataDirectory: String, clock: QueueClock = .system, backoff: Backoff = .standard) throws(QueueError) {
        let catalog: Catalog
        do {
            catalog = try Catalog(dataDirectory: dataDirectory, migrations: Self.migrations)
        } catch {
            throw QueueError(.storage, operation: error.operation, reason: error.reason, hint: error.hint)
        }
        try self.init(catalog: catalog, clock: clock, backoff: backoff)
    }

    public func enqueue(_ requests: [JobRequest]) async throws(QueueError) -> [Job] {
        let now = clock.now()
        let valid = try requests.map { request throws(QueueError) in try request.validated() }
        let jobs = valid.map { Job($0, id: UUID().uuidString.lowercased(), now: now) }
        return try await write("enqueue \(jobs.count) jobs") { db in
            for job in jobs { try JobRow.insert(job, db) }
            return jobs
        }
    }

    public func claim(worker: String, lease: Duration) async throws(QueueError) -> Job? {
        let now = clock.now()
        let nowText = Timestamp.format(now)
        return try await write("claim a job") { db in
            // First, jobs whose worker died on their last attempt end dead instead of running again.
            let exhausted = try Row.fetchAll(db.cachedStatement(sql: """
                SELECT \(JobRow.columns) FROM job
                WHERE state = 'running' AND lease_expires_at <= ? AND attempts >= max_attempts
                """), arguments: [nowText])
            for row in exhausted {
                var job = try JobRow.decode(row)
                job.expireOnLastAttempt(now: now)
                try JobRow.update(job, db)
            }
            let waiting = try Row.fetchOne(db.cachedStatement(sql: Self.nextQueuedSQL), arguments: [nowText])
            let abandoned = try Row.fetchOne(db.cachedStatement(sql: Self.nextAbandonedSQL), arguments: [nowText])
            guard var job = try Self.first(waiting, abandoned) else { return nil }
            job.claim(by: worker, lease: lease, now: now)
            try JobRow.update(job, db)
            return job
        }
    }

    /// The next queued job in claim order: the first entry of `job_claim_order` that is due.
    static let nextQueuedSQL = """
        SELECT seq, \(JobRow.columns) FROM job
        WHERE state = 'queued' AND run_after <= ?
        ORDER BY priority DESC, seq LIMIT 1
        """

    /// The first running job, in claim order, whose worker stopped renewing its lease.
    static let nextAbandonedSQL = """
        SELECT seq, \(JobRow.columns) FROM job
        WHERE state = 'running' AND lease_expires_at <= ?
        ORDER BY priority DESC, seq LIMIT 1
        """

    /// Of two candidate rows, the one claim order takes first.
    private static func first(_ one: Row?, _ other: Row?) throws -> Job? {
        let rows = [one, other].compactMap { $0 }
        let best = rows.min { a, b in
            let (pa, pb): (Int, Int) = (a["priority"], b["priority"])
            return pa != pb ? pa > pb : (a["seq"] as Int) < (b["seq"] as Int)
        }
        return try best.map(JobRow.decode)
    }

    public func heartbeat(_ id: String, worker: String, lease: Duration) async throws(QueueError) -> Bool {
        let expiry = Timestamp.format(clock.now().addingTimeInterval(lease.seconds))
        return try await write("renew the lease on job \(id)") { db in
            try db.cachedStatement(sql: "UPDATE job SET lease_expires_at = ? WHERE id = ? AND state = 'running' AND lease_owner = ?")
                .execute(arguments: [expiry, id, worker])
            return db.changesCount > 0
        }
    }

    public func complete(_ id: String, worker: String, outcome: JobOutcome, made: JobAsset?) async throws(QueueError) -> Job? {
        let now = clock.now()
        let backoff = self.backoff
        return try await write("complete job \(id)") { db in
            guard let row = try Row.fetchOne(db.cachedStatement(sql: """
                SELECT \(JobRow.columns) FROM job WHERE id = ? AND state = 'running' AND lease_owner = ?
                """), arguments: [id, worker]) else { return nil }
            var job = try JobRow.decode(row)
            var generator = SystemRandomNumberGenerator()
            job.complete(outcome, made: made, now: now, backoff: backoff, using: &generator)
            try JobRow.update(job, db)
            return job
        }
    }

    public func retry(_ id: String) async throws(QueueError) -> Job {
        let now = clock.now()
        return try await change(id, "retry job \(id)") { job throws(QueueError) in try job.retry(now: now) }
    }

    public func cancel(_ id: String) async throws(QueueError) -> Job {
        let now = clock.now()
        return try await change(id, "cancel job \(id)") { job throws(QueueError) in try job.cancel(now: now) }
    }

    public func job(_ id: String) async throws(QueueError) -> Job? {
        try await read("read job \(id)") { db in
            try Row.fetchOne(db, sql: "SELECT \(JobRow.columns) FROM job WHERE id = ?", arguments: [id]).map(JobRow.decode)
        }
    }

    public func list(state: Job.State?, limit: Int) async throws(QueueError) -> [Job] {
        try await read("list jobs") { db in
            let rows = if let state {
                try Row.fetchAll(db, sql: """
                    SELECT \(JobRow.columns) FROM job WHERE state = ? ORDER BY updated_at DESC, seq DESC LIMIT ?
                    """, arguments: [state.rawValue, limit])
            } else {
                try Row.fetchAll(db, sql: """
                    SELECT \(JobRow.columns) FROM job ORDER BY updated_at DESC, seq DESC LIMIT ?
                    """, arguments: [limit])
            }
            return try rows.map(JobRow.decode)
        }
    }

    public func counts() async throws(QueueError) -> [Job.State: Int] {
        try await read("count jobs") { db in
            var counts = Dictionary(uniqueKeysWithValues: Job.State.allCases.map { ($0, 0) })
            for row in try Row.fetchAll(db, sql: "SELECT state, COUNT(*) AS n FROM job GROUP BY state") {
                if let state = Job.State(rawValue: row["state"]) { counts[state] = row["n"] }
            }
            return counts
        }
    }

    /// Reads job `id`, applies `step`, and writes it back, in one transaction.
    private func change(_ id: String, _ operation: String,
                        _ step: @escaping @Sendable (inout Job) throws(QueueError) -> Void) async throws(QueueError) -> Job {
        try await write(operation) { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT \(JobRow.columns) FROM job WHERE id = ?", arguments: [id]) else {
                throw QueueError(.notFound, operation: operation, reason: "there is no such job",
                                 hint: "list jobs with `assetpipe jobs`")
            }
            var job = try JobRow.decode(row)
            try step(&job)
            try JobRow.update(job, db)
            return job
        }
    }

    /// Runs `body` in one IMMEDIATE transaction: the write lock is taken at
    /// BEGIN, before the first read, rather than at the first write, when
    /// another process may already have changed what was read.
    private func write<T: Sendable>(_ operation: String, _ body: @escaping @Sendable (Database) throws -> T) async throws(QueueError) -> T {
        do {
            return try await pool.writeWithoutTransaction { db in
                var result: T?
                try db.inTransaction(.immediate) {
                    result = try body(db)
                    return .commit
                }
                // Set: inTransaction either ran the body and committed, or threw.
                return result!
            }
        } catch let error as QueueError {
            throw error
        } catch {
            throw storageError(operation, error)
        }
    }

    private func read<T: Sendable>(_ operation: String, _ body: @escaping @Sendable (Database) throws -> T) async throws(QueueError) -> T {
        do {
            return try await pool.read(body)
        } catch {
            throw storageError(operation, error)
        }
    }

    private func storageError(_ operation: String, _ error: any Error) -> QueueError {
        QueueError(operation: operation, underlying: error,
                   hint: "check that \(catalog.location) is an assetpipe catalog, writable, on a disk with free space")
    }
}
