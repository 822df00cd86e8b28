import AssetMedia
import AssetPipeline
import Foundation
import TestSupport
import Testing

/// Faces checked against OpenCV's own Python binding (opencv-python-headless
/// 4.6, the version of Debian's libopencv) with the same cascade and
/// parameters, on the very pixels the stage searched.
@Suite struct FacesTests {
    /// Grey (BGR2GRAY on what imread gives, which is RGB2GRAY on ours),
    /// equalised, detectMultiScale: boxes per image, in pixels of the image.
    static let oracle = """
        import cv2, json, sys
        cascade, scale, neighbours, smallest = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
        classifier = cv2.CascadeClassifier(cascade)
        assert not classifier.empty(), cascade
        found = []
        for path in sys.argv[5:]:
            grey = cv2.equalizeHist(cv2.cvtColor(cv2.imread(path, cv2.IMREAD_COLOR), cv2.COLOR_BGR2GRAY))
            boxes = classifier.detectMultiScale(grey, scaleFactor=scale, minNeighbors=neighbours, flags=0, minSize=(smallest, smallest))
            found.append([[int(v) for v in box] for box in boxes])
        print(json.dumps(found))
        """

    @Test func facesAreWhatOpenCVsPythonBindingFindsOnTheSamePixels() throws {
        let photos = try OraclePython.scikitImageData()
        let files = ["astronaut.png", "coffee.png", "chelsea.png", "camera.png", "motorcycle_left.png", "rocket.jpg", "coins.png"].map { photos + "/" + $0 }
            + ["photos/camera-gps-north.jpg", "photos/odd-exif.jpg", "orientation/orientation-6.jpg", "orientation/orientation-3.jpg",
               "formats/alpha.png", "formats/gray.jpg", "formats/cmyk-icc.jpg"].map(Package.sample)
        let definition = PipelineDefinition.default
        let settings = definition.settings(of: FacesStage.self)
        let model = try #require(ModelLocator(directory: nil).locate(settings.model), "opencv-data's cascade is not installed")
        let scratch = try TemporaryDirectory("faces")
        defer { scratch.remove() }

        let runner = Runner(definition: definition)
        #expect(runner.skipped.isEmpty, "\(runner.skipped)")
        var searched: [(record: AssetRecord, width: Int, height: Int, png: String)] = []
        for (index, file) in files.enumerated() {
            let record = runner.process(SourceFile(path: file)).record
            #expect(record.status == .processed, "\(file): \(String(describing: record.error))")
            // The decode the pipeline made (deterministic), scaled as the stage scales it.
            let decoded = try Image.decode(try SourceFile(path: file).open(), maxSize: definition.decodeSize)
            let image = try FacesStage.searchedImage(decoded, size: settings.size)
            let png = scratch("\(index).png")
            try Data(try image.encoded(as: .png, quality: 100)).write(to: URL(fileURLWithPath: png))
            searched.append((record, image.width, image.height, png))
        }
        let found = try #require(try OraclePython.json(Self.oracle, [
            model, "\(settings.parameters.scaleFactor)", "\(settings.parameters.minNeighbors)", "\(settings.parameters.minSize)",
        ] + searched.map(\.png)) as? [[[Int]]])
        #expect(found.count == files.count)

        for ((record, width, height, _), expected) in zip(searched, found) {
            let faces = try #require(record.output(of: FacesStage.self), "\(record.name) has no faces entry")
            let scaleX = Double(try #require(record.width)) / Double(width), scaleY = Double(try #require(record.height)) / Double(height)
            let boxes = expected.map { box in
                FacesStage.Output.Box(x: Int((Double(box[0]) * scaleX).rounded()), y: Int((Double(box[1]) * scaleY).rounded()),
                                      width: Int((Double(box[2]) * scaleX).rounded()), height: Int((Double(box[3]) * scaleY).rounded()))
            }
            #expect(faces.count == expected.count, "\(record.name)")
            #expect(faces.boxes == boxes.sorted(by: FacesStage.Output.Box.listedBefore), "\(record.name)")
        }
        // Not vacuous: the astronaut's face is found, and the cat's is not a person's.
        #expect(found[0].count == 1)
        #expect(found[2].isEmpty)
    }

    @Test func aMissingModelSkipsTheStageAndSaysWhy() throws {
        var definition = PipelineDefinition.default
        var settings = definition.settings(of: FacesStage.self)
        settings.model = "no-such-cascade.xml"
        definition.setSettings(settings, of: FacesStage.self)
        let runner = Runner(definition: definition)
        let skipped = try #require(runner.skipped.first)
        #expect(skipped.stage == "faces")
        #expect(skipped.reason.contains("no-such-cascade.xml"), "\(skipped.reason)")
        let record = runner.process(SourceFile(path: Package.sample("photos/camera-gps-north.jpg"))).record
        #expect(record.status == .processed)
        #expect(record.output(of: FacesStage.self) == nil)
        #expect(record.color?.dominant != nil)
    }

    @Test func aFileThatIsNoCascadeIsRefusedAtStart() throws {
        var definition = PipelineDefinition.default
        var settings = definition.settings(of: FacesStage.self)
        settings.model = Package.root + "/pipelines/default.yaml"
        definition.setSettings(settings, of: FacesStage.self)
        let skipped = try #require(Runner(definition: definition).skipped.first)
        #expect(skipped.reason.contains("not an OpenCV cascade"), "\(skipped.reason)")
    }

    @Test func theModelsFolderComesFirst() throws {
        let scratch = try TemporaryDirectory("models")
        defer { scratch.remove() }
        let locator = ModelLocator(directory: scratch.path)
        let system = try #require(locator.locate("haarcascade_frontalface_default.xml"))
        #expect(system.hasPrefix("/usr/share/opencv4/"))
        try FileManager.default.copyItem(atPath: system, toPath: scratch("haarcascade_frontalface_default.xml"))
        #expect(locator.locate("haarcascade_frontalface_default.xml") == scratch("haarcascade_frontalface_default.xml"))
        #expect(locator.locate("absent.xml") == nil)
    }
}
