import AssetWorker
import ServiceLifecycle

/// Queue workers as a service of a command's group (`work`, `serve
/// --workers`): a graceful shutdown stops their claiming and lets running
/// jobs finish within the grace; `stop` is shared with whatever may cut the
/// grace short (a second signal).
struct WorkerService: Service {
    let worker: Worker
    var stop = StopSignal()

    func run() async throws {
        await withGracefulShutdownHandler {
            _ = await worker.run(stop: stop)
        } onGracefulShutdown: {
            stop.requestStop()
        }
    }
}
