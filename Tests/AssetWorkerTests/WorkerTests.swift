import AssetMedia
import AssetPipeline
import AssetQueue
import AssetWorker
import Foundation
import Logging
import MetricsTestKit
import Synchronization
import TestSupport
import Testing

/// The worker's loop against a real SQLite queue, with jobs whose work the
/// test controls: order, outcomes, timeout, lost leases, and stopping.
@Suite struct WorkerTests {
    /// Job work that waits until the test opens the gate (or a long time passes).
    final class Gate: Sendable {
        private let semaphore = DispatchSemaphore(value: 0)
        private let started = Atomic<Int>(0)

        var startedCount: Int { started.load(ordering: .relaxed) }

        func enter() {
            started.add(1, ordering: .relaxed)
            _ = semaphore.wait(timeout: .now() + 30)
        }

        func open(_ count: Int = 64) {
            for _ in 0..<count { semaphore.signal() }
        }

        /// Waits (polling) until `count` jobs are inside.
        func waitForStarted(_ count: Int) async throws {
            let deadline = ContinuousClock.now + .seconds(20)
            while startedCount < count {
                guard ContinuousClock.now < deadline else { throw TestFailure("only \(startedCount) of \(count) jobs started") }
                try await Task.sleep(for: .milliseconds(20))
            }
        }
    }

    private func queue(clock: QueueClock = .system) throws -> SQLiteJobQueue {
        try SQLiteJobQueue(dataDirectory: try Package.temporaryDirectory("worker"), clock: clock,
                           backoff: Backoff(base: .milliseconds(10), cap: .milliseconds(20)))
    }

    private func settings(_ configure: (inout WorkerSettings) -> Void = { _ in }) -> WorkerSettings {
        var settings = WorkerSettings(name: "test:\(UUID().uuidString.prefix(6))")
        settings.pollInterval = .milliseconds(20)
        configure(&settings)
        return settings
    }

    private func worker(_ queue: SQLiteJobQueue, _ settings: WorkerSettings, metrics: WorkerMetrics = WorkerMetrics(),
                        perform: @escaping Worker.Perform) -> Worker {
        var logger = Logger(label: "test.worker")
        logger.logLevel = .critical
        return Worker(queue: queue, settings: settings, logger: logger, metrics: metrics, perform: perform)
    }

    private func uploads(_ count: Int, maxAttempts: Int = 5) -> [JobRequest] {
        (0..<count).map { .process(origin: "/uploads/\($0).jpg", priority: 10, maxAttempts: maxAttempts) }
    }

