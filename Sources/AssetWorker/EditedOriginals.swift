import AssetPipeline
import Foundation

/// Where a saved edit's image is kept: it is the new version's original,
/// so every worker and `serve` must be able to read it again (a later edit,
/// a refresh, a render). A folder every worker mounts, or the store's bucket.
public protocol EditedOriginals: Sendable {
    /// Keeps `bytes` as `name` (`ASSET_ID/KEY.ext`, the job run's own name),
    /// whole or not at all; a repeated attempt replaces it with the same
    /// bytes. Returns the origin the new version records.
    func keep(_ bytes: [UInt8], named name: String) throws(AssetError) -> KeptOriginal
}

/// An edited image once kept.
public struct KeptOriginal: Sendable, Equatable {
    /// What the record's `origin` says: a file's absolute path or an `s3://` URL.
    public let origin: String
    /// The object's state when it went to a bucket; nil for a file.
    public let object: ObjectSignature?

    public init(origin: String, object: ObjectSignature?) {
        self.origin = origin
        self.object = object
    }
}

/// Edited images as files under a folder (`STORE/edits`), each written under
/// a dot-name beside its place and renamed into it.
public struct EditsFolder: EditedOriginals {
    public let directory: String

    public init(directory: String) {
        self.directory = directory
    }

    public func keep(_ bytes: [UInt8], named name: String) throws(AssetError) -> KeptOriginal {
        let path = directory + "/" + name
        do {
            try Self.writeAtomically(bytes, to: path)
        } catch {
            throw AssetError(.inaccessible, "cannot write the edited image \(path): \(error.localizedDescription)")
        }
        return KeptOriginal(origin: path, object: nil)
    }

    static func writeAtomically(_ bytes: [UInt8], to path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let temporary = directory + "/.\((path as NSString).lastPathComponent).\(UUID().uuidString.prefix(8)).tmp"
        try Data(bytes).write(to: URL(fileURLWithPath: temporary))
        if rename(temporary, path) != 0 {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(atPath: temporary)
            throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: reason])
        }
    }
}
