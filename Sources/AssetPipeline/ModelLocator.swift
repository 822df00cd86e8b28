import Foundation

/// Where stages find their model files: the models folder (`--models`,
/// `ASSETPIPE_MODELS`), then the folders Debian's packages install models
/// into (opencv-data's cascades). A bare name is looked up in each in turn;
/// an absolute path is taken as it is.
public struct ModelLocator: Sendable {
    public let directory: String?

    /// Debian's `opencv-data`.
    public static let systemDirectories = ["/usr/share/opencv4/haarcascades", "/usr/share/opencv4/lbpcascades"]

    public init(directory: String?) {
        self.directory = directory
    }

    /// The readable file `name` names, or nil.
    public func locate(_ name: String) -> String? {
        if name.hasPrefix("/") { return FileManager.default.isReadableFile(atPath: name) ? name : nil }
        let folders = (directory.map { [$0] } ?? []) + Self.systemDirectories
        return folders.map { $0 + "/" + name }.first { FileManager.default.isReadableFile(atPath: $0) }
    }

    /// Where the file was looked for, for the message that says it is missing.
    public func searched(for name: String) -> String {
        if name.hasPrefix("/") { return name }
        return ((directory.map { [$0] } ?? []) + Self.systemDirectories).joined(separator: ", ")
    }
}
