import Foundation
import TestSupport
import Testing

/// Every option from a flag, an `ASSETPIPE_*` variable, the settings file
/// (its `[command]` section, then its top level) or the default, in that
/// order; `assetpipe config` says which. Checked by where `process` really
/// writes, not only by what `config` prints.
@Suite struct SettingsTests {
    private func run(_ arguments: [String], in directory: String, environment: [String: String] = [:]) throws -> CommandResult {
        try Command.run("/usr/bin/env", environment.map { "\($0.key)=\($0.value)" } + [AssetPipe.binary] + arguments, in: directory,
                        timeout: 120)
    }

    private func hasCatalog(_ directory: String) -> Bool {
        FileManager.default.fileExists(atPath: directory + "/catalog.sqlite")
    }

    @Test func flagThenEnvironmentThenFileThenDefault() throws {
        let work = try Package.temporaryDirectory("settings")
        let photo = Package.sample("photos/odd-exif.jpg")
        let (fromFile, fromSection, fromEnvironment, fromFlag) = (work + "/file", work + "/section", work + "/env", work + "/flag")
        try "data = \"\(fromFile)\"\n# the section outranks the top level\n[show]\ndata = \"\(fromSection)\"\n"
            .write(toFile: work + "/assetpipe.toml", atomically: true, encoding: .utf8)

        #expect(try run(["process", photo], in: work).status == 0)
        #expect(hasCatalog(fromFile))
        #expect(try run(["process", photo], in: work, environment: ["ASSETPIPE_DATA": fromEnvironment]).status == 0)
        #expect(hasCatalog(fromEnvironment))
        #expect(try run(["process", "--data", fromFlag, photo], in: work, environment: ["ASSETPIPE_DATA": fromEnvironment]).status == 0)
        #expect(hasCatalog(fromFlag))
        // `show` has its own section: it looks in fromSection, which has no catalog.
        let shown = try run(["show", photo], in: work)
        #expect(shown.status == 1 && shown.stderr.contains(fromSection + "/catalog.sqlite"), "\(shown.summary)")

        let explained = try run(["config", "process", "--jobs", "1"], in: work, environment: ["ASSETPIPE_JSON": "true"]).output
        let rows = Dictionary(explained.split(separator: "\n").dropFirst().map { line in
            let cells = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            return (cells[0], cells.dropFirst().joined(separator: " "))
        }, uniquingKeysWith: { first, _ in first })
        #expect(rows["--data"] == "\(fromFile) file assetpipe.toml:1", "\(explained)")
        #expect(rows["--jobs"] == "(as given) flag")
        #expect(rows["--json"] == "true environment ASSETPIPE_JSON")
        #expect(rows["--symlinks"] == "within default")

        // A flag from the environment takes true or false, and acts.
        let json = try run(["process", "--data", fromFlag, photo], in: work, environment: ["ASSETPIPE_JSON": "1", "ASSETPIPE_FORCE": "yes"])
        #expect(try AssetPipe.records(in: json.stdout).count == 1, "\(json.summary)")
    }

    @Test func badSettingsAreUsageErrorsThatSayWhere() throws {
        let work = try Package.temporaryDirectory("settings-bad")
        let cases: [(String, String)] = [
            ("[serve]\nport = eighty\n", "line 2, column 8"),
            ("[serve]\nprot = 8080\n", "did you mean port?"),
            ("data = \"unclosed\n", "not closed"),
        ]
        for (text, says) in cases {
            try text.write(toFile: work + "/assetpipe.toml", atomically: true, encoding: .utf8)
            let result = try run(["serve", "--help"], in: work)
            #expect(result.status == 2 && result.stderr.contains("assetpipe.toml") && result.stderr.contains(says), "\(text): \(result.summary)")
        }
        let missing = try run(["show", "--config", work + "/nope.toml", "x"], in: work)
        #expect(missing.status == 2 && missing.stderr.contains("nope.toml"), "\(missing.summary)")
        let badFlag = try run(["process", Package.sample("photos/odd-exif.jpg")], in: try Package.temporaryDirectory("settings-flag"),
                              environment: ["ASSETPIPE_FORCE": "maybe"])
        #expect(badFlag.status == 2 && badFlag.stderr.contains("ASSETPIPE_FORCE"), "\(badFlag.summary)")
    }
}
