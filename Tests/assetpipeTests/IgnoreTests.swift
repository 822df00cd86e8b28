import Foundation
import TestSupport
import Testing

/// The replay: a folder copied off a Mac, a Windows share and a
/// Synology NAS holds `.DS_Store`, `Thumbs.db`, `@eaDir/` and `.thumbnails/`,
/// which once became assets. `process` and `enqueue` leave them out, with
/// `--exclude` and a `.assetpipeignore` on top, and say how many they left.
@Suite struct IgnoreTests {
    private func folderWithJunk() throws -> String {
        let folder = try Package.temporaryDirectory("ignore-cli")
        let manager = FileManager.default
        for directory in ["@eaDir/photo.jpg", ".thumbnails/normal", "drafts"] {
            try manager.createDirectory(atPath: folder + "/" + directory, withIntermediateDirectories: true)
        }
        try manager.copyItem(atPath: Package.sample("photos/odd-exif.jpg"), toPath: folder + "/photo.jpg")
        try manager.copyItem(atPath: Package.sample("photos/xp-tags.jpg"), toPath: folder + "/drafts/draft.jpg")
        try manager.copyItem(atPath: Package.sample("photos/camera-gps-north.jpg"), toPath: folder + "/upload.part")
        for junk in [".DS_Store", "Thumbs.db", "desktop.ini", "._photo.jpg", "@eaDir/photo.jpg/SYNOPHOTO_THUMB_M.jpg",
                     ".thumbnails/normal/abc.png"] {
            try Data("junk".utf8).write(to: URL(fileURLWithPath: folder + "/" + junk))
        }
        try Data("drafts/\n".utf8).write(to: URL(fileURLWithPath: folder + "/.assetpipeignore"))
        return folder
    }

    @Test func processLeavesJunkOutAndCountsIt() throws {
        let folder = try folderWithJunk()
        let data = try Package.temporaryDirectory("ignore-cli-data")
        let result = try AssetPipe.run(["process", "--json", "--data", data, "--exclude", "*.part", folder], timeout: 120)
        #expect(result.status == 0, "\(result.summary)")
        let paths = try AssetPipe.records(in: result.stdout).compactMap { $0["path"] as? String }
        #expect(paths == [folder + "/photo.jpg"])
        #expect(result.stderr.contains("ignored:   9"), "\(result.stderr)")
    }

    @Test func enqueueLeavesJunkOutAndHiddenTakesDotFiles() throws {
        let folder = try folderWithJunk()
        let data = try Package.temporaryDirectory("ignore-cli-queue")
        let queued = try AssetPipe.run(["enqueue", "--json", "--data", data, "--hidden", folder])
        #expect(queued.status == 0, "\(queued.summary)")
        let origins = try AssetPipe.records(in: queued.stdout).compactMap { JSONValue.dictionary($0["payload"])?["origin"] as? String }
        // --hidden takes dot-files, never the built-in junk (._*, .DS_Store, .thumbnails/).
        #expect(origins.sorted() == [folder + "/photo.jpg", folder + "/upload.part"])
        let empty = try AssetPipe.run(["enqueue", "--data", data, "--exclude", "", folder])
        #expect(empty.status == 2 && empty.stderr.contains("--exclude"), "\(empty.summary)")
    }
}
