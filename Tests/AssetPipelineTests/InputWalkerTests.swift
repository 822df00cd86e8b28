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

    /// An input folder with a link to /etc, a link to a sibling folder inside
    /// the root, and a link to a file inside it.
    private func treeWithLinks() throws -> (root: String, input: String) {
        let root = try Package.temporaryDirectory("walk-links")
        let manager = FileManager.default
        try manager.createDirectory(atPath: root + "/input/day1", withIntermediateDirectories: true)
        try manager.createDirectory(atPath: root + "/input/shared", withIntermediateDirectories: true)
        try Data("a".utf8).write(to: URL(fileURLWithPath: root + "/input/day1/a.txt"))
        try Data("b".utf8).write(to: URL(fileURLWithPath: root + "/input/shared/b.txt"))
        try manager.createSymbolicLink(atPath: root + "/input/etc", withDestinationPath: "/etc")
        try manager.createSymbolicLink(atPath: root + "/input/day2", withDestinationPath: "shared")
        try manager.createSymbolicLink(atPath: root + "/input/latest.txt", withDestinationPath: "day1/a.txt")
        return (root, root + "/input")
    }

    @Test func byDefaultOnlyLinksInsideTheRootsAreFollowed() throws {
        let (_, input) = try treeWithLinks()
        let walker = InputWalker.walk([input])
        let paths = walker.files.map(\.displayPath)
        // `shared` is the folder `day2` already led to: walked once, under the first name.
        #expect(paths == ["day1/a.txt", "day2/b.txt", "latest.txt"].map { input + "/" + $0 })
        #expect(!paths.contains { $0.hasPrefix(input + "/etc/") }, "followed a link to /etc")
        #expect(walker.problems.count == 1)
        #expect(walker.problems.first?.contains(input + "/etc") == true, "\(walker.problems)")
    }

    @Test func skipFollowsNoLinkAndFollowFollowsAll() throws {
        let (_, input) = try treeWithLinks()
        let skipped = InputWalker.walk([input], symlinks: .skip)
        #expect(skipped.files.map(\.displayPath) == ["day1/a.txt", "shared/b.txt"].map { input + "/" + $0 })
        #expect(skipped.problems.isEmpty)

        let followed = InputWalker.walk([input], symlinks: .follow)
        #expect(followed.files.contains { $0.displayPath.hasPrefix(input + "/etc/") })
        #expect(followed.files.contains { $0.displayPath == input + "/day2/b.txt" })
    }

    /// A link is inside when its target is: `/a/bc` is not inside `/a/b`,
    /// and the root may itself be reached through a link.
    @Test func insideMeansUnderTheRealPathOfARoot() throws {
        let root = try Package.temporaryDirectory("walk-prefix")
        let manager = FileManager.default
        try manager.createDirectory(atPath: root + "/b", withIntermediateDirectories: true)
        try manager.createDirectory(atPath: root + "/bc", withIntermediateDirectories: true)
        try Data("x".utf8).write(to: URL(fileURLWithPath: root + "/bc/x.txt"))
        try manager.createSymbolicLink(atPath: root + "/b/next", withDestinationPath: "../bc/x.txt")
        try manager.createSymbolicLink(atPath: root + "/alias", withDestinationPath: "b")
        let roots = SymlinkRoots([Array((root + "/alias").utf8)])
        #expect(!roots.contains(Array((root + "/b/next").utf8)))
        #expect(roots.contains(Array((root + "/b").utf8)))
        #expect(roots.contains(Array((root + "/alias/next").utf8)) == false)
        #expect(InputWalker.walk([root + "/alias"]).files.isEmpty)
    }

    @Test func pathsAreAbsoluteAndNormalized() {
        #expect(InputWalker.absolutePath("/a//b/./c/") == "/a/b/c")
        #expect(InputWalker.absolutePath("x").hasPrefix("/"))
    }
}
