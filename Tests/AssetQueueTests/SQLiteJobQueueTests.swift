import AssetCatalog
import AssetPipeline
@testable import AssetQueue
import Foundation
import GRDB
import Synchronization
import TestSupport
import Testing

/// What is particular to the SQLite driver: the queue shares the catalog's
/// file, and a claim reads one index entry, not the whole table.
@Suite struct SQLiteJobQueueTests {
    @Test func queueAndAssetsShareTheCatalogFile() async throws {
        let directory = try Package.temporaryDirectory("queue-file")
        let queue = try SQLiteJobQueue(dataDirectory: directory)
        let id = try queue.catalog.begin(path: "/photos/a.jpg", name: "a.jpg")
        let job = try #require(try await queue.enqueue([.refresh(assetID: id)]).first)

        // `assetpipe process` opens the file without the queue's migrations, and must still work.
        let plain = try Catalog(dataDirectory: directory)
        #expect(plain.location == queue.catalog.location)
        #expect(try plain.record(idOrPath: "/photos/a.jpg")?.id == id)
        #expect(try await SQLiteJobQueue(catalog: plain).job(job.id) == job)
        let tables = try await (try #require(plain.database as? SQLiteCatalogDatabase)).pool.read { try String.fetchAll($0, sql: "SELECT name FROM sqlite_master WHERE type = 'table'") }
        #expect(Set(tables).isSuperset(of: ["asset", "job"]))
    }

    @Test func catalogWithoutTheQueueTablesIsRefused() throws {
        let catalog = try Catalog(dataDirectory: try Package.temporaryDirectory("no-queue"))
        do {
            _ = try SQLiteJobQueue(catalog: catalog)
            Issue.record("opened a queue in a catalog without the job table")
        } catch {
            #expect(error.code == .storage)
            #expect(error.hint.contains("SQLiteJobQueue.migrations"))
        }
    }

    /// Both halves of a claim walk an index in claim order from the state they
    /// want and stop at the first row due: no scan of the history, no sort.
    @Test func claimReadsAnIndexInClaimOrder() throws {
        let queue = try SQLiteJobQueue(dataDirectory: try Package.temporaryDirectory("queue-plan"))
        let plans = try (try #require(queue.catalog.database as? SQLiteCatalogDatabase)).pool.read { db in
            try [SQLiteJobQueue.nextQueuedSQL, SQLiteJobQueue.nextAbandonedSQL].map { sql in
                try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql, arguments: ["2030-01-01T00:00:00.000Z"])
                    .map { $0["detail"] as String }.joined(separator: "; ")
            }
        }
        for plan in plans {
            #expect(plan.contains("USING INDEX job_claim_order (state=?)"), "\(plan)")
            #expect(!plan.contains("TEMP B-TREE"), "\(plan)")
        }
    }

    /// Another process holding the write lock makes a claim wait (the busy
    /// timeout), not fail: the claim ends only after the other commits.
    @Test func claimWaitsForAnotherWriter() async throws {
        struct Progress { var locked = false, claimStarted = false, releasedAt: ContinuousClock.Instant?, failure: String? }
        let directory = try Package.temporaryDirectory("queue-busy")
        let queue = try SQLiteJobQueue(dataDirectory: directory)
        _ = try await queue.enqueue([.refresh(assetID: "a")])
        let other = try Catalog(dataDirectory: directory, migrations: SQLiteJobQueue.migrations)
        let progress = Mutex(Progress())
        // A thread of its own, as another process: it blocks while it holds the lock.
        Thread {
            do {
                try (other.database as! SQLiteCatalogDatabase).pool.write { db in
                    try db.execute(sql: "UPDATE job SET priority = priority")
                    progress.withLock { $0.locked = true }
                    while !progress.withLock({ $0.claimStarted }) { Thread.sleep(forTimeInterval: 0.005) }
                    Thread.sleep(forTimeInterval: 0.2)
                    progress.withLock { $0.releasedAt = .now }
                }
            } catch {
                progress.withLock { $0.failure = "\(error)"; $0.locked = true }
            }
        }.start()
        while !progress.withLock({ $0.locked }) { try await Task.sleep(for: .milliseconds(5)) }
        try #require(progress.withLock { $0.failure } == nil)
        progress.withLock { $0.claimStarted = true }
        #expect(try await queue.claim(worker: "w", lease: .seconds(30)) != nil)
        let end = ContinuousClock.now
        let releasedAt = try #require(progress.withLock { $0.releasedAt }, "the claim ended while the other writer held the lock")
        #expect(end > releasedAt)
    }

    /// GRDB refuses to start work for a cancelled task: the claim throws
    /// `cancelled` and the job stays queued, claimable by the next worker.
    @Test func claimInACancelledTaskChangesNothing() async throws {
        let queue = try SQLiteJobQueue(dataDirectory: try Package.temporaryDirectory("queue-cancel"))
        let id = try #require(try await queue.enqueue([.refresh(assetID: "a")]).first?.id)
        let claim = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await queue.claim(worker: "w", lease: .seconds(30))
        }
        do {
            _ = try await claim.value
            Issue.record("a cancelled task claimed a job")
        } catch let error as QueueError {
            #expect(error.code == .cancelled, "\(error)")
        }
        #expect(try await queue.job(id)?.state == .queued)
        #expect(try await queue.claim(worker: "w", lease: .seconds(30))?.id == id)
    }

    /// Workers started together on a new catalog all open it: the one that
    /// loses the race to migrate it finds the winner's tables, not an error.
    @Test func workersOpeningANewCatalogTogetherAllSucceed() async throws {
        for _ in 0..<20 {
            let directory = try Package.temporaryDirectory("queue-race")
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<4 {
                    group.addTask { _ = try SQLiteJobQueue(dataDirectory: directory) }
                }
                try await group.waitForAll()
            }
        }
    }
}
