import AssetMedia
import AssetPipeline
import AssetQueue
import Foundation
import Logging
import Synchronization

/// How a worker runs.
public struct WorkerSettings: Sendable {
    /// Jobs run at once, each on its own thread.
    public var concurrency = 1
    /// How long a claim holds a job without a heartbeat. A killed worker's
    /// jobs run again elsewhere this long after its last heartbeat.
    public var lease: Duration = .seconds(30)
    /// How long one attempt may run before it is given up as `timeout` (and
    /// retried, like any transient error, until its attempts run out).
    public var jobTimeout: Duration = .seconds(600)
    /// After a stop request: how long running jobs may take to finish
    /// before they are handed back to the queue.
    public var grace: Duration = .seconds(30)
    /// How often an idle worker looks for work. A queue that notifies of new
    /// jobs (PostgreSQL) wakes it sooner; this then only catches jobs that
    /// become due with time (backoffs, expired leases).
    public var pollInterval: Duration = .milliseconds(250)
    /// Stop when no job is queued or running (in any worker).
    public var untilEmpty = false
    /// This worker's name in leases and logs: `host:pid`. Slots add `/N`.
    public var name: String

    public init(name: String = "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier)") {
        self.name = name
    }

    /// A heartbeat every third of the lease: two can be missed before it lapses.
    var heartbeatInterval: Duration { lease / 3 }
}

/// What a worker did, for its closing line.
public struct WorkerSummary: Sendable, Equatable {
    public var succeeded = 0
    public var failed = 0
    public var retried = 0
    public var dead = 0
    /// Handed back unfinished at shutdown.
    public var released = 0
    /// Taken over by another worker after this one's lease lapsed.
    public var lost = 0

    public init(succeeded: Int = 0, failed: Int = 0, retried: Int = 0, dead: Int = 0, released: Int = 0, lost: Int = 0) {
        self.succeeded = succeeded
        self.failed = failed
        self.retried = retried
        self.dead = dead
        self.released = released
        self.lost = lost
    }
}

/// Claims jobs from a queue and runs them: `concurrency` slots, each a loop
/// of claim, run (on its own thread, under a heartbeat and the job timeout),
/// complete. Stops when `stop` is requested (after the grace period, jobs
/// still running are handed back) or, with `untilEmpty`, when the queue has
/// nothing left.
public final class Worker: Sendable {
    /// Carries out one attempt, blocking; asks the closure it is given
    /// before changing anything, which is false once the attempt is given up.
    public typealias Perform = @Sendable (Job, _ mayCommit: @Sendable () -> Bool) -> JobResult
    /// Runs after a job that made a new version of an asset has been
    /// recorded as succeeded (a backup copy, say), in the job's slot.
    public typealias AfterNewVersion = @Sendable (Job, JobAsset) async -> Void

    let queue: any JobQueue
    let settings: WorkerSettings
    let logger: Logger
    let metrics: WorkerMetrics
    let perform: Perform
    let afterNewVersion: AfterNewVersion?
    private let summary = Mutex(WorkerSummary())
    private let running = Mutex<[String: JobAttempt]>([:])
    private let emptied = Atomic<Bool>(false)

    public init(queue: any JobQueue, settings: WorkerSettings, logger: Logger, metrics: WorkerMetrics = WorkerMetrics(),
                afterNewVersion: AfterNewVersion? = nil, perform: @escaping Perform) {
        self.queue = queue
        self.settings = settings
        self.logger = logger
        self.metrics = metrics
        self.afterNewVersion = afterNewVersion
        self.perform = perform
    }

