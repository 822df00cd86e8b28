import AssetQueue
import Metrics

/// The worker's counters, timers and gauges, through swift-metrics: whatever
/// backend the process bootstraps (Prometheus for `serve`) exports them; with
/// none, they cost next to nothing. Names follow Prometheus conventions.
public struct WorkerMetrics: Sendable {
    private let factory: any MetricsFactory

    /// Metrics through `factory`; by default the process's bootstrapped one.
    public init(factory: any MetricsFactory = MetricsSystem.factory) {
        self.factory = factory
    }

    func claimed(_ kind: Job.Kind) {
        Counter(label: "assetpipe_jobs_claimed_total", dimensions: [("kind", kind.rawValue)], factory: factory).increment()
    }

    /// How an attempt ended, counted by kind (and reason, for failures), and
    /// timed from claim to completion.
    func finished(_ kind: Job.Kind, as end: AttemptEnd, seconds: Double) {
        let label: String
        var dimensions = [("kind", kind.rawValue)]
        switch end {
        case .succeeded: label = "assetpipe_jobs_succeeded_total"
        case .failed(let reason):
            label = "assetpipe_jobs_failed_total"
            dimensions.append(("reason", reason))
        case .retried(let reason):
            label = "assetpipe_jobs_retried_total"
            dimensions.append(("reason", reason))
        case .dead(let reason):
            label = "assetpipe_jobs_dead_total"
            dimensions.append(("reason", reason))
        case .released: label = "assetpipe_jobs_released_total"
        case .lost: label = "assetpipe_jobs_lease_lost_total"
        }
        Counter(label: label, dimensions: dimensions, factory: factory).increment()
        Timer(label: "assetpipe_job_duration_seconds", dimensions: [("kind", kind.rawValue), ("result", end.name)], factory: factory)
            .recordSeconds(seconds)
    }

    /// The number of jobs in each state, as last counted.
    func queueDepth(_ counts: [Job.State: Int]) {
        for (state, count) in counts {
            Gauge(label: "assetpipe_queue_jobs", dimensions: [("state", state.rawValue)], factory: factory).record(count)
        }
    }

    /// How an attempt ended, for counting.
    enum AttemptEnd: Equatable {
        case succeeded, released, lost
        case failed(String), retried(String), dead(String)

        var name: String {
            switch self {
            case .succeeded: "succeeded"
            case .released: "released"
            case .lost: "lease_lost"
            case .failed: "failed"
            case .retried: "retried"
            case .dead: "dead"
            }
        }
    }
}
