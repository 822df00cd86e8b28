import ArgumentParser
import AssetPipeline
import Foundation

/// Fills in the options a command line leaves out, from `ASSETPIPE_*`
/// variables and the settings file: a flag given wins, then the variable
/// (`--log-format` ← `ASSETPIPE_LOG_FORMAT`), then the file's `[command]`
/// section, then its top level, then the built-in default. What came from
/// where is what `assetpipe config` shows. The options are read from each
/// command's own help, so a new flag gets its variable and key for free.
enum CommandLineSettings {
    /// One long option of a command, as its help spells it.
    struct Option: Equatable {
        var name: String
        var takesValue: Bool
        /// Unknown from the help, so always true: a list is passed on as several flags.
        var repeatable: Bool
        /// `--[no-]name`: the variable and key take true or false.
        var inverted: Bool
        var defaultValue: String?

        var variable: String { "ASSETPIPE_" + name.uppercased().replacingOccurrences(of: "-", with: "_") }
    }

    enum Source: String {
        case flag, environment, file, `default`
    }

    /// Where an option's value came from, for `assetpipe config`.
    struct Setting {
        var option: Option
        var values: [String]
        var source: Source
        /// The variable's name or the file and line.
        var origin: String?
    }

    /// The command the arguments name (walking the subcommands), its path
    /// (`assetpipe jobs retry`) and where its own arguments start.
    static func command(named arguments: [String]) -> (type: any ParsableCommand.Type, path: [String], rest: Int) {
        var command: any ParsableCommand.Type = AssetPipeCommand.self
        var path = ["assetpipe"]
        var index = 0
        while index < arguments.count, !arguments[index].hasPrefix("-"),
              let sub = command.configuration.subcommands.first(where: {
                  Suggestions.name(of: $0) == arguments[index] || $0.configuration.aliases.contains(arguments[index])
              }) {
            command = sub
            path.append(arguments[index])
            index += 1
        }
        return (command, path, index)
    }

    /// A command's long options, from its help's option list (printed
    /// unwrapped); a command with a default subcommand adds that one's.
    static func options(of command: any ParsableCommand.Type) -> [Option] {
        var found = parse(AssetPipeCommand.helpMessage(for: command, includeHidden: true, columns: 100_000))
        if let fallback = command.configuration.defaultSubcommand {
            for option in options(of: fallback) where !found.contains(where: { $0.name == option.name }) { found.append(option) }
        }
        return found
    }

    /// The OPTIONS section: `  --name <value>   help (default: x)`, `  --flag`,
    /// `  --name/--no-name`; a long name's help goes on the lines after it.
    private static func parse(_ help: String) -> [Option] {
        var options: [Option] = []
        var current: (option: Option, text: String)?
        func finish() {
            guard var (option, text) = current else { return }
            // `(default: x)`, or `(values: a, b; default: x)` for a choice.
            option.defaultValue = text.firstMatch(of: /[(;] ?default: ([^()]*)\)\s*$/).map { String($0.1) }
            // An inverted flag's default is printed as its spelling.
            if option.inverted, let value = option.defaultValue {
                option.defaultValue = value == "--" + option.name ? "true" : value == "--no-" + option.name ? "false" : value
            }
            options.append(option)
            current = nil
        }
        for line in help.split(separator: "\n", omittingEmptySubsequences: false) {
            if let match = line.firstMatch(of: /^  (?:-[A-Za-z], )?--([a-z0-9][a-z0-9-]*)(\/--no-[a-z0-9-]+)?( <[^>]+>)?(.*)$/) {
                finish()
                let name = String(match.1)
                guard !["help", "version"].contains(name) else { continue }
                // Whether an option may be given more than once is not in the help: lists are passed on as given.
                current = (Option(name: name, takesValue: match.3 != nil, repeatable: true, inverted: match.2 != nil), String(match.4))
            } else if line.hasPrefix("      "), current != nil {
                current?.text += " " + line.trimmingCharacters(in: .whitespaces)
            } else {
                finish()
            }
        }
        finish()
        return options
    }

    /// Whether the arguments give the option themselves.
    static func gives(_ arguments: ArraySlice<String>, _ option: Option) -> Bool {
        let spellings = ["--" + option.name] + (option.inverted ? ["--no-" + option.name] : [])
        for argument in arguments {
            if argument == "--" { return false }
            if spellings.contains(argument) || spellings.contains(where: { argument.hasPrefix($0 + "=") }) { return true }
        }
        return false
    }

