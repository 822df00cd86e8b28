/// Why a media operation failed, in terms a pipeline can act on.
///
/// AssetMedia does not know the catalog's reason codes; the pipeline maps
/// these kinds onto them (`corrupt`, `inaccessible`, ...).
public struct MediaError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The file could not be opened or read (permissions, vanished, I/O, symlink loop).
        case unreadable
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
