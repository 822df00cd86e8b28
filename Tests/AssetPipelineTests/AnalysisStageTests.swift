import AssetMedia
import AssetPipeline
import Foundation
import TestSupport
import Testing

/// The analysis stage against scripts/test-analyzer: a good answer fills
/// tags, content alerts and alt text from what the analyzer was sent (the
/// preview, checked by its SHA-256 from sha256sum); every way an analyzer
/// can fail leaves the asset processed, says why, and holds it no longer
/// than the timeout.
@Suite(.serialized) struct AnalysisStageTests {
    static let sample = "photos/camera-gps-north.jpg"
    static let timeout = 2.0

    static func runner(url: String, extra: String = "") throws -> Runner {
        try Runner(definition: PipelineDefinition.parse("""
            stages: [detect, hash, metadata, exif, decode, thumbnails, analysis]
            analysis:
              url: \(url)
              timeout: \(timeout)
              headers: {X-Home: "home=${HOME}"}
            \(extra)
            """, file: "analysis.yaml"))
    }

    /// Runs the pipeline once and how long it took.
    static func process(_ runner: Runner) -> (ProcessedAsset, Double) {
        let clock = ContinuousClock()
        var processed: ProcessedAsset?
        let elapsed = clock.measure { processed = runner.process(SourceFile(path: Package.sample(sample))) }
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return (processed ?? runner.process(SourceFile(path: Package.sample(sample))), seconds)
    }

    @Test func aGoodAnswerFillsTagsAlertsAndAltTextFromThePreview() throws {
        let analyzer = try TestAnalyzer()
        let runner = try Self.runner(url: analyzer.url("ok"))
        #expect(runner.skipped.isEmpty, "\(runner.skipped)")
        let (processed, _) = Self.process(runner)
        #expect(processed.record.status == .processed)
        let output = try #require(processed.record.output(of: AnalysisStage.self))
        #expect(output.status == .processed)
        #expect(output.tags == [SuggestedTag(name: "beach", confidence: 0.91), SuggestedTag(name: "sky", confidence: 0.5)])
        #expect(output.altText == "A test image")
        let alerts = try #require(processed.record.output(of: ContentAlertsStage.self))
        #expect(alerts.violent?.level == .likely, "0.7 is likely by the default bounds")
        #expect(alerts.racy?.level == .unlikely, "the analyzer's own level is kept")
        #expect(alerts.adult == nil, "no model scored adult")

        // What was sent: the preview's bytes, as WebP, with the header from the environment.
        let request = try #require(try analyzer.requests().last)
        let preview = try #require(processed.renditions.first { $0.name == "preview" })
        let file = try Package.temporaryDirectory("analysis-preview") + "/preview.webp"
        try Data(preview.bytes).write(to: URL(fileURLWithPath: file))
        let digest = try Command.run("sha256sum", [file])
        #expect(String(decoding: digest.stdout, as: UTF8.self).hasPrefix(request["sha256"] as? String ?? "-"))
        let headers = request["headers"] as? [String: String] ?? [:]
        #expect(headers["content-type"] == "image/webp")
        #expect(headers["x-home"] == "home=" + (ProcessInfo.processInfo.environment["HOME"] ?? ""))
    }

    /// Each misbehaviour, the reason the record gives, and a bound on the
    /// time the asset was held: the timeout and a margin for the pipeline.
    @Test(arguments: [
        ("slow", AnalysisFailure.Reason.timeout), ("drip", .timeout), ("error", .httpStatus), ("malformed", .malformed),
        ("huge", .tooLarge), ("huge-stream", .tooLarge), ("deep", .malformed), ("missing", .httpStatus),
    ])
    func aFailingAnalyzerNeverFailsOrHoldsTheAsset(mode: String, reason: AnalysisFailure.Reason) throws {
        let analyzer = try TestAnalyzer()
        let (processed, seconds) = Self.process(try Self.runner(url: analyzer.url(mode)))
        #expect(processed.record.status == .processed, "\(String(describing: processed.record.error))")
        let output = try #require(processed.record.output(of: AnalysisStage.self))
        #expect(output.status == .failed)
        #expect(output.reason == reason, "\(output.message ?? "")")
        #expect(output.message?.isEmpty == false)
        #expect(output.tags == nil)
        #expect(processed.renditions.contains { $0.name == "thumb" }, "the rest of the pipeline ran")
        #expect(seconds < Self.timeout + 3, "held \(seconds) s with a timeout of \(Self.timeout) s")
    }

