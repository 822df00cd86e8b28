import ArgumentParser

/// Catches a misspelt command or long option before parsing, and says what
/// was probably meant (`procss` → `process`, `--dat` → `--data`): parsed
/// as they are, a mistyped flag's value became a path ("no such file: e").
enum Suggestions {
    /// A message for the first unknown command or long option in `arguments`
    /// (the command line without the program name); nil when all are known.
    static func problem(in arguments: [String]) -> String? {
        var command: any ParsableCommand.Type = AssetPipeCommand.self
        var path = ["assetpipe"]
        var rest = arguments[...]
        // Walk down the subcommands named.
        while let word = rest.first, !word.hasPrefix("-") {
            let subcommands = command.configuration.subcommands
            guard !subcommands.isEmpty else { break }
            if let sub = subcommands.first(where: { name(of: $0) == word || $0.configuration.aliases.contains(word) }) {
                command = sub
                path.append(word)
                rest = rest.dropFirst()
                continue
            }
            if word == "help" { return nil }
            let names = subcommands.map(name(of:))
            let near = closest(to: word, in: names)
            // A word near no subcommand is the default subcommand's argument (`jobs` lists).
            if near == nil, command.configuration.defaultSubcommand != nil { break }
            return "unknown command '\(word)' for '\(path.joined(separator: " "))'" + hint(near)
                + " Commands: \(names.joined(separator: ", ")). See '\(path.joined(separator: " ")) --help'."
        }
        let known = longOptions(of: command)
        for argument in rest {
            if argument == "--" { break }
            guard argument.hasPrefix("--"), argument.count > 2 else { continue }
            let option = String(argument.split(separator: "=", maxSplits: 1).first ?? "")
            if known.contains(option) { continue }
            return "unknown option '\(option)' for '\(path.joined(separator: " "))'" + hint(closest(to: option, in: known.sorted()))
                + " See '\(path.joined(separator: " ")) --help'."
        }
        return nil
    }

    private static func hint(_ candidate: String?) -> String {
        candidate.map { "; did you mean '\($0)'?" } ?? "."
    }

    static func name(of command: any ParsableCommand.Type) -> String {
        command.configuration.commandName ?? String(describing: command).lowercased()
    }

    /// The long options a command takes, as its help spells them, with both spellings of `--[no-]x`.
    static func longOptions(of command: any ParsableCommand.Type) -> Set<String> {
        var options: Set<String> = ["--help", "--version", "--generate-completion-script", "--experimental-dump-help"]
        for option in CommandLineSettings.options(of: command) {
            options.insert("--" + option.name)
            if option.inverted { options.insert("--no-" + option.name) }
        }
        return options
    }

    /// The candidate within a small edit distance of `word`, nearest first.
    static func closest(to word: String, in candidates: [String]) -> String? {
        let limit = max(2, word.count / 3)
        return candidates.map { ($0, distance(word, $0)) }.filter { $0.1 <= limit }.min { $0.1 < $1.1 }?.0
    }

    /// Levenshtein distance, with a transposition counted as one edit (`procss`, `--jbos`).
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        var table = Array(repeating: Array(repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { table[i][0] = i }
        for j in 0...b.count { table[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                table[i][j] = min(table[i - 1][j] + 1, table[i][j - 1] + 1, table[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    table[i][j] = min(table[i][j], table[i - 2][j - 2] + 1)
                }
            }
        }
        return table[a.count][b.count]
    }
}
