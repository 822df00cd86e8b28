import Foundation
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The replay: Ctrl-C in a batch exited 130 with no summary and left
/// records `processing`. Now SIGINT (and SIGTERM) finish the files in flight,
/// print the summary with "interrupted", exit 130, and leave none `processing`;
/// the same command run again does the rest.
@Suite struct InterruptTests {
    @Test(arguments: [SIGINT, SIGTERM]) func aSignalFinishesTheFilesInFlightAndSaysSo(signal number: Int32) throws {
        let input = try Package.temporaryDirectory("interrupt-in"), data = try Package.temporaryDirectory("interrupt-data")
        let photos = ["camera-gps-north.jpg", "camera-gps-south.jpg", "odd-exif.jpg", "xp-tags.jpg"]
        for index in 0..<200 {
            try FileManager.default.copyItem(atPath: Package.sample("photos/\(photos[index % photos.count])"),
                                             toPath: input + String(format: "/photo-%03d.jpg", index))
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: AssetPipe.binary)
        process.arguments = ["process", "--json", "--jobs", "2", "--data", data, input]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Signalled once the first record is out, well before the 200th.
        var firstLine = Data()
        while !firstLine.contains(UInt8(ascii: "\n")) {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            firstLine += chunk
        }
        kill(process.processIdentifier, number)
        let rest = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()

        #expect(process.terminationReason == .exit && process.terminationStatus == 130, "\(stderr)")
        #expect(stderr.contains("interrupted:"), "\(stderr)")
        let stored = try AssetPipe.records(in: firstLine + rest)
        #expect(stored.count > 0 && stored.count < 200, "\(stored.count) records")
        let processing = try AssetPipe.run(["find", "--data", data, "--count", "--json", "status = processing"])
        #expect(try AssetPipe.records(in: processing.stdout).last?["count"] as? Int == 0, "records left processing: \(processing.output)")
        let all = try AssetPipe.records(in: try AssetPipe.run(["find", "--data", data, "--json", "--limit", "1000"]).stdout)
        #expect(all.count == stored.count, "every record that was begun was finished and printed")

        // The same command again does the rest, skipping what is done.
        let again = try AssetPipe.run(["process", "--data", data, input], timeout: 300)
        #expect(again.status == 0, "\(again.summary)")
        #expect(again.output.contains("unchanged: \(stored.count)"), "\(again.output)")
        let after = try AssetPipe.records(in: try AssetPipe.run(["find", "--data", data, "--json", "--limit", "1000"]).stdout)
        #expect(after.count == 200)
    }
}
