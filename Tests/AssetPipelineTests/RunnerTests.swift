import AssetMedia
import AssetPipeline
import Foundation
import TestSupport
import Testing

@Suite struct RunnerTests {
    let runner = Runner(definition: .default)

    private func process(_ sample: String) -> AssetRecord {
        runner.process(SourceFile(path: Package.sample(sample))).record
    }

    @Test func photoIsProcessedWithMetadataFromTheHeader() throws {
        let path = Package.sample("formats/cmyk-icc.jpg")
        let record = runner.process(SourceFile(path: path)).record
        #expect(record.status == .processed)
        #expect(record.kind == .image)
        #expect(record.format == "jpeg")
        #expect(record.width == Int(try Oracle.vipsheader("width", path)))
        #expect(record.color?.model == "cmyk")
        #expect(record.sha256 == (try Oracle.sha256sum(path)))
        #expect(record.size == (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int).map(Int64.init))
    }

    @Test(arguments: [
        ("bad/truncated.jpg", AssetError.Reason.corrupt),
        ("bad/corrupt.png", .corrupt),
        ("bad/empty.jpg", .empty),
    ])
    func badFilesEndWithTheirReason(sample: String, reason: AssetError.Reason) {
        let record = process(sample)
        #expect(record.status == .errored)
        #expect(record.error?.reason == reason)
        #expect(record.error?.message.isEmpty == false)
    }

    @Test func aFileThatVanishesBeforeItsTurnIsInaccessible() throws {
        let directory = try Package.temporaryDirectory("vanish")
        for name in ["a.txt", "b.txt", "c.txt"] {
            try Data(name.utf8).write(to: URL(fileURLWithPath: directory + "/" + name))
        }
        let inputs = InputWalker.walk([directory])
        try FileManager.default.removeItem(atPath: directory + "/b.txt")
        let sink = CollectingSink()
        let summary = try Batch(runner: runner, sink: sink, concurrency: 2).run(inputs.files) { _, _ in }
        #expect(summary.processed == 2)
        #expect(summary.errored == [.inaccessible: 1])
        let vanished = try #require(sink.records.first { $0.name == "b.txt" })
        #expect(vanished.error?.message.contains("No such file") == true)
    }

    /// A job timeout cancels the attempt's `Cancellation`: whichever stage
    /// is running then stops, and the asset's reason is `timeout` (retried),
    /// not the stage's own reason for a failure.
    @Test(arguments: [
        "version: 1\nstages: [detect, hash]\n",
        "version: 1\nstages: [detect, metadata, decode, thumbnails]\n",
    ])
    func aCancelledStageEndsAsTimeout(pipeline: String) throws {
        let runner = Runner(definition: try PipelineDefinition.parse(pipeline, file: "test.yaml"))
        let cancellation = Cancellation()
        cancellation.cancel()
        let record = cancellation.run { runner.process(SourceFile(path: Package.sample("formats/cmyk-icc.jpg"))).record }
        #expect(record.status == .errored)
        #expect(record.error?.reason == .timeout, "\(String(describing: record.error))")
    }

    /// A socket cannot even be opened (ENXIO); it is still named for what it
    /// is, a file that is never read, rather than a transient `inaccessible`.
    @Test func aSocketIsNotARegularFile() throws {
        let path = try Package.temporaryDirectory("socket") + "/photo.jpg"
        let made = try Command.run("python3", ["-c", "import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])", path])
        try #require(made.status == 0, "\(made.summary)")
        let record = runner.process(SourceFile(path: path)).record
        #expect(record.status == .errored)
        #expect(record.error?.reason == .notRegularFile)
        #expect(record.error?.message.contains("socket") == true, "\(String(describing: record.error))")
    }

    @Test func extensionThatLiesIsNotedAndBytesWin() {
        let record = process("bad/not-really.png")
        #expect(record.status == .processed)
        #expect(record.mime == "image/jpeg")
        #expect(record.format == "jpeg")
        #expect(record.extensionMismatch?.extension == "png")
        #expect(record.extensionMismatch?.detected == "image/jpeg")
    }

    @Test func limitsComeFromThePipeline() throws {
        var definition = PipelineDefinition.default
        definition.limits.maxPixels = 1000
        let record = Runner(definition: definition).process(SourceFile(path: Package.sample("formats/alpha.png"))).record
        #expect(record.error?.reason == .tooLarge)
        // The header was read: the record still says how large.
        #expect(record.width == 400)

        definition = .default
        definition.limits.maxFileSize = 100
        let big = Runner(definition: definition).process(SourceFile(path: Package.sample("other/notes.txt"))).record
        #expect(big.error?.reason == .tooLarge || big.size ?? 0 <= 100)
    }

    /// libvips's SVG loader is marked untrusted: blocked, so an SVG is catalogued but not decoded.
    @Test func untrustedLoadersAreBlocked() throws {
        let path = try Package.temporaryDirectory("svg") + "/drawing.svg"
        try Data(#"<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>"#.utf8)
            .write(to: URL(fileURLWithPath: path))
        let record = runner.process(SourceFile(path: path)).record
        #expect(record.kind == .image)
        #expect(record.mime == "image/svg+xml")
        #expect(record.error?.reason == .unsupportedFormat)
        #expect(record.sha256 == (try Oracle.sha256sum(path)))
    }

    @Test func nonMediaFilesAreCatalogued() throws {
        let record = process("other/document.pdf")
        #expect(record.status == .processed)
        #expect(record.kind == .other)
        #expect(record.mime == "application/pdf")
        #expect(record.sha256 == (try Oracle.sha256sum(Package.sample("other/document.pdf"))))
    }
}

/// Keeps what the batch hands over, in memory.
final class CollectingSink: AssetSink, @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [AssetRecord] = []

    func begin(path: String, name: String) throws -> String { path }

    func commit(_ record: AssetRecord, renditions: [EncodedRendition]) throws -> AssetRecord {
        lock.lock(); defer { lock.unlock() }
        stored.append(record)
        return record
    }

    var records: [AssetRecord] { lock.lock(); defer { lock.unlock() }; return stored }
}
