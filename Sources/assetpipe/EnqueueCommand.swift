import ArgumentParser
import AssetCatalog
import AssetPipeline
import AssetQueue
import Foundation

struct EnqueueCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "enqueue",
        abstract: "Queue files to catalogue, or assets to refresh or delete, for `assetpipe work`.",
        discussion: """
            Prints one job id per line (with --json, one JSON job per line). Nothing is processed here: \
            run `assetpipe work` against the same --data to process the queue.

            Files: each FILE (folders are walked) becomes a `process` job, stored at its absolute path \
            unless --as names another catalog path. A file the catalog already holds at that path (same \
            SHA-256) is not processed again: its job succeeds as `unchanged`. When a different file is \
            there, --on-conflict decides: reject (the job fails with reason `exists`; nothing is \
            overwritten), version (the asset gets version n+1 and keeps its id) or rename (a new asset at \
            name_1.jpg, name_2.jpg, ...); the default is the pipeline file's `uploads.on_conflict`, which \
            is reject in the built-in pipeline. A finished job names its asset: `jobs --json` shows \
            asset_id, path (after a rename), version and change.

            --refresh ID...: read each asset again from its origin and rerun the pipeline. \
            --delete ID...: the origin is gone; remove the asset and its renditions (its history keeps a \
            tombstone). Assets are named by id or catalog path.

            Priority: higher runs first. Defaults: uploads 10, deletes 5, refreshes 0, so fresh uploads \
            never wait behind a bulk refresh.

            Examples:
              assetpipe enqueue photos/                          queue a folder
              assetpipe enqueue --as shop/cat.jpg --on-conflict version ~/cat.jpg
              assetpipe enqueue --refresh 3f2a…                  rerun one asset
            """)

    @OptionGroup var catalog: CatalogOptions

    @Option(name: .customLong("as"), help: ArgumentHelp(
        "The asset's path in the catalog (one FILE), or a folder to put every FILE in when it ends with '/'.",
        valueName: "PATH"))
    var target: String?

    @Option(help: ArgumentHelp("When an asset exists at the target path: reject, version or rename.", valueName: "POLICY"))
    var onConflict: JobPayload.ConflictPolicy?

    @Option(help: "Higher runs first, -1000 to 1000. Default: 10 for uploads, 5 for --delete, 0 for --refresh.")
    var priority: Int?

    @Option(help: "Attempts (1–50) before a job that keeps failing transiently (unreadable file, timeout) is dead.")
    var maxAttempts: Int = JobRequest.defaultMaxAttempts

    @Flag(help: "Re-read the named assets from their origins and run the pipeline again.")
    var refresh = false

    @Flag(help: "Remove the named assets (their origins are gone) and their renditions.")
    var delete = false

    @Option(help: ArgumentHelp("Symlinks found in the folders: within (follow those that stay inside the given paths), "
                               + "follow (all) or skip (none).", valueName: "POLICY"))
    var symlinks: SymlinkPolicy = .within

    @OptionGroup var walk: WalkOptions

    @Flag(help: "Print one JSON job per line instead of job ids.")
    var json = false

    @Argument(help: ArgumentHelp("Files and folders to queue; with --refresh or --delete, asset ids or paths.", valueName: "FILE"))
    var items: [String]

    func validate() throws {
        guard !items.isEmpty else { throw ValidationError("name at least one FILE (or asset, with --refresh/--delete)") }
        guard JobRequest.attemptCounts.contains(maxAttempts) else { throw ValidationError("--max-attempts must be 1–50") }
        if let priority, !JobRequest.priorities.contains(priority) { throw ValidationError("--priority must be -1000 to 1000") }
        if refresh && delete { throw ValidationError("--refresh and --delete cannot be combined; queue them separately") }
        if refresh || delete {
            let flag = refresh ? "--refresh" : "--delete"
            if target != nil { throw ValidationError("--as applies to files, not to \(flag)") }
            if onConflict != nil { throw ValidationError("--on-conflict applies to files, not to \(flag)") }
            return
        }
        for path in items where !FileManager.default.fileExists(atPath: path) {
            throw ValidationError("no such file or directory: \(path)")
        }
        if let target, !target.hasSuffix("/") {
            var isDirectory: ObjCBool = false
            let single = items.count == 1 && FileManager.default.fileExists(atPath: items[0], isDirectory: &isDirectory) && !isDirectory.boolValue
            guard single else {
                throw ValidationError("--as \(target) names one asset but several files are queued; end it with '/' to put them in that folder")
            }
        }
    }

    func run() async throws {
        let (store, jobs) = try await catalog.withQueue { store, queue in
            let requests = refresh || delete ? try assetRequests(store) : try fileRequests()
            do throws(QueueError) {
                return (store, try await queue.enqueue(requests))
            } catch {
                throw error.fatal
            }
        }
        let encoder = AssetRecord.makeEncoder()
        var output = ""
        for job in jobs {
            output += json ? String(decoding: try encoder.encode(job), as: UTF8.self) + "\n" : job.id + "\n"
        }
        Terminal.standardOutput.write(output)
        Terminal.standardError.write("queued \(jobs.count) job\(jobs.count == 1 ? "" : "s") in \(catalog.databaseURL == nil ? InputWalker.absolutePath(store.location) : store.location); run \(catalog.suggest("work")) to process them\n")
    }

    private func fileRequests() throws -> [JobRequest] {
        let inputs = InputWalker.walk(items, symlinks: symlinks, hidden: walk.hidden, excludes: walk.excludes)
        for problem in inputs.problems {
            Terminal.standardError.write("warning: \(Terminal.printable(problem))\n")
        }
        if inputs.ignored > 0 {
            Terminal.standardError.write("ignored \(inputs.ignored) (junk, hidden, --exclude, .assetpipeignore; --hidden takes dot-files)\n")
        }
        guard !inputs.files.isEmpty else { throw FatalError(message: "no files found under \(items.joined(separator: ", "))") }
        return inputs.files.map { file in
            let origin = file.displayPath
            let asPath: String? = target.map { $0.hasSuffix("/") ? $0 + file.name : $0 }
            return .process(origin: origin, as: asPath, onConflict: onConflict, priority: priority ?? 10, maxAttempts: maxAttempts)
        }
    }

    /// Resolves each named asset (id, or catalog path) to its id now, so a
    /// typo fails here rather than as a failed job later.
    private func assetRequests(_ store: Catalog) throws -> [JobRequest] {
        try items.map { key in
            let found: AssetRecord?
            do {
                found = try store.record(idOrPath: key) ?? store.record(idOrPath: InputWalker.absolutePath(key))
            } catch {
                throw FatalError(message: "\(error)")
            }
            guard let id = found?.id else {
                throw FatalError(message: "no asset with id or path '\(key)' in \(store.location); `assetpipe history \(key)` shows whether it was deleted")
            }
            return refresh
                ? .refresh(assetID: id, priority: priority ?? 0, maxAttempts: maxAttempts)
                : .delete(assetID: id, priority: priority ?? 5, maxAttempts: maxAttempts)
        }
    }
}
