import AssetPipeline
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Finds files that have arrived in a folder and finished arriving, for
/// `work --watch`. Polled: each `poll` lists the folder tree and returns the
/// files whose size, modification time and inode have stayed the same for
/// `settle`, each once, so a file still being copied in is not read
/// half-written. A file rewritten later (a new signature) is returned again
/// once it settles; one that vanishes is listed in `vanished` once. What `IgnoreRules`
/// leave out is skipped: junk, dot-files and dot-folders (temporary files
/// of uploaders) unless `hidden`, `.assetpipeignore` and `excludes`. Symlinks are
/// followed as `symlinks` says (by default only those that stay inside the
/// watched folder); a folder reached twice in one listing is listed once.
/// Only regular files are returned: a FIFO or device dropped in is ignored.
public struct DirectoryWatcher {
    public let directory: String
    public let settle: Duration
    public let symlinks: SymlinkPolicy
    private let roots: SymlinkRoots
    private let rules: IgnoreRules
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
    /// Links not followed at the last poll, so that each is reported once.
    private var refused: Set<String> = []
    /// The links that the last poll found leading out of the folder for the
    /// first time (`--symlinks within`), for the caller to report.
    public private(set) var newlyRefusedLinks: [String] = []
    /// Files the previous poll saw that this one did not (deleted, moved
    /// away, or in a folder that could not be listed this time), sorted.
    public private(set) var vanished: [String] = []
    /// How many files the last poll saw.
    public private(set) var filesSeen = 0

    public init(directory: String, settle: Duration = .seconds(2), symlinks: SymlinkPolicy = .within,
                hidden: Bool = false, excludes: [String] = [], isKnown: @escaping (String) -> Bool = { _ in false }) {
        self.directory = directory.count > 1 && directory.hasSuffix("/") ? String(directory.dropLast()) : directory
        self.settle = settle
        self.symlinks = symlinks
        self.roots = SymlinkRoots([Array(self.directory.utf8)])
        self.rules = IgnoreRules(hidden: hidden, excludes: excludes, root: Array(self.directory.utf8))
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
        var folders: Set<FolderIdentity> = [FolderIdentity(info)]
        var refusedNow: Set<String> = []
        list(directory, rules: rules, into: &seen, folders: &folders, refused: &refusedNow)
        newlyRefusedLinks = refusedNow.subtracting(refused).sorted()
        refused = refusedNow

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
        vanished = sightings.keys.filter { seen[$0] == nil }.sorted()
        filesSeen = seen.count
        sightings = next
        return ready.sorted()
    }

    /// A folder by device and inode, to list each once however many links lead to it.
    private struct FolderIdentity: Hashable {
        let device: UInt64
        let inode: UInt64

        init(_ info: stat) {
            device = UInt64(info.st_dev)
            inode = UInt64(info.st_ino)
        }
    }

    /// Regular files (or symlinks to them, as the policy allows) under `folder`, recursively.
    private func list(_ folder: String, rules inherited: IgnoreRules, into seen: inout [String: Signature],
                      folders: inout Set<FolderIdentity>, refused: inout Set<String>) {
        // An unreadable subfolder is skipped; the rest of the tree is still watched.
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return }
        // An unreadable ignore file is not applied (`process` and `enqueue` report it).
        let rules = names.contains(IgnoreRules.fileName) ? inherited.addingFile(in: Array(folder.utf8)).rules : inherited
        // Sorted, so a folder reached by two names is always listed under the same one.
        for name in names.sorted() {
            let path = folder + "/" + name
            var info = stat()
            guard lstat(path, &info) == 0 else { continue }
            if (info.st_mode & S_IFMT) == S_IFLNK {
                // The link is queued under its own path; the worker opens it through the link.
                switch symlinks {
                case .skip:
                    continue
                case .follow:
                    break
                case .within:
                    // A dangling link has nothing to queue yet; one leading out is reported.
                    let bytes = Array(path.utf8)
                    guard SymlinkRoots.realPath(bytes) != nil else { continue }
                    guard roots.contains(bytes) else {
                        refused.insert(path)
                        continue
                    }
                }
                guard stat(path, &info) == 0 else { continue }
            }
            let isDirectory = (info.st_mode & S_IFMT) == S_IFDIR
            if rules.ignores(Array(path.utf8), isDirectory: isDirectory) { continue }
            switch info.st_mode & S_IFMT {
            case S_IFDIR:
                if folders.insert(FolderIdentity(info)).inserted {
                    list(path, rules: rules, into: &seen, folders: &folders, refused: &refused)
                }
            case S_IFREG:
                seen[path] = Signature(size: Int64(info.st_size), modified: info.st_mtim, inode: UInt64(info.st_ino))
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
