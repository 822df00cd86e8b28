/// Why an upload was not taken, in words a client can act on; `kind` picks
/// the HTTP status and error code.
public struct UploadRefusal: Error, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// The destination, a parameter or the form is malformed (400).
        case invalid = "invalid_value"
        /// Past the size limit (413).
        case tooLarge = "body_too_large"
        /// The bytes do not have the SHA-256 the client named (422).
        case checksumMismatch = "checksum_mismatch"
        /// Something is already at the destination and the policy is `reject` (409).
        case exists
        /// The body ended before its length, or the connection broke (400).
        case incomplete = "incomplete_body"
        /// The upload area could not be written (503: try again).
        case store = "upload_area_unavailable"
    }

    public let kind: Kind
    public let message: String
    /// The query or form parameter at fault.
    public var param: String?
    /// The asset already at the destination, for `exists`.
    public var existingAssetID: String?

    public init(_ kind: Kind, _ message: String, param: String? = nil) {
        self.kind = kind
        self.message = message
        self.param = param
    }

    public var description: String { message }
}
