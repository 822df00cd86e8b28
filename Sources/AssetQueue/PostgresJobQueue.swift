import AssetCatalog
import AssetPipeline
import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle
import Synchronization

/// The job queue on PostgreSQL, for workers on many hosts. Claims take the
/// next job with `FOR UPDATE SKIP LOCKED`, so claimers never wait on each
/// other's rows; enqueueing sends a NOTIFY that wakes idle workers
/// (`waitForWork`) instead of them polling. Jobs move through the same
/// lifecycle as in SQLite (`Job`'s steps, applied inside each transaction),
/// and pass the same contract tests.
///
/// The queue is a `Service`: its connection pool and its LISTEN connection
/// live in `run()`, which the command's ServiceGroup runs (first, so that it
/// shuts down last, after the workers have handed back their jobs). Queue
/// calls made while `run()` is not running wait for it.
public final class PostgresJobQueue: JobQueue, Service {
    /// The channel enqueues notify and idle workers listen on: one per
    /// schema, since notifications are database-wide and each schema is a queue.
    private let channel: String

    private let client: PostgresClient
    private let clock: QueueClock
    private let backoff: Backoff
    private let logger: Logger
    private let wakeups = Wakeups()
    /// For messages: the server and database, without credentials.
    public let location: String

    /// Connects to the database at `url` (`postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE`,
    /// optionally `?search_path=SCHEMA`) and applies the queue's migrations,
    /// over a connection of their own: the pool starts with `run()`.
    public static func connect(url: String, clock: QueueClock = .system, backoff: Backoff = .standard,
                               logger: Logger = Logger(label: "assetpipe.postgres")) async throws(QueueError) -> PostgresJobQueue {
        let target: PostgresURL
        do {
            target = try PostgresURL(url)
        } catch {
            throw QueueError(.storage, operation: error.operation, reason: error.reason, hint: error.hint)
        }
        do {
            let connection = try await PostgresConnection.connect(configuration: target.connectionConfiguration, id: 0, logger: logger)
            do {
                try await PostgresMigrations.apply(Self.migrations, inSchema: target.schema, on: connection, logger: logger)
            } catch {
                try? await connection.close()
                throw error
            }
            try? await connection.close()
        } catch {
            throw QueueError(operation: "set up the job queue in \(target.location)", underlying: PostgresFailure(error),
                             hint: "check that PostgreSQL is running there and the user may create tables")
        }
        return PostgresJobQueue(target, clock: clock, backoff: backoff, logger: logger)
    }

    private init(_ target: PostgresURL, clock: QueueClock, backoff: Backoff, logger: Logger) {
        // The pool's own chatter (a lease asked for before `run()` has started,
        // which then waits for it) stays out of the log; failures reach the
        // caller as errors.
        var background = logger
        background.logLevel = .error
        let client = PostgresClient(configuration: target.configuration, backgroundLogger: background)
        self.client = client
        self.clock = clock
        self.backoff = backoff
        self.logger = logger
        self.location = target.location
        channel = "assetpipe_jobs" + (target.schema.map { "_" + $0 } ?? "")
    }