    @Test func aClosedPortIsUnreachable() throws {
        // A port that was just free: bound by nobody once the analyzer stops.
        let port = try TestAnalyzer().port
        let (processed, _) = Self.process(try Self.runner(url: "http://127.0.0.1:\(port)/ok"))
        #expect(processed.record.status == .processed)
        #expect(processed.record.output(of: AnalysisStage.self)?.reason == .unreachable)
    }

    /// One slot, taken by a slow request on another thread: the next asset
    /// waits for it, and for its own answer, no longer than its one timeout
    /// in all (the slot comes free when the first request times out, with
    /// little of the second's time left).
    @Test func waitingForASlotCountsTowardTheTimeout() async throws {
        let analyzer = try TestAnalyzer()
        let runner = try Self.runner(url: analyzer.url("slow"), extra: "  concurrency: 1")
        async let first = Task.detached { Self.process(runner) }.value
        // Until the first request has reached the analyzer, holding the slot.
        for _ in 0..<200 where try analyzer.requests().isEmpty {
            try await Task.sleep(for: .milliseconds(50))
        }
        let (second, seconds) = Self.process(runner)
        #expect(second.record.output(of: AnalysisStage.self)?.reason == .timeout)
        #expect(seconds < Self.timeout + 3)
        _ = await first
    }

    @Test func missingURLOrVariableSkipsTheStageAtStart() throws {
        let noURL = try Runner(definition: PipelineDefinition.parse(
            "stages: [detect, metadata, decode, thumbnails, analysis]", file: "no-url.yaml"))
        #expect(noURL.skipped.first?.stage == "analysis")
        #expect(noURL.skipped.first?.reason.contains("analysis.url") == true)
        let noVariable = try Self.runner(url: "http://127.0.0.1:9/", extra: "")
        #expect(noVariable.skipped.isEmpty)
        let unset = try Runner(definition: PipelineDefinition.parse("""
            stages: [detect, metadata, decode, thumbnails, analysis]
            analysis: {url: "http://127.0.0.1:9/", headers: {Authorization: "Bearer ${ASSETPIPE_TEST_NO_SUCH_VARIABLE}"}}
            """, file: "unset.yaml"))
        #expect(unset.skipped.first?.reason.contains("ASSETPIPE_TEST_NO_SUCH_VARIABLE") == true)
    }

    @Test(arguments: [
        ("analysis: {url: \"ftp://example.com/\"}", "http:// or https://"),
        ("analysis: {url: \"http://x/\", timeout: 0}", "analysis.timeout"),
        ("analysis: {url: \"http://x/\", headers: {\"Bad Header\": x}}", "no HTTP header name"),
        ("analysis: {url: \"http://x/\", max_response_size: 1GB}", "over 64MiB"),
        ("analysis: {url: \"http://x/\", retries: 3}", "unknown key 'retries'"),
    ])
    func badSettingsAreRefusedWithTheirPlace(section: String, expected: String) {
        let error = #expect(throws: PipelineDefinitionError.self) {
            try PipelineDefinition.parse("stages: [detect, metadata, decode, thumbnails, analysis]\n" + section, file: "bad.yaml")
        }
        #expect(error?.description.contains(expected) == true, "\(String(describing: error))")
        #expect(error?.description.hasPrefix("bad.yaml:2:") == true, "\(String(describing: error))")
    }
}
