import Foundation
import TestSupport
import Testing

/// `process --symlinks`: a link in the input folder once led out of it (a
/// link to /etc catalogued 1,000 files). By default only links that stay
/// inside the given folders are followed.
@Suite struct SymlinkTests {
    /// An input folder with a photo, a link to /etc, a link to a sibling
    /// folder inside the input (`day2` → `shared`, which holds a photo) and a
    /// link to /dev/zero.
    private func input() throws -> String {
        let folder = try Package.temporaryDirectory("symlinks") + "/input"
        let manager = FileManager.default
        try manager.createDirectory(atPath: folder + "/day1", withIntermediateDirectories: true)
        try manager.createDirectory(atPath: folder + "/shared", withIntermediateDirectories: true)
        try manager.copyItem(atPath: Package.sample("photos/camera-gps-north.jpg"), toPath: folder + "/day1/north.jpg")
        try manager.copyItem(atPath: Package.sample("photos/camera-gps-south.jpg"), toPath: folder + "/shared/south.jpg")
        try manager.createSymbolicLink(atPath: folder + "/day2", withDestinationPath: "shared")
        try manager.createSymbolicLink(atPath: folder + "/etc", withDestinationPath: "/etc")
        try manager.createSymbolicLink(atPath: folder + "/zero.jpg", withDestinationPath: "/dev/zero")
        return folder
    }

    private func paths(_ records: [Record]) -> [String] {
        records.compactMap { $0["path"] as? String }.sorted()
    }

    @Test func byDefaultALinkToEtcIsNotFollowedAndALinkInsideIs() throws {
        let folder = try input()
        let data = try Package.temporaryDirectory("symlinks-data")
        let (result, records) = try AssetPipe.process([folder], data: data)
        #expect(result.status == 0, "\(result.summary)")
        // `shared` is the folder `day2` led to first: walked once, under that name.
        #expect(paths(records) == [folder + "/day1/north.jpg", folder + "/day2/south.jpg"])
        #expect(!paths(records).contains { $0.hasPrefix(folder + "/etc/") }, "followed the link to /etc")
        #expect(result.stderr.contains("not following \(folder)/etc"), "\(result.stderr)")
        #expect(result.stderr.contains("not following \(folder)/zero.jpg"), "\(result.stderr)")
    }

    @Test func skipFollowsNone() throws {
        let folder = try input()
        let (result, records) = try AssetPipe.process([folder], data: try Package.temporaryDirectory("symlinks-skip"),
                                                      extra: ["--symlinks", "skip"])
        #expect(result.status == 0, "\(result.summary)")
        #expect(paths(records) == [folder + "/day1/north.jpg", folder + "/shared/south.jpg"])
    }

    /// With `follow`, links leading out are taken too; the one to /dev/zero
    /// is catalogued as a device refused at once, without a read that would
    /// never end.
    @Test func followTakesEveryLinkAndADeviceIsRefusedAtOnce() throws {
        let folder = try Package.temporaryDirectory("symlinks-follow") + "/input"
        let manager = FileManager.default
        try manager.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try manager.copyItem(atPath: Package.sample("photos/camera-gps-north.jpg"), toPath: folder + "/north.jpg")
        try manager.createSymbolicLink(atPath: folder + "/zero.jpg", withDestinationPath: "/dev/zero")
        try manager.createSymbolicLink(atPath: folder + "/hostname", withDestinationPath: "/etc/hostname")
        let started = Date()
        let (result, records) = try AssetPipe.process([folder], data: try Package.temporaryDirectory("symlinks-follow-data"),
                                                      extra: ["--symlinks", "follow"])
        #expect(!result.timedOut && Date().timeIntervalSince(started) < 30, "process read /dev/zero")
        #expect(paths(records) == [folder + "/hostname", folder + "/north.jpg", folder + "/zero.jpg"])
        let zero = try #require(AssetPipe.record(at: folder + "/zero.jpg", in: records))
        #expect(zero["status"] as? String == "errored")
        #expect(JSONValue.dictionary(zero["error"])?["reason"] as? String == "not_regular_file")
        #expect(AssetPipe.record(at: folder + "/north.jpg", in: records)?["status"] as? String == "processed")
    }
}
