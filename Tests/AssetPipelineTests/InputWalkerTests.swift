import AssetMedia
import AssetPipeline
import Foundation
import TestSupport
import Testing

@Suite struct InputWalkerTests {
    @Test func symlinkLoopsAreWalkedOnce() throws {
        let directory = try Package.temporaryDirectory("walk")
        let manager = FileManager.default
        try manager.createDirectory(atPath: directory + "/sub", withIntermediateDirectories: true)
        try Data("x".utf8).write(to: URL(fileURLWithPath: directory + "/sub/one.txt"))
        try Data("y".utf8).write(to: URL(fileURLWithPath: directory + "/two.txt"))
        try manager.createSymbolicLink(atPath: directory + "/sub/up", withDestinationPath: "..")
        try manager.createSymbolicLink(atPath: directory + "/self.jpg", withDestinationPath: "self.jpg")

        let walker = InputWalker.walk([directory])
        let names = walker.files.map(\.name)
        #expect(names.sorted() == ["one.txt", "self.jpg", "two.txt"])

        let record = Runner(definition: .default).process(try #require(walker.files.first { $0.name == "self.jpg" })).record
        #expect(record.error?.reason == .inaccessible)
        #expect(record.error?.message.contains("symbolic links") == true)
    }

    @Test func pathsAreAbsoluteAndNormalized() {
        #expect(InputWalker.absolutePath("/a//b/./c/") == "/a/b/c")
        #expect(InputWalker.absolutePath("x").hasPrefix("/"))
    }
}