    /// Runs until stopped (or empty, with `untilEmpty`), and returns what was done.
    public func run(stop: StopSignal) async -> WorkerSummary {
        logger.info("worker started", metadata: [
            "worker": "\(settings.name)", "concurrency": "\(settings.concurrency)",
            "lease_s": "\(settings.lease.seconds)", "job_timeout_s": "\(settings.jobTimeout.seconds)",
        ])
        await withTaskCancellationHandler {
            await withDiscardingTaskGroup { group in
                // The queue depth and the grace run beside the slots, and end with them.
                group.addTask { await self.reportQueueDepth() }
                group.addTask { await self.enforceGrace(stop: stop) }
                await withDiscardingTaskGroup { slots in
                    for slot in 1...max(1, settings.concurrency) {
                        slots.addTask { await self.slotLoop(name: "\(self.settings.name)/\(slot)", stop: stop) }
                    }
                }
                group.cancelAll()
            }
        } onCancel: {
            // Cancelled (the process is going down hard): no grace; running jobs are handed back.
            stop.hurry()
        }
        let result = summary.withLock { $0 }
        logger.info("worker stopped", metadata: [
            "succeeded": "\(result.succeeded)", "failed": "\(result.failed)", "retried": "\(result.retried)",
            "dead": "\(result.dead)", "released": "\(result.released)", "lost": "\(result.lost)",
        ])
        return result
    }

    private func slotLoop(name: String, stop: StopSignal) async {
        while !stop.isStopping && !emptied.load(ordering: .relaxed) {
            let job: Job?
            do {
                job = try await queue.claim(worker: name, lease: settings.lease)
            } catch {
                logger.error("cannot claim a job; trying again", metadata: ["worker": "\(name)", "error": "\(error)"])
                await pause(max(settings.pollInterval, .seconds(1)), unless: stop)
                continue
            }
            guard let job else {
                if settings.untilEmpty, await queueIsEmpty() {
                    emptied.store(true, ordering: .relaxed)
                    break
                }
                await pause(settings.pollInterval, unless: stop)
                continue
            }
            await runAttempt(job, worker: name, stop: stop)
        }
    }

