import Dispatch
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Tells a worker to stop: the first request stops claiming and lets
/// running jobs finish within the grace period; a second one ends the grace
/// at once. SIGTERM and SIGINT are wired to it by `handleSignals()`.
public final class StopSignal: Sendable {
    private struct State {
        var requests = 0
        var onHurry: [@Sendable () -> Void] = []
    }

    private let state = Mutex(State())
    private let sources = SignalSources()

    public init() {}

    /// True once a stop was requested.
    public var isStopping: Bool { state.withLock { $0.requests > 0 } }

    /// True once a second stop was requested: the grace is over.
    public var isHurried: Bool { state.withLock { $0.requests > 1 } }

    public func requestStop() {
        let hurry = state.withLock { state -> [@Sendable () -> Void] in
            state.requests += 1
            return state.requests == 2 ? state.onHurry : []
        }
        for action in hurry { action() }
    }

    /// Runs `action` when the grace is cut short (at once if it already is).
    func onHurry(_ action: @escaping @Sendable () -> Void) {
        let now = state.withLock { state -> Bool in
            if state.requests > 1 { return true }
            state.onHurry.append(action)
            return false
        }
        if now { action() }
    }

    /// Routes SIGTERM and SIGINT here instead of killing the process.
    public func handleSignals(_ signals: [Int32] = [SIGTERM, SIGINT], onSignal: @escaping @Sendable (Int32) -> Void = { _ in }) {
        for number in signals {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [weak self] in
                onSignal(number)
                self?.requestStop()
            }
            source.resume()
            sources.keep(source)
        }
    }
}

/// Keeps signal sources alive as long as their stop signal; a source that
/// is released stops delivering.
private final class SignalSources: @unchecked Sendable {
    private let lock = NSLock()
    private var sources: [any DispatchSourceSignal] = []

    func keep(_ source: any DispatchSourceSignal) {
        lock.withLock { sources.append(source) }
    }
}
