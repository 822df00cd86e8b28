import ArgumentParser
import AssetCatalog
import AssetMedia
import AssetPipeline
import AssetQuery
import AssetQueue
import Foundation
import Synchronization

struct ProcessCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "process",
        abstract: "Catalogue every file under the given paths.",
        discussion: """
            Folders are walked recursively; a symlink found there is followed only if it leads to something \
            inside the given paths (--symlinks), and a folder reached twice is walked once. Left out: file-system \
            junk (.DS_Store, Thumbs.db, desktop.ini, @eaDir/, .thumbnails/, ._*), names starting with a dot \
            (unless --hidden), and what --exclude or a folder's .assetpipeignore (gitignore syntax) names; \
            a path given on the command line is always taken. Any other file is catalogued: \
            images get metadata and EXIF; other files their type, size and SHA-256. A file that cannot be \
            processed becomes an asset with status "errored" and a reason (corrupt, empty, inaccessible, \
            unsupported_format, too_large); the batch goes on.

            Re-runs are incremental: a file whose size, modification time and inode are those it had when \
            it was last catalogued is skipped without being read (counted as unchanged); --force processes \
            every file again. A changed file at the same path updates its asset in place: same id, newer \
            timestamps. --prune then deletes the assets under the given folders whose file no longer exists \
            (never for a folder that came up empty: an unmounted share looks like that).

            SIGINT (Ctrl-C) or SIGTERM: no new file is started, the ones in flight are finished and \
            stored, the summary says "interrupted", and the exit status is 130; a second signal quits at \
            once. The summary goes to stdout (stderr with --json, where the records are).

            Exit status: 0 when every file was handled (errored assets included), 1 on a fatal error \
            such as an unwritable catalog, 2 on a usage error, 130 when interrupted.
            """)

    @OptionGroup var catalog: CatalogOptions

    @OptionGroup var pipeline: PipelineOptions

    @OptionGroup var backupOptions: BackupOptions

    @Option(help: "Files processed at once. Default: the number of cores.")
    var jobs: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: ArgumentHelp("Symlinks found in the folders: within (follow those that stay inside the given paths), "
                               + "follow (all) or skip (none).", valueName: "POLICY"))
    var symlinks: SymlinkPolicy = .within

    @OptionGroup var walk: WalkOptions

    @Flag(help: "Process every file again, even those unchanged since they were catalogued.")
    var force = false

    @Flag(help: "Also delete the assets under the given folders whose file is gone (their history keeps a tombstone).")
    var prune = false

    @Flag(help: "Print one JSON asset record per line on stdout; the summary goes to stderr.")
    var json = false

    @Argument(help: ArgumentHelp("Files and folders to process.", valueName: "PATH"))
    var paths: [String]

    func validate() throws {
        guard jobs >= 1 else { throw ValidationError("--jobs must be at least 1") }
        for path in paths where !FileManager.default.fileExists(atPath: path) && !Self.isDanglingLink(path) {
            throw ValidationError("no such file or directory: \(path)")
        }
    }

    func run() async throws {
        let definition = try pipeline.definition()
        try Startup.startLibvips(parallel: jobs)
        let store = try await catalog.openCatalog()
        let started = ContinuousClock.now

        let inputs = InputWalker.walk(paths, symlinks: symlinks, hidden: walk.hidden, excludes: walk.excludes)
        for problem in inputs.problems {
            Terminal.standardError.write("warning: \(Terminal.printable(problem))\n")
        }
        let (files, unchanged) = force ? (inputs.files, 0) : try Self.changedFiles(inputs.files, in: store)
        let runner = PipelineOptions.runner(definition) { Terminal.standardError.write("warning: \($0)\n") }
        let batch = Batch(runner: runner, sink: store, concurrency: jobs)
        let output = RecordOutput(json: json, total: files.count)
        var summary: BatchSummary
        let stop = BatchStop()
        let signals = InterruptSignals {
            stop.request()
            Terminal.standardError.write("\ninterrupted: finishing the files in flight, then stopping (again to quit now)\n")
        }
        defer { signals.cancel() }
        let copier = try backupOptions.copier()
        // Ids only: a batch of a million records is not kept in memory for its backups.
        let catalogued = Mutex<[String]>([])
        do {
            summary = try batch.run(files, stop: stop) { record, progress in
                if copier != nil, record.status == .processed, let id = record.id { catalogued.withLock { $0.append(id) } }
                output.show(record, progress)
            }
        } catch {
            output.finish()
            throw FatalError(message: "\(error); the batch stopped, assets already stored are kept")
        }
        output.finish()
        summary.unchanged = unchanged
        // An interrupted run has not seen every file: it prunes nothing.
        let pruned = prune && !summary.interrupted ? try Self.prune(under: paths, walked: inputs.files, in: store) : 0
        summary.seconds = started.duration(to: .now).seconds
        var text = Self.describe(summary, catalog: catalog.databaseURL == nil ? InputWalker.absolutePath(store.location) : store.location,
                                 problems: inputs.problems.count, ignored: inputs.ignored, pruned: pruned)
        if let copier {
            // After the batch, so a slow bucket never holds the pipeline back; a failure is reported, and the asset stays catalogued.
            let backedUp = await copier.copy(assetIDs: catalogued.withLock { $0 }, from: store, concurrency: 4)
            for failure in backedUp.failed { Terminal.standardError.write("warning: backup: \(Terminal.printable(failure.description))\n") }
            text += "backup to \(copier.bucket): \(backedUp.copied) copied, \(backedUp.present) already there"
                + (backedUp.failed.isEmpty ? "\n" : ", \(backedUp.failed.count) failed (assetpipe backup --all tries them again)\n")
        }
        // The summary is the output, unless the records are (--json).
        (json ? Terminal.standardError : Terminal.standardOutput).write(text)
        if summary.interrupted { throw ExitCode(130) }
    }

    static func describe(_ summary: BatchSummary, catalog: String, problems: Int, ignored: Int = 0, pruned: Int = 0) -> String {
        // The rate is of the files processed: skipping is not processing.
        var text = String(format: "%d files in %.2f s", summary.total + summary.unchanged, summary.seconds)
        text += summary.total > 0 ? String(format: " (%.1f assets/s)\n", summary.assetsPerSecond) : "\n"
        text += "  processed: \(summary.processed)\n"
        if summary.interrupted {
            text += "  interrupted: \(summary.notStarted) not started (run the same command again to do them)\n"
        }
        if summary.unchanged > 0 {
            text += "  unchanged: \(summary.unchanged) (skipped: size, time and inode as catalogued; --force re-does them)\n"
        }
        let errored = summary.errored.values.reduce(0, +)
        if errored > 0 {
            let reasons = summary.errored.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.key) \($0.value)" }
            text += "  errored:   \(errored) (\(reasons.joined(separator: ", ")))\n"
        }
        if pruned > 0 {
            text += "  pruned:    \(pruned) (assets whose file is gone, deleted)\n"
        }
        if ignored > 0 {
            text += "  ignored:   \(ignored) (junk, hidden, --exclude, .assetpipeignore)\n"
        }
        if problems > 0 {
            text += "  not walked: \(problems) (folders not listed, links leading out; see warnings above)\n"
        }
        text += "catalog: \(catalog)\n"
        return text
    }

    /// The files to process, and how many were skipped: those whose asset
    /// at their path was read from a file with the same signature and ended
    /// for good (processed, or errored for a reason that is not transient).
    static func changedFiles(_ files: [SourceFile], in catalog: Catalog) throws -> (files: [SourceFile], unchanged: Int) {
        let stored = try catalog.originFiles(atPaths: files.map(\.displayPath))
        var changed: [SourceFile] = []
        for file in files {
            guard let origin = stored[file.displayPath], let signature = file.currentSignature(),
                  origin.signature == signature, origin.isFinal else {
                changed.append(file)
                continue
            }
        }
        return (changed, files.count - changed.count)
    }

    /// Deletes the assets under each given folder whose origin no longer
    /// exists (ENOENT: not a file that could not be read), and returns how
    /// many. A folder in which the walk found no file is left alone.
    static func prune(under roots: [String], walked: [SourceFile], in catalog: Catalog) throws -> Int {
        var deleted = 0
        let source = ChangeSource(actor: "process --prune \(AnnotateCommand.actor)")
        for root in roots.map(InputWalker.absolutePath) {
            var info = stat()
            guard stat(root, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else { continue }
            guard walked.contains(where: { $0.displayPath.hasPrefix(root + "/") }) else {
                Terminal.standardError.write("warning: not pruning \(Terminal.printable(root)): no file was found in it (is it unmounted?)\n")
                continue
            }
            let request = try FindRequest(q: "path : \(QueryParser.quoted(root))")
            for id in try catalog.matchingIDs(request) {
                guard let asset = try catalog.record(idOrPath: id), SourceFile(path: asset.origin ?? asset.path).isAbsent else { continue }
                if case .applied = try catalog.delete(assetID: id, source: source) { deleted += 1 }
            }
        }
        return deleted
    }

    private static func isDanglingLink(_ path: String) -> Bool {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: path)) != nil
    }
}

/// Shows finished records: JSON lines on stdout, or a progress bar on a terminal.
private final class RecordOutput: Sendable {
    private let json: Bool
    private let progress: Mutex<ProgressBar?>
    private let encoder = AssetRecord.makeEncoder()

    init(json: Bool, total: Int) {
        self.json = json
        let stream = Terminal.standardError
        progress = Mutex(stream.isInteractive ? ProgressBar(total: total, stream: stream) : nil)
    }

    /// Called one record at a time (the batch serializes calls).
    func show(_ record: AssetRecord, _ summary: BatchSummary) {
        if json, let line = try? encoder.encode(record) {
            Terminal.standardOutput.write(String(decoding: line, as: UTF8.self) + "\n")
        }
        progress.withLock { bar in
            bar?.update(done: summary.total, errored: summary.errored.values.reduce(0, +), rate: summary.assetsPerSecond)
        }
    }

    func finish() {
        progress.withLock { bar in bar?.finish() }
    }
}

extension SymlinkPolicy: ExpressibleByArgument {}
