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
}
