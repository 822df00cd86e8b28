import Dispatch
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// SIGINT and SIGTERM while `process` runs: the first asks the batch to take
/// no new file and to finish (store) the ones in flight, so no record is left
/// `processing`; a second ends the process at once with status 130 (the
/// files it was on stay `processing`, and the next run does them again).
final class InterruptSignals: @unchecked Sendable {
    /// Counts the signals; shared with the handlers.
    private final class Count: Sendable {
        let value = Atomic<Int>(0)
    }

    private let count = Count()
    // Made in init, cancelled once in `cancel`, from the command's own task.
    private let sources: [any DispatchSourceSignal]

    init(onFirst: @escaping @Sendable () -> Void) {
        let count = self.count
        sources = [SIGINT, SIGTERM].map { number in
            // Handled by the source, not by the default action (death).
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                if count.value.add(1, ordering: .relaxed).newValue == 1 {
                    onFirst()
                } else {
                    Terminal.standardError.write("\ninterrupted again: quitting now; the files in flight stay `processing`\n")
                    exit(130)
                }
            }
            source.resume()
            return source
        }
    }

    /// Back to the default actions.
    func cancel() {
        for source in sources { source.cancel() }
        for number in [SIGINT, SIGTERM] { signal(number, SIG_DFL) }
    }
}
