import Synchronization

/// Tells a worker to stop: the first request stops claiming and lets
/// running jobs finish within the grace period; a second one (or `hurry()`)
/// ends the grace at once. Signals reach it through the command's
/// ServiceGroup: graceful shutdown is the first request, a second SIGTERM
/// or SIGINT the hurry.
public final class StopSignal: Sendable {
    private struct State {
        var requests = 0
        var hurried = false
    }

    private let state = Mutex(State())

    public init() {}

    /// True once a stop was requested.
    public var isStopping: Bool { state.withLock { $0.requests > 0 || $0.hurried } }

    /// True once the grace is over: a second request, or `hurry()`.
    public var isHurried: Bool { state.withLock { $0.requests > 1 || $0.hurried } }

    public func requestStop() {
        state.withLock { $0.requests += 1 }
    }

    /// Stops at once: no grace for running jobs, which are handed back.
    public func hurry() {
        state.withLock { $0.hurried = true }
    }
}
