import ArgumentParser
import AssetCatalog
import AssetObjectStore
import AssetPipeline
import AssetQueue
import AssetSources
import Foundation

struct SourcesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sources",
        abstract: "Name the places assets come from: local folders and S3 buckets.",
        discussion: """
            A source is a name for a local folder (an absolute path) or an S3 bucket and prefix \
            (s3://BUCKET/PREFIX/). `assetpipe sync NAME` compares it with the catalog and queues the \
            jobs that bring the catalog up to date; `assetpipe work` runs them. An asset of an S3 source \
            has the object's URL as its path and origin (find it with `path : "s3://BUCKET/PREFIX"`).

            Buckets are reached with the standard AWS variables (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, \
            AWS_SESSION_TOKEN, AWS_REGION, AWS_ENDPOINT_URL; ASSETPIPE_S3_ADDRESSING=path for servers that \
            want path-style URLs), or, for a source added with --settings FILE, with that file: the same \
            names as NAME = "value" lines, replacing the environment's key pair, region, endpoint or \
            addressing where it sets them. Every command that reads the bucket (sync, work, serve, upload, \
            backup) uses it; the catalog holds the file's path, never a key.

            Examples:
              assetpipe sources add shoots /srv/photos/shoots
              assetpipe sources add archive s3://dam-archive/2024/
              assetpipe sources add client-r2 s3://client-assets/ --settings /etc/assetpipe/client-r2.toml
              assetpipe sources list
              assetpipe sync archive && assetpipe work --until-empty
            """,
        subcommands: [List.self, Add.self, Remove.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "The sources and their locations.")
        @OptionGroup var catalog: CatalogOptions
        @Flag(help: "One JSON object per line: name, location, and settings (the file's path) when it has one.") var json = false

        func run() async throws {
            let store = try await catalog.openExistingCatalog()
            let sources = try FieldsCommand.catalogCall { try store.sources() }
            if json {
                let lines = sources.compactMap { source in
                    var object = ["name": source.name, "location": source.location]
                    object["settings"] = source.settings
                    return (try? JSONSerialization.data(withJSONObject: object,
                                                 options: [.sortedKeys, .withoutEscapingSlashes]))
                        .map { String(decoding: $0, as: UTF8.self) + "\n" }
                }
                Terminal.standardOutput.write(lines.joined())
            } else if sources.isEmpty {
                Terminal.standardOutput.write("no source yet; name one with `assetpipe sources add NAME /folder` or `... s3://bucket/prefix/`\n")
            } else {
                let rows = [["SOURCE", "LOCATION", "SETTINGS"]]
                    + sources.map { [$0.name, Terminal.printable($0.location), $0.settings.map { Terminal.printable($0) } ?? "(AWS variables)"] }
                Terminal.standardOutput.write(Table.render(rows, fitting: Terminal.columns))
            }
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add", abstract: "Name a folder or an s3://bucket/prefix as a source.")
        @OptionGroup var catalog: CatalogOptions
        @Argument(help: "The source's name: letters, digits, '-', '_', '.'.") var name: String
        @Argument(help: ArgumentHelp("A folder, or s3://BUCKET/PREFIX (a prefix is a folder: s3://b/2024 means 2024/).",
                                     valueName: "LOCATION")) var location: String
        @Option(help: ArgumentHelp(
            "For an s3:// source: a file with its own endpoint and keys, read each time a command reaches the bucket.",
            discussion: """
                The standard AWS variables' names as NAME = "value" lines (# starts a comment): AWS_ACCESS_KEY_ID, \
                AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION, AWS_ENDPOINT_URL, ASSETPIPE_S3_ADDRESSING. \
                What it sets replaces the environment's key pair (with its token), region, endpoint or addressing; \
                the rest comes from the environment. Only its owner may write it (chmod 600 when it holds keys); \
                it is checked now, and read again when it changes, so rotated keys need no restart.
                """,
            valueName: "FILE")) var settings: String?

        func run() async throws {
            let canonical: String
            var settingsFile: String?
            if let settings {
                guard location.hasPrefix("s3://") else {
                    throw ValidationError("--settings is for an s3:// source; a folder needs no keys")
                }
                let path = InputWalker.absolutePath(settings)
                do throws(S3Error) {
                    // Checked now (its syntax, its names, its endpoint), so a typo shows here rather than
                    // in the first job; keys it leaves to the environment may be set only where workers run.
                    let variables = try SourceSettings.read(path)
                    if let endpoint = variables["AWS_ENDPOINT_URL_S3"] ?? variables["AWS_ENDPOINT_URL"] {
                        _ = try S3Endpoint(parsing: endpoint)
                    }
                    if let addressing = variables["ASSETPIPE_S3_ADDRESSING"], S3Configuration.Addressing(rawValue: addressing.lowercased()) == nil {
                        throw S3Error(.configuration, "ASSETPIPE_S3_ADDRESSING is \(addressing); use auto, path or virtual")
                    }
                } catch {
                    throw ValidationError("--settings \(settings): \(error.message)")
                }
                if SourceSettings.othersCanRead(path) {
                    Terminal.standardError.write("warning: others can read \(Terminal.printable(path)); if it holds keys, run `chmod 600 \(path)`\n")
                }
                settingsFile = path
            }
            if location.hasPrefix("s3://") {
                do {
                    canonical = try S3Bucket(url: location).description
                } catch {
                    throw ValidationError(error.message)
                }
            } else {
                var isFolder: ObjCBool = false
                let path = InputWalker.absolutePath(location)
                guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue else {
                    throw ValidationError("\(location) is not a folder; give a folder or s3://BUCKET/PREFIX")
                }
                canonical = path
            }
            let store = try await catalog.openCatalog()
            try FieldsCommand.catalogCall { try store.addSource(CatalogSource(name: name, location: canonical, settings: settingsFile)) }
            let with = settingsFile.map { ", reached with the settings in \(Terminal.printable($0))" } ?? ""
            Terminal.standardOutput.write("added the source \(name): \(Terminal.printable(canonical))\(with)\n")
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "remove", abstract: "Forget a source; its assets stay catalogued.")
        @OptionGroup var catalog: CatalogOptions
        @Argument(help: "The source's name.") var name: String

        func run() async throws {
            let store = try await catalog.openExistingCatalog()
            try FieldsCommand.catalogCall { try store.removeSource(named: name) }
            Terminal.standardOutput.write("removed the source \(name); its assets stay catalogued\n")
        }
    }
}

