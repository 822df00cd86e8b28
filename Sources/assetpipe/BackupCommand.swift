import ArgumentParser
import AssetBackup
import AssetCatalog
import AssetObjectStore
import AssetPipeline
import AssetSources
import AssetWorker
import Foundation
import Logging

/// Where backups go: `--backup s3://bucket/prefix` (or ASSETPIPE_BACKUP), the
/// bucket reached with the standard AWS variables.
struct BackupOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "Back originals up to this bucket and prefix: each new version is copied there once catalogued, and never deleted.",
        discussion: "The bucket is reached with AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN), AWS_REGION and, "
            + "for a server other than AWS, AWS_ENDPOINT_URL; ASSETPIPE_S3_ADDRESSING=path for servers that want path-style URLs.",
        valueName: "s3://BUCKET/PREFIX"))
    var backup: String?

    /// The copier, or nil when no backup is configured; originals in
    /// buckets are read with the clients of `catalog`'s sources.
    func copier(sourcesOf catalog: Catalog? = nil) throws -> BackupCopier? {
        guard let backup else { return nil }
        do {
            return BackupCopier(bucket: try S3Bucket(url: backup), configuration: try S3Configuration.fromEnvironment(),
                                originClients: catalog.map { SourceClients(catalog: $0) })
        } catch {
            throw FatalError(message: "--backup \(backup): \(error.message)")
        }
    }
}

extension BackupOptions {
    /// What a worker does after each new version: back it up, when a backup is configured.
    func afterNewVersion(catalog: Catalog, logger: Logger) throws -> Worker.AfterNewVersion? {
        guard let copier = try copier(sourcesOf: catalog) else { return nil }
        let hook = BackupHook(copier: copier, catalog: catalog, logger: logger)
        return { job, made in await hook.backUp(assetID: made.assetID, jobID: job.id) }
    }
}

struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Copy catalogued originals to the backup bucket: named assets, or with --all every one missing there.",
        discussion: """
            Each version of an asset is copied once, to \
            s3://BUCKET/PREFIX<asset id>/v<version>-<first 16 digits of its SHA-256>/<name>, with its \
            SHA-256 and asset id as object metadata (x-amz-meta-sha256, x-amz-meta-asset-id); new bytes \
            (a refresh that read a changed file) get a key of their own, so no backup is overwritten. \
            A version already there is left alone, so running it again copies only what is missing; \
            nothing is ever deleted from the bucket, deleted assets included. The original is read \
            from its origin and checked against the SHA-256 catalogued for the version: a file changed \
            since is reported, not copied (refresh the asset and its new version is backed up).

            Exit status 0 when every asset asked for is in the bucket, 1 when one or more could not \
            be copied (each is listed on stderr with the reason).

            Example: assetpipe backup --backup s3://dam-backup/originals/ --all
            """)

    @OptionGroup var catalog: CatalogOptions
    @OptionGroup var backupOptions: BackupOptions

    @Flag(help: "Every processed asset whose current version the bucket does not hold.")
    var all = false

    @Option(help: "Copies at once.")
    var jobs = 4

    @Flag(help: "Print the summary as one JSON object.")
    var json = false

    @Argument(help: ArgumentHelp("Assets to back up, by id or catalog path.", valueName: "ID_OR_PATH"))
    var assets: [String] = []

    func validate() throws {
        guard all != !assets.isEmpty else {
            throw ValidationError(all ? "give --all or assets, not both" : "name the assets to back up, or give --all")
        }
        guard (1...64).contains(jobs) else { throw ValidationError("--jobs must be 1 to 64") }
        guard backupOptions.backup != nil else {
            throw ValidationError("give the bucket: --backup s3://BUCKET/PREFIX (or ASSETPIPE_BACKUP)")
        }
    }

    func run() async throws {
        let store = try await catalog.openExistingCatalog()
        guard let copier = try backupOptions.copier(sourcesOf: store) else { return }
        var summary = BackupCopier.Summary()
        if all {
            do {
                summary = try await copier.backfill(store, concurrency: jobs)
            } catch {
                throw FatalError(message: error.description)
            }
        } else {
            for name in assets {
                let record: AssetRecord?
                do {
                    record = try store.record(idOrPath: name) ?? store.record(idOrPath: InputWalker.absolutePath(name))
                } catch {
                    throw FatalError(message: "\(error)")
                }
                guard let record else {
                    throw FatalError(message: "no asset '\(name)' in \(store.location); name an asset by its id or catalog path")
                }
                do {
                    switch try await copier.copy(record) {
                    case .copied: summary.copied += 1
                    case .present: summary.present += 1
                    }
                } catch {
                    summary.failed.append(error)
                }
            }
        }
        for failure in summary.failed {
            Terminal.standardError.write("backup: \(failure)\n")
        }
        if json {
            let failed = summary.failed.map { ["asset_id": $0.assetID ?? "", "path": $0.path ?? "", "reason": $0.message] }
            let object: [String: Any] = ["backup": copier.bucket.description, "copied": summary.copied, "present": summary.present,
                                         "failed": failed]
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
            Terminal.standardOutput.write(String(decoding: data, as: UTF8.self) + "\n")
        } else {
            Terminal.standardOutput.write("backup to \(copier.bucket): \(summary.copied) copied, \(summary.present) already there, "
                + "\(summary.failed.count) failed\n")
        }
        if !summary.failed.isEmpty { throw ExitCode(1) }
    }
}
