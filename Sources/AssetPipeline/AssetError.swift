/// A stage's reason for not finishing an asset: a stable machine-readable
/// code and a message for people. Failure is data: the runner records the
/// asset as `errored` with this and moves on.
public struct AssetError: Error, Sendable, Equatable, Codable, CustomStringConvertible {
    /// Stable reason codes. Other programs match on these; never rename one.
    public struct Reason: RawRepresentable, Sendable, Hashable, Codable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }

        /// The bytes are in a known format but cannot be decoded (truncated, damaged).
        public static let corrupt = Reason(rawValue: "corrupt")
        /// The file has no bytes.
        public static let empty = Reason(rawValue: "empty")
        /// The file cannot be read: permissions, vanished, symlink loop, I/O error.
        public static let inaccessible = Reason(rawValue: "inaccessible")
        /// No enabled decoder handles this kind of file.
        public static let unsupportedFormat = Reason(rawValue: "unsupported_format")
        /// Over the pipeline's file-size or pixel limit.
        public static let tooLarge = Reason(rawValue: "too_large")
        /// A video shorter than the pipeline's `video.min_duration`.
        public static let tooShort = Reason(rawValue: "too_short")
        /// assetpipe failed on a file it should handle (an encoder refused a
        /// decoded image); worth a bug report with the file.
        public static let internalError = Reason(rawValue: "internal")
        /// A stage exceeded its time limit.
        public static let timeout = Reason(rawValue: "timeout")

        public var description: String { rawValue }
    }

    public let reason: Reason
    public let message: String

    public init(_ reason: Reason, _ message: String) {
        self.reason = reason
        self.message = message
    }

    public var description: String { "\(reason): \(message)" }

    /// Transient reasons are worth another attempt later; the others are final.
    public var isTransient: Bool { reason == .inaccessible || reason == .timeout }
}
