/// Why a media operation failed, in terms a pipeline can act on.
///
/// AssetMedia does not know the catalog's reason codes; the pipeline maps
/// these kinds onto them (`corrupt`, `inaccessible`, ...).
public struct MediaError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The file could not be opened or read (permissions, vanished, I/O, symlink loop).
        case unreadable
        /// A FIFO, socket or device: never read, since it could block or never end.
        case notRegularFile
        /// The bytes are in a known format but cannot be decoded.
        case corrupt
        /// No enabled decoder accepts these bytes.
        case unsupported
        /// The time limit passed.
        case timeout
        /// A library failed (could not start, out of memory).
        case library
    }

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}

extension MediaError {
    /// A `.timeout` error when the calling thread's `Cancellation` was
    /// cancelled (the failure that led here is then libvips's "killed"),
    /// clearing libvips's error buffer; nil otherwise.
    static func stoppedByCancellation() -> MediaError? {
        guard Cancellation.currentIsSet else { return nil }
        _ = VipsRuntime.takeError()
        return MediaError(.timeout, "stopped: the time limit passed")
    }
}
