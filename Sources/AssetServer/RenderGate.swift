import Foundation
import Synchronization

/// Bounds the renders running at once, and how long a request may wait for
/// a turn: past it the request is turned away (503 with Retry-After) rather
/// than queued without end while the server falls behind.
public final class RenderGate: Sendable {
    public let capacity: Int
    public let maxWait: Duration

    private struct State {
        var running = 0
        var waiting: [(id: UUID, continuation: CheckedContinuation<Bool, Never>)] = []
    }

    private let state = Mutex(State())

    public init(capacity: Int, maxWait: Duration) {
        self.capacity = max(1, capacity)
        self.maxWait = maxWait
    }

    /// Runs `body` when a turn is free within `maxWait`; nil when none was.
    public func run<T: Sendable>(_ body: () async throws -> T) async throws -> T? {
        guard await enter() else { return nil }
        defer { leave() }
        return try await body()
    }

    private func enter() async -> Bool {
        let id = UUID()
        let maxWait = self.maxWait
        return await withCheckedContinuation { continuation in
            let admitted = state.withLock { state -> Bool in
                if state.running < capacity {
                    state.running += 1
                    return true
                }
                state.waiting.append((id, continuation))
                return false
            }
            if admitted {
                continuation.resume(returning: true)
                return
            }
            Task {
                try? await Task.sleep(for: maxWait)
                let expired = self.state.withLock { state -> CheckedContinuation<Bool, Never>? in
                    guard let position = state.waiting.firstIndex(where: { $0.id == id }) else { return nil }
                    return state.waiting.remove(at: position).continuation
                }
                expired?.resume(returning: false)
            }
        }
    }

    private func leave() {
        let next = state.withLock { state -> CheckedContinuation<Bool, Never>? in
            guard !state.waiting.isEmpty else {
                state.running -= 1
                return nil
            }
            // The turn passes straight to the first waiter: `running` stays.
            return state.waiting.removeFirst().continuation
        }
        next?.resume(returning: true)
    }
}