    /// Runs one claimed job to one of its ends and completes it accordingly.
    private func runAttempt(_ job: Job, worker: String, stop: StopSignal) async {
        var log = logger
        log[metadataKey: "job"] = "\(job.id)"
        log[metadataKey: "kind"] = "\(job.kind.rawValue)"
        log[metadataKey: "attempt"] = "\(job.attempts)/\(job.maxAttempts)"
        if let assetID = job.payload.assetID { log[metadataKey: "asset"] = "\(assetID)" }
        log.debug("claimed", metadata: ["worker": "\(worker)"])
        metrics.claimed(job.kind)
        let started = ContinuousClock.now

        let attempt = JobAttempt()
        running.withLock { $0[job.id] = attempt }
        defer { _ = running.withLock { $0.removeValue(forKey: job.id) } }
        if stop.isHurried { attempt.end(.graceExpired) }
        let perform = self.perform
        // Stops the attempt's libvips and FFmpeg work when it is given up,
        // so its thread ends within moments instead of running on.
        let cancellation = Cancellation()
        let threadDone = JobAttempt.Finish()
        let thread = Thread {
            let result = cancellation.run { perform(job) { attempt.isOpen } }
            attempt.end(.finished(result))
            threadDone.signal()
        }
        // Decoders recurse deeply on some files; the default 512 KiB is not enough.
        thread.stackSize = 8 << 20
        thread.start()
        // The heartbeat and the job timeout are child tasks of the attempt, ended with it.
        let heartbeatLog = log
        let end = await withDiscardingTaskGroup(returning: JobAttempt.End.self) { group in
            group.addTask { await self.keepLease(job, worker: worker, attempt: attempt, log: heartbeatLog) }
            group.addTask {
                try? await Task.sleep(for: self.settings.jobTimeout)
                if !Task.isCancelled { attempt.end(.timedOut) }
            }
            let end = await withTaskCancellationHandler {
                await attempt.wait()
            } onCancel: {
                attempt.end(.graceExpired)
            }
            group.cancelAll()
            return end
        }
        if case .finished = end {} else {
            cancellation.cancel()
            let cancelled = ContinuousClock.now
            // Bounded: C code outside libvips and FFmpeg cannot be stopped; such a thread is left, and logged.
            if await threadDone.wait(upTo: .seconds(5)) {
                let stopSeconds = String(format: "%.3f", cancelled.duration(to: .now).seconds)
                log[metadataKey: "stopped_in_s"] = "\(stopSeconds)"
                log.debug("the attempt's thread stopped", metadata: ["stopped_in_s": "\(stopSeconds)"])
            } else {
                log.warning("the attempt's thread did not stop within 5 s of being cancelled; it is left to finish")
            }
        }

        let outcome: JobOutcome?
        var made: JobAsset?
        switch end {
        case .finished(let result):
            if let assetID = result.assetID { log[metadataKey: "asset"] = "\(assetID)" }
            log[metadataKey: "result"] = "\(result.summary)"
            outcome = result.outcome
            made = result.asset
        case .timedOut:
            // The work was stopped (above); its result, if any, is dropped.
            outcome = .retry(AssetError(.timeout, "the job ran longer than the worker's job timeout of \(String(format: "%g", settings.jobTimeout.seconds)) s"))
        case .graceExpired:
            outcome = .released
        case .leaseLost:
            outcome = nil
        }
        let seconds = Double(started.duration(to: .now).components.seconds) + Double(started.duration(to: .now).components.attoseconds) / 1e18
        log[metadataKey: "seconds"] = "\(String(format: "%.3f", seconds))"
        guard let outcome else {
            log.warning("lease lost: another worker has taken the job over; its result here is dropped")
            count(job.kind, .lost, seconds)
            return
        }
        let completed: Job?
        do {
            completed = try await queue.complete(job.id, worker: worker, outcome: outcome, made: made)
        } catch {
            // The lease will lapse and another attempt will find the effect already made.
            log.error("cannot record the job's outcome; it will run again once its lease expires", metadata: ["error": "\(error)"])
            return
        }
        guard let completed else {
            log.warning("lease lost before completion: another worker has taken the job over")
            count(job.kind, .lost, seconds)
            return
        }
        let reason = completed.lastError?.reason.rawValue ?? ""
        if let error = completed.lastError, completed.state != .succeeded { log[metadataKey: "error"] = "\(error.message)" }
        switch completed.state {
        case .succeeded:
            log.info("succeeded")
            count(job.kind, .succeeded, seconds)
            if let afterNewVersion, let made, job.kind != .delete, made.change != JobAsset.unchanged {
                await afterNewVersion(job, made)
            }
        case .failed:
            // A permanent result is worth a look (a corrupt upload, a refusal); a retry is routine.
            log.warning("failed", metadata: ["reason": "\(reason)"])
            count(job.kind, .failed(reason), seconds)
        case .dead:
            log.error("dead: no attempts left", metadata: ["reason": "\(reason)"])
            count(job.kind, .dead(reason), seconds)
        case .queued where outcome == .released:
            log.info("handed back unfinished at shutdown")
            count(job.kind, .released, seconds)
        case .queued:
            log.info("will retry", metadata: ["reason": "\(reason)", "run_after": "\(Timestamp.format(completed.runAfter))"])
            count(job.kind, .retried(reason), seconds)
        case .running, .cancelled:
            break
        }
    }

    private func count(_ kind: Job.Kind, _ end: WorkerMetrics.AttemptEnd, _ seconds: Double) {
        metrics.finished(kind, as: end, seconds: seconds)
        summary.withLock { summary in
            switch end {
            case .succeeded: summary.succeeded += 1
            case .failed: summary.failed += 1
            case .retried: summary.retried += 1
            case .dead: summary.dead += 1
            case .released: summary.released += 1
            case .lost: summary.lost += 1
            }
        }
    }