    /// The settings file named by `--config FILE` (taken out of the
    /// arguments), `ASSETPIPE_CONFIG`, or found at ./assetpipe.toml or
    /// $XDG_CONFIG_HOME/assetpipe/config.toml; nil when there is none.
    static func settingsFile(_ arguments: inout [String], environment: [String: String]) throws -> (file: ConfigFile, path: String)? {
        var named: String?
        var index = 0
        while index < arguments.count, arguments[index] != "--" {
            if arguments[index] == "--config" {
                guard index + 1 < arguments.count else { throw ValidationError("--config needs a FILE") }
                named = arguments[index + 1]
                arguments.removeSubrange(index...(index + 1))
            } else if arguments[index].hasPrefix("--config=") {
                named = String(arguments[index].dropFirst("--config=".count))
                arguments.remove(at: index)
            } else {
                index += 1
            }
        }
        named = named ?? environment["ASSETPIPE_CONFIG"].flatMap { $0.isEmpty ? nil : $0 }
        let configHome = environment["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (environment["HOME"].map { $0 + "/.config" } ?? "")
        let candidates = named.map { [$0] } ?? ["assetpipe.toml", configHome + "/assetpipe/config.toml"]
        for path in candidates {
            guard FileManager.default.fileExists(atPath: path) || named != nil else { continue }
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ValidationError("cannot read the settings file \(path); check the path (--config or ASSETPIPE_CONFIG)")
            }
            guard let text = String(data: data, encoding: .utf8) else { throw ValidationError("\(path) is not UTF-8 text") }
            do {
                return (try ConfigFile(parsing: text), path)
            } catch {
                throw ValidationError("bad settings file \(path), \(error)")
            }
        }
        return nil
    }

    /// The arguments with every option they leave out filled in from the
    /// environment and the file, and where each of the command's options
    /// stands.
    static func complete(_ given: [String], environment: [String: String]) throws -> (arguments: [String], settings: [Setting]) {
        var arguments = given
        let file = try settingsFile(&arguments, environment: environment)
        let (command, path, rest) = command(named: arguments)
        let options = options(of: command)
        let section = path.dropFirst().joined(separator: ".")
        if let file, !section.isEmpty, let entries = file.file.sections[section] {
            for key in entries.keys.sorted() where !options.contains(where: { $0.name == key.replacingOccurrences(of: "_", with: "-") }) {
                let hint = Suggestions.closest(to: key, in: options.map(\.name)).map { "; did you mean \($0)?" } ?? ""
                throw ValidationError("\(file.path) line \(entries[key]?.line ?? 0): [\(section)] has no option \(key)\(hint)")
            }
        }
        var injected: [String] = []
        var settings: [Setting] = []
        for option in options {
            if gives(arguments[rest...], option) {
                settings.append(Setting(option: option, values: [], source: .flag, origin: nil))
                continue
            }
            var values: [String]?, source = Source.default, origin: String?
            if let text = environment[option.variable], !text.isEmpty {
                values = [text]
                source = .environment
                origin = option.variable
            } else if let file, let entry = entry(for: option, section: section, in: file.file) {
                values = entry.value.words
                source = .file
                origin = "\(file.path):\(entry.line)"
            }
            guard let values else {
                settings.append(Setting(option: option, values: option.defaultValue.map { [$0] } ?? [], source: .default, origin: nil))
                continue
            }
            injected += try words(for: option, values, from: origin ?? "")
            settings.append(Setting(option: option, values: values, source: source, origin: origin))
        }
        arguments.insert(contentsOf: injected, at: rest)
        return (arguments, settings)
    }

    private static func entry(for option: Option, section: String, in file: ConfigFile) -> ConfigFile.Entry? {
        for name in [section, ""] {
            guard let entries = file.sections[name] else { continue }
            if let entry = entries[option.name] ?? entries[option.name.replacingOccurrences(of: "-", with: "_")] { return entry }
        }
        return nil
    }

    /// Command-line words for a value from the environment or the file.
    private static func words(for option: Option, _ values: [String], from origin: String) throws -> [String] {
        guard option.takesValue else {
            let text = values.first?.lowercased() ?? ""
            let on: Bool
            switch text {
            case "1", "true", "yes", "on": on = true
            case "0", "false", "no", "off": on = false
            default: throw ValidationError("\(origin) sets --\(option.name) to '\(values.first ?? "")'; use true or false")
            }
            if on { return ["--" + option.name] }
            return option.inverted ? ["--no-" + option.name] : []
        }
        return values.flatMap { ["--" + option.name, $0] }
    }
}
