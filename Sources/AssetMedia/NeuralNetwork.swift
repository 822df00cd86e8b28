import CVision

/// An ONNX model run in-process on the CPU through OpenCV's dnn module.
/// Loaded once per thread that runs it at the same time (see `ModelPool`).
public final class NeuralNetwork: Sendable {
    public let modelPath: String
    private let networks: ModelPool<LoadedNetwork>

    /// Loads the model once to prove OpenCV can run it; a missing or malformed file is refused here.
    public init(modelPath: String) throws(MediaError) {
        self.modelPath = modelPath
        networks = try ModelPool { () throws(MediaError) in try LoadedNetwork(path: modelPath) }
    }

    /// The first output for one input of shape 1 × `shape` (e.g. [224, 224, 3], NHWC).
    public func run(_ input: [Float], shape: (Int, Int, Int)) throws(MediaError) -> [Float] {
        let (first, second, third) = shape
        guard first > 0, second > 0, third > 0, first.multipliedReportingOverflow(by: second).partialValue
                .multipliedReportingOverflow(by: third).partialValue == input.count else {
            throw MediaError(.library, "the network's input holds \(input.count) values, not 1 × \(first) × \(second) × \(third)")
        }
        return try networks.withModel { network throws(MediaError) in try network.run(input, shape: shape) }
    }
}

private final class LoadedNetwork: @unchecked Sendable {
    private let pointer: OpaquePointer

    init(path: String) throws(MediaError) {
        var error = [CChar](repeating: 0, count: 512)
        guard let pointer = ap_network_open(path, &error, error.count) else {
            throw MediaError(.unreadable, "cannot load the model \(path): \(shimMessage(error))")
        }
        self.pointer = pointer
    }

    deinit { ap_network_close(pointer) }

    func run(_ input: [Float], shape: (Int, Int, Int), capacity: Int = 16) throws(MediaError) -> [Float] {
        var output = [Float](repeating: 0, count: capacity)
        var error = [CChar](repeating: 0, count: 512)
        let count = input.withUnsafeBufferPointer { values in
            ap_network_run(pointer, values.baseAddress, Int32(clamping: shape.0), Int32(clamping: shape.1), Int32(clamping: shape.2),
                           &output, Int32(capacity), &error, error.count)
        }
        guard count >= 0 else { throw MediaError(.library, "the network failed: \(shimMessage(error))") }
        if Int(count) > capacity { return try run(input, shape: shape, capacity: Int(count)) }
        return Array(output.prefix(Int(count)))
    }
}
