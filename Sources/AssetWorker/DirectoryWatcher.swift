import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Finds files that have arrived in a folder and finished arriving, for
/// `work --watch`. Polled: each `poll` lists the folder tree and returns the
/// files whose size, modification time and inode have stayed the same for
/// `settle`, each once, so a file still being copied in is not read
/// half-written. A file rewritten later (a new signature) is returned again
/// once it settles; one that vanishes is forgotten. Dot-files and
/// dot-folders (temporary files of uploaders) are skipped, and symlinked
/// folders are not followed (no loops).
public struct DirectoryWatcher {
    public let directory: String
    public let settle: Duration
    /// Files the caller already has (catalogued, or queued before a restart):
    /// asked only when a file is about to be returned.
    private let isKnown: (String) -> Bool

    private struct Signature: Equatable {
        var size: Int64
        var modified: timespec
        var inode: UInt64

        static func == (a: Signature, b: Signature) -> Bool {
            a.size == b.size && a.inode == b.inode
                && a.modified.tv_sec == b.modified.tv_sec && a.modified.tv_nsec == b.modified.tv_nsec
        }
    }

    private struct Sighting {
        var signature: Signature
        /// When this signature was first seen.
        var since: ContinuousClock.Instant
        /// Returned already with this signature.
        var reported: Bool
    }

    private var sightings: [String: Sighting] = [:]

    public init(directory: String, settle: Duration = .seconds(2), isKnown: @escaping (String) -> Bool = { _ in false }) {
        self.directory = directory.count > 1 && directory.hasSuffix("/") ? String(directory.dropLast()) : directory
        self.settle = settle
        self.isKnown = isKnown
    }

    /// The files that settled since the last poll, sorted by path.
    public mutating func poll(now: ContinuousClock.Instant) throws(WatchError) -> [String] {
        var info = stat()
        if stat(directory, &info) != 0 {
            throw WatchError(message: "cannot watch \(directory): \(String(cString: strerror(errno))); create it or pass an existing folder to --watch")
        }
        guard (info.st_mode & S_IFMT) == S_IFDIR else {
            throw WatchError(message: "cannot watch \(directory): not a folder; pass a folder to --watch")
        }
        var seen: [String: Signature] = [:]
        list(directory, into: &seen)

        var ready: [String] = []
        var next: [String: Sighting] = [:]
        for (path, signature) in seen {
            var sighting = sightings[path].flatMap { $0.signature == signature ? $0 : nil }
                ?? Sighting(signature: signature, since: now, reported: false)
            // A first sighting never qualifies: settling needs two looks.
            if !sighting.reported, sightings[path]?.signature == signature, sighting.since.duration(to: now) >= settle {
                sighting.reported = true
                if !isKnown(path) { ready.append(path) }
            }
            next[path] = sighting
        }
        sightings = next
        return ready.sorted()
    }

    /// Regular files (or symlinks to them) under `folder`, recursively.
    private func list(_ folder: String, into seen: inout [String: Signature]) {
        // An unreadable subfolder is skipped; the rest of the tree is still watched.
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return }
        for name in names where !name.hasPrefix(".") {
            let path = folder + "/" + name
            var link = stat()
            guard lstat(path, &link) == 0 else { continue }
            switch link.st_mode & S_IFMT {
            case S_IFDIR:
                list(path, into: &seen)
            case S_IFREG:
                seen[path] = Signature(size: Int64(link.st_size), modified: link.st_mtim, inode: UInt64(link.st_ino))
            case S_IFLNK:
                var target = stat()
                if stat(path, &target) == 0, (target.st_mode & S_IFMT) == S_IFREG {
                    seen[path] = Signature(size: Int64(target.st_size), modified: target.st_mtim, inode: UInt64(target.st_ino))
                }
            default:
                continue
            }
        }
    }
}

/// The watched folder cannot be listed.
public struct WatchError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
