import ArgumentParser
import AssetSources
import AssetCatalog
import AssetEdits
import AssetMedia
import AssetPipeline
import AssetServer
import AssetUploads
import AssetObjectStore
import AssetWorker
import Foundation
import Hummingbird
import Logging
import Metrics
import Prometheus
import ServiceLifecycle

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the HTTP API: render URLs, assets, renditions, jobs, metrics.",
        discussion: """
            Routes (all described in /openapi.json): GET /v1/assets/{id}/render?PARAMS (see `assetpipe sign \
            --help` and the README for the parameters), GET /v1/assets/{id}, GET /v1/assets?path=PATH, \
            GET /v1/assets/{id}/renditions/{name}, POST /v1/assets/{id}/edits (a saved edit, run by a \
            worker), POST /v1/jobs, GET /v1/jobs/{id}, POST /v1/uploads (a file streamed into --uploads, then \
            queued), GET /healthz, \
            GET /metrics, GET /openapi.json.

            Every flag has an environment variable (ASSETPIPE_PORT, ASSETPIPE_CACHE_SIZE, ...). Secrets only \
            from the environment or a file: ASSETPIPE_SIGNING_KEYS (comma-separated; render URLs then need \
            `s`, and records, renditions and jobs need `s` or the token) or --signing-key-file, and \
            ASSETPIPE_API_TOKEN (POST calls need `Authorization: Bearer TOKEN`) or --api-token-file. A \
            secrets source that is given but holds nothing stops the server from starting.

            Secure by default: without a token the server takes no writes (POST answers 403) unless \
            --insecure; it will not listen on a non-loopback address without a token unless --insecure; \
            POST /v1/jobs catalogues only files under an --origin-root; on loopback it answers only for \
            localhost names (DNS rebinding) unless --allowed-host says otherwise. Each render is costed \
            before it starts (422 past the limit) and stopped at --render-timeout. See the README's \
            Security section, and how to run behind a proxy.

            SIGTERM or SIGINT: stop accepting connections, finish requests (and, with --workers, running \
            jobs within --grace), exit 0.

            Examples:
              assetpipe serve --port 8080
              ASSETPIPE_API_TOKEN=$(cat token) assetpipe serve --origin-root /srv/uploads --workers 2
              assetpipe serve --host 0.0.0.0 --api-token-file /run/secrets/token --allowed-host img.example.com \\
                --database postgres://assets@db/assets
            """)

    @OptionGroup var catalog: CatalogOptions
    @OptionGroup var backupOptions: BackupOptions

    @Option(help: "Address to listen on (ASSETPIPE_HOST).")
    var host: String = ProcessInfo.processInfo.environment["ASSETPIPE_HOST"] ?? "127.0.0.1"

    @Option(help: "Port to listen on (ASSETPIPE_PORT).")
    var port: Int = Int(ProcessInfo.processInfo.environment["ASSETPIPE_PORT"] ?? "") ?? 8080

    @Option(help: "Queue workers to run in this process as well (ASSETPIPE_WORKERS).")
    var workers: Int = Int(ProcessInfo.processInfo.environment["ASSETPIPE_WORKERS"] ?? "") ?? 0

    @Option(help: ArgumentHelp("Largest size of the render cache, in MiB; 0 turns it off (ASSETPIPE_CACHE_SIZE).", valueName: "MIB"))
    var cacheSize: Int = Int(ProcessInfo.processInfo.environment["ASSETPIPE_CACHE_SIZE"] ?? "") ?? 1024

    @Option(help: ArgumentHelp("Cache-Control of rendered images (ASSETPIPE_CACHE_CONTROL).", valueName: "VALUE"))
    var cacheControl: String = ProcessInfo.processInfo.environment["ASSETPIPE_CACHE_CONTROL"] ?? "public, max-age=3600"

    @Option(help: "Renders at once (ASSETPIPE_RENDERS). Default: the number of cores.")
    var renders: Int = Int(ProcessInfo.processInfo.environment["ASSETPIPE_RENDERS"] ?? "") ?? ProcessInfo.processInfo.activeProcessorCount

    @Option(help: ArgumentHelp("Seconds a render request waits for a free slot before a 503 (ASSETPIPE_RENDER_WAIT).", valueName: "SECONDS"))
    var renderWait: Double = Double(ProcessInfo.processInfo.environment["ASSETPIPE_RENDER_WAIT"] ?? "") ?? 5

    @Option(help: ArgumentHelp("Seconds one render may take before a 503 (ASSETPIPE_RENDER_TIMEOUT).", valueName: "SECONDS"))
    var renderTimeout: Double = Double(ProcessInfo.processInfo.environment["ASSETPIPE_RENDER_TIMEOUT"] ?? "") ?? 30

    @Option(help: ArgumentHelp("Largest rendered side in pixels, after dpr (ASSETPIPE_MAX_OUTPUT_SIDE).", valueName: "PIXELS"))
    var maxOutputSide: Int = Int(ProcessInfo.processInfo.environment["ASSETPIPE_MAX_OUTPUT_SIDE"] ?? "") ?? 8192

    @Flag(inversion: .prefixedNo, help: """
        Render from a stored rendition (the 1024 px preview) instead of the original when it has every pixel the         output needs (ASSETPIPE_RENDITION_SOURCES=0 turns it off).
        """)
    var renditionSources = ProcessInfo.processInfo.environment["ASSETPIPE_RENDITION_SOURCES"] != "0"

    @Option(help: ArgumentHelp("Signing keys, one per line: render URLs then need `s`.", valueName: "FILE"))
    var signingKeyFile: String?

    @Option(help: ArgumentHelp("A file of bearer tokens, one per line, that POST calls need (# lines are comments).", valueName: "FILE"))
    var apiTokenFile: String?

    @Option(name: .customLong("origin-root"), help: ArgumentHelp(
        "Folder whose files POST /v1/jobs may catalogue (repeatable; ASSETPIPE_ORIGIN_ROOTS, colon-separated). Default: none.",
        valueName: "DIR"))
    var originRoots: [String] = (ProcessInfo.processInfo.environment["ASSETPIPE_ORIGIN_ROOTS"] ?? "")
        .split(separator: ":").map(String.init)

    @Option(name: .customLong("allowed-host"), help: ArgumentHelp(
        "Host name clients reach the server by (repeatable; ASSETPIPE_ALLOWED_HOSTS, comma-separated); other Host headers get 403. "
            + "Default: localhost names on a loopback address, any name otherwise.",
        valueName: "NAME"))
    var allowedHosts: [String] = (ProcessInfo.processInfo.environment["ASSETPIPE_ALLOWED_HOSTS"] ?? "")
        .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }

    @Option(help: ArgumentHelp(
        "Where POST /v1/uploads puts files: a folder or s3://BUCKET/PREFIX (ASSETPIPE_UPLOADS). It is also a source, "
            + "named `uploads` unless a source has that location already. Default: STORE/uploads (DATA/uploads, or s3://BUCKET/PREFIX/uploads/ with --store s3://...).",
        valueName: "DIR_OR_S3_URL"))
    var uploads: String? = ProcessInfo.processInfo.environment["ASSETPIPE_UPLOADS"]

    @Option(help: ArgumentHelp("Largest upload: 5GB, 200MB, 1GiB, or bytes (ASSETPIPE_UPLOAD_LIMIT).", valueName: "SIZE"))
    var uploadLimit: String = ProcessInfo.processInfo.environment["ASSETPIPE_UPLOAD_LIMIT"] ?? "5GB"

    @Flag(help: "Create the catalog when --data holds none (otherwise refused, as the other commands refuse, so a typo in --data is not an empty server).")
    var `init` = false

    @Flag(help: "Take writes without a token and listen beyond loopback without one (ASSETPIPE_INSECURE=1). Trusted networks only.")
    var insecure = ProcessInfo.processInfo.environment["ASSETPIPE_INSECURE"] == "1"

    @Option(help: ArgumentHelp("Most work one render may cost, in millions of units (ASSETPIPE_MAX_RENDER_WORK); "
                               + "see the README. Past it: 422.", valueName: "MILLIONS"))
    var maxRenderWork: Int = Int(ProcessInfo.processInfo.environment["ASSETPIPE_MAX_RENDER_WORK"] ?? "") ?? 6000

    @Option(help: ArgumentHelp("With --workers: seconds running jobs get after SIGTERM.", valueName: "SECONDS"))
    var grace: Double = 30

    @OptionGroup var pipeline: PipelineOptions

    @Option(help: ArgumentHelp("trace, debug, info, notice, warning, error or critical.", valueName: "LEVEL"))
    var logLevel: Logger.Level = .info

    @Option(help: ArgumentHelp("Log lines as logfmt (key=value, quoted when needed) or json (one object per line).",
                               valueName: "FORMAT"))
    var logFormat: LogFormat = .logfmt

    func validate() throws {
        guard (1...65535).contains(port) else { throw ValidationError("--port must be 1–65535") }
        guard workers >= 0, renders >= 1, cacheSize >= 0 else {
            throw ValidationError("--workers and --cache-size must not be negative; --renders must be at least 1")
        }
        guard renderWait >= 0, renderTimeout > 0, grace >= 0 else {
            throw ValidationError("--render-wait and --grace must not be negative, --render-timeout must be positive")
        }
        try SecondsOption.checkBounded(["--render-wait": renderWait, "--render-timeout": renderTimeout, "--grace": grace])
        guard (1...65535).contains(maxOutputSide) else { throw ValidationError("--max-output-side must be 1–65535") }
        guard (1...1_000_000).contains(maxRenderWork) else { throw ValidationError("--max-render-work must be 1–1000000 (millions)") }
        guard ByteCount.parse(uploadLimit) != nil else {
            throw ValidationError("--upload-limit is '\(uploadLimit)'; give a size such as 5GB, 200MB or 1GiB")
        }
    }

    /// The upload area (created when missing, stale spool files removed)
    /// and the source that names it (added as `uploads` when none does).
    private func configureUploads(_ settings: inout ServerSettings, catalog store: Catalog, clients: SourceClients,
                                  logger: Logger) async throws {
        settings.uploadLimit = ByteCount.parse(uploadLimit) ?? settings.uploadLimit
        // With renditions in a bucket, uploads go beside them, so every host sees them.
        let location = uploads ?? catalog.storeBucket.map { ($0.hasSuffix("/") ? $0 : $0 + "/") + "uploads/" }
            ?? catalog.storeDirectory + "/uploads"
        let sources = try FieldsCommand.catalogCall { try store.sources() }
        let area: UploadArea
        do {
            if location.hasPrefix("s3://") {
                // A source that names the bucket brings its settings file, if it has one.
                let canonical = (try? S3Bucket(url: location).description) ?? location
                let client: S3Client
                do {
                    client = try clients.client(for: sources.first { $0.location == canonical }
                                                ?? CatalogSource(name: "uploads", location: canonical))
                } catch {
                    throw ValidationError("--uploads \(location): \(error.message)")
                }
                area = try UploadArea(s3: location, client: client, spoolDirectory: catalog.storeDirectory + "/upload-spool")
            } else {
                area = try UploadArea(folder: InputWalker.absolutePath(location))
            }
        } catch let error as UploadRefusal {
            throw ValidationError("--uploads \(location): \(error.message)")
        }
        let removed = UploadSpool.removeStale(in: area.spoolDirectory)
        if removed > 0 { logger.notice("removed partial uploads an earlier server left", metadata: ["count": "\(removed)"]) }
        if let named = sources.first(where: { $0.location == area.location }) {
            settings.uploadSource = named.name
        } else if !sources.contains(where: { $0.name == "uploads" }) {
            try FieldsCommand.catalogCall { try store.addSource(CatalogSource(name: "uploads", location: area.location)) }
            settings.uploadSource = "uploads"
        }
        settings.uploads = area
    }

    /// Whether `host` is a loopback address or name: what may run without a token.
    static func isLoopback(_ host: String) -> Bool {
        let name = host.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        return name == "localhost" || name == "::1" || name.hasPrefix("127.")
    }

    func run() async throws {
        Startup.bootstrapLogging(logLevel, format: logFormat)
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        let logger = Logger(label: "assetpipe.server")
        let definition = try pipeline.definition()
        try Startup.startLibvips(parallel: renders)

        var settings = ServerSettings(cacheDirectory: catalog.storeDirectory + "/render-cache")
        settings.cacheMaxBytes = cacheSize << 20
        settings.cacheControl = cacheControl
        settings.renderConcurrency = renders
        settings.renderQueueWait = .milliseconds(Int64(renderWait * 1000))
        settings.renderTimeout = .milliseconds(Int64(renderTimeout * 1000))
        settings.limits.maxOutputSide = maxOutputSide
        settings.renderFromRenditions = renditionSources
        settings.limits.maxSourcePixels = Int(definition.limits.maxPixels)
        settings.limits.maxWork = maxRenderWork * 1_000_000
        do {
            settings.signer = try URLSigner.configured(keyFile: signingKeyFile)
            settings.tokens = try Secrets.load(variable: "ASSETPIPE_API_TOKEN", file: apiTokenFile).flatMap(APITokens.init)
        } catch {
            throw ValidationError("cannot start with these secrets: \(error)")
        }
        settings.insecure = insecure
        if settings.tokens == nil && !Self.isLoopback(host) && !insecure {
            throw ValidationError("refusing to listen on \(host) without an API token: anyone who reaches it could read and queue. "
                                  + "Set ASSETPIPE_API_TOKEN or --api-token-file, or pass --insecure on a trusted network")
        }
        do {
            settings.originRoots = try OriginRoots(originRoots)
        } catch {
            throw ValidationError(error.message)
        }
        if !allowedHosts.isEmpty {
            settings.allowedHosts = Set(allowedHosts.map { $0.lowercased() })
        } else if Self.isLoopback(host) {
            settings.allowedHosts = AccessControl.loopbackNames
        }

        if !`init` { try catalog.requireExistingFile(creating: "`assetpipe process`, `assetpipe enqueue` or `serve --init`") }
        let (store, queue) = try await catalog.openQueue()
        // One set of clients for every bucket this server reads: each source's, by its settings file.
        let sourceClients = SourceClients(catalog: store)
        settings.originFetcher = S3OriginFetcher(clients: sourceClients)
        try await configureUploads(&settings, catalog: store, clients: sourceClients, logger: logger)
        let api: AssetAPI
        do {
            api = try AssetAPI(catalog: store, queue: queue, settings: settings, logger: logger)
        } catch {
            throw FatalError(message: "cannot open the render cache in \(settings.cacheDirectory): \(error.localizedDescription)")
        }
        let router = api.makeRouter(metrics: registry)
        let host = self.host, port = self.port
        let application = Application(
            router: router, server: AssetAPI.server, configuration: .init(address: .hostname(host, port: port), serverName: "assetpipe"),
            onServerRunning: { _ in logger.notice("listening on http://\(host):\(port)") }, logger: logger)

        // The queue's connections first: the group shuts down in reverse, so they close last.
        var services: [any Service] = CatalogOptions.services(of: queue) + [application]
        if workers > 0 {
            var workerSettings = WorkerSettings()
            workerSettings.concurrency = workers
            workerSettings.grace = .milliseconds(Int64(grace * 1000))
            if catalog.databaseURL != nil { workerSettings.pollInterval = .seconds(5) }
            let runner = PipelineOptions.runner(definition) { logger.warning("\($0)") }
            let executor = JobExecutor(runner: runner, catalog: store, actor: "worker \(workerSettings.name)",
                                       edits: try catalog.editedOriginals(),
                                       fetcher: S3OriginFetcher(clients: sourceClients))
            let backUp = try backupOptions.afterNewVersion(catalog: store, logger: Logger(label: "assetpipe.worker"))
            let worker = Worker(queue: queue, settings: workerSettings, logger: Logger(label: "assetpipe.worker"), afterNewVersion: backUp) { job, mayCommit in
                executor.execute(job, mayCommit: mayCommit)
            }
            services.append(WorkerService(worker: worker))
        }
        let group = ServiceGroup(configuration: .init(services: services.map { .init(service: $0) },
                                                      gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        do {
            try await group.run()
        } catch {
            throw FatalError(message: StartupFailure.explain(error, host: host, port: port) ?? "the server stopped: \(error)")
        }
    }

}
