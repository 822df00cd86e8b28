import Foundation
import TestSupport
import Testing

/// `find` on processed samples, against exiftool and vipsheader: the
/// assets a camera or size query returns are the files those tools say
/// match; a bad query exits 2 with a caret; pages come with cursors.
@Suite struct FindCommandTests {
    @Test func cameraAndSizeQueriesReturnWhatExiftoolAndVipsheaderSay() throws {
        let data = try TemporaryDirectory("find")
        defer { data.remove() }
        let photos = try FileManager.default.contentsOfDirectory(atPath: Package.sample("photos")).sorted()
            .map { Package.sample("photos") + "/" + $0 }
        let (result, _) = try AssetPipe.process([Package.sample("photos")], data: data.path)
        #expect(result.status == 0, "\(result.summary)")

        var byMake: [String: Set<String>] = [:]
        var wide: Set<String> = []
        for path in photos {
            if let make = (try Oracle.exiftool(path))["Make"] as? String, !make.trimmingCharacters(in: .whitespaces).isEmpty {
                byMake[make.trimmingCharacters(in: .whitespaces), default: []].insert(path)
            }
            if let width = Int(try Oracle.vipsheader("width", path)), let height = Int(try Oracle.vipsheader("height", path)),
               max(width, height) >= 1200 {
                wide.insert(path)
            }
        }
        #expect(!byMake.isEmpty, "the samples have camera makes to search for")
        for (make, paths) in byMake {
            #expect(try Self.found(#"exif.make = "\#(make)""#, data.path) == paths, "exif.make = \(make)")
        }
        // Upright sizes: the largest side does not depend on the orientation.
        #expect(try Self.found("kind = image AND (width >= 1200 OR height >= 1200)", data.path) == wide)
    }

    static func found(_ query: String, _ data: String) throws -> Set<String> {
        let run = try AssetPipe.run(["find", "--data", data, "--json", "--limit", "1000", query])
        #expect(run.status == 0, "find \(query): \(run.summary)")
        return Set(try AssetPipe.records(in: run.stdout).compactMap { $0["path"] as? String })
    }

    @Test func aBadQueryExitsTwoWithACaretUnderItsToken() throws {
        let data = try TemporaryDirectory("find-bad")
        defer { data.remove() }
        _ = try AssetPipe.process([Package.sample("photos/camera-gps-north.jpg")], data: data.path)
        let run = try AssetPipe.run(["find", "--data", data.path, "width >> 3"])
        #expect(run.status == 2, "\(run.summary)")
        #expect(run.stderr.contains("width >> 3\n       ^"), "\(run.stderr)")
    }

    @Test func pagesJoinedByTheirCursorsHoldEveryAssetOnce() throws {
        let data = try TemporaryDirectory("find-pages")
        defer { data.remove() }
        let (_, records) = try AssetPipe.process([Package.sample("photos"), Package.sample("formats")], data: data.path)
        var seen: [String] = [], cursor: String?
        repeat {
            let run = try AssetPipe.run(["find", "--data", data.path, "--json", "--limit", "3", "--sort", "-size"]
                                        + (cursor.map { ["--cursor", $0] } ?? []))
            #expect(run.status == 0, "\(run.summary)")
            seen += try AssetPipe.records(in: run.stdout).compactMap { $0["id"] as? String }
            cursor = run.stderr.components(separatedBy: "--cursor ").dropFirst().first?
                .trimmingCharacters(in: .whitespacesAndNewlines)
        } while cursor != nil && seen.count <= records.count
        #expect(seen.count == records.count)
        #expect(Set(seen) == Set(records.compactMap { $0["id"] as? String }))
    }
}
