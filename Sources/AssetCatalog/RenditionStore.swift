import AssetPipeline
import Foundation

/// Where rendition files live. Behind a protocol so that object storage can
/// replace the local (or shared-mount) directory later.
public protocol RenditionStore: Sendable {
    /// Stores an asset's renditions, each atomically (written under a
    /// temporary name, then renamed), and returns where they are.
    func store(_ renditions: [EncodedRendition], forAsset id: String) throws -> [Rendition]

    /// Removes the asset's rendition files other than `kept` (paths as returned by `store`).
    func removeRenditions(ofAsset id: String, except kept: Set<String>) throws
}

/// Renditions as files under `DATA/renditions/<first two of id>/<id>/<name>.<ext>`.
public struct LocalRenditionStore: RenditionStore {
    public let dataDirectory: String

    public init(dataDirectory: String) {
        self.dataDirectory = dataDirectory
    }

    func directory(ofAsset id: String) -> String {
        "renditions/\(id.prefix(2))/\(id)"
    }

    public func store(_ renditions: [EncodedRendition], forAsset id: String) throws -> [Rendition] {
        guard !renditions.isEmpty else { return [] }
        let relativeDirectory = directory(ofAsset: id)
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

    public func removeRenditions(ofAsset id: String, except kept: Set<String>) throws {
        let relativeDirectory = directory(ofAsset: id)
        let absoluteDirectory = dataDirectory + "/" + relativeDirectory
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: absoluteDirectory) else { return }
        let staleBefore = Date().addingTimeInterval(-600)
        for name in names where !kept.contains(relativeDirectory + "/" + name) {
            let path = absoluteDirectory + "/" + name
            if name.hasPrefix(".") {
                // Another process's file in flight, unless it was left by one that died long ago.
                let modified = (try? FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date) ?? Date()
                guard modified < staleBefore else { continue }
            }
            try FileManager.default.removeItem(atPath: path)
        }
        if kept.isEmpty {
            try? FileManager.default.removeItem(atPath: absoluteDirectory)
        }
    }
}
