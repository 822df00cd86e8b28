import AssetMedia
import Foundation
import NIOPosix
#if canImport(Glibc)
import Glibc
#endif

/// The threads renders run on: as many as render slots, apart from the
/// pool that serves catalog reads, so a slow render never delays a record.
/// They run at a lower scheduling priority (nice 10) than the threads that
/// answer requests, so on a machine that renders flat out, reads and the
/// event loop still get the CPU when they need it.
public final class RenderPool: Sendable {
    private let pool: NIOThreadPool

    public init(threads: Int) {
        pool = NIOThreadPool(numberOfThreads: max(1, threads))
        pool.start()
    }

    /// Runs `body` on a render thread, under `cancellation`: cancelling it
    /// stops the libvips work inside and frees the thread within moments.
    func run<T: Sendable>(_ cancellation: Cancellation, _ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await pool.runIfActive {
            Self.lowerPriorityOfThisThread()
            return try cancellation.run { try body() }
        }
    }

    /// Stops the threads once the running work is done.
    public func shutdown() async throws {
        try await pool.shutdownGracefully()
    }

    /// Linux gives each thread its own nice value (`who` 0 is the calling
    /// thread there, not the whole process); raising it is always
    /// allowed. One system call per render, far below a render's cost.
    private static func lowerPriorityOfThisThread() {
        _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 10)
    }
}