    /// Runs the connection pool and the LISTEN connection until a graceful
    /// shutdown or cancellation.
    public func run() async {
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                group.addTask { await self.client.run() }
                group.addTask { await self.listen() }
            }
        }
    }

    /// Runs `body` while `run()` runs beside it, then stops the connections:
    /// for commands that make a few queue calls and exit.
    public func whileRunning<T>(isolation: isolated (any Actor)? = #isolation,
                                _ body: () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: Void.self, returning: T.self, isolation: isolation) { group in
            group.addTask { await self.run() }
            defer { group.cancelAll() }
            return try await body()
        }
    }

    /// One connection listens for as long as the queue runs; a broken one is
    /// replaced, and workers fall back to their periodic claim meanwhile.
    private func listen() async {
        while !Task.isCancelled {
            do {
                try await client.withConnection { connection in
                    try await connection.listen(on: self.channel) { notifications in
                        for try await _ in notifications { self.wakeups.signal() }
                    }
                }
            } catch {
                // Waited out before a word is said: at shutdown the pool closes
                // this connection a moment before this task hears it is cancelled.
                try? await Task.sleep(for: .seconds(1))
                if Task.isCancelled { return }
                logger.warning("lost the LISTEN connection; reconnecting", metadata: ["error": "\(PostgresFailure(error))"])
            }
        }
    }

    /// The queue's tables, applied by `connect` (the catalog's come with its own driver).
    static let migrations: [PostgresMigrations.Migration] = [
        PostgresMigrations.Migration(identifier: "queue v1: jobs", statements: [
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
        PostgresMigrations.Migration(identifier: "queue v2: the job's asset", statements: [
            // What the job made or changed (JobAsset), as in SQLite.
            "ALTER TABLE job ADD COLUMN asset JSONB",
        ]),
    ]

    public func enqueue(_ requests: [JobRequest]) async throws(QueueError) -> [Job] {
        let now = clock.now()
        let valid = try requests.map { request throws(QueueError) in try request.validated() }
        let jobs = valid.map { Job($0, id: UUID().uuidString.lowercased(), now: now) }
        return try await transaction("enqueue \(jobs.count) jobs") { connection in
            for job in jobs { try await JobRecord.insert(job, on: connection, logger: self.logger) }
            // Delivered at commit, so a woken worker finds the jobs.
            _ = try await connection.query("SELECT pg_notify(\(self.channel), '')", logger: self.logger)
            return jobs
        }
    }

    public func claim(worker: String, lease: Duration) async throws(QueueError) -> Job? {
        let now = clock.now()
        return try await transaction("claim a job") { connection in
            // One round trip for the three candidates, each skipping rows another
            // claimer holds: jobs whose worker died on their last attempt (they
            // end dead instead of running again), the first due queued job, and
            // the first running job whose lease expired.
            let candidates = try await JobRecord.fetchCandidates("""
                WITH exhausted AS (
                    SELECT seq, \(unescaped: JobRecord.columns) FROM job
                    WHERE state = 'running' AND lease_expires_at <= \(now) AND attempts >= max_attempts
                    FOR UPDATE SKIP LOCKED
                ), waiting AS (
                    SELECT seq, \(unescaped: JobRecord.columns) FROM job
                    WHERE state = 'queued' AND run_after <= \(now)
                    ORDER BY priority DESC, seq LIMIT 1 FOR UPDATE SKIP LOCKED
                ), abandoned AS (
                    SELECT seq, \(unescaped: JobRecord.columns) FROM job
                    WHERE state = 'running' AND lease_expires_at <= \(now) AND attempts < max_attempts
                    ORDER BY priority DESC, seq LIMIT 1 FOR UPDATE SKIP LOCKED
                )
                SELECT 'exhausted' AS role, * FROM exhausted
                UNION ALL SELECT 'waiting', * FROM waiting
                UNION ALL SELECT 'abandoned', * FROM abandoned
                """, on: connection, logger: self.logger)
            for var job in candidates.filter({ $0.role == "exhausted" }).map(\.job) {
                job.expireOnLastAttempt(now: now)
                try await JobRecord.update(job, on: connection, logger: self.logger)
            }
            let first = candidates.filter { $0.role != "exhausted" }.min { a, b in
                a.job.priority != b.job.priority ? a.job.priority > b.job.priority : a.seq < b.seq
            }
            guard var job = first?.job else { return nil }
            job.claim(by: worker, lease: lease, now: now)
            try await JobRecord.update(job, on: connection, logger: self.logger)
            return job
        }
    }

    public func heartbeat(_ id: String, worker: String, lease: Duration) async throws(QueueError) -> Bool {
        let expiry = clock.now().addingTimeInterval(lease.seconds).wholeMilliseconds
        return try await transaction("renew the lease on job \(id)") { connection in
            let rows = try await connection.query("""
                UPDATE job SET lease_expires_at = \(expiry)
                WHERE id = \(id) AND state = 'running' AND lease_owner = \(worker) RETURNING id
                """, logger: self.logger)
            var renewed = false
            for try await _ in rows { renewed = true }
            return renewed
        }
    }

    public func complete(_ id: String, worker: String, outcome: JobOutcome, made: JobAsset?) async throws(QueueError) -> Job? {
        let now = clock.now()
        let backoff = self.backoff
        return try await transaction("complete job \(id)") { connection in
            guard var job = try await JobRecord.fetch("""
                SELECT \(unescaped: JobRecord.columns) FROM job
                WHERE id = \(id) AND state = 'running' AND lease_owner = \(worker) FOR UPDATE
                """, on: connection, logger: self.logger).first else { return nil }
            var generator = SystemRandomNumberGenerator()
            job.complete(outcome, made: made, now: now, backoff: backoff, using: &generator)
            try await JobRecord.update(job, on: connection, logger: self.logger)
            if job.state == .queued {
                _ = try await connection.query("SELECT pg_notify(\(self.channel), '')", logger: self.logger)
            }
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
        try await transaction("read job \(id)") { connection in
            try await JobRecord.fetch("SELECT \(unescaped: JobRecord.columns) FROM job WHERE id = \(id)",
                                      on: connection, logger: self.logger).first
        }
    }

    public func list(state: Job.State?, limit: Int) async throws(QueueError) -> [Job] {
        try await transaction("list jobs") { connection in
            if let state {
                return try await JobRecord.fetch("""
                    SELECT \(unescaped: JobRecord.columns) FROM job WHERE state = \(state.rawValue)
                    ORDER BY updated_at DESC, seq DESC LIMIT \(limit)
                    """, on: connection, logger: self.logger)
            }
            return try await JobRecord.fetch("""
                SELECT \(unescaped: JobRecord.columns) FROM job ORDER BY updated_at DESC, seq DESC LIMIT \(limit)
                """, on: connection, logger: self.logger)
        }
    }

    public func counts() async throws(QueueError) -> [Job.State: Int] {
        try await transaction("count jobs") { connection in
            var counts = Dictionary(uniqueKeysWithValues: Job.State.allCases.map { ($0, 0) })
            let rows = try await connection.query("SELECT state, COUNT(*)::BIGINT FROM job GROUP BY state", logger: self.logger)
            for try await (name, count) in rows.decode((String, Int).self) {
                if let state = Job.State(rawValue: name) { counts[state] = count }
            }
            return counts
        }
    }

    public func waitForWork(upTo timeout: Duration) async -> Bool {
        await wakeups.wait(upTo: timeout)
    }

    /// Reads job `id` locked, applies `step`, and writes it back, in one transaction.
    private func change(_ id: String, _ operation: String,
                        _ step: @escaping @Sendable (inout Job) throws(QueueError) -> Void) async throws(QueueError) -> Job {
        try await transaction(operation) { connection in
            guard var job = try await JobRecord.fetch("SELECT \(unescaped: JobRecord.columns) FROM job WHERE id = \(id) FOR UPDATE",
                                                      on: connection, logger: self.logger).first else {
                throw QueueError(.notFound, operation: operation, reason: "there is no such job",
                                 hint: "list jobs with `assetpipe jobs`")
            }
            try step(&job)
            try await JobRecord.update(job, on: connection, logger: self.logger)
            if job.state == .queued {
                _ = try await connection.query("SELECT pg_notify(\(self.channel), '')", logger: self.logger)
            }
            return job
        }
    }

    private func transaction<T: Sendable>(_ operation: String,
                                          _ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws(QueueError) -> T {
        do {
            return try await client.withTransaction(logger: logger) { connection in try await body(connection) }
        } catch let error as QueueError {
            throw error
        } catch let error as PostgresTransactionError {
            if let queueError = error.closureError as? QueueError { throw queueError }
            throw QueueError(operation: operation, underlying: PostgresFailure(error), hint: hint)
        } catch {
            throw QueueError(operation: operation, underlying: PostgresFailure(error), hint: hint)
        }
    }

    private var hint: String { "check that PostgreSQL at \(location) is up and reachable" }
}

/// Lets idle workers sleep until an enqueue's NOTIFY arrives, or a timeout.
final class Wakeups: Sendable {
    private struct State {
        var waiters: [UUID: CheckedContinuation<Bool, Never>] = [:]
    }

    private let state = Mutex(State())

    /// Wakes every waiter.
    func signal() {
        let waiters = state.withLock { state in
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume(returning: true) }
    }

    /// True when woken by `signal()` within `timeout`. The wait and its time
    /// limit race as two child tasks; the loser is cancelled.
    func wait(upTo timeout: Duration) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask { await self.waitForSignal(UUID()) }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            // A signal may have landed while the timeout won: it counts.
            var woken = first
            while let next = await group.next() { woken = woken || next }
            return woken
        }
    }

    /// True once signalled; false when cancelled first.
    private func waitForSignal(_ id: UUID) async -> Bool {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let cancelled = state.withLock { state -> Bool in
                    if Task.isCancelled { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if cancelled { continuation.resume(returning: false) }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume(returning: false)
        }
    }
}
