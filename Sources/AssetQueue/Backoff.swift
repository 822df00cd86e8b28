import Foundation

/// How long a job waits before its next attempt after a transient error:
/// exponential backoff with full jitter (a delay drawn uniformly between zero
/// and `min(cap, base × 2^(attempt − 1))`), so the jobs that failed together
/// do not all come back together.
public struct Backoff: Sendable, Equatable {
    /// One second, doubling, at most five minutes.
    public static let standard = Backoff(base: .seconds(1), cap: .seconds(300))

    public var base: Duration
    public var cap: Duration

    public init(base: Duration, cap: Duration) {
        precondition(base > .zero && cap >= base, "backoff needs 0 < base <= cap, not base \(base), cap \(cap)")
        self.base = base
        self.cap = cap
    }

    /// The longest wait after the `attempt`-th attempt (1-based) failed.
    public func ceiling(afterAttempt attempt: Int) -> Duration {
        // Doubling in floating point: 2^62 seconds is past any cap, and never overflows.
        let doublings = Double(min(max(attempt - 1, 0), 62))
        let seconds = min(base.seconds * pow(2, doublings), cap.seconds)
        return .milliseconds(Int64((seconds * 1000).rounded(.down)))
    }

    /// A wait drawn uniformly from zero to `ceiling(afterAttempt:)`, in whole milliseconds.
    public func delay(afterAttempt attempt: Int, using generator: inout some RandomNumberGenerator) -> Duration {
        let ceiling = ceiling(afterAttempt: attempt)
        let milliseconds = Int64((ceiling.seconds * 1000).rounded(.down))
        return .milliseconds(Int64.random(in: 0...milliseconds, using: &generator))
    }
}

extension Duration {
    package var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
