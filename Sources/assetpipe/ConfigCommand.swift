import ArgumentParser
import Foundation

struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Show where each option of a command line comes from: a flag, a variable, the settings file or the default.",
        discussion: """
            Every option of every command can be set three ways besides its flag, and the first found wins: \
            the flag itself; the variable ASSETPIPE_ and the option's name in capitals with _ for - \
            (--log-format: ASSETPIPE_LOG_FORMAT; a flag takes true or false); the settings file's section \
            for the command ([serve], [jobs.retry]) and then its top level; the built-in default.

            The settings file is --config FILE (on any command), else $ASSETPIPE_CONFIG, else \
            ./assetpipe.toml, else $XDG_CONFIG_HOME/assetpipe/config.toml (~/.config/...). It is TOML: \
            `key = value` lines, keys the options' names without --, values "strings", numbers, true or \
            false, or ["lists"] for options given more than once; # starts a comment. A key in a command's \
            section that the command does not have is refused; the top level holds what several commands \
            share (data, store, database, log-format).

                data = "/srv/assetpipe"
                [serve]
                port = 8080
                origin-root = ["/srv/uploads"]

            Examples:
              assetpipe config serve                 serve's options and where each comes from
              assetpipe config serve --port 9000     the same, with a flag given
              assetpipe config --config ./site.toml work
            """)

    @Argument(parsing: .captureForPassthrough, help: ArgumentHelp("A command line to explain, without `assetpipe`.", valueName: "COMMAND"))
    var commandLine: [String] = []

    func run() throws {
        let (_, settings) = try CommandLineSettings.complete(commandLine, environment: ProcessInfo.processInfo.environment)
        var rows = [["OPTION", "VALUE", "FROM"]]
        for setting in settings {
            let value: String
            switch setting.source {
            case .flag: value = "(as given)"
            default: value = setting.values.isEmpty ? "-" : setting.values.joined(separator: ", ")
            }
            let from = setting.origin.map { "\(setting.source.rawValue) \($0)" } ?? setting.source.rawValue
            rows.append(["--" + setting.option.name, value, from])
        }
        Terminal.standardOutput.write(Table.render(rows))
    }
}
