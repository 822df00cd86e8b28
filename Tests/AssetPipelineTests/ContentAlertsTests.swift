import AssetMedia
import AssetPipeline
import Foundation
import TestSupport
import Testing

/// Content alert scores checked against onnxruntime in Python (the oracle)
/// running the same ONNX file on the same preprocessed input.
@Suite struct ContentAlertsTests {
    /// BGR (what imread gives) minus the means, NHWC, onnxruntime: the score
    /// of "not safe for work" per image.
    static let oracle = """
        import cv2, json, numpy, onnxruntime, sys
        session = onnxruntime.InferenceSession(sys.argv[1], providers=["CPUExecutionProvider"])
        name = session.get_inputs()[0].name
        mean = numpy.array([104, 117, 123], dtype=numpy.float32)
        scores = []
        for path in sys.argv[2:]:
            pixels = cv2.imread(path, cv2.IMREAD_COLOR).astype(numpy.float32) - mean
            scores.append(float(session.run(None, {name: pixels[None]})[0][0][1]))
        print(json.dumps(scores))
        """

    /// Flat skin tones with a darker disc (written as PPM, made PNG by `vips
    /// copy`): the scores these get are well above the photos', so agreement
    /// is checked away from zero too.
    static func skinTones(in directory: TemporaryDirectory) throws -> [String] {
        try [(224, 172, 150), (200, 150, 120), (190, 130, 100)].enumerated().map { index, tone in
            let side = 300
            var pixels = [UInt8]()
            for y in 0..<side {
                for x in 0..<side {
                    let inside = (x - 150) * (x - 150) + (y - 150) * (y - 150) < 80 * 80
                    let shade = inside ? 30 : 0
                    pixels += [UInt8(tone.0 - shade), UInt8(tone.1 - shade), UInt8(tone.2 - shade)]
                }
            }
            let ppm = directory("skin-\(index).ppm"), png = directory("skin-\(index).png")
            try (Data("P6\n\(side) \(side)\n255\n".utf8) + Data(pixels)).write(to: URL(fileURLWithPath: ppm))
            let converted = try Command.run("vips", ["copy", ppm, png])
            guard converted.status == 0 else { throw TestFailure("vips copy \(ppm): \(converted.summary)") }
            return png
        }
    }

    @Test func scoresEqualOnnxruntimeOnTheSameInput() throws {
        let definition = PipelineDefinition.default
        let settings = definition.settings(of: ContentAlertsStage.self)
        let model = try #require(ModelLocator(directory: nil).locate(settings.model), "run scripts/install-models")
        let scratch = try TemporaryDirectory("alerts")
        defer { scratch.remove() }
        let photos = try OraclePython.scikitImageData()
        let files = ["astronaut.png", "coffee.png", "chelsea.png", "camera.png", "rocket.jpg", "horse.png", "logo.png", "text.png",
                     "page.png", "coins.png", "retina.jpg", "ihc.png", "phantom.png", "chessboard_RGB.png", "motorcycle_left.png",
                     "brick.png", "hubble_deep_field.jpg"].map { photos + "/" + $0 }
            + ["photos/camera-gps-north.jpg", "photos/xp-tags.jpg", "orientation/orientation-6.jpg", "formats/alpha.png",
               "formats/cmyk-icc.jpg", "formats/rgb16.tif", "formats/gray.jpg"].map(Package.sample)
            + (try Self.skinTones(in: scratch))
        #expect(files.count >= 20)

        let runner = Runner(definition: definition)
        #expect(runner.skipped.isEmpty, "\(runner.skipped)")
        var scores: [(name: String, score: Double, level: ContentAlertLevel)] = []
        var inputs: [String] = []
        for (index, file) in files.enumerated() {
            let result = runner.process(SourceFile(path: file))
            let alert = try #require(result.record.output(of: ContentAlertsStage.self)?.adult, "\(file): \(result.record.status)")
            // The categories Open NSFW does not score are absent, not zero.
            let output = try #require(result.record.output(of: ContentAlertsStage.self))
            #expect(output.violent == nil && output.racy == nil && output.medical == nil && output.spoof == nil)
            scores.append((result.record.name, alert.score, alert.level))
            // The one decode, deterministic, made into the model's input as the stage makes it.
            let decoded = try Image.decode(try SourceFile(path: file).open(), maxSize: definition.decodeSize)
            let input = try ContentAlertsStage.modelInput(decoded, background: definition.background)
            let png = scratch("\(index).png")
            try Data(try input.encoded(as: .png, quality: 100)).write(to: URL(fileURLWithPath: png))
            inputs.append(png)
        }
        let expected = try #require(try OraclePython.json(Self.oracle, [model] + inputs) as? [Double])
        #expect(expected.count == files.count)
        for (ours, theirs) in zip(scores, expected) {
            #expect(abs(ours.score - theirs) <= 0.01, "\(ours.name): \(ours.score) here, \(theirs) in onnxruntime")
            #expect(ours.level == settings.levels.level(of: ours.score), "\(ours.name)")
        }
        // Not vacuous: some inputs score well away from zero.
        #expect((expected.max() ?? 0) >= 0.1, "\(expected)")
    }

    @Test func levelsFollowTheThresholdsAndMustRise() throws {
        let levels = PipelineDefinition.default.settings(of: ContentAlertsStage.self).levels
        #expect([0, 0.19, 0.2, 0.5, 0.6, 0.79, 0.8, 1].map(levels.level(of:))
                == [.doubtful, .doubtful, .unlikely, .possible, .likely, .likely, .probable, .probable])
        #expect(ContentAlertLevel.likely > .possible)
        let custom = try PipelineDefinition.parse(
            "stages: [detect]\ncontent_alerts:\n  levels: {likely: 0.5, probable: 0.9}\n", file: "p.yaml")
        #expect(custom.settings(of: ContentAlertsStage.self).levels.level(of: 0.55) == .likely)
        for bad in ["content_alerts:\n  levels: {likely: 0.9, probable: 0.5}\n", "content_alerts:\n  levels: {probably: 0.5}\n"] {
            #expect(throws: PipelineDefinitionError.self) { try PipelineDefinition.parse("stages: [detect]\n" + bad, file: "p.yaml") }
        }
    }

    @Test func aModelOpenCVCannotRunIsReportedAtStart() throws {
        var definition = PipelineDefinition.default
        var settings = definition.settings(of: ContentAlertsStage.self)
        settings.model = Package.root + "/pipelines/default.yaml"
        definition.setSettings(settings, of: ContentAlertsStage.self)
        let runner = Runner(definition: definition)
        let skipped = try #require(runner.skipped.first { $0.stage == "content_alerts" })
        #expect(skipped.reason.contains("default.yaml"), "\(skipped.reason)")
        let record = runner.process(SourceFile(path: Package.sample("photos/camera-gps-north.jpg"))).record
        #expect(record.status == .processed)
        #expect(record.output(of: ContentAlertsStage.self) == nil)
    }
}
