import CCancel

/// Stops blocking media work from another thread: the way a time limit ends
/// a render or a job instead of abandoning its thread to finish.
///
/// Work started inside `run(_:)` watches the flag: libvips computations of
/// the images made there (decodes, resizes, blurs, encodes) are killed at
/// their next tile, and FFmpeg reads return at their next interrupt check.
/// The work then fails with a `.timeout` `MediaError`, and the thread is free
/// within moments of `cancel()`.
public final class Cancellation: @unchecked Sendable {
    // Owned reference; the C flag is atomic, so any thread may set or read
    // it. Nil only when allocating a few bytes failed: the work then runs
    // to its end, as it did before there were flags.
    private let flag: OpaquePointer?

    public init() {
        flag = ap_cancel_new()
    }

    deinit {
        ap_cancel_unref(flag)
    }

    /// Stops the work watching this flag. Thread-safe; idempotent.
    public func cancel() {
        ap_cancel_set(flag)
    }

    public var isCancelled: Bool { ap_cancel_is_set(flag) != 0 }

    /// Runs `body` on the calling thread with this flag as the thread's
    /// current one. Nests: an inner `run` replaces the flag for its span.
    public func run<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
        let outer = ap_cancel_current()
        ap_cancel_set_current(flag)
        defer { ap_cancel_set_current(outer) }
        return try withExtendedLifetime(self) { () throws(E) -> T in try body() }
    }

    /// Whether the calling thread's current flag, if it has one, is set.
    static var currentIsSet: Bool { ap_cancel_current_is_set() != 0 }

    /// `currentIsSet` for work outside libvips and FFmpeg (a loop in Swift,
    /// a job's own steps) to stop at its next check, as the C work does.
    public static var isCurrentCancelled: Bool { currentIsSet }
}
