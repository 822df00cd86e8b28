import ArgumentParser
import AssetCatalog
import AssetObjectStore
import AssetPipeline
import AssetQueue
import AssetSources
import AssetUploads
import Foundation

struct UploadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "upload",
        abstract: "Copy files into a source (a folder or an S3 bucket) and queue them for processing.",
        discussion: """
            Each FILE goes to SOURCE (see `assetpipe sources list`) at PREFIX/NAME, NAME being the \
            file's own name: copied into a folder source (placed in one atomic step, so no reader sees \
            half a file) or put into an S3 source (in parts when large). A process job is then queued \
            for it; `assetpipe work` catalogues it. The file stays where it is.

            When something is already at PREFIX/NAME (a catalogued asset or a file or object not yet \
            catalogued), --on-conflict decides: reject (the default: nothing is overwritten, the file \
            is reported and the others go on), version (it replaces what is there and the asset gets \
            the next version) or rename (the first free NAME_1.ext, NAME_2.ext, ...). On S3 the check \
            and the put are two requests: two uploaders racing for one key can both pass the check.

            --jobs files are sent at once (default 4). Prints one line per file as it is done (with \
            --json, one JSON object: file, destination, origin, asset_id, job_id). Exits 1 when a file \
            was not uploaded, after trying the rest.

            Over HTTP, POST /v1/uploads does the same into serve's --uploads area.

            Examples:
              assetpipe upload cat.jpg --to shoots
              assetpipe upload *.jpg --to archive:2026/december --on-conflict rename
            """)

    @OptionGroup var catalog: CatalogOptions

    @Option(help: ArgumentHelp("The source, and a folder in it: SOURCE or SOURCE:PREFIX.", valueName: "SOURCE[:PREFIX]"))
    var to: String

    @Option(help: ArgumentHelp("When something is at the destination: reject, version or rename.", valueName: "POLICY"))
    var onConflict: ConflictPolicy = .reject

    @Flag(help: "Print one JSON object per file.") var json = false

    @Option(help: "Files sent at once (1–32).") var jobs = 4

    @Argument(help: ArgumentHelp("Files to upload.", valueName: "FILE")) var files: [String]

    func validate() throws {
        guard !files.isEmpty else { throw ValidationError("name at least one FILE to upload") }
        guard (1...32).contains(jobs) else { throw ValidationError("--jobs must be 1–32") }
        if let prefix = target.prefix { _ = try Self.destination(prefix: prefix, name: "x") }
    }

    /// `--to`'s source name and prefix.
    var target: (source: String, prefix: String?) {
        guard let colon = to.firstIndex(of: ":") else { return (to, nil) }
        let prefix = to[to.index(after: colon)...].trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        return (String(to[..<colon]), prefix.isEmpty ? nil : prefix)
    }

    static func destination(prefix: String?, name: String) throws(ValidationError) -> UploadDestination {
        do {
            return try UploadDestination(prefix.map { $0 + "/" + name } ?? name)
        } catch {
            throw ValidationError(error.message.replacingOccurrences(of: "destination", with: "--to's PREFIX/NAME"))
        }
    }

    func run() async throws {
        let failures = try await catalog.withQueue(existing: true) { store, queue in
            guard let source = try FieldsCommand.catalogCall({ try store.source(named: target.source) }) else {
                throw FatalError(message: "there is no source \(target.source); see `assetpipe sources list`, "
                                 + "or name one with `assetpipe sources add`")
            }
            let area = try Self.area(of: source, spoolDirectory: catalog.storeDirectory + "/upload-spool")
            // `jobs` files in flight; each one's line is printed when it is done.
            return await withTaskGroup(of: Bool.self) { group in
                var failures = 0
                var next = files.makeIterator()
                func start() {
                    guard let file = next.next() else { return }
                    group.addTask {
                        do {
                            try await upload(file, into: area, source: source, store: store, queue: queue)
                            return true
                        } catch {
                            Terminal.standardError.write("cannot upload \(Terminal.printable(file)): \(Terminal.printable("\(error)"))\n")
                            return false
                        }
                    }
                }
                for _ in 0..<jobs { start() }
                for await uploaded in group {
                    if !uploaded { failures += 1 }
                    start()
                }
                return failures
            }
        }
        if failures > 0 {
            Terminal.standardError.write("\(failures) of \(files.count) file\(files.count == 1 ? "" : "s") not uploaded\n")
            throw ExitCode(1)
        }
    }

    private func upload(_ file: String, into area: UploadArea, source: CatalogSource, store: Catalog, queue: any JobQueue) async throws {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: file, isDirectory: &isFolder), !isFolder.boolValue else {
            throw ValidationError(isFolder.boolValue ? "it is a folder; name its files" : "no such file")
        }
        let destination = try Self.destination(prefix: target.prefix, name: (file as NSString).lastPathComponent)
        let placement = try await area.place(InputWalker.absolutePath(file), spooled: false, at: destination, policy: onConflict,
                                             catalog: store)
        let job: Job
        do {
            job = try await queue.enqueue([.process(origin: placement.origin, onConflict: onConflict == .version ? .version : .reject,
                                                    priority: 10)])[0]
        } catch {
            throw FatalError(message: "\(placement.origin) is in the source, but its job was not queued (\(error)); "
                             + "`assetpipe sync \(source.name)` will find it")
        }
        let assetID = placement.existingAssetID ?? Catalog.newAssetID(forJob: job.id)
        if json {
            let object = ["file": file, "destination": placement.destination.path, "origin": placement.origin, "asset_id": assetID,
                          "job_id": job.id]
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
            Terminal.standardOutput.write(String(decoding: data, as: UTF8.self) + "\n")
        } else {
            Terminal.standardOutput.write("\(Terminal.printable(file)) → \(Terminal.printable(placement.origin)): job \(job.id), asset \(assetID)\n")
        }
    }

    /// The upload area of a source: its folder, or its bucket and prefix
    /// (with the source's settings file, or the standard AWS variables).
    static func area(of source: CatalogSource, spoolDirectory: String) throws -> UploadArea {
        do {
            guard source.isS3 else { return try UploadArea(folder: source.location) }
            let configuration: S3Configuration
            do {
                configuration = try SourceSettings.configuration(for: source)
            } catch {
                throw FatalError(message: "cannot reach the source \(source.name): \(error.message)")
            }
            return try UploadArea(s3: source.location, client: S3Client(configuration: configuration), spoolDirectory: spoolDirectory)
        } catch let error as UploadRefusal {
            throw FatalError(message: "cannot use the source \(source.name): \(error.message)")
        }
    }
}
