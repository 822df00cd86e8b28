import AssetMedia

/// A derivative encoded in memory by a stage, waiting to be stored.
public struct EncodedRendition: Sendable {
    public var name: String
    public var role: Rendition.Role
    public var width: Int
    public var height: Int
    public var format: EncodedFormat
    public var bytes: [UInt8]

    public init(name: String, role: Rendition.Role, width: Int, height: Int, format: EncodedFormat, bytes: [UInt8]) {
        self.name = name
        self.role = role
        self.width = width
        self.height = height
        self.format = format
        self.bytes = bytes
    }
}

/// A stored derivative, as the record lists it.
public struct Rendition: Codable, Sendable, Equatable {
    public enum Role: String, Codable, Sendable {
        /// A scaled view for lists and detail panes.
        case thumbnail
        /// A block mosaic for content shown as hidden.
        case pixelated
    }

    public var name: String
    public var role: Role
    public var width: Int
    public var height: Int
    public var format: EncodedFormat
    /// Size of the file in bytes.
    public var bytes: Int
    /// Relative to the data directory.
    public var path: String

    /// The record's entry for `encoded`, once stored at `path`.
    public init(_ encoded: EncodedRendition, storedAt path: String) {
        name = encoded.name
        role = encoded.role
        width = encoded.width
        height = encoded.height
        format = encoded.format
        bytes = encoded.bytes.count
        self.path = path
    }
}
