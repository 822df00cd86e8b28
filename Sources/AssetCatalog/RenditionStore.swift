import AssetPipeline
import Foundation

/// Where rendition files live. Behind a protocol so that object storage can
/// replace the local (or shared-mount) directory later.
public protocol RenditionStore: Sendable {
    /// Stores the renditions of one version of an asset, each atomically
    /// (written under a temporary name, then renamed), and returns where they are.
    func store(_ renditions: [EncodedRendition], forAsset id: String, version: Int) throws -> [Rendition]

    /// Removes the asset's rendition files other than `kept` (paths as
    /// returned by `store`), temporary files of interrupted writes included;
    /// with `kept` empty, everything of the asset. The catalog calls both
    /// methods holding its write lock, so no write of the asset is in flight.
    func removeRenditions(ofAsset id: String, except kept: Set<String>) throws

    /// A local file holding the rendition's bytes, for libvips to read
    /// (renders from a rendition, a video's poster); nil when the store does
    /// not hold it, or its path is not one `store` could have made.
    func localFile(of rendition: Rendition) -> String?

    /// The rendition's bytes; nil when the store does not hold them.
    func bytes(of rendition: Rendition) -> Data?
}

/// Renditions as files under `DATA/renditions/<first two of id>/<id>/v<version>/<name>.<ext>`.
/// One folder per version: a new version is written beside the current one,
/// so the catalog never points at files of a version it does not hold.
public struct LocalRenditionStore: RenditionStore {
    public let dataDirectory: String

    public init(dataDirectory: String) {
        self.dataDirectory = dataDirectory
    }

    func directory(ofAsset id: String) -> String {
        "renditions/\(id.prefix(2))/\(id)"
    }

    public func store(_ renditions: [EncodedRendition], forAsset id: String, version: Int) throws -> [Rendition] {
        guard !renditions.isEmpty else { return [] }
        let relativeDirectory = directory(ofAsset: id) + "/v\(version)"
        let absoluteDirectory = dataDirectory + "/" + relativeDirectory
        try FileManager.default.createDirectory(atPath: absoluteDirectory, withIntermediateDirectories: true)
        return try renditions.map { rendition in
            let fileName = "\(rendition.name).\(rendition.format.fileExtension)"
            // A dot-name in the same directory: the rename is atomic, and readers skip dot-files.
            let temporary = absoluteDirectory + "/.\(fileName).\(UUID().uuidString.prefix(8)).tmp"
            try Data(rendition.bytes).write(to: URL(fileURLWithPath: temporary))
            if rename(temporary, absoluteDirectory + "/" + fileName) != 0 {
                let reason = String(cString: strerror(errno))
                try? FileManager.default.removeItem(atPath: temporary)
                throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "cannot move \(fileName) into place: \(reason)"])
            }
            return Rendition(rendition, storedAt: relativeDirectory + "/" + fileName)
        }
    }

    public func localFile(of rendition: Rendition) -> String? {
        // Paths come from the catalog, never a request; one that climbs out
        // of the store is refused all the same.
        guard !rendition.path.hasPrefix("/"), !rendition.path.split(separator: "/").contains("..") else { return nil }
        let path = dataDirectory + "/" + rendition.path
        return FileManager.default.fileExists(atPath: path) ? path : nil
    }

    public func bytes(of rendition: Rendition) -> Data? {
        localFile(of: rendition).flatMap { FileManager.default.contents(atPath: $0) }
    }

    public func removeRenditions(ofAsset id: String, except kept: Set<String>) throws {
        let assetDirectory = directory(ofAsset: id)
        try removeFiles(in: assetDirectory, except: kept)
        if kept.isEmpty {
            try? FileManager.default.removeItem(atPath: dataDirectory + "/" + assetDirectory)
        }
    }

    /// Removes, under `relativeDirectory`, every file not in `kept` and then
    /// the folders left empty.
    private func removeFiles(in relativeDirectory: String, except kept: Set<String>) throws {
        let absoluteDirectory = dataDirectory + "/" + relativeDirectory
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: absoluteDirectory) else { return }
        for name in names {
            let relative = relativeDirectory + "/" + name
            let path = absoluteDirectory + "/" + name
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { continue }
            if isDirectory.boolValue {
                try removeFiles(in: relative, except: kept)
                // Only if empty: rmdir refuses otherwise, which is the point.
                _ = rmdir(path)
                continue
            }
            guard !kept.contains(relative) else { continue }
            // Dot-files too: the temporary file of a writer killed mid-write.
            try FileManager.default.removeItem(atPath: path)
        }
    }
}
