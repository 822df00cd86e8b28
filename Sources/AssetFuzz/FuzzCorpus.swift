import AssetMedia
import Foundation

/// Seed inputs from the package's own files: the metadata blobs libvips
/// finds in `samples/`, and the first bytes of every sample.
public enum FuzzCorpus {
    /// The folder holding Package.swift, found from this source file's
    /// path, or from the working directory; nil when neither has it.
    public static let packageRoot: String? = {
        for start in [URL(fileURLWithPath: #filePath), URL(fileURLWithPath: FileManager.default.currentDirectoryPath + "/x")] {
            var url = start
            for _ in 0..<6 {
                url.deleteLastPathComponent()
                if FileManager.default.fileExists(atPath: url.path + "/Package.swift"),
                   FileManager.default.fileExists(atPath: url.path + "/samples") {
                    return url.path
                }
            }
        }
        return nil
    }()

    /// The blobs of every sample image, by libvips's name for them
    /// (`exif-data`, `xmp-data`, `iptc-data`, `icc-profile-data`), and the
    /// first 64 KiB of every sample under `raw`. Empty when there are no
    /// samples or libvips does not start.
    public static let sampleBlobs: [String: [[UInt8]]] = {
        guard let root = packageRoot, (try? VipsRuntime.start()) != nil else { return [:] }
        let folder = root + "/samples"
        var blobs: [String: [[UInt8]]] = [:]
        let files = (FileManager.default.enumerator(atPath: folder)?.allObjects as? [String] ?? []).sorted()
        for file in files where !file.hasSuffix(".md") {
            let path = folder + "/" + file
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), !isFolder.boolValue else { continue }
            if let handle = FileHandle(forReadingAtPath: path) {
                if let prefix = try? handle.read(upToCount: 64 * 1024), !prefix.isEmpty { blobs["raw", default: []].append(Array(prefix)) }
                try? handle.close()
            }
            guard let opened = try? SourceFile(path: path).open(), let header = try? Image.openHeader(opened) else { continue }
            for name in blobNames {
                if let blob = header.blob(named: name) { blobs[name, default: []].append(blob) }
            }
        }
        return blobs
    }()

    static let blobNames = ["exif-data", "xmp-data", "iptc-data", "icc-profile-data"]
}
