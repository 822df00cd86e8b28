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

    /// Runs `body` when a turn is free within `maxWait` (or `waitingAtMost`,
    /// when that is shorter); nil when none was.
    public func run<T: Sendable>(waitingAtMost limit: Duration? = nil, _ body: () async throws -> T) async throws -> T? {
        guard await enter(waitingAtMost: min(maxWait, limit ?? maxWait)) else { return nil }
        defer { leave() }
        return try await body()
    }

    /// A turn now, or the first one to come free within `maxWait`. The wait
    /// and its time limit race as two child tasks; the loser is cancelled.
    private func enter(waitingAtMost maxWait: Duration) async -> Bool {
        let admittedAtOnce = state.withLock { state -> Bool in
            guard state.running < capacity else { return false }
            state.running += 1
            return true
        }
        if admittedAtOnce { return true }
        guard maxWait > .zero else { return false }
        return await withTaskGroup(of: Bool.self) { group in
            let id = UUID()
            group.addTask { await self.waitInLine(id) }
            group.addTask {
                try? await Task.sleep(for: maxWait)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            // After the time limit the waiter may still have been handed a
            // turn before its cancellation landed: it holds it then.
            var admitted = first
            while let next = await group.next() { admitted = admitted || next }
            return admitted
        }
    }

    /// True once handed a turn; false when cancelled first (the place in
    /// line is given up).
    private func waitInLine(_ id: UUID) async -> Bool {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let cancelled = state.withLock { state -> Bool in
                    if Task.isCancelled { return true }
                    state.waiting.append((id, continuation))
                    return false
                }
                if cancelled { continuation.resume(returning: false) }
            }
        } onCancel: {
            let removed = state.withLock { state -> CheckedContinuation<Bool, Never>? in
                guard let position = state.waiting.firstIndex(where: { $0.id == id }) else { return nil }
                return state.waiting.remove(at: position).continuation
            }
            removed?.resume(returning: false)
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
