import Foundation
import TestSupport
import Testing

/// File names are data: printed for people, their control characters are
/// escaped, so a name holding ESC cannot drive the terminal.
@Suite struct TerminalOutputTests {
    @Test func controlCharactersInFileNamesArePrintedEscaped() throws {
        let data = try Package.temporaryDirectory("terminal-output")
        let folder = try Package.temporaryDirectory("terminal-input")
        let name = folder + "/red\u{1B}[31m\u{07}.jpg"
        try FileManager.default.copyItem(atPath: Package.sample("photos/odd-exif.jpg"), toPath: name)
        let queued = try AssetPipe.run(["enqueue", "--data", data, name])
        #expect(queued.status == 0, "\(queued.summary)")
        let listed = try AssetPipe.run(["jobs", "--data", data])
        #expect(listed.status == 0, "\(listed.summary)")
        #expect(!listed.output.contains("\u{1B}") && !listed.output.contains("\u{07}"), "raw control characters reached the terminal")
        #expect(listed.output.contains("red\\x1B[31m\\x07.jpg"), "\(listed.output)")
        // JSON keeps the exact name (escaped by JSON itself).
        let json = try AssetPipe.run(["jobs", "--data", data, "--json"])
        let job = try #require(try JSONSerialization.jsonObject(with: Data(json.output.split(separator: "\n").first.map { Array($0.utf8) } ?? []))
                               as? [String: Any])
        #expect((job["payload"] as? [String: Any])?["origin"] as? String == name)
    }

    /// Log lines too: a name with ESC and a line break neither colours the
    /// terminal nor forges a second log line.
    @Test func logLinesEscapeControlCharactersInFileNames() throws {
        let data = try Package.temporaryDirectory("terminal-log")
        let folder = try Package.temporaryDirectory("terminal-log-input")
        let name = folder + "/evil\u{1B}[31m\nforged.png"
        try FileManager.default.copyItem(atPath: Package.sample("bad/corrupt.png"), toPath: name)
        #expect(try AssetPipe.run(["enqueue", "--data", data, name]).status == 0)
        let worked = try AssetPipe.run(["work", "--data", data, "--until-empty", "--log-level", "info"])
        #expect(worked.status == 0, "\(worked.summary)")
        #expect(!worked.stderr.contains("\u{1B}"), "a raw ESC reached the log")
        #expect(worked.stderr.contains("evil\\x1B[31m\\x0Aforged.png"), "\(worked.stderr)")
        #expect(!worked.stderr.split(separator: "\n").contains { $0.hasPrefix("forged") }, "the name forged a log line")
    }

    /// Runs the binary on a pseudo-terminal (script(1)) that is 80 columns wide.
    private func onTerminal(_ arguments: [String]) throws -> [String] {
        let line = (["env", "COLUMNS=80", AssetPipe.binary] + arguments).map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }
            .joined(separator: " ")
        let result = try Command.run("script", ["-qec", line, "/dev/null"])
        return result.output.replacingOccurrences(of: "\r", with: "").split(separator: "\n").map(String.init)
    }

    /// The replay: `jobs` and `history` rows were 170–250 characters
    /// on an 80-column terminal. On a terminal they fit now (short ids, cut
    /// cells); --wide, and a pipe, get everything.
    @Test func jobsAndHistoryFitAnEightyColumnTerminal() throws {
        let data = try Package.temporaryDirectory("terminal-width")
        let folder = try Package.temporaryDirectory("terminal-width-input") + "/a folder with a rather long name/and another one"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let origin = folder + "/a photo whose name goes on and on.jpg"
        try FileManager.default.copyItem(atPath: Package.sample("bad/truncated.jpg"), toPath: origin)
        #expect(try AssetPipe.run(["enqueue", "--data", data, origin]).status == 0)
        #expect(try AssetPipe.run(["work", "--data", data, "--until-empty", "--log-level", "error"]).status == 0)
        let piped = try AssetPipe.run(["jobs", "--data", data]).output
        let id = try #require(piped.split(separator: "\n").dropFirst().first.map { String($0.prefix(36)) })
        #expect(piped.contains(origin), "a pipe gets whole cells")

        for arguments in [["jobs", "--data", data], ["history", "--data", data, origin]] {
            let lines = try onTerminal(arguments)
            #expect(lines.count >= 2, "\(arguments): \(lines)")
            #expect(lines.allSatisfy { $0.count <= 80 }, "\(arguments): \(lines.map(\.count)) \(lines)")
            let wide = try onTerminal(arguments + ["--wide"])
            #expect(wide.contains { $0.count > 80 } && wide.joined().contains(id.prefix(20)), "\(arguments) --wide: \(wide)")
        }
    }
}
