import AssetWorker
import Foundation
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The watch logic with a clock moved by hand: files are returned once they
/// have settled, once, and again only when rewritten.
@Suite struct DirectoryWatcherTests {
    let folder: String
    let start = ContinuousClock.now

    init() throws {
        folder = try Package.temporaryDirectory("watch")
    }

    private func at(_ seconds: Double) -> ContinuousClock.Instant {
        start.advanced(by: .milliseconds(Int64(seconds * 1000)))
    }

    private func write(_ name: String, bytes: Int) throws {
        let path = folder + "/" + name
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(repeating: 7, count: bytes).write(to: URL(fileURLWithPath: path))
    }

    @Test func aFileIsReturnedOnceAfterItSettles() throws {
        var watcher = DirectoryWatcher(directory: folder, settle: .seconds(2))
        try write("a.jpg", bytes: 10)
        #expect(try watcher.poll(now: at(0)) == [], "first sight")
        #expect(try watcher.poll(now: at(1)) == [], "not settled yet")
        #expect(try watcher.poll(now: at(2)) == [folder + "/a.jpg"])
        #expect(try watcher.poll(now: at(5)) == [], "returned twice")
    }

    @Test func aFileStillGrowingWaits() throws {
        var watcher = DirectoryWatcher(directory: folder, settle: .seconds(2))
        for (second, size) in [(0.0, 10), (2.0, 20), (4.0, 30)] {
            try write("upload.mov", bytes: size)
            #expect(try watcher.poll(now: at(second)) == [], "returned while growing, at \(second) s")
        }
        #expect(try watcher.poll(now: at(5)) == [])
        #expect(try watcher.poll(now: at(6)) == [folder + "/upload.mov"])
    }

    @Test func aRewrittenFileIsReturnedAgain() throws {
        var watcher = DirectoryWatcher(directory: folder, settle: .seconds(1))
        try write("a.jpg", bytes: 10)
        _ = try watcher.poll(now: at(0))
        #expect(try watcher.poll(now: at(1)) == [folder + "/a.jpg"])
        try write("a.jpg", bytes: 99)
        #expect(try watcher.poll(now: at(2)) == [])
        #expect(try watcher.poll(now: at(3)) == [folder + "/a.jpg"])
    }

    @Test func nestedFoldersCountAndDotFilesDoNot() throws {
        var watcher = DirectoryWatcher(directory: folder + "/", settle: .zero)
        try write("day1/b.png", bytes: 5)
        try write("c.gif", bytes: 5)
        try write(".partial.jpg", bytes: 5)
        try write(".uploading/d.jpg", bytes: 5)
        _ = try watcher.poll(now: at(0))
        #expect(try watcher.poll(now: at(0.1)) == [folder + "/c.gif", folder + "/day1/b.png"])
    }

    /// The walk's ignore rules apply to the watched folder too: junk,
    /// `--exclude`, and a `.assetpipeignore` dropped in later.
    @Test func junkExcludesAndIgnoreFilesAreNotReturned() throws {
        var watcher = DirectoryWatcher(directory: folder, settle: .zero, excludes: ["*.tmp"])
        try write("a.jpg", bytes: 5)
        try write("Thumbs.db", bytes: 5)
        try write("@eaDir/a.jpg/SYNOPHOTO_THUMB_M.jpg", bytes: 5)
        try write("upload.tmp", bytes: 5)
        try write("drafts/b.jpg", bytes: 5)
        try write(".assetpipeignore", bytes: 0)
        try Data("drafts/\n".utf8).write(to: URL(fileURLWithPath: folder + "/.assetpipeignore"))
        _ = try watcher.poll(now: at(0))
        #expect(try watcher.poll(now: at(0.1)) == [folder + "/a.jpg"])
        var hidden = DirectoryWatcher(directory: folder, settle: .zero, hidden: true)
        try write(".x.jpg", bytes: 5)
        _ = try hidden.poll(now: at(0))
        #expect(try hidden.poll(now: at(0.1)) == [folder + "/.x.jpg", folder + "/a.jpg", folder + "/upload.tmp"])
    }

    @Test func knownFilesAreSkipped() throws {
        var watcher = DirectoryWatcher(directory: folder, settle: .zero) { $0.hasSuffix("old.jpg") }
        try write("old.jpg", bytes: 5)
        try write("new.jpg", bytes: 5)
        _ = try watcher.poll(now: at(0))
        #expect(try watcher.poll(now: at(1)) == [folder + "/new.jpg"])
    }

    @Test func aMissingFolderSaysWhatToDo() throws {
        var watcher = DirectoryWatcher(directory: folder + "/nope")
        do {
            _ = try watcher.poll(now: at(0))
            Issue.record("no error for a missing folder")
        } catch {
            #expect(error.message.contains("No such file or directory") && error.message.contains("--watch"))
        }
    }

    /// The watched folder holds a link to a folder outside it (another
    /// folder of the test standing in for /etc), a link to a folder inside
    /// it, and a link to a file inside it.
    private func linksInAndOut() throws -> String {
        let outside = try Package.temporaryDirectory("watch-outside")
        try Data(repeating: 1, count: 5).write(to: URL(fileURLWithPath: outside + "/secret.txt"))
        try write("inbox/a.jpg", bytes: 5)
        let manager = FileManager.default
        try manager.createSymbolicLink(atPath: folder + "/out", withDestinationPath: outside)
        try manager.createSymbolicLink(atPath: folder + "/mirror", withDestinationPath: "inbox")
        try manager.createSymbolicLink(atPath: folder + "/latest.jpg", withDestinationPath: "inbox/a.jpg")
        return outside
    }

    @Test func byDefaultOnlyLinksInsideTheFolderAreFollowed() throws {
        _ = try linksInAndOut()
        var watcher = DirectoryWatcher(directory: folder, settle: .zero)
        _ = try watcher.poll(now: at(0))
        #expect(watcher.newlyRefusedLinks == [folder + "/out"])
        // `mirror` and `inbox` are one folder: listed once, under the name met first.
        #expect(try watcher.poll(now: at(1)) == [folder + "/inbox/a.jpg", folder + "/latest.jpg"])
        #expect(watcher.newlyRefusedLinks == [], "a refused link is reported once")
    }

    @Test func skipAndFollow() throws {
        _ = try linksInAndOut()
        var skipping = DirectoryWatcher(directory: folder, settle: .zero, symlinks: .skip)
        _ = try skipping.poll(now: at(0))
        #expect(try skipping.poll(now: at(1)) == [folder + "/inbox/a.jpg"])
        var following = DirectoryWatcher(directory: folder, settle: .zero, symlinks: .follow)
        _ = try following.poll(now: at(0))
        #expect(try following.poll(now: at(1)) == [folder + "/inbox/a.jpg", folder + "/latest.jpg", folder + "/out/secret.txt"])
    }

    @Test func aFIFOIsNeverReturned() throws {
        try write("a.jpg", bytes: 5)
        #expect(mkfifo(folder + "/pipe.jpg", 0o644) == 0)
        var watcher = DirectoryWatcher(directory: folder, settle: .zero)
        _ = try watcher.poll(now: at(0))
        #expect(try watcher.poll(now: at(1)) == [folder + "/a.jpg"])
    }
}
