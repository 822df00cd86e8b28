import AssetQueue
import AssetWorker
import Foundation
import Logging
import Synchronization

/// The pieces of scripts/bench-queue, one process each, so the workers
/// contend for the SQLite file as `assetpipe work` processes would:
///
/// DATA is a data directory (SQLite) or a postgres:// URL.
///
///     queue-bench enqueue DATA N   enqueue N no-op jobs (in batches of 1,000)
///     queue-bench work DATA NAME   run the worker loop with no-op jobs until nothing is left;
///                                  prints "CLAIMED FIRST_CLAIM LAST_COMPLETION" (Unix seconds)
///     queue-bench check DATA N     exit 1 unless exactly N jobs succeeded, each in one attempt
@main
struct QueueBench {
    static func main() async {
        let arguments = Array(CommandLine.arguments.dropFirst())
        guard arguments.count == 3 else { usage() }
        do {
            // A postgres:// URL (a schema of the run's own), whose connections
            // run beside the command, or a data directory.
            if arguments[1].hasPrefix("postgres") {
                let queue = try await PostgresJobQueue.connect(url: arguments[1])
                try await queue.whileRunning { try await command(arguments, queue) }
            } else {
                try await command(arguments, try SQLiteJobQueue(dataDirectory: arguments[1]))
            }
        } catch {
            FileHandle.standardError.write(Data("queue-bench: \(error)\n".utf8))
            exit(1)
        }
    }

    static func command(_ arguments: [String], _ queue: any JobQueue) async throws {
        switch arguments[0] {
        case "enqueue":
            guard let count = Int(arguments[2]), count > 0 else { usage() }
            try await enqueue(count, into: queue)
        case "work":
            try await work(queue, name: arguments[2])
        case "check":
            guard let count = Int(arguments[2]) else { usage() }
            try await check(queue, expecting: count)
        default:
            usage()
        }
    }

    static func enqueue(_ count: Int, into queue: any JobQueue) async throws {
        let start = Date()
        var remaining = count
        while remaining > 0 {
            let batch = min(remaining, 1_000)
            _ = try await queue.enqueue((0..<batch).map { _ in .refresh(assetID: UUID().uuidString.lowercased()) })
            remaining -= batch
        }
        print(count, Date().timeIntervalSince(start))
    }

    /// Runs the real worker loop (claim, a thread per job, heartbeat and
    /// timeout tasks, complete) with a job that does nothing, so the figure
    /// is what `assetpipe work` spends per job besides the pipeline.
    static func work(_ queue: any JobQueue, name: String) async throws {
        var settings = WorkerSettings(name: "\(ProcessInfo.processInfo.hostName):\(getpid()):\(name)")
        settings.untilEmpty = true
        settings.lease = .seconds(60)
        var logger = Logger(label: "queue-bench")
        logger.logLevel = .error
        let first = Mutex<Date?>(nil)
        let summary = await Worker(queue: queue, settings: settings, logger: logger) { _, _ in
            first.withLock { $0 = $0 ?? Date() }
            return JobResult(outcome: .succeeded, summary: "no-op")
        }.run(stop: StopSignal())
        let last = Date()
        guard summary.lost == 0 else { throw BenchFailure("\(settings.name) lost \(summary.lost) leases") }
        print(summary.succeeded, (first.withLock { $0 } ?? last).timeIntervalSince1970, last.timeIntervalSince1970)
    }

    static func check(_ queue: any JobQueue, expecting count: Int) async throws {
        let counts = try await queue.counts()
        guard counts[.succeeded] == count, counts.values.reduce(0, +) == count else {
            throw BenchFailure("expected \(count) succeeded jobs, found \(counts)")
        }
        let repeated = try await queue.list(state: .succeeded, limit: count).filter { $0.attempts != 1 }
        guard repeated.isEmpty else {
            throw BenchFailure("\(repeated.count) jobs were claimed more than once, e.g. \(repeated[0].id)")
        }
    }

    static func usage() -> Never {
        FileHandle.standardError.write(Data("usage: queue-bench enqueue DATA N | work DATA NAME | check DATA N\n".utf8))
        exit(2)
    }
}

struct BenchFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
