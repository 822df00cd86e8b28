import AssetWorker
import Logging
import ServiceLifecycle
import UnixSignals

/// A second SIGTERM or SIGINT ends the workers' grace at once. The group's
/// graceful shutdown answers the first signal, and service-lifecycle has no
/// hook for a second, so this service counts them itself. It goes first in
/// the group, which shuts services down in reverse order: it is still
/// listening while the workers drain.
struct SecondSignalService: Service {
    let stop: StopSignal
    let logger: Logger

    func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sigterm, .sigint)
        let stop = self.stop, logger = self.logger
        await cancelWhenGracefulShutdown {
            var received = 0
            for await signal in signals {
                received += 1
                if received == 1 {
                    logger.notice("received \(signal); finishing running jobs, claiming no more")
                } else {
                    logger.notice("received \(signal) again; handing running jobs back now")
                    stop.hurry()
                }
            }
        }
    }
}
