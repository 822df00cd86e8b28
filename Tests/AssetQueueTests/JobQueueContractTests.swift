import AssetPipeline
import AssetQueue
import Foundation
import Testing

/// The `JobQueue` contract, run against every driver in `QueueDriver.all`.
/// Time is a `ManualClock`: leases expire and backoffs end when a test says.
@Suite struct JobQueueContractTests {
    static let lease = Duration.seconds(30)

    /// An empty queue on a fresh store, and the clock it reads.
    private func freshQueue(_ driver: QueueDriver, backoff: Backoff = .standard) async throws -> (any JobQueue, ManualClock) {
        let clock = ManualClock()
        return (try await driver.makeStore(clock.queueClock, backoff).connect(), clock)
    }

    private func files(_ count: Int, priority: Int = 0, maxAttempts: Int = JobRequest.defaultMaxAttempts) -> [JobRequest] {
        (0..<count).map { _ in .process(origin: "/uploads/\(UUID().uuidString).jpg", priority: priority, maxAttempts: maxAttempts) }
    }

    /// Claims until the queue has nothing runnable, completing each claim as succeeded.
    private func drain(_ queue: any JobQueue, worker: String = "w") async throws -> [Job] {
        var claimed: [Job] = []
        while let job = try await queue.claim(worker: worker, lease: Self.lease) {
            claimed.append(job)
            _ = try await queue.complete(job.id, worker: worker, outcome: .succeeded)
        }
        return claimed
    }

    /// `operation` throws a `QueueError` with `code`.
    private func expectRefusal(_ code: QueueError.Code, sourceLocation: SourceLocation = #_sourceLocation,
                               _ operation: () async throws -> Job) async {
        do {
            let job = try await operation()
            Issue.record("expected \(code), but the job is now \(job.state)", sourceLocation: sourceLocation)
        } catch let error as QueueError {
            #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
        } catch {
            Issue.record("expected a QueueError \(code), got \(error)", sourceLocation: sourceLocation)
        }
    }

    @Test(arguments: QueueDriver.all)
    func enqueueStoresWhatWasAsked(_ driver: QueueDriver) async throws {
        let (queue, clock) = try await freshQueue(driver)
        let requests: [JobRequest] = [
            .process(origin: "/uploads/a b.jpg", as: "/catalog/a.jpg", onConflict: .version, priority: 7, maxAttempts: 2),
            .refresh(assetID: "asset-1"),
            .delete(assetID: "asset-2", priority: -3),
        ]
        let jobs = try await queue.enqueue(requests)
        #expect(jobs.map(\.kind) == [.process, .refresh, .delete])
        #expect(jobs.map(\.payload) == requests.map(\.payload))
        #expect(jobs.map(\.priority) == [7, 0, -3])
        #expect(jobs.map(\.maxAttempts) == [2, JobRequest.defaultMaxAttempts, JobRequest.defaultMaxAttempts])
        #expect(Set(jobs.map(\.id)).count == 3)
        for job in jobs {
            #expect(job.state == .queued && job.attempts == 0 && job.lastError == nil && job.leaseOwner == nil)
            #expect(job.createdAt == clock.now && job.updatedAt == clock.now && job.runAfter == clock.now && job.finishedAt == nil)
            #expect(try await queue.job(job.id) == job)
        }
        #expect(try await queue.job(UUID().uuidString.lowercased()) == nil)
        #expect(try await queue.enqueue([]) == [])
        #expect(jobs.map(\.asset?.assetID) == [nil, "asset-1", "asset-2"], "a job on an existing asset names it from the start")
    }

