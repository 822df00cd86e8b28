import Foundation

/// Brings an origin that is not a local file (an S3 object, `s3://bucket/key`)
/// to a local file libvips can read. Blocking, like the rest of a job.
public protocol OriginFetcher: Sendable {
    /// Whether `origin` is one of this fetcher's (by its scheme).
    func handles(_ origin: String) -> Bool

    /// Downloads `origin` into `directory` under the last part of its key,
    /// so the asset keeps its name; returns the file and the object's state.
    /// A transient failure (throttling, the network) is an `AssetError`
    /// whose reason retries; missing objects and refused credentials do not.
    func fetch(_ origin: String, into directory: String) throws(AssetError) -> (path: String, object: ObjectSignature)
}

/// Local files for the origins one piece of work reads (a job's original
/// and its mark, a render's source): a local origin is its own file; an
/// object is got into a folder of its own under one temporary folder,
/// which `removeAll` deletes when the work is done.
public final class OriginCopies: Sendable {
    public let fetcher: (any OriginFetcher)?
    public let folder: String

    public init(fetcher: (any OriginFetcher)?) {
        self.fetcher = fetcher
        folder = NSTemporaryDirectory() + "assetpipe-fetch-" + UUID().uuidString.lowercased()
    }

    /// Whether `origin` is read through the fetcher rather than as a file.
    public func isRemote(_ origin: String) -> Bool {
        fetcher?.handles(origin) ?? origin.hasPrefix("s3://")
    }

    /// The file to read for `origin`, and the object's state when it was
    /// got from a bucket (nil for a local file).
    public func file(for origin: String) throws(AssetError) -> (path: String, object: ObjectSignature?) {
        guard isRemote(origin) else { return (origin, nil) }
        guard let fetcher else {
            throw AssetError(.originRefused, "cannot read \(origin): this process reads no object storage")
        }
        // One folder per copy: two objects of the same name never meet.
        let directory = folder + "/" + UUID().uuidString.lowercased()
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw AssetError(.inaccessible, "cannot make a folder for a copy of \(origin): \(error.localizedDescription)")
        }
        let fetched = try fetcher.fetch(origin, into: directory)
        return (fetched.path, fetched.object)
    }

    /// A local file holding `bytes`, named `name`, under this work's folder.
    public func file(holding bytes: [UInt8], named name: String) throws(AssetError) -> String {
        let directory = folder + "/" + UUID().uuidString.lowercased()
        let path = directory + "/" + name
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try Data(bytes).write(to: URL(fileURLWithPath: path))
        } catch {
            throw AssetError(.inaccessible, "cannot write \(path): \(error.localizedDescription)")
        }
        return path
    }

    /// Deletes every copy made.
    public func removeAll() {
        try? FileManager.default.removeItem(atPath: folder)
    }
}
