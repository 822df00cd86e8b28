import Foundation

/// Where a queue reads the time. Wall-clock time, since leases and run-after
/// times are compared by workers in other processes; tests pass a clock they
/// move by hand, so lease expiry and backoff need no sleeping.
public struct QueueClock: Sendable {
    /// The system's clock.
    public static let system = QueueClock { Date() }

    public let now: @Sendable () -> Date

    public init(now: @escaping @Sendable () -> Date) {
        self.now = now
    }
}