struct SyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Queue the jobs that bring the catalog up to date with a source.",
        discussion: """
            Lists the source (an S3 source with ListObjectsV2; a folder as `process` walks it) and \
            compares it with the assets under its location: a new object or file becomes a process job, \
            a changed one (an S3 object's ETag or size; a file's size, time or inode) a refresh of its \
            asset, and a catalogued one that is gone a delete. A folder in which no file is found deletes \
            nothing (it may be unmounted). A change that a queued or running job already covers is not \
            queued again (`pending` in --json). Nothing is processed here: `assetpipe work` runs the jobs; \
            `assetpipe work --sync-every 5m` syncs every source on a schedule.

            Examples:
              assetpipe sync archive
              assetpipe sync archive --dry-run --json
            """)

    @OptionGroup var catalog: CatalogOptions

    @Argument(help: "The source's name (see `assetpipe sources list`).") var source: String

    @Flag(help: "Count what would be queued, and queue nothing.") var dryRun = false

    @Flag(help: "Print the counts as one JSON object.") var json = false

    func run() async throws {
        let started = ContinuousClock.now
        let outcome = try await catalog.withQueue(existing: true) { store, queue in
            guard let named = try FieldsCommand.catalogCall({ try store.source(named: source) }) else {
                throw FatalError(message: "there is no source \(source); see `assetpipe sources list`")
            }
            do {
                return try await SourceSync.sync(named, catalog: store, queue: queue, dryRun: dryRun)
            } catch {
                throw FatalError(message: "cannot sync \(source): \(error)")
            }
        }
        let plan = outcome.plan, queued = outcome.queued
        let seconds = started.duration(to: .now).seconds
        if json {
            var object: [String: Any] = ["source": source, "listed": plan.listed, "added": plan.added.count, "changed": plan.changed.count,
                                         "gone": plan.gone.count, "unchanged": plan.unchanged, "queued": queued, "pending": outcome.pending,
                                         "seconds": seconds]
            object["listing_seconds"] = plan.listingSeconds
            object["catalog_seconds"] = plan.catalogSeconds
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            Terminal.standardOutput.write(String(decoding: data, as: UTF8.self) + "\n")
        } else {
            let pending = outcome.pending > 0 ? " (\(outcome.pending) already waiting in the queue)" : ""
            Terminal.standardOutput.write(String(format: "%@: %d listed in %.2f s; %d new, %d changed, %d gone, %d unchanged; %@%@\n",
                                                 source, plan.listed, seconds, plan.added.count, plan.changed.count, plan.gone.count,
                                                 plan.unchanged, dryRun ? "nothing queued (--dry-run)" : "\(queued) jobs queued", pending))
        }
    }
}
