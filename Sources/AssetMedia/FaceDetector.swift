import CVision

/// Finds frontal faces with an OpenCV cascade classifier (Debian's
/// `opencv-data` ships them). One cascade file is loaded per thread that
/// detects at the same time, since a classifier serves one caller at a time;
/// loaded ones are kept for the next asset.
public final class FaceDetector: Sendable {
    public struct Parameters: Sendable, Equatable {
        /// How much the search window grows per scale (OpenCV's scaleFactor).
        public var scaleFactor: Double
        /// Overlapping detections a face needs to count (minNeighbors).
        public var minNeighbors: Int
        /// Smallest face, in pixels of the image searched.
        public var minSize: Int

        public init(scaleFactor: Double, minNeighbors: Int, minSize: Int) {
            self.scaleFactor = scaleFactor
            self.minNeighbors = minNeighbors
            self.minSize = minSize
        }
    }

    /// A face's box, in pixels of the image searched.
    public struct Box: Sendable, Equatable {
        public var x: Int, y: Int, width: Int, height: Int
    }

    public let cascadePath: String
    private let classifiers: ModelPool<Classifier>

    /// Loads the cascade once to prove it usable; a missing or malformed file is refused here.
    public init(cascadePath: String) throws(MediaError) {
        self.cascadePath = cascadePath
        classifiers = try ModelPool { () throws(MediaError) in try Classifier(path: cascadePath) }
    }

    /// The faces in an 8-bit RGB (or RGBA, alpha ignored) image, in OpenCV's order.
    public func faces(in image: Image, parameters: Parameters) throws(MediaError) -> [Box] {
        let rgb = try image.pixelBytes()
        let bands = image.bands
        guard bands == 3 || bands == 4, rgb.count == image.width * image.height * bands else {
            throw MediaError(.library, "face detection needs 8-bit RGB pixels, not \(bands) bands")
        }
        let pixels = bands == 3 ? rgb : Self.droppingAlpha(rgb)
        return try classifiers.withModel { classifier throws(MediaError) in
            try classifier.detect(pixels, width: image.width, height: image.height, parameters: parameters)
        }
    }

    private static func droppingAlpha(_ rgba: [UInt8]) -> [UInt8] {
        var rgb = [UInt8]()
        rgb.reserveCapacity(rgba.count / 4 * 3)
        for index in stride(from: 0, to: rgba.count - 3, by: 4) {
            rgb.append(rgba[index])
            rgb.append(rgba[index + 1])
            rgb.append(rgba[index + 2])
        }
        return rgb
    }
}

/// One loaded cascade; used by one thread at a time (the pool hands it out).
private final class Classifier: @unchecked Sendable {
    private let pointer: OpaquePointer

    init(path: String) throws(MediaError) {
        var error = [CChar](repeating: 0, count: 256)
        guard let pointer = ap_faces_open(path, &error, error.count) else {
            throw MediaError(.unreadable, "cannot load the face model \(path): \(shimMessage(error))")
        }
        self.pointer = pointer
    }

    deinit { ap_faces_close(pointer) }

    func detect(_ rgb: [UInt8], width: Int, height: Int, parameters: FaceDetector.Parameters,
                capacity: Int = 64) throws(MediaError) -> [FaceDetector.Box] {
        var boxes = [ap_face_box](repeating: ap_face_box(), count: capacity)
        var error = [CChar](repeating: 0, count: 256)
        let settings = ap_face_parameters(scale_factor: parameters.scaleFactor, min_neighbors: Int32(clamping: parameters.minNeighbors),
                                          min_size: Int32(clamping: parameters.minSize))
        let found = rgb.withUnsafeBufferPointer { pixels in
            ap_faces_detect(pointer, pixels.baseAddress, Int32(clamping: width), Int32(clamping: height), width * 3,
                            settings, &boxes, Int32(capacity), &error, error.count)
        }
        guard found >= 0 else { throw MediaError(.library, "face detection failed: \(shimMessage(error))") }
        if Int(found) > capacity {
            // Rare (a crowd): search again with room for every box.
            return try detect(rgb, width: width, height: height, parameters: parameters, capacity: Int(found))
        }
        return boxes.prefix(Int(found)).map {
            FaceDetector.Box(x: Int($0.x), y: Int($0.y), width: Int($0.width), height: Int($0.height))
        }
    }
}
