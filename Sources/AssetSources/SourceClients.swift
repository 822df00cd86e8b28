import AssetCatalog
import AssetObjectStore
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The S3 clients of a catalog's sources: an object is read with the client
/// of the source whose location holds it (the longest, when sources nest),
/// made from that source's settings file (`SourceSettings`), or from the
/// standard AWS variables for an object of no source or of a source
/// without a file. A file's client is remade when the file changes, so
/// rotated keys take effect without a restart; the sources are read again
/// from the catalog at most every `sourcesTTL`.
public final class SourceClients: ObjectClients {
    private let catalog: Catalog?
    private let environment: [String: String]
    private let sourcesTTL: Duration

    /// When a settings file was last changed, as far as stat(2) tells.
    private struct FileStamp: Equatable {
        var seconds: Int
        var nanoseconds: Int
        var size: Int64
        var inode: UInt64
    }

    private struct State {
        var fromEnvironment: Result<S3Client, S3Error>?
        var byFile: [String: (stamp: FileStamp, client: Result<S3Client, S3Error>)] = [:]
        var sources: (read: ContinuousClock.Instant, list: [CatalogSource])?
    }

    private let state = Mutex(State())

    /// `catalog`: where the sources are read (nil: every object through
    /// the environment's client).
    public init(catalog: Catalog?, environment: [String: String] = ProcessInfo.processInfo.environment,
                sourcesTTL: Duration = .seconds(10)) {
        self.catalog = catalog
        self.environment = environment
        self.sourcesTTL = sourcesTTL
    }

    /// The client of a source's bucket.
    public func client(for source: CatalogSource) throws(S3Error) -> S3Client {
        guard let file = source.settings else { return try environmentClient() }
        let stamp = Self.stamp(of: file)
        if let stamp, let known = state.withLock({ $0.byFile[file] }), known.stamp == stamp { return try known.client.get() }
        let made: Result<S3Client, S3Error>
        do throws(S3Error) {
            made = .success(S3Client(configuration: try SourceSettings.configuration(for: source, environment: environment)))
        } catch {
            made = .failure(error)
        }
        // A file that cannot be stat'ed is not cached: the next call tries again.
        if let stamp { state.withLock { $0.byFile[file] = (stamp, made) } }
        return try made.get()
    }

    public func client(forObjectAt url: String) throws(S3Error) -> S3Client {
        let holder = try sources().filter { $0.isS3 && url.hasPrefix($0.location) }.max { $0.location.count < $1.location.count }
        guard let holder else { return try environmentClient() }
        return try client(for: holder)
    }

    private func environmentClient() throws(S3Error) -> S3Client {
        let made = state.withLock { state in
            if let made = state.fromEnvironment { return made }
            let made: Result<S3Client, S3Error>
            do throws(S3Error) {
                made = .success(S3Client(configuration: try S3Configuration.fromEnvironment(environment)))
            } catch {
                made = .failure(error)
            }
            state.fromEnvironment = made
            return made
        }
        return try made.get()
    }

    private func sources() throws(S3Error) -> [CatalogSource] {
        guard let catalog else { return [] }
        let now = ContinuousClock.now
        if let known = state.withLock({ $0.sources }), known.read.duration(to: now) < sourcesTTL { return known.list }
        let list: [CatalogSource]
        do {
            list = try catalog.sources()
        } catch {
            throw S3Error(.configuration, "cannot read the sources from the catalog to choose a bucket's keys: \(error)")
        }
        state.withLock { $0.sources = (now, list) }
        return list
    }

    private static func stamp(of file: String) -> FileStamp? {
        var status = stat()
        guard stat(file, &status) == 0 else { return nil }
        return FileStamp(seconds: status.st_mtim.tv_sec, nanoseconds: status.st_mtim.tv_nsec, size: Int64(status.st_size),
                         inode: UInt64(status.st_ino))
    }
}
