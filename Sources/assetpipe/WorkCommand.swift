import ArgumentParser
import AssetSources
import AssetCatalog
import AssetMedia
import AssetPipeline
import AssetQueue
import AssetWorker
import Foundation
import Logging
import ServiceLifecycle

struct WorkCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "work",
        abstract: "Run queued jobs: catalogue uploads, refresh and delete assets.",
        discussion: """
            Claims jobs from the queue (in DIR/catalog.sqlite, or in PostgreSQL with --database), highest \
            priority first, and runs the pipeline on each; any number of workers (processes) may share one \
            catalog: on one host with SQLite, on many with PostgreSQL and a --store they all mount. A claim holds \
            a job for --lease seconds and a heartbeat renews it while the job runs: a worker killed \
            mid-job stops renewing, and the job runs again in another worker once the lease expires. \
            Its effect on the catalog is made once either way.

            Outcomes: succeeded; failed (permanent: corrupt, empty, unsupported_format, too_large, \
            too_short, exists, not_found: never retried); transient errors (unreadable file, timeout, \
            catalog busy) retry after an exponential backoff with jitter, up to the job's attempts, \
            then dead. `assetpipe jobs` lists them; `assetpipe jobs retry ID` queues one again.

            SIGTERM or SIGINT: no new jobs are claimed, running ones get --grace seconds to finish, \
            those still running are handed back to the queue (their attempt not counted), and the \
            worker exits 0. A second signal ends the grace at once.

            --watch queues only regular files, and follows a symlink in the folder only when it leads inside \
            it (--symlinks within, the default; follow: all; skip: none). It leaves out what `process` \
            does: junk (.DS_Store, Thumbs.db, @eaDir/, ...), dot-files unless --hidden, --exclude and \
            .assetpipeignore.

            --sync-every DURATION: sync every source (`assetpipe sources list`) at start and then \
            that often, as `assetpipe sync` does: new objects or files are processed, changed ones \
            refreshed, gone ones deleted; a change a waiting job covers is not queued twice. A source \
            that cannot be listed is logged and tried again next round.

            Logs go to stderr, one line per job outcome, with the job and asset ids.

            Examples:
              assetpipe work --concurrency 2                run until stopped
              assetpipe work --until-empty                  drain the queue, then exit
              assetpipe work --watch /srv/incoming          also queue files dropped there
              assetpipe work --sync-every 5m                keep the catalog in step with its sources
            """)

    @OptionGroup var catalog: CatalogOptions
    @OptionGroup var backupOptions: BackupOptions

    @OptionGroup var pipeline: PipelineOptions

    @Option(help: "Jobs run at once. Default: the number of cores.")
    var concurrency: Int = ProcessInfo.processInfo.activeProcessorCount

    @Flag(help: "Exit once no job is queued or running.")
    var untilEmpty = false

    @Option(help: ArgumentHelp("Also queue files that appear in DIR (recursively), once their size has stopped changing.", valueName: "DIR"))
    var watch: String?

    @Option(help: ArgumentHelp("With --watch: seconds a file's size and time must stay unchanged before it is queued.", valueName: "SECONDS"))
    var settle: Double = 2

    @Option(help: ArgumentHelp("With --watch: symlinks in the folder: within (follow those that stay inside it), "
                               + "follow (all) or skip (none).", valueName: "POLICY"))
    var symlinks: SymlinkPolicy = .within

    @OptionGroup(title: "With --watch") var walk: WalkOptions

    @Option(help: ArgumentHelp("Also sync every source (see `assetpipe sync`) at start and then this often: 90s, 5m, 1h, or seconds "
                               + "(ASSETPIPE_SYNC_EVERY). Run it on one worker: each sync lists every source.", valueName: "DURATION"))
    var syncEvery: String? = ProcessInfo.processInfo.environment["ASSETPIPE_SYNC_EVERY"]

    @Option(help: ArgumentHelp("Seconds a claim holds a job between heartbeats; a killed worker's jobs run again after this.", valueName: "SECONDS"))
    var lease: Double = 30

    @Option(help: ArgumentHelp("Seconds one attempt may run before its work is stopped as a timeout (and retried).", valueName: "SECONDS"))
    var jobTimeout: Double = 600

    @Option(help: ArgumentHelp("Seconds running jobs get to finish after SIGTERM/SIGINT before they are handed back.", valueName: "SECONDS"))
    var grace: Double = 30

    @Option(help: ArgumentHelp("trace, debug, info, notice, warning, error or critical.", valueName: "LEVEL"))
    var logLevel: Logger.Level = .info

    @Option(help: ArgumentHelp("Log lines as logfmt (key=value, quoted when needed) or json (one object per line).",
                               valueName: "FORMAT"))
    var logFormat: LogFormat = .logfmt

    func validate() throws {
        guard concurrency >= 1 else { throw ValidationError("--concurrency must be at least 1") }
        guard lease >= 1 else { throw ValidationError("--lease must be at least 1 second") }
        guard jobTimeout > 0, grace >= 0, settle >= 0 else { throw ValidationError("--job-timeout must be positive; --grace and --settle not negative") }
        try SecondsOption.checkBounded(["--lease": lease, "--job-timeout": jobTimeout, "--grace": grace, "--settle": settle])
        if let syncEvery {
            guard let seconds = SecondsOption.duration(syncEvery), seconds >= 1 else {
                throw ValidationError("--sync-every is '\(syncEvery)'; give a duration of at least a second: 90s, 5m, 1h or a number of seconds")
            }
            try SecondsOption.checkBounded(["--sync-every": seconds])
            guard !untilEmpty else { throw ValidationError("--until-empty and --sync-every cannot be combined: a periodic sync never runs out of work") }
        }
        if let watch {
            guard !untilEmpty else { throw ValidationError("--until-empty and --watch cannot be combined: a watch never runs out of work") }
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: watch, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw ValidationError("--watch \(watch) is not a folder; create it first")
            }
        }
    }

    func run() async throws {
        Startup.bootstrapLogging(logLevel, format: logFormat)
        let logger = Logger(label: "assetpipe.worker")
        let definition = try pipeline.definition()
        try Startup.startLibvips(parallel: concurrency)
        let (store, queue) = try await catalog.openQueue()

        var settings = WorkerSettings()
        settings.concurrency = concurrency
        settings.lease = .milliseconds(Int64(lease * 1000))
        settings.jobTimeout = .milliseconds(Int64(jobTimeout * 1000))
        settings.grace = .milliseconds(Int64(grace * 1000))
        settings.untilEmpty = untilEmpty
        if catalog.databaseURL != nil {
            // PostgreSQL wakes idle workers with NOTIFY when jobs arrive; the
            // poll is left to catch jobs that become due with time (backoffs,
            // expired leases), and costs the server little.
            settings.pollInterval = .seconds(5)
        }
        let runner = PipelineOptions.runner(definition) { logger.warning("\($0)") }
        let executor = JobExecutor(runner: runner, catalog: store, actor: "worker \(settings.name)",
                                   edits: try catalog.editedOriginals(),
                                   fetcher: S3OriginFetcher(catalog: store))
        let backUp = try backupOptions.afterNewVersion(catalog: store, logger: logger)
        let worker = Worker(queue: queue, settings: settings, logger: logger, afterNewVersion: backUp) { job, mayCommit in
            executor.execute(job, mayCommit: mayCommit)
        }

        // Shut down in reverse: the watch stops queueing, the worker drains,
        // then the queue's connections close and the signal watcher goes.
        let stop = StopSignal()
        var services: [ServiceGroupConfiguration.ServiceConfiguration] =
            [.init(service: SecondSignalService(stop: stop, logger: logger))]
            + CatalogOptions.services(of: queue).map { .init(service: $0) }
        // A worker that ran out of work (--until-empty) ends the group as a signal would.
        services.append(.init(service: WorkerService(worker: worker, stop: stop), successTerminationBehavior: .gracefullyShutdownGroup))
        if let watch {
            services.append(.init(service: WatchService(directory: watch, settle: settle, symlinks: symlinks, walk: walk, queue: queue,
                                                        catalog: store, logger: logger)))
        }
        if let seconds = syncEvery.flatMap(SecondsOption.duration) {
            services.append(.init(service: SyncService(interval: .milliseconds(Int64(seconds * 1000)), catalog: store, queue: queue,
                                                       logger: logger)))
        }
        var group = ServiceGroupConfiguration(services: services, logger: logger)
        group.gracefulShutdownSignals = [.sigterm, .sigint]
        do {
            try await ServiceGroup(configuration: group).run()
        } catch {
            throw FatalError(message: "the worker stopped: \(error)")
        }
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
