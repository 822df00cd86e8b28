import ArgumentParser
import AssetPipeline

/// What a walk of folders leaves out, for `process`, `enqueue` and
/// `work --watch` alike (`IgnoreRules`).
struct WalkOptions: ParsableArguments {
    @Flag(help: "Also take files and folders whose names start with a dot (junk such as .DS_Store stays out).")
    var hidden = false

    @Option(name: .customLong("exclude"),
            help: ArgumentHelp("Leave out what matches this gitignore pattern (repeatable): '*.tmp', 'raw/', "
                               + "'/exports/**/*.psd' (a leading or inner / anchors it at each folder given); "
                               + "'!pattern' takes a path back. Rules also come from a .assetpipeignore file in "
                               + "any folder walked.", valueName: "GLOB"))
    var excludes: [String] = []

    func validate() throws {
        for pattern in excludes where !IgnoreRules.isPattern(pattern) {
            throw ValidationError("--exclude '\(pattern)' holds no pattern (it is empty or a # comment); "
                                  + "escape a leading # as \\#")
        }
    }
}
