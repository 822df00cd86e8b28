import AssetCatalog
import AssetObjectStore
import AssetPipeline
import Foundation
import NIOPosix
#if canImport(Glibc)
import Glibc
#endif

/// Where an upload lands before a worker catalogues it: a local folder or
/// an S3 bucket and prefix. Either is also a source (`sources add`), so a
/// sync sees uploads as it sees any other file or object. Placing a file
/// follows the conflict policy against what is already there, catalogued
/// or not: `reject` never overwrites (the default), `version` replaces it
/// (its asset then gets the next version), `rename` takes the first free
/// `name_N.ext`.
public struct UploadArea: Sendable {
    /// An absolute folder (its real path) or `s3://bucket/prefix/`.
    public let location: String
    /// Where bodies are spooled: in a folder area its hidden `.partial`
    /// folder (the same file system, so placing is a link, not a copy); for
    /// S3, a local folder the caller names.
    public let spoolDirectory: String
    private let bucket: S3Bucket?
    private let client: S3Client?

    public static let partialFolder = ".partial"
    /// Free names tried by `rename` before giving up.
    static let renameAttempts = 1000

    /// A folder area; created when missing.
    public init(folder: String) throws(UploadRefusal) {
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw UploadRefusal(.store, "cannot make the upload folder \(folder): \(error.localizedDescription)")
        }
        guard let real = realpath(folder, nil) else {
            throw UploadRefusal(.store, "cannot resolve the upload folder \(folder): \(String(cString: strerror(errno)))")
        }
        defer { free(real) }
        let resolved = String(cString: real)
        location = resolved == "/" ? "" : resolved
        spoolDirectory = location + "/" + Self.partialFolder
        bucket = nil
        client = nil
    }

    /// An area in a bucket (`s3://bucket/prefix`), spooled in `spoolDirectory`.
    public init(s3 url: String, client: S3Client, spoolDirectory: String) throws(UploadRefusal) {
        do {
            bucket = try S3Bucket(url: url)
        } catch {
            throw UploadRefusal(.store, error.message)
        }
        location = bucket?.description ?? url
        self.client = client
        self.spoolDirectory = spoolDirectory
    }

    public var isS3: Bool { bucket != nil }

    /// The origin a destination has in this area: a file's absolute path, or
    /// the object's s3:// URL; it is also the asset's catalog path.
    public func origin(of destination: UploadDestination) -> String {
        if let bucket { return "s3://\(bucket.name)/\(bucket.prefix)\(destination.path)" }
        return location + "/" + destination.path
    }

    /// An origin's path relative to the area (`shoots/cat.jpg`), or nil
    /// when it is not in the area: what HTTP clients are shown.
    public func destination(ofOrigin origin: String) -> String? {
        let root = isS3 ? location : location + "/"
        return origin.hasPrefix(root) ? String(origin.dropFirst(root.count)) : nil
    }

    /// Where a file ended up: its destination after a rename, its origin,
    /// and the asset already there that a `version` gives a new version.
    public struct Placement: Sendable, Equatable {
        public let destination: UploadDestination
        public let origin: String
        public let existingAssetID: String?
    }

    /// Puts `file` at `destination` under `policy`: a spool file (`spooled`)
    /// is moved or, for S3, put and removed; any other file is copied and
    /// stays. Refused with `.exists` (naming the asset when there is one)
    /// when `reject` meets something at the destination. `digests`, when the
    /// spool kept them, spare the bucket's PUT hashing the file again.
    public func place(_ file: String, spooled: Bool, at destination: UploadDestination, policy: ConflictPolicy,
                      catalog: Catalog, digests: FileDigests? = nil) async throws(UploadRefusal) -> Placement {
        defer { if spooled { unlink(file) } }
        if let bucket, let client {
            // S3 has no portable put-if-absent: a put racing the HEADs of
            // `reserve` for the same key can still win; the job's own
            // conflict check in the catalog is the last word.
            let placement = try await reserve(destination, policy: policy, catalog: catalog)
            do {
                try await client.putObject(bucket: bucket.name, key: bucket.prefix + placement.destination.path, file: file, digests: digests)
            } catch {
                throw UploadRefusal(.store, "cannot put the upload in \(location): \(error.message)")
            }
            return placement
        }
        for candidate in candidates(for: destination, policy: policy) {
            let origin = self.origin(of: candidate)
            let existing = try await assetID(at: origin, in: catalog)
            switch policy {
            case .version:
                _ = try link(file, spooled: spooled, to: candidate, replacing: true)
                return Placement(destination: candidate, origin: origin, existingAssetID: existing)
            case .reject, .rename:
                if existing == nil, try link(file, spooled: spooled, to: candidate, replacing: false) {
                    return Placement(destination: candidate, origin: origin, existingAssetID: nil)
                }
                if policy == .reject { throw Self.exists(candidate, assetID: existing) }
            }
        }
        throw Self.allTaken(destination)
    }

    /// The destination, then (for `rename`) its numbered names.
    private func candidates(for destination: UploadDestination, policy: ConflictPolicy) -> [UploadDestination] {
        policy == .rename ? [destination] + (1..<Self.renameAttempts).map(destination.numbered) : [destination]
    }

    static func allTaken(_ destination: UploadDestination) -> UploadRefusal {
        UploadRefusal(.exists, "\(destination) and its first \(renameAttempts - 1) numbered names are all taken; "
                      + "choose another destination", param: "destination")
    }

    // MARK: Sending a body to a bucket as it arrives

    /// For a bucket area, the part size and how many parts go up at once.
    public var parts: (size: Int64, concurrency: Int)? {
        client.map { ($0.configuration.partSize, $0.configuration.partConcurrency) }
    }

    /// For a bucket area: where a body will go, chosen before it has
    /// arrived, under `policy` (HEAD and the catalog say what is there), so
    /// its parts can go up while it streams in.
    public func reserve(_ destination: UploadDestination, policy: ConflictPolicy, catalog: Catalog) async throws(UploadRefusal) -> Placement {
        guard let bucket, let client else { throw UploadRefusal(.store, "\(location) is not a bucket") }
        for candidate in candidates(for: destination, policy: policy) {
            let origin = self.origin(of: candidate)
            let existing = try await assetID(at: origin, in: catalog)
            if policy == .version { return Placement(destination: candidate, origin: origin, existingAssetID: existing) }
            let present: Bool
            do {
                present = try await client.headObject(bucket: bucket.name, key: bucket.prefix + candidate.path) != nil
            } catch {
                throw UploadRefusal(.store, "cannot reach \(location): \(error.message)")
            }
            if existing == nil, !present { return Placement(destination: candidate, origin: origin, existingAssetID: nil) }
            if policy == .reject { throw Self.exists(candidate, assetID: existing) }
        }
        throw Self.allTaken(destination)
    }

    /// Starts the multipart upload of a reserved placement.
    public func startParts(at placement: Placement) async throws(UploadRefusal) -> S3PartUpload {
        guard let bucket, let client else { throw UploadRefusal(.store, "\(location) is not a bucket") }
        do {
            return try await client.startParts(bucket: bucket.name, key: bucket.prefix + placement.destination.path)
        } catch {
            throw UploadRefusal(.store, "cannot put the upload in \(location): \(error.message)")
        }
    }

    static func exists(_ destination: UploadDestination, assetID existing: String?) -> UploadRefusal {
        var refusal = UploadRefusal(.exists, existing.map { "asset \($0) is already at \(destination); nothing was overwritten. " }
                                    ?? "a file not yet catalogued is already at \(destination); nothing was overwritten. "
                                    + "Send on_conflict=version for a new version, on_conflict=rename for a new name, "
                                    + "or another destination", param: "destination")
        refusal.existingAssetID = existing
        return refusal
    }

    private func assetID(at origin: String, in catalog: Catalog) async throws(UploadRefusal) -> String? {
        do {
            return try await NIOThreadPool.singleton.runIfActive { try catalog.record(atPath: origin)?.id }
        } catch {
            throw UploadRefusal(.store, "cannot read the catalog: \(error)")
        }
    }

    /// Links (or renames) the file into a folder area; false when
    /// `replacing` is off and something is there.
    private func link(_ file: String, spooled: Bool, to destination: UploadDestination, replacing: Bool) throws(UploadRefusal) -> Bool {
        let target = location + "/" + destination.path
        let folder = (target as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw UploadRefusal(.store, "cannot make the folder of \(destination): \(error.localizedDescription)")
        }
        let source = spooled ? file : try copyToSpool(file)
        defer { if !spooled { unlink(source) } }
        // link(2) fails on an existing name: the no-overwrite placement is
        // one atomic step; rename(2) is the atomic replace.
        if (replacing ? rename(source, target) : Glibc.link(source, target)) == 0 { return true }
        if errno == EEXIST, !replacing { return false }
        throw UploadRefusal(.store, "cannot place the upload at \(destination): \(String(cString: strerror(errno)))")
    }

    /// A copy of a caller's file in the spool folder, so the final step is
    /// a link on one file system.
    private func copyToSpool(_ file: String) throws(UploadRefusal) -> String {
        let copy = spoolDirectory + "/" + UploadSpool.filePrefix + UUID().uuidString.lowercased()
        do {
            try FileManager.default.createDirectory(atPath: spoolDirectory, withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: file, toPath: copy)
        } catch {
            unlink(copy)
            throw UploadRefusal(.store, "cannot copy \(file) into the upload folder: \(error.localizedDescription)")
        }
        return copy
    }
}
