import AssetQueue
import Foundation
import Synchronization
import TestSupport
import Testing

/// A queue driver under test. The contract tests run once per driver in
/// `all`; the PostgreSQL driver joins by adding itself there.
struct QueueDriver: Sendable, CustomTestStringConvertible {
    let name: String
    /// A fresh, empty queue store using `clock` and `backoff`.
    let makeStore: @Sendable (QueueClock, Backoff) async throws -> QueueStore

    var testDescription: String { name }

    /// SQLite always; PostgreSQL when `ASSETPIPE_TEST_DATABASE_URL` names a
    /// server (`make test` starts a throwaway one, scripts/test-postgres).
    static let all: [QueueDriver] = [.sqlite] + (postgresURL.map { [.postgres($0)] } ?? [])

    static let postgresURL: String? = {
        let url = ProcessInfo.processInfo.environment["ASSETPIPE_TEST_DATABASE_URL"] ?? ""
        return url.isEmpty ? nil : url
    }()

    /// A schema of its own on the test server; every connection is a
    /// separate client (its own pool), as a separate worker process would have.
    static func postgres(_ url: String) -> QueueDriver {
        QueueDriver(name: "PostgreSQL") { clock, backoff in
            let schema = "test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16)
            let separator = url.contains("?") ? "&" : "?"
            let schemaURL = url + separator + "search_path=\(schema)&pool_size=4"
            return QueueStore { RunningQueue(try await PostgresJobQueue.connect(url: schemaURL, clock: clock, backoff: backoff)) }
        }
    }

    /// A catalog file of its own in a temporary directory; every connection
    /// is a separate `DatabasePool` on it, as a separate process would open.
    static let sqlite = QueueDriver(name: "SQLite") { clock, backoff in
        let directory = try Package.temporaryDirectory("queue")
        return QueueStore { try SQLiteJobQueue(dataDirectory: directory, clock: clock, backoff: backoff) }
    }
}

/// A PostgreSQL queue whose `run()` (its connections) goes on for as long
/// as the test holds the queue, as a command's ServiceGroup would run it
/// for as long as the command: the task is cancelled when the test lets go.
final class RunningQueue: JobQueue {
    let queue: PostgresJobQueue
    private let running: Task<Void, Never>

    init(_ queue: PostgresJobQueue) {
        self.queue = queue
        running = Task { await queue.run() }
    }

    deinit {
        running.cancel()
    }

    func enqueue(_ requests: [JobRequest]) async throws(QueueError) -> [Job] { try await queue.enqueue(requests) }
    func claim(worker: String, lease: Duration) async throws(QueueError) -> Job? { try await queue.claim(worker: worker, lease: lease) }
    func heartbeat(_ id: String, worker: String, lease: Duration) async throws(QueueError) -> Bool {
        try await queue.heartbeat(id, worker: worker, lease: lease)
    }
    func complete(_ id: String, worker: String, outcome: JobOutcome, made: JobAsset?) async throws(QueueError) -> Job? {
        try await queue.complete(id, worker: worker, outcome: outcome, made: made)
    }
    func retry(_ id: String) async throws(QueueError) -> Job { try await queue.retry(id) }
    func cancel(_ id: String) async throws(QueueError) -> Job { try await queue.cancel(id) }
    func job(_ id: String) async throws(QueueError) -> Job? { try await queue.job(id) }
    func list(state: Job.State?, limit: Int) async throws(QueueError) -> [Job] { try await queue.list(state: state, limit: limit) }
    func counts() async throws(QueueError) -> [Job.State: Int] { try await queue.counts() }
    func waitForWork(upTo timeout: Duration) async -> Bool { await queue.waitForWork(upTo: timeout) }
}

/// One queue's storage, which any number of connections can share.
struct QueueStore: Sendable {
    /// Opens another connection to the same queue.
    let connect: @Sendable () async throws -> any JobQueue
}

/// A clock the test moves by hand, so leases expire and backoffs end without sleeping.
final class ManualClock: Sendable {
    private let current: Mutex<Date>

    /// A whole millisecond, as the queue stores times.
    init(_ start: Date = Date(timeIntervalSince1970: 1_900_000_000)) {
        current = Mutex(start)
    }

    var now: Date { current.withLock { $0 } }
    var queueClock: QueueClock { QueueClock { self.now } }

    func advance(_ duration: Duration) {
        current.withLock { $0 = $0.addingTimeInterval(Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18) }
    }

    func set(_ date: Date) {
        current.withLock { $0 = date }
    }
}
