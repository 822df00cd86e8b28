import AssetQueue
import Foundation

/// The pieces of scripts/bench-queue, one process each, so the workers
/// contend for the SQLite file as `assetpipe work` processes would:
///
///     queue-bench enqueue DATA N   enqueue N no-op jobs (in batches of 1,000)
///     queue-bench work DATA NAME   claim and complete as succeeded until nothing is left;
///                                  prints "CLAIMED FIRST_CLAIM LAST_COMPLETION" (Unix seconds)
///     queue-bench check DATA N     exit 1 unless exactly N jobs succeeded, each in one attempt
@main
struct QueueBench {
    static func main() async {
        let arguments = Array(CommandLine.arguments.dropFirst())
        guard arguments.count == 3 else { usage() }
        do {
            let queue = try SQLiteJobQueue(dataDirectory: arguments[1])
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
        } catch {
            FileHandle.standardError.write(Data("queue-bench: \(error)\n".utf8))
            exit(1)
        }
    }

    static func enqueue(_ count: Int, into queue: SQLiteJobQueue) async throws {
        let start = Date()
        var remaining = count
        while remaining > 0 {
            let batch = min(remaining, 1_000)
            _ = try await queue.enqueue((0..<batch).map { _ in .refresh(assetID: UUID().uuidString.lowercased()) })
            remaining -= batch
        }
        print(count, Date().timeIntervalSince(start))
    }

    static func work(_ queue: SQLiteJobQueue, name: String) async throws {
        let worker = "\(ProcessInfo.processInfo.hostName):\(getpid()):\(name)"
        var claimed = 0
        var first: Date?
        var last = Date()
        while true {
            let start = Date()
            guard let job = try await queue.claim(worker: worker, lease: .seconds(60)) else { break }
            first = first ?? start
            guard try await queue.complete(job.id, worker: worker, outcome: .succeeded) != nil else {
                throw BenchFailure("\(worker) lost its lease on \(job.id)")
            }
            claimed += 1
            last = Date()
        }
        print(claimed, (first ?? last).timeIntervalSince1970, last.timeIntervalSince1970)
    }

    static func check(_ queue: SQLiteJobQueue, expecting count: Int) async throws {
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
