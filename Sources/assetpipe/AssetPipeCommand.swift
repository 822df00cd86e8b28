import ArgumentParser
import AssetMedia
import Foundation

/// The `assetpipe` command: thin; it parses flags and calls the modules.
@main
struct AssetPipeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "assetpipe",
        abstract: "Turn media files into catalogued assets: metadata, EXIF and more, in a SQLite (or PostgreSQL) catalog.",
        discussion: """
            Every file under the given paths is detected from its bytes, hashed, and (for images) read for \
            dimensions, colour and EXIF/XMP/IPTC metadata; the results go to DIR/catalog.sqlite, or with \
            --database postgres://... (or ASSETPIPE_DATABASE_URL) to PostgreSQL, in every command.

            Two ways in: `process` catalogues files at once; `enqueue` queues them (and refreshes and \
            deletions) for `work`, the queue consumer, which any number of processes can run.

            Every option of every command can also be set by a variable, ASSETPIPE_ and its name in \
            capitals (--data: ASSETPIPE_DATA, --log-format: ASSETPIPE_LOG_FORMAT), or in a settings file \
            (--config FILE, ./assetpipe.toml, ~/.config/assetpipe/config.toml); a flag wins over a \
            variable, a variable over the file. `assetpipe config COMMAND` shows what comes from where.

            Examples:
              assetpipe process ~/Pictures                 catalogue a folder into ./assetpipe-data
              assetpipe process --json photos/ > out.jsonl one JSON record per line
              assetpipe show photos/IMG_0001.jpg           print one asset's record
              assetpipe find 'exif.make = "Canon" AND size > "5mb"' --sort -taken_at
              assetpipe enqueue uploads/ && assetpipe work --until-empty
              assetpipe jobs --state failed                what did not go through, and why
              assetpipe history photos/IMG_0001.jpg        versions, refreshes, deletion
            """,
        version: "assetpipe 0.1.0 (" + MediaLibraries.versions.map { "\($0.name) \($0.version)" }.joined(separator: ", ") + ")",
        subcommands: [ProcessCommand.self, ShowCommand.self, FindCommand.self, AnnotateCommand.self, TagsCommand.self,
                      CategoriesCommand.self, FieldsCommand.self, CollectionsCommand.self, EnqueueCommand.self, WorkCommand.self,
                      JobsCommand.self, HistoryCommand.self, SourcesCommand.self, SyncCommand.self, UploadCommand.self, BackupCommand.self, ServeCommand.self, SignCommand.self, ConfigCommand.self])

    /// Runs the command line with the exit statuses the README promises:
    /// 0 done (errored assets are results), 1 fatal error, 2 usage error.
    static func main() async {
        var arguments = Array(CommandLine.arguments.dropFirst())
        // `config` explains a command line; it does not run one.
        if CommandLineSettings.command(named: arguments).type != ConfigCommand.self {
            do {
                arguments = try CommandLineSettings.complete(arguments, environment: ProcessInfo.processInfo.environment).arguments
            } catch {
                Terminal.standardError.write("Error: \(Terminal.printable(fullMessage(for: error)))\n")
                Foundation.exit(2)
            }
            if let problem = Suggestions.problem(in: arguments) {
                Terminal.standardError.write("Error: \(Terminal.printable(problem))\n")
                Foundation.exit(2)
            }
        }
        do {
            var command = try parseAsRoot(arguments)
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let error as FatalError {
            Terminal.standardError.write("assetpipe: \(Terminal.printable(error.message))\n")
            Foundation.exit(1)
        } catch {
            let code = exitCode(for: error)
            if code == .validationFailure {
                Terminal.standardError.write(Terminal.printable(fullMessage(for: error)) + "\n")
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}

/// An error that ends the command with status 1; the message says what went wrong and what to do.
struct FatalError: Error, CustomStringConvertible {
    let message: String

    var description: String { message }
}
