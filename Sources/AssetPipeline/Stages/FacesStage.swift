import AssetMedia
import Foundation

/// Frontal faces, found in-process with an OpenCV cascade on the one decode
/// (or a video's poster), scaled to `size` on the long side. Adds
/// `faces: {count, boxes}` with boxes in upright source pixels, the frame
/// `width` and `height` describe, largest first.
public struct FacesStage: PipelineStage {
    public static let name = "faces"
    public static let prerequisites = ["decode", "poster"]
    public static let summary = "frontal faces (OpenCV cascade) in that decode: count and boxes"

    public struct Settings: StageSettings {
        /// The cascade: a file name looked up in the models folder, then in
        /// opencv-data's folders, or an absolute path.
        public var model: String
        /// Long side, in pixels, of the image searched.
        public var size: Int
        public var parameters: FaceDetector.Parameters

        public init(section: SettingsSection) throws(PipelineDefinitionError) {
            // OpenCV's improved LBP cascade: about 2.5 times faster than the
            // Haar one (haarcascade_frontalface_default.xml, still selectable)
            // and without its false faces in textures such as scikit-image's
            // coins. 512 px and windows growing 20 % per scale keep faces and
            // content_alerts within the cost bar (scripts/bench-analysis);
            // faces under about 5 % of the long side are missed, so a pipeline
            // for group photos raises `size`.
            model = try section.string("model", default: "lbpcascade_frontalface_improved.xml")
            size = try section.integer("size", range: 64...4096, default: 512)
            parameters = FaceDetector.Parameters(
                scaleFactor: try section.number("scale_factor", range: 1.01...2, default: 1.2),
                minNeighbors: try section.integer("min_neighbors", range: 0...100, default: 5),
                minSize: try section.integer("min_size", range: 1...4096, default: 24))
        }
    }

    public struct Output: Codable, Sendable, Equatable {
        public var count: Int
        public var boxes: [Box]

        public struct Box: Codable, Sendable, Equatable {
            public var x: Int, y: Int, width: Int, height: Int

            public init(x: Int, y: Int, width: Int, height: Int) {
                self.x = x
                self.y = y
                self.width = width
                self.height = height
            }

            /// Records list faces largest first, then top to bottom and left to
            /// right: OpenCV's own order depends on how its threads finished.
            public static func listedBefore(_ left: Box, _ right: Box) -> Bool {
                let leftArea = left.width * left.height, rightArea = right.width * right.height
                if leftArea != rightArea { return leftArea > rightArea }
                return (left.y, left.x) < (right.y, right.x)
            }
        }
    }

    public static func decodeSize(for settings: Settings) -> Int? { settings.size }

    let settings: Settings
    let detector: FaceDetector?
    public let unavailable: String?

    public init(settings: Settings, pipeline: PipelineSettings) {
        self.settings = settings
        guard let path = pipeline.models.locate(settings.model) else {
            detector = nil
            unavailable = "its model \(settings.model) is not in \(pipeline.models.searched(for: settings.model)); install opencv-data or give --models"
            return
        }
        do {
            detector = try FaceDetector(cascadePath: path)
            unavailable = nil
        } catch {
            detector = nil
            unavailable = error.message
        }
    }

    /// The pixels searched: the decode scaled to `size`, 8-bit sRGB, alpha
    /// flattened onto black (a transparent area holds no face).
    public static func searchedImage(_ decoded: Image, size: Int) throws(MediaError) -> Image {
        try decoded.fitted(within: size).inSRGB().flattened(onto: RGBColor(red: 0, green: 0, blue: 0)).inMemory()
    }

    public func run(_ context: inout AssetContext) throws(AssetError) {
        guard let decoded = context.decoded, let detector else { return }
        let found: [FaceDetector.Box]
        let searched: Image
        do {
            searched = try Self.searchedImage(decoded, size: settings.size)
            found = try detector.faces(in: searched, parameters: settings.parameters)
        } catch {
            throw AssetError(error, otherwise: .internalError, "cannot look for faces: \(error.message)")
        }
        // Back to the upright frame the record's width and height describe.
        let scaleX = Double(context.record.width ?? searched.width) / Double(searched.width)
        let scaleY = Double(context.record.height ?? searched.height) / Double(searched.height)
        let boxes = found.map { box in
            Output.Box(x: Int((Double(box.x) * scaleX).rounded()), y: Int((Double(box.y) * scaleY).rounded()),
                       width: Int((Double(box.width) * scaleX).rounded()), height: Int((Double(box.height) * scaleY).rounded()))
        }
        context.record.setOutput(Output(count: boxes.count, boxes: boxes.sorted(by: Output.Box.listedBefore)), of: Self.self)
    }
}
