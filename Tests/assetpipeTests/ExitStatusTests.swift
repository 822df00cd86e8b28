import Foundation
import TestSupport
import Testing

/// Exit statuses and messages of the command line: 0 done, 1 fatal, 2 usage.
@Suite struct ExitStatusTests {
    @Test func everyFileHandledExitsZeroEvenWithErroredAssets() throws {
        let data = try TemporaryDirectory("exit-0")
        defer { data.remove() }
        let (result, records) = try AssetPipe.process([Package.sample("bad")], data: data.path)
        #expect(result.status == 0, "\(result.summary)")
        #expect(records.contains { $0["status"] as? String == "errored" })
        #expect(FileManager.default.fileExists(atPath: data("catalog.sqlite")))
        // --json: records on stdout, the summary on stderr.
        #expect(!result.stderr.isEmpty)
        #expect(!result.output.contains("catalog.sqlite"), "the summary belongs on stderr")
    }

    @Test(arguments: [
        ("missing PATH", [String]()),
        ("--jobs 0", ["--jobs", "0", "samples/other"]),
        ("nonexistent path", ["samples/no-such-file.jpg"]),
        ("unknown flag", ["--no-such-flag", "samples/other"]),
    ])
    func usageErrorsExitTwo(label: String, arguments: [String]) throws {
        let data = try TemporaryDirectory("exit-2")
        defer { data.remove() }
        let result = try AssetPipe.run(["process", "--data", data.path] + arguments, in: Package.root)
        #expect(result.status == 2, "\(label): \(result.summary)")
        #expect(!result.stderr.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "\(label): no message")
    }

    @Test func aDataDirectoryUnderARegularFileIsFatal() throws {
        let scratch = try TemporaryDirectory("exit-1")
        defer { scratch.remove() }
        try Data("not a folder".utf8).write(to: URL(fileURLWithPath: scratch("file")))
        let result = try AssetPipe.run(["process", "--data", scratch("file/data"), Package.sample("other")])
        #expect(result.status == 1, "\(result.summary)")
        #expect(!result.stderr.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "no message")
    }

    @Test func showOfAnUnknownAssetExitsOneWithAMessage() throws {
        let data = try TemporaryDirectory("show-unknown")
        defer { data.remove() }
        let processed = try AssetPipe.process([Package.sample("other")], data: data.path)
        #expect(processed.result.status == 0, "\(processed.result.summary)")
        for unknown in [UUID().uuidString.lowercased(), "no/such/file.jpg"] {
            let result = try AssetPipe.run(["show", "--data", data.path, unknown])
            #expect(result.status == 1, "show \(unknown): \(result.summary)")
            #expect(!result.stderr.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "show \(unknown): no message")
            #expect(result.stdout.isEmpty, "show \(unknown): printed \(result.output)")
        }
    }

    @Test func processHelpNamesItsOptions() throws {
        let result = try AssetPipe.run(["process", "--help"])
        #expect(result.status == 0, "\(result.summary)")
        let help = result.output + result.stderr
        for option in ["--data", "--pipeline", "--jobs", "--json"] {
            #expect(help.contains(option), "process --help does not mention \(option)")
        }
    }

    /// The replay: `procss` was not matched to `process`, and
    /// `--dat e DIR` took `e` for a path. Both are usage errors (2) now that
    /// name what was probably meant, before anything runs.
    @Test func misspeltCommandsAndOptionsAreSuggested() throws {
        let folder = try Package.temporaryDirectory("suggest")
        let cases: [([String], String)] = [
            (["procss", folder], "did you mean 'process'?"),
            (["process", "--dat", "e", folder], "did you mean '--data'?"),
            (["jobs", "retyr", "abc"], "did you mean 'retry'?"),
            (["serve", "--no-rendition-sourcs"], "did you mean '--no-rendition-sources'?"),
            (["find", "--limt", "3", "width > 1"], "did you mean '--limit'?"),
        ]
        for (arguments, says) in cases {
            let result = try AssetPipe.run(arguments, in: folder)
            #expect(result.status == 2 && result.stderr.contains(says), "\(arguments): \(result.summary)")
        }
        #expect(!FileManager.default.fileExists(atPath: folder + "/e") && !FileManager.default.fileExists(atPath: folder + "/assetpipe-data"))
        // What is spelt right still runs: an inverted flag, the default subcommand's options, a value after `--`.
        #expect(try AssetPipe.run(["serve", "--no-rendition-sources", "--help"]).status == 0)
        #expect(try AssetPipe.run(["jobs", "--state", "dead", "--help"]).status == 0)
    }
}
