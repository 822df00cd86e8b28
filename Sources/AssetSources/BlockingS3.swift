import AssetObjectStore
import Dispatch
import Foundation

/// S3 calls for callers that cannot await: the rendition store's
/// synchronous protocol and the worker's origin fetch.
enum BlockingS3 {
    /// Runs `body` on the concurrency pool and waits on this thread. The
    /// callers' threads (the worker's job threads, the catalog's writer,
    /// serve's blocking pool) are never the concurrency pool's, so the wait
    /// cannot starve the task it waits for.
    static func wait<T: Sendable>(_ body: @escaping @Sendable () async throws(S3Error) -> T) throws(S3Error) -> T {
        let box = ResultBox<T>()
        let done = DispatchSemaphore(value: 0)
        Task.detached {
            do throws(S3Error) {
                box.set(.success(try await body()))
            } catch {
                box.set(.failure(error))
            }
            done.signal()
        }
        done.wait()
        guard let outcome = box.get() else { throw S3Error(.network, "the transfer ended without a result") }
        return try outcome.get()
    }
}

/// The result a waiting thread picks up; set once, under its lock.
private final class ResultBox<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Result<T, S3Error>?

    func set(_ result: Result<T, S3Error>) {
        lock.withLock { value = result }
    }

    func get() -> Result<T, S3Error>? {
        lock.withLock { value }
    }
}
