import Foundation

/// Where stages find their model files. A bare name is looked for in the
/// models folder (`--models`, `ASSETPIPE_MODELS`) or, without one, in the
/// folders scripts/install-models and `make install` fill
/// (`${XDG_DATA_HOME:-~/.local/share}/assetpipe/models`,
/// /usr/local/share/assetpipe/models, /usr/share/assetpipe/models); then in
/// the folders Debian's packages install models into (opencv-data's
/// cascades). An absolute path is taken as it is.
public struct ModelLocator: Sendable {
    public let folders: [String]

    /// Debian's `opencv-data`.
    public static let systemDirectories = ["/usr/share/opencv4/haarcascades", "/usr/share/opencv4/lbpcascades"]

    /// Where models are looked for when no folder is given.
    public static var defaultDirectories: [String] {
        let environment = ProcessInfo.processInfo.environment
        if let folder = environment["ASSETPIPE_MODELS"], !folder.isEmpty { return [folder] }
        let dataHome = environment["XDG_DATA_HOME"].flatMap { $0.hasPrefix("/") ? $0 : nil }
            ?? environment["HOME"].map { $0 + "/.local/share" }
        return (dataHome.map { [$0 + "/assetpipe/models"] } ?? []) + ["/usr/local/share/assetpipe/models", "/usr/share/assetpipe/models"]
    }

    public init(directory: String?) {
        folders = (directory.map { [$0] } ?? Self.defaultDirectories) + Self.systemDirectories
    }

    /// The readable file `name` names, or nil.
    public func locate(_ name: String) -> String? {
        if name.hasPrefix("/") { return FileManager.default.isReadableFile(atPath: name) ? name : nil }
        return folders.map { $0 + "/" + name }.first { FileManager.default.isReadableFile(atPath: $0) }
    }

    /// Where the file was looked for, for the message that says it is missing.
    public func searched(for name: String) -> String {
        name.hasPrefix("/") ? name : folders.joined(separator: ", ")
    }
}
