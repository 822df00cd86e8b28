import AssetMedia
import Dispatch
import Foundation
import Synchronization

/// Where finished records go. The catalog implements it; the pipeline only
/// hands records over and never knows about SQL.
/// Throwing from either method means the catalog itself failed, which stops the batch.
public protocol AssetSink: Sendable {
    /// Marks the asset at `path` as `processing` and returns its id: the
    /// existing one when the path is already catalogued, else a new one.
    func begin(path: String, name: String) throws -> String

    /// Stores the renditions, then the record, in one transaction, and
    /// returns the record as stored (with its timestamps and rendition paths).
    /// The asset's renditions from earlier runs that are not in this set are removed.
    func commit(_ record: AssetRecord, renditions: [EncodedRendition]) throws -> AssetRecord
}

/// Counts of what a batch did, for the summary.
public struct BatchSummary: Sendable {
    public var processed = 0
    /// Files skipped before the batch, unchanged since they were catalogued.
    public var unchanged = 0
    public var errored: [AssetError.Reason: Int] = [:]
    public var seconds: Double = 0
    /// Files not started because the batch was told to stop.
    public var notStarted = 0
    public var interrupted: Bool { notStarted > 0 }
    public var total: Int { processed + errored.values.reduce(0, +) }
    public var assetsPerSecond: Double { seconds > 0 ? Double(total) / seconds : 0 }
}

/// Tells a running batch to take no new file; the files in flight finish
/// and are stored. Safe to set from a signal handler's queue.
public final class BatchStop: Sendable {
    private let requested = Atomic<Bool>(false)

    public init() {}

    public func request() { requested.store(true, ordering: .relaxed) }
    public var isRequested: Bool { requested.load(ordering: .relaxed) }
}

/// Runs a list of files through a runner on `concurrency` threads, handing
/// each record to the sink as it finishes. One bad file never stops the
/// batch; only a failing sink does, or `stop`, after the files in flight.
public struct Batch: Sendable {
    public let runner: Runner
    public let sink: any AssetSink
    public let concurrency: Int

    public init(runner: Runner, sink: any AssetSink, concurrency: Int) {
        self.runner = runner
        self.sink = sink
        self.concurrency = max(1, concurrency)
    }

    /// Blocks until every file is done. `onRecord` is called once per stored
    /// record, from the worker threads, one call at a time.
    public func run(_ files: [SourceFile], stop: BatchStop = BatchStop(),
                    onRecord: @escaping @Sendable (AssetRecord, BatchSummary) -> Void) throws -> BatchSummary {
        let shared = SharedProgress()
        let start = ContinuousClock.now
        let group = DispatchGroup()
        for _ in 0..<min(concurrency, max(1, files.count)) {
            group.enter()
            // Plain threads, not the cooperative pool: every stage blocks in C.
            let thread = Thread {
                defer { group.leave() }
                while !stop.isRequested, let index = shared.nextIndex(limit: files.count) {
                    let source = files[index]
                    do {
                        let id = try sink.begin(path: source.displayPath, name: source.name)
                        var result = runner.process(source)
                        result.record.id = id
                        let stored = try sink.commit(result.record, renditions: result.renditions)
                        shared.finish(stored, elapsed: start.duration(to: .now), onRecord: onRecord)
                    } catch {
                        shared.fail(error)
                        return
                    }
                }
            }
            thread.stackSize = 8 << 20
            thread.start()
        }
        group.wait()
        if let failure = shared.failure { throw failure }
        var summary = shared.summary
        summary.seconds = Self.seconds(start.duration(to: .now))
        summary.notStarted = files.count - shared.started
        return summary
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}

/// The batch's shared state, behind one lock.
private final class SharedProgress: Sendable {
    private struct State {
        var next = 0
        var summary = BatchSummary()
        var failure: (any Error)?
    }

    private let state = Mutex(State())

    var started: Int { state.withLock { $0.next } }

    func nextIndex(limit: Int) -> Int? {
        state.withLock { state in
            guard state.failure == nil, state.next < limit else { return nil }
            defer { state.next += 1 }
            return state.next
        }
    }

    func finish(_ record: AssetRecord, elapsed: Duration, onRecord: (AssetRecord, BatchSummary) -> Void) {
        state.withLock { state in
            if record.status == .errored, let reason = record.error?.reason {
                state.summary.errored[reason, default: 0] += 1
            } else {
                state.summary.processed += 1
            }
            state.summary.seconds = Batch.seconds(elapsed)
            onRecord(record, state.summary)
        }
    }

    func fail(_ error: any Error) {
        state.withLock { state in
            if state.failure == nil { state.failure = error }
        }
    }

    var failure: (any Error)? { state.withLock { $0.failure } }
    var summary: BatchSummary { state.withLock { $0.summary } }
}
