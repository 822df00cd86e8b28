import AssetQueue
import Foundation
import Testing

/// What only the PostgreSQL driver does: wake idle workers with NOTIFY, and
/// set up its schema safely when many processes start at once. Runs when
/// `ASSETPIPE_TEST_DATABASE_URL` names a server, as `make test` arranges.
@Suite(.enabled(if: QueueDriver.postgresURL != nil, "set ASSETPIPE_TEST_DATABASE_URL (make test starts a server)"))
struct PostgresJobQueueTests {
    private func schemaURL() throws -> String {
        let url = try #require(QueueDriver.postgresURL)
        let schema = "test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16)
        return url + (url.contains("?") ? "&" : "?") + "search_path=\(schema)&pool_size=4"
    }

    @Test func anEnqueueWakesAnIdleWorker() async throws {
        let url = try schemaURL()
        let worker = RunningQueue(try await PostgresJobQueue.connect(url: url))
        let producer = RunningQueue(try await PostgresJobQueue.connect(url: url))
        // Nothing enqueued: the wait runs out.
        #expect(await worker.waitForWork(upTo: .milliseconds(300)) == false)
        let started = ContinuousClock.now
        async let woken = worker.waitForWork(upTo: .seconds(20))
        try await Task.sleep(for: .milliseconds(300))  // the worker is waiting now
        _ = try await producer.enqueue([.process(origin: "/uploads/a.jpg")])
        #expect(await woken == true)
        #expect(started.duration(to: .now) < .seconds(10), "woken by the timeout, not by the NOTIFY")
        #expect(try await worker.claim(worker: "w", lease: .seconds(30)) != nil)
    }

    /// Workers started together on an empty database race to create the
    /// tables; the advisory lock makes them take turns.
    @Test func manyProcessesSettingUpAtOnceAllSucceed() async throws {
        let url = try schemaURL()
        let queues = try await withThrowingTaskGroup(of: RunningQueue.self) { group in
            for _ in 0..<6 { group.addTask { RunningQueue(try await PostgresJobQueue.connect(url: url)) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(queues.count == 6)
        _ = try await queues[0].enqueue([.process(origin: "/uploads/a.jpg")])
        #expect(try await queues[5].counts()[.queued] == 1)
    }

    /// A command's queue runs as a Service: `whileRunning` runs the
    /// connections beside a body and stops them after it, and a wait for
    /// work ends at its time limit without a task left behind.
    @Test func whileRunningServesTheBodyAndAWaitEndsAtItsLimit() async throws {
        let queue = try await PostgresJobQueue.connect(url: try schemaURL())
        let counts = try await queue.whileRunning {
            _ = try await queue.enqueue([.process(origin: "/uploads/a.jpg")])
            return try await queue.counts()
        }
        #expect(counts[.queued] == 1)
        let started = ContinuousClock.now
        #expect(await queue.waitForWork(upTo: .milliseconds(200)) == false)
        #expect(started.duration(to: .now) < .seconds(5))
    }

    @Test func aBadURLSaysHowToWriteIt() async throws {
        await #expect(throws: QueueError.self) { try await PostgresJobQueue.connect(url: "mysql://localhost/x") }
        do {
            _ = try await PostgresJobQueue.connect(url: "postgres://localhost")
            Issue.record("a URL without a database was accepted")
        } catch {
            #expect(error.description.contains("postgres://USER"))
        }
    }
}
