import Foundation
import TestSupport
import Testing

/// `limits` in a pipeline file the test writes, and a pipeline file that is refused.
@Suite struct LimitsTests {
    static let stages = "stages: [detect, hash, metadata, exif, decode]"
    static let inputs = ["other/notes.txt", "formats/alpha.png", "photos/camera-gps-north.jpg"]

    /// A folder with a small text file and two images, a data directory and a pipeline file.
    private func setUp(_ label: String, pipeline: String) throws -> (folder: TemporaryDirectory, pipeline: String) {
        let folder = try TemporaryDirectory(label)
        try FileManager.default.createDirectory(atPath: folder("in"), withIntermediateDirectories: false)
        for sample in Self.inputs {
            try FileManager.default.copyItem(atPath: Package.sample(sample), toPath: folder("in/" + (sample as NSString).lastPathComponent))
        }
        try pipeline.write(toFile: folder("pipeline.yaml"), atomically: true, encoding: .utf8)
        return (folder, folder("pipeline.yaml"))
    }

    @Test func filesOverMaxFileSizeAreTooLarge() throws {
        let limit = 1000
        let (folder, pipeline) = try setUp("max-file-size", pipeline: "version: 1\n\(Self.stages)\nlimits: {max_file_size: \(limit)}\n")
        defer { folder.remove() }
        let (result, records) = try AssetPipe.process([folder("in")], data: folder("data"), extra: ["--pipeline", pipeline])
        #expect(result.status == 0, "\(result.summary)")
        #expect(records.count == Self.inputs.count)

        var sizes: [Int] = []
        for sample in Self.inputs {
            let path = folder("in/" + (sample as NSString).lastPathComponent)
            let size = try Oracle.size(path)
            sizes.append(size)
            let record = try #require(AssetPipe.record(at: path, in: records), "no record for \(path)")
            if size > limit {
                #expect(record["status"] as? String == "errored", "\(sample) (\(size) bytes): status")
                #expect(JSONValue.dictionary(record["error"])?["reason"] as? String == "too_large", "\(sample) (\(size) bytes): reason")
            } else {
                #expect(record["status"] as? String == "processed", "\(sample) (\(size) bytes): status, error \(String(describing: record["error"]))")
            }
        }
        #expect(sizes.contains { $0 > limit } && sizes.contains { $0 <= limit }, "inputs must straddle the limit: \(sizes)")
    }

    @Test func imagesOverMaxPixelsAreTooLarge() throws {
        let limit = 1000
        let (folder, pipeline) = try setUp("max-pixels", pipeline: "version: 1\n\(Self.stages)\nlimits: {max_pixels: \(limit)}\n")
        defer { folder.remove() }
        let (result, records) = try AssetPipe.process([folder("in")], data: folder("data"), extra: ["--pipeline", pipeline])
        #expect(result.status == 0, "\(result.summary)")
        #expect(records.count == Self.inputs.count)

        var imagesOverLimit = 0
        for sample in Self.inputs {
            let path = folder("in/" + (sample as NSString).lastPathComponent)
            let record = try #require(AssetPipe.record(at: path, in: records), "no record for \(path)")
            if try Oracle.mimeType(path).hasPrefix("image/") {
                let pixels = try Oracle.vipsheaderInt("width", path) * Oracle.vipsheaderInt("height", path)
                #expect(pixels > limit)
                imagesOverLimit += 1
                #expect(record["status"] as? String == "errored", "\(sample) (\(pixels) px): status")
                #expect(JSONValue.dictionary(record["error"])?["reason"] as? String == "too_large", "\(sample) (\(pixels) px): reason")
            } else {
                #expect(record["status"] as? String == "processed", "\(sample): not an image, status; error \(String(describing: record["error"]))")
            }
        }
        #expect(imagesOverLimit == 2)
    }

    @Test func anUnknownKeyIsAUsageErrorNamingFileAndLine() throws {
        // Line 3 holds the key no pipeline knows.
        let (folder, pipeline) = try setUp("bad-pipeline", pipeline: "version: 1\n\(Self.stages)\ncolour: red\n")
        defer { folder.remove() }
        let result = try AssetPipe.run(["process", "--json", "--data", folder("data"), "--pipeline", pipeline, folder("in")])
        #expect(result.status == 2, "\(result.summary)")
        #expect(result.stderr.contains("pipeline.yaml"), "stderr must name the file: \(result.stderr)")
        #expect(result.stderr.contains(":3"), "stderr must name line 3: \(result.stderr)")
        #expect(result.stdout.isEmpty, "no records for a refused pipeline: \(result.output)")
    }
}