    /// Renews the lease until the attempt ends; ends it as `leaseLost` when
    /// the queue says another worker holds the job now.
    private func keepLease(_ job: Job, worker: String, attempt: JobAttempt, log: Logger) async {
        while !Task.isCancelled {
            try? await Task.sleep(for: settings.heartbeatInterval)
            guard !Task.isCancelled, attempt.isOpen else { return }
            do {
                if try await !queue.heartbeat(job.id, worker: worker, lease: settings.lease) {
                    attempt.end(.leaseLost)
                    return
                }
            } catch {
                log.warning("heartbeat failed; the lease lapses unless the next one succeeds", metadata: ["error": "\(error)"])
            }
        }
    }

    /// After a stop request, waits out the grace period (or a second
    /// request), then hands back whatever is still running.
    private func enforceGrace(stop: StopSignal) async {
        while !stop.isStopping {
            try? await Task.sleep(for: .milliseconds(50))
            if Task.isCancelled { return }
        }
        let active = running.withLock { $0.count }
        if active > 0 {
            logger.info("stopping: no new jobs; waiting for running ones", metadata: [
                "running": "\(active)", "grace_s": "\(settings.grace.seconds)",
            ])
        }
        let deadline = ContinuousClock.now + settings.grace
        while ContinuousClock.now < deadline && !stop.isHurried {
            try? await Task.sleep(for: .milliseconds(50))
            if Task.isCancelled { return }
        }
        for attempt in running.withLock({ Array($0.values) }) {
            attempt.end(.graceExpired)
        }
    }

    private func reportQueueDepth() async {
        while !Task.isCancelled {
            if let counts = try? await queue.counts() { metrics.queueDepth(counts) }
            try? await Task.sleep(for: .seconds(5))
        }
    }

    /// Nothing queued (now or after a backoff) and nothing running anywhere.
    private func queueIsEmpty() async -> Bool {
        guard let counts = try? await queue.counts() else { return false }
        return counts[.queued, default: 0] == 0 && counts[.running, default: 0] == 0
    }

    /// Waits up to `duration` for work (woken early by the queue's
    /// notification of new jobs, where it has one), or until a stop request.
    private func pause(_ duration: Duration, unless stop: StopSignal) async {
        let deadline = ContinuousClock.now + duration
        while ContinuousClock.now < deadline && !stop.isStopping {
            if await queue.waitForWork(upTo: min(.milliseconds(100), deadline - .now)) { return }
        }
    }
}

/// One attempt at a job, which ends once, in the first of four ways.
final class JobAttempt: Sendable {
    /// Set once by the attempt's thread as it returns; awaited, with a limit, after a cancellation.
    final class Finish: Sendable {
        private let done = Atomic<Bool>(false)

        func signal() {
            done.store(true, ordering: .releasing)
        }

        /// True when the thread finished within `limit`. Polled: a thread ends
        /// within milliseconds of a cancellation, and only given-up attempts wait.
        func wait(upTo limit: Duration) async -> Bool {
            let deadline = ContinuousClock.now + limit
            while ContinuousClock.now < deadline {
                if done.load(ordering: .acquiring) { return true }
                try? await Task.sleep(for: .milliseconds(10))
            }
            return done.load(ordering: .acquiring)
        }
    }

    enum End: Sendable {
        case finished(JobResult)
        case timedOut
        case leaseLost
        case graceExpired
    }

    private struct State {
        var end: End?
        var waiter: CheckedContinuation<End, Never>?
    }

    private let state = Mutex(State())

    /// False once the attempt has ended: its work is no longer wanted.
    var isOpen: Bool { state.withLock { $0.end == nil } }

    /// Ends the attempt, unless it already ended another way.
    func end(_ end: End) {
        let waiter = state.withLock { state -> CheckedContinuation<End, Never>? in
            guard state.end == nil else { return nil }
            state.end = end
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: end)
    }

    func wait() async -> End {
        await withCheckedContinuation { continuation in
            let ended = state.withLock { state -> End? in
                if let end = state.end { return end }
                state.waiter = continuation
                return nil
            }
            if let ended { continuation.resume(returning: ended) }
        }
    }
}

extension Duration {
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