    /// The asset an attempt made is stored with the outcome, read back with
    /// the job and printed in its JSON at the top level.
    @Test(arguments: QueueDriver.all)
    func completionStoresTheAssetTheJobMade(_ driver: QueueDriver) async throws {
        let (queue, _) = try await freshQueue(driver)
        let jobs = try await queue.enqueue(files(1))
        let claimed = try #require(try await queue.claim(worker: "w", lease: Self.lease))
        #expect(claimed.asset == nil)
        let made = JobAsset(assetID: "a-1", path: "/shop/cat_1.jpg", version: 1, change: "created")
        let done = try #require(try await queue.complete(claimed.id, worker: "w", outcome: .succeeded, made: made))
        #expect(done.asset == made)
        #expect(try await queue.job(jobs[0].id) == done)
        let json = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(done)) as? [String: Any])
        #expect(json["asset_id"] as? String == "a-1" && json["path"] as? String == "/shop/cat_1.jpg")
        #expect(json["version"] as? Int == 1 && json["change"] as? String == "created")
        #expect(try JSONDecoder().decode(Job.self, from: JSONEncoder().encode(done)) == done)
    }

    @Test(arguments: QueueDriver.all)
    func higherPriorityIsClaimedFirst(_ driver: QueueDriver) async throws {
        let (queue, _) = try await freshQueue(driver)
        let jobs = try await queue.enqueue([0, 5, -1, 10, 5].flatMap { files(1, priority: $0) })
        let claimed = try await drain(queue)
        #expect(claimed.map(\.id) == [3, 1, 4, 0, 2].map { jobs[$0].id })
    }

    /// Equal priorities go in the order of enqueueing, within one call and
    /// across calls made at the same instant (equal creation times).
    @Test(arguments: QueueDriver.all)
    func equalPrioritiesAreFirstInFirstOut(_ driver: QueueDriver) async throws {
        let (queue, _) = try await freshQueue(driver)
        var enqueued = try await queue.enqueue(files(10))
        for _ in 0..<10 {
            enqueued += try await queue.enqueue(files(1))
        }
        let claimed = try await drain(queue)
        #expect(claimed.map(\.id) == enqueued.map(\.id))
    }

    /// Eight claimers on four connections (as four worker processes would
    /// have) race over 500 jobs: each job is claimed exactly once.
    @Test(arguments: QueueDriver.all)
    func concurrentClaimersNeverShareAJob(_ driver: QueueDriver) async throws {
        let clock = ManualClock()
        let store = try await driver.makeStore(clock.queueClock, .standard)
        var connections: [any JobQueue] = []
        for _ in 0..<4 { connections.append(try await store.connect()) }
        let enqueued = try await connections[0].enqueue(files(500))
        let claims = try await withThrowingTaskGroup(of: [Job].self) { group in
            for claimer in 0..<8 {
                let queue = connections[claimer % connections.count]
                group.addTask {
                    var claimed: [Job] = []
                    while let job = try await queue.claim(worker: "worker-\(claimer)", lease: Self.lease) {
                        claimed.append(job)
                        let completed = try await queue.complete(job.id, worker: "worker-\(claimer)", outcome: .succeeded)
                        #expect(completed?.state == .succeeded, "worker-\(claimer) lost \(job.id)")
                    }
                    return claimed
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let ids = claims.flatMap { $0.map(\.id) }
        #expect(ids.count == 500)
        #expect(Set(ids) == Set(enqueued.map(\.id)))
        #expect(claims.flatMap { $0 }.allSatisfy { $0.attempts == 1 })
        #expect(try await connections[1].counts()[.succeeded] == 500)
    }

    /// A worker that stops renewing loses the job once its lease expires:
    /// another worker claims it, and the first one's heartbeat and late
    /// completion are refused without changing anything.
    @Test(arguments: QueueDriver.all)
    func expiredLeaseIsClaimedAgainAndTheOldHolderIsRefused(_ driver: QueueDriver) async throws {
        let (queue, clock) = try await freshQueue(driver)
        let enqueued = try #require(try await queue.enqueue(files(1)).first)
        let first = try #require(try await queue.claim(worker: "a", lease: .seconds(30)))
        #expect(first.id == enqueued.id && first.state == .running && first.attempts == 1)
        #expect(first.leaseOwner == "a" && first.leaseExpiresAt == clock.now.addingTimeInterval(30))

        clock.advance(.seconds(29))
        #expect(try await queue.claim(worker: "b", lease: .seconds(30)) == nil, "claimed before the lease expired")
        clock.advance(.seconds(2))
        let second = try #require(try await queue.claim(worker: "b", lease: .seconds(30)))
        #expect(second.id == enqueued.id && second.attempts == 2 && second.leaseOwner == "b")
        #expect(second.lastError?.reason == .leaseExpired)

        #expect(try await queue.heartbeat(enqueued.id, worker: "a", lease: .seconds(30)) == false)
        #expect(try await queue.complete(enqueued.id, worker: "a", outcome: .failed(AssetError(.corrupt, "late"))) == nil)
        #expect(try await queue.job(enqueued.id) == second)
        #expect(try await queue.heartbeat(enqueued.id, worker: "b", lease: .seconds(30)) == true)
        let done = try #require(try await queue.complete(enqueued.id, worker: "b", outcome: .succeeded))
        #expect(done.state == .succeeded && done.leaseOwner == nil && done.finishedAt == clock.now)
        #expect(try await queue.complete(enqueued.id, worker: "a", outcome: .released) == nil)
        #expect(try await queue.complete(enqueued.id, worker: "b", outcome: .succeeded) == nil, "completed twice")
        #expect(try await queue.job(enqueued.id) == done)
    }

    @Test(arguments: QueueDriver.all)
    func heartbeatsKeepTheLease(_ driver: QueueDriver) async throws {
        let (queue, clock) = try await freshQueue(driver)
        let id = try #require(try await queue.enqueue(files(1)).first?.id)
        _ = try #require(try await queue.claim(worker: "a", lease: .seconds(30)))
        #expect(try await queue.heartbeat(id, worker: "b", lease: .seconds(30)) == false, "a non-holder renewed the lease")
        clock.advance(.seconds(20))
        #expect(try await queue.heartbeat(id, worker: "a", lease: .seconds(30)) == true)
        #expect(try await queue.job(id)?.leaseExpiresAt == clock.now.addingTimeInterval(30))
        clock.advance(.seconds(20))
        #expect(try await queue.claim(worker: "b", lease: .seconds(30)) == nil, "claimed under a renewed lease")
        clock.advance(.seconds(11))
        #expect(try await queue.claim(worker: "b", lease: .seconds(30))?.id == id)
    }

    /// Sixty jobs fail transiently four times each. Every delay lies within
    /// [0, min(cap, base × 2^(n−1))], the delays spread over that range
    /// (jitter), they grow with the attempt, and no job is claimed before its
    /// delay is over.
    @Test(arguments: QueueDriver.all)
    func backoffGrowsAndIsJitteredWithinBounds(_ driver: QueueDriver) async throws {
        let backoff = Backoff(base: .seconds(1), cap: .seconds(4))
        let (queue, clock) = try await freshQueue(driver, backoff: backoff)
        let enqueued = try await queue.enqueue(files(60, maxAttempts: 10))
        var delays: [Int: [Double]] = [:]
        // When each job is due, by what the queue said when it was (re)queued.
        var waiting = Dictionary(uniqueKeysWithValues: enqueued.map { ($0.id, $0.runAfter) })
        var succeeded = 0
        while let next = waiting.values.min() {
            clock.set(next)
            while let job = try await queue.claim(worker: "w", lease: Self.lease) {
                let due = try #require(waiting[job.id], "claimed \(job.id), which is not waiting")
                #expect(due <= clock.now, "claimed \(due.timeIntervalSince(clock.now)) s before its backoff ended")
                if job.attempts < 5 {
                    let error = AssetError(.timeout, "attempt \(job.attempts)")
                    let retried = try #require(try await queue.complete(job.id, worker: "w", outcome: .retry(error)))
                    #expect(retried.state == .queued && retried.lastError == error && retried.leaseOwner == nil)
                    delays[job.attempts, default: []].append(retried.runAfter.timeIntervalSince(clock.now))
                    waiting[job.id] = retried.runAfter
                } else {
                    _ = try await queue.complete(job.id, worker: "w", outcome: .succeeded)
                    waiting[job.id] = nil
                    succeeded += 1
                }
            }
            guard waiting.values.allSatisfy({ $0 > clock.now }) else {
                Issue.record("a job due at \(clock.now) was not claimed")
                break
            }
        }
        #expect(succeeded == 60)
        for attempt in 1...4 {
            let samples = delays[attempt] ?? []
            let ceiling = Double(min(4, 1 << (attempt - 1)))
            #expect(samples.count == 60)
            #expect(samples.allSatisfy { $0 >= 0 && $0 <= ceiling }, "attempt \(attempt) outside [0, \(ceiling)] s: \(samples)")
            #expect(Set(samples).count > 30, "attempt \(attempt) delays barely vary: \(samples)")
            #expect((samples.max() ?? 0) > ceiling / 2 && (samples.min() ?? ceiling) < ceiling / 2,
                    "attempt \(attempt) delays do not span [0, \(ceiling)] s")
        }
        let means = (1...3).map { attempt in (delays[attempt] ?? []).reduce(0, +) / 60 }
        #expect(means[0] < means[1] && means[1] < means[2], "mean delays do not grow: \(means)")
    }

    @Test(arguments: QueueDriver.all)
    func transientFailuresEndDeadWithTheLastError(_ driver: QueueDriver) async throws {
        let (queue, clock) = try await freshQueue(driver)
        let id = try #require(try await queue.enqueue(files(1, maxAttempts: 3)).first?.id)
        var last: Job?
        for attempt in 1...3 {
            clock.advance(.seconds(600))
            let job = try #require(try await queue.claim(worker: "w", lease: Self.lease), "attempt \(attempt) not claimable")
            #expect(job.attempts == attempt)
            last = try await queue.complete(id, worker: "w", outcome: .retry(AssetError(.inaccessible, "try \(attempt)")))
        }
        let dead = try #require(last)
        #expect(dead.state == .dead && dead.attempts == 3 && dead.finishedAt == clock.now && dead.leaseOwner == nil)
        #expect(dead.lastError == AssetError(.inaccessible, "try 3"))
        clock.advance(.seconds(3600))
        #expect(try await queue.claim(worker: "w", lease: Self.lease) == nil)
        #expect(try await queue.job(id) == dead)
    }

    /// A job whose workers keep dying is not run forever: when the lease of
    /// its last attempt expires it becomes dead, with reason crashed.
    @Test(arguments: QueueDriver.all)
    func jobThatOutlivesItsLastLeaseIsDead(_ driver: QueueDriver) async throws {
        let (queue, clock) = try await freshQueue(driver)
        let id = try #require(try await queue.enqueue(files(1, maxAttempts: 2)).first?.id)
        _ = try #require(try await queue.claim(worker: "a", lease: Self.lease))
        clock.advance(.seconds(31))
        #expect(try await queue.claim(worker: "b", lease: Self.lease)?.attempts == 2)
        clock.advance(.seconds(31))
        #expect(try await queue.claim(worker: "c", lease: Self.lease) == nil)
        let dead = try #require(try await queue.job(id))
        #expect(dead.state == .dead && dead.lastError?.reason == .crashed && dead.leaseOwner == nil)
        #expect(try await queue.complete(id, worker: "b", outcome: .succeeded) == nil)
    }

    @Test(arguments: QueueDriver.all)
    func permanentFailureIsNotRetried(_ driver: QueueDriver) async throws {
        let (queue, clock) = try await freshQueue(driver)
        let id = try #require(try await queue.enqueue(files(1)).first?.id)
        _ = try #require(try await queue.claim(worker: "w", lease: Self.lease))
        let error = AssetError(.corrupt, "truncated JPEG")
        let failed = try #require(try await queue.complete(id, worker: "w", outcome: .failed(error)))
        #expect(failed.state == .failed && failed.attempts == 1 && failed.lastError == error && failed.finishedAt == clock.now)
        clock.advance(.seconds(3600))
        #expect(try await queue.claim(worker: "w", lease: Self.lease) == nil)
    }

    /// A job handed back at shutdown is claimable at once and its attempt is
    /// not spent: a one-attempt job survives being handed back repeatedly.
    @Test(arguments: QueueDriver.all)
    func releasedJobIsQueuedAgainWithoutSpendingAnAttempt(_ driver: QueueDriver) async throws {
        let (queue, clock) = try await freshQueue(driver)
        let id = try #require(try await queue.enqueue(files(1, maxAttempts: 1)).first?.id)
        for _ in 0..<3 {
            let job = try #require(try await queue.claim(worker: "w", lease: Self.lease))
            #expect(job.attempts == 1)
            let released = try #require(try await queue.complete(id, worker: "w", outcome: .released))
            #expect(released.state == .queued && released.attempts == 0 && released.leaseOwner == nil)
            #expect(released.leaseExpiresAt == nil && released.runAfter == clock.now && released.finishedAt == nil)
        }
        _ = try #require(try await queue.claim(worker: "w", lease: Self.lease))
        let dead = try await queue.complete(id, worker: "w", outcome: .retry(AssetError(.timeout, "slow")))
        #expect(dead?.state == .dead, "the one attempt was spent by a release")
    }

    @Test(arguments: QueueDriver.all)
    func cancelAndRetry(_ driver: QueueDriver) async throws {
        let (queue, clock) = try await freshQueue(driver)
        let jobs = try await queue.enqueue(files(4, maxAttempts: 1))
        let (waiting, running, failing, dying) = (jobs[0].id, jobs[1].id, jobs[2].id, jobs[3].id)

        let cancelled = try await queue.cancel(waiting)
        #expect(cancelled.state == .cancelled && cancelled.finishedAt == clock.now)
        for _ in 0..<3 { _ = try #require(try await queue.claim(worker: "w", lease: Self.lease)) }
        #expect(try await queue.claim(worker: "w", lease: Self.lease) == nil, "a cancelled job was claimed")
        await expectRefusal(.invalidState(.running)) { try await queue.cancel(running) }
        await expectRefusal(.invalidState(.running)) { try await queue.retry(running) }
        #expect(try await queue.job(running)?.state == .running)
        _ = try await queue.complete(running, worker: "w", outcome: .succeeded)
        _ = try await queue.complete(failing, worker: "w", outcome: .failed(AssetError(.corrupt, "bad")))
        _ = try await queue.complete(dying, worker: "w", outcome: .retry(AssetError(.timeout, "slow")))
        #expect(try await queue.job(dying)?.state == .dead)

        await expectRefusal(.invalidState(.succeeded)) { try await queue.retry(running) }
        await expectRefusal(.invalidState(.succeeded)) { try await queue.cancel(running) }
        await expectRefusal(.invalidState(.cancelled)) { try await queue.cancel(waiting) }
        await expectRefusal(.notFound) { try await queue.retry("no-such-job") }
        await expectRefusal(.notFound) { try await queue.cancel("no-such-job") }

        clock.advance(.seconds(5))
        for id in [waiting, failing, dying] {
            let retried = try await queue.retry(id)
            #expect(retried.state == .queued && retried.attempts == 0 && retried.finishedAt == nil && retried.runAfter == clock.now)
            // A retry by hand is a new run whose effects must happen again: a new effect key.
            #expect(retried.generation == 1 && retried.effectKey != id && retried.effectKey.hasPrefix(id))
        }
        await expectRefusal(.invalidState(.queued)) { try await queue.retry(waiting) }
        let again = try await drain(queue)
        #expect(Set(again.map(\.id)) == [waiting, failing, dying])
        #expect(again.allSatisfy { $0.attempts == 1 })
    }

    @Test(arguments: QueueDriver.all)
    func countsEveryState(_ driver: QueueDriver) async throws {
        let (queue, _) = try await freshQueue(driver)
        #expect(try await queue.counts() == [.queued: 0, .running: 0, .succeeded: 0, .failed: 0, .dead: 0, .cancelled: 0])
        let jobs = try await queue.enqueue(files(8, maxAttempts: 1))
        _ = try await queue.cancel(jobs[7].id)
        for outcome: JobOutcome in [.succeeded, .failed(AssetError(.corrupt, "x")), .retry(AssetError(.timeout, "y"))] {
            let job = try #require(try await queue.claim(worker: "w", lease: Self.lease))
            _ = try await queue.complete(job.id, worker: "w", outcome: outcome)
        }
        _ = try #require(try await queue.claim(worker: "w", lease: Self.lease))
        #expect(try await queue.counts() == [.queued: 3, .running: 1, .succeeded: 1, .failed: 1, .dead: 1, .cancelled: 1])
    }

    @Test(arguments: QueueDriver.all)
    func listsByStateMostRecentlyUpdatedFirst(_ driver: QueueDriver) async throws {
        let (queue, clock) = try await freshQueue(driver)
        let jobs = try await queue.enqueue(files(5))
        for job in jobs.prefix(3) {
            clock.advance(.seconds(1))
            _ = try await queue.cancel(job.id)
        }
        #expect(try await queue.list(state: .cancelled, limit: 10).map(\.id) == [jobs[2].id, jobs[1].id, jobs[0].id])
        #expect(try await queue.list(state: .cancelled, limit: 2).map(\.id) == [jobs[2].id, jobs[1].id])
        #expect(try await queue.list(state: .queued, limit: 10).map(\.id) == [jobs[4].id, jobs[3].id])
        #expect(try await queue.list(state: .dead, limit: 10).isEmpty)
        #expect(try await queue.list(state: nil, limit: 10).map(\.id) == [2, 1, 0, 4, 3].map { jobs[$0].id })
    }
}
