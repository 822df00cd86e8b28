import Synchronization

/// Loaded copies of one model file, handed to one caller at a time: OpenCV's
/// classifiers and networks keep per-call state, so threads that run at the
/// same time each need their own. A copy is loaded when none is idle and
/// kept for the next caller.
final class ModelPool<Model: AnyObject & Sendable>: Sendable {
    private let load: @Sendable () throws(MediaError) -> Model
    private let idle: Mutex<[Model]>

    /// Loads the first copy now, so a missing or malformed file is refused at start.
    init(load: @escaping @Sendable () throws(MediaError) -> Model) throws(MediaError) {
        self.load = load
        idle = Mutex([try load()])
    }

    func withModel<Result>(_ body: (Model) throws(MediaError) -> Result) throws(MediaError) -> Result {
        let model: Model
        if let pooled = idle.withLock({ $0.popLast() }) {
            model = pooled
        } else {
            model = try load()
        }
        defer { idle.withLock { $0.append(model) } }
        return try body(model)
    }
}

/// The NUL-terminated message a C shim wrote into `buffer`.
func shimMessage(_ buffer: [CChar]) -> String {
    String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