    @Test func uploadsRunBeforeRefreshesAndOutcomesLandInTheQueue() async throws {
        let queue = try queue()
        let refreshes = try await queue.enqueue((0..<3).map { .refresh(assetID: "asset-\($0)") })
        let files = try await queue.enqueue([
            .process(origin: "/uploads/good.jpg", priority: 10),
            .process(origin: "/uploads/corrupt.jpg", priority: 10),
            .process(origin: "/uploads/flaky.jpg", priority: 10, maxAttempts: 2),
        ])
        let order = Mutex<[String]>([])
        let metrics = TestMetrics()
        let summary = await worker(queue, settings { $0.untilEmpty = true }, metrics: WorkerMetrics(factory: metrics)) { job, _ in
            order.withLock { $0.append(job.payload.origin ?? job.payload.assetID ?? "") }
            switch job.payload.origin {
            case "/uploads/corrupt.jpg": return JobResult(outcome: .failed(AssetError(.corrupt, "bad")), summary: "")
            case "/uploads/flaky.jpg": return JobResult(outcome: .retry(AssetError(.inaccessible, "busy")), summary: "")
            default: return JobResult(outcome: .succeeded, summary: "")
            }
        }.run(stop: StopSignal())

        // Uploads (priority 10) before refreshes (0); the flaky one's retry comes after its backoff.
        let seen = order.withLock { $0 }
        #expect(Array(seen.prefix(3)) == ["/uploads/good.jpg", "/uploads/corrupt.jpg", "/uploads/flaky.jpg"])
        #expect(Set(seen.dropFirst(3)) == Set(["asset-0", "asset-1", "asset-2", "/uploads/flaky.jpg"]))
        #expect(summary == WorkerSummary(succeeded: 4, failed: 1, retried: 1, dead: 1))
        #expect(try await queue.job(files[0].id)?.state == .succeeded)
        let corrupt = try await queue.job(files[1].id)
        #expect(corrupt?.state == .failed && corrupt?.lastError?.reason == .corrupt && corrupt?.attempts == 1)
        let flaky = try await queue.job(files[2].id)
        #expect(flaky?.state == .dead && flaky?.attempts == 2 && flaky?.lastError?.reason == .inaccessible)
        for job in refreshes { #expect(try await queue.job(job.id)?.state == .succeeded) }

        #expect(try metrics.expectCounter("assetpipe_jobs_claimed_total", [("kind", "process")]).totalValue == 4)
        #expect(try metrics.expectCounter("assetpipe_jobs_claimed_total", [("kind", "refresh")]).totalValue == 3)
        #expect(try metrics.expectCounter("assetpipe_jobs_succeeded_total", [("kind", "refresh")]).totalValue == 3)
        #expect(try metrics.expectCounter("assetpipe_jobs_failed_total", [("kind", "process"), ("reason", "corrupt")]).totalValue == 1)
        #expect(try metrics.expectCounter("assetpipe_jobs_retried_total", [("kind", "process"), ("reason", "inaccessible")]).totalValue == 1)
        #expect(try metrics.expectCounter("assetpipe_jobs_dead_total", [("kind", "process"), ("reason", "inaccessible")]).totalValue == 1)
        #expect(try metrics.expectTimer("assetpipe_job_duration_seconds", [("kind", "process"), ("result", "succeeded")]).values.count == 1)
        #expect(try metrics.expectGauge("assetpipe_queue_jobs", [("state", "queued")]).lastValue != nil)
    }

    @Test func concurrentSlotsRunJobsAtOnce() async throws {
        let queue = try queue()
        _ = try await queue.enqueue(uploads(3))
        let gate = Gate()
        let run = Task {
            await worker(queue, settings { $0.concurrency = 3; $0.untilEmpty = true }) { _, _ in
                gate.enter()
                return JobResult(outcome: .succeeded, summary: "")
            }.run(stop: StopSignal())
        }
        try await gate.waitForStarted(3)
        #expect(try await queue.counts()[.running] == 3)
        gate.open()
        #expect(await run.value.succeeded == 3)
    }

    @Test func aJobPastItsTimeoutIsRetriedAndItsLateResultDropped() async throws {
        let queue = try queue()
        let id = try #require(try await queue.enqueue(uploads(1, maxAttempts: 2)).first?.id)
        let lateCommits = Atomic<Int>(0)
        let gate = Gate()
        let summary = await worker(queue, settings { $0.jobTimeout = .milliseconds(200); $0.untilEmpty = true }) { _, mayCommit in
            gate.enter()
            if mayCommit() { lateCommits.add(1, ordering: .relaxed) }
            return JobResult(outcome: .succeeded, summary: "")
        }.run(stop: StopSignal())
        gate.open()
        let job = try #require(try await queue.job(id))
        #expect(job.state == .dead && job.attempts == 2 && job.lastError?.reason == .timeout)
        #expect(summary.retried == 1 && summary.dead == 1 && summary.succeeded == 0)
        try await Task.sleep(for: .milliseconds(100))
        #expect(lateCommits.load(ordering: .relaxed) == 0, "an attempt given up on still committed")
    }

    /// The timeout stops the work rather than abandoning it: the attempt's
    /// thread sees its `Cancellation` set, returns, and only then is the job
    /// completed, so no thread is left running.
    @Test func aTimedOutJobIsStoppedThroughItsCancellationAndItsThreadEnds() async throws {
        let queue = try queue()
        let id = try #require(try await queue.enqueue(uploads(1, maxAttempts: 1)).first?.id)
        let stoppedByCancellation = Atomic<Bool>(false)
        let returned = Atomic<Bool>(false)
        let started = ContinuousClock.now
        let summary = await worker(queue, settings { $0.jobTimeout = .milliseconds(200); $0.untilEmpty = true }) { _, _ in
            defer { returned.store(true, ordering: .releasing) }
            // Work that checks its flag as libvips does at each tile; uncancelled it runs 30 s.
            let giveUp = ContinuousClock.now + .seconds(30)
            while ContinuousClock.now < giveUp {
                if Cancellation.isCurrentCancelled {
                    stoppedByCancellation.store(true, ordering: .relaxed)
                    break
                }
                Thread.sleep(forTimeInterval: 0.005)
            }
            return JobResult(outcome: .succeeded, summary: "")
        }.run(stop: StopSignal())
        let threadReturned = returned.load(ordering: .acquiring)
        let sawCancellation = stoppedByCancellation.load(ordering: .relaxed)
        #expect(threadReturned, "the job was completed while its thread still ran")
        #expect(sawCancellation)
        #expect(started.duration(to: .now) < .seconds(20), "the stop took \(started.duration(to: .now))")
        #expect(summary == WorkerSummary(dead: 1))
        let job = try #require(try await queue.job(id))
        #expect(job.state == .dead && job.lastError?.reason == .timeout)
    }

    /// SIGTERM's path: running jobs finish within the grace, queued ones stay queued.
    @Test func stoppingLetsRunningJobsFinishAndLeavesTheRestQueued() async throws {
        let queue = try queue()
        let jobs = try await queue.enqueue(uploads(5))
        let gate = Gate()
        let stop = StopSignal()
        let run = Task {
            await worker(queue, settings { $0.concurrency = 2; $0.grace = .seconds(20) }) { _, _ in
                gate.enter()
                return JobResult(outcome: .succeeded, summary: "")
            }.run(stop: stop)
        }
        try await gate.waitForStarted(2)
        stop.requestStop()
        try await Task.sleep(for: .milliseconds(200))
        gate.open()
        let summary = await run.value
        #expect(summary == WorkerSummary(succeeded: 2))
        let states = try await jobs.asyncMap { try await queue.job($0.id)?.state }
        #expect(states == [.succeeded, .succeeded, .queued, .queued, .queued])
        #expect(gate.startedCount == 2)
    }

    @Test func jobsStillRunningAfterTheGraceAreHandedBack() async throws {
        let queue = try queue()
        let id = try #require(try await queue.enqueue(uploads(1, maxAttempts: 1)).first?.id)
        let gate = Gate()
        defer { gate.open() }
        let stop = StopSignal()
        let run = Task {
            await worker(queue, settings { $0.grace = .milliseconds(200) }) { _, _ in
                gate.enter()
                return JobResult(outcome: .succeeded, summary: "")
            }.run(stop: stop)
        }
        try await gate.waitForStarted(1)
        stop.requestStop()
        let summary = await run.value
        #expect(summary == WorkerSummary(released: 1))
        let job = try #require(try await queue.job(id))
        #expect(job.state == .queued && job.attempts == 0 && job.leaseOwner == nil, "handed back without spending its one attempt")
    }

    @Test func aWorkerThatLostItsLeaseDropsTheJob() async throws {
        let now = Mutex(Date())
        let clock = QueueClock { now.withLock { $0 } }
        let queue = try queue(clock: clock)
        let id = try #require(try await queue.enqueue(uploads(1)).first?.id)
        let gate = Gate()
        defer { gate.open() }
        let stop = StopSignal()
        let run = Task {
            await worker(queue, settings { $0.lease = .milliseconds(300) }) { _, _ in
                gate.enter()
                return JobResult(outcome: .succeeded, summary: "")
            }.run(stop: stop)
        }
        try await gate.waitForStarted(1)
        // The lease lapses (as if the worker had hung), and another worker takes the job.
        // (A heartbeat between the clock's move and the claim renews the lease; move it again then.)
        var other: Job?
        for _ in 0..<5 where other == nil {
            now.withLock { $0 = $0.addingTimeInterval(60) }
            other = try await queue.claim(worker: "other", lease: .seconds(3600))
        }
        #expect(other?.id == id)
        try await Task.sleep(for: .milliseconds(400))
        stop.requestStop()
        gate.open()
        let summary = await run.value
        #expect(summary.lost == 1 && summary.succeeded == 0)
        let job = try #require(try await queue.job(id))
        #expect(job.state == .running && job.leaseOwner == "other", "the new holder was overwritten")
    }
}

extension Array {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var result: [T] = []
        for element in self { result.append(try await transform(element)) }
        return result
    }
}
