import AssetMedia
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Lists the files under the paths a user gives, recursively, by the exact
/// bytes of their names. Symlinks found on the way are followed as `symlinks`
/// says (by default only those that stay inside the given folders); a
/// directory reached twice (a symlink loop) is walked once. A symlink that
/// cannot be resolved is still listed, so it is catalogued with the reason
/// it cannot be read. Files and folders that `IgnoreRules` leave out (junk,
/// hidden names, `.assetpipeignore`, `--exclude`) are skipped and counted.
/// The paths given themselves are always taken: the user named them.
public struct InputWalker {
    /// The files found, in a stable order (byte order of paths).
    public private(set) var files: [SourceFile] = []
    /// Directories that could not be listed and links not followed out of
    /// the roots, with why; the batch reports them.
    public private(set) var problems: [String] = []
    /// Files and folders left out by the ignore rules (a folder counts once).
    public private(set) var ignored = 0
    private var visitedDirectories: Set<FileIdentity> = []
    private let symlinks: SymlinkPolicy
    private let roots: SymlinkRoots

    private init(symlinks: SymlinkPolicy, roots: SymlinkRoots) {
        self.symlinks = symlinks
        self.roots = roots
    }

    private struct FileIdentity: Hashable {
        let device: UInt64
        let inode: UInt64
    }

    /// Walks `paths` (files or directories; relative to the working directory
    /// unless absolute). `hidden` takes names starting with a dot; `excludes`
    /// are gitignore patterns, anchored at each path given.
    public static func walk(_ paths: [String], symlinks: SymlinkPolicy = .within, hidden: Bool = false,
                            excludes: [String] = []) -> InputWalker {
        let absolute = paths.map { Array(absolutePath($0).utf8) }
        var walker = InputWalker(symlinks: symlinks, roots: SymlinkRoots(absolute))
        for path in absolute {
            walker.visit(path, rules: IgnoreRules(hidden: hidden, excludes: excludes, root: path))
        }
        return walker
    }

    /// The path as the catalog records it: absolute, without "." components
    /// or repeated slashes, symlinks not resolved.
    public static func absolutePath(_ path: String) -> String {
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        return normalized(absolute)
    }

    /// Removes "." components, repeated and trailing slashes; ".." is kept, since
    /// resolving it without the file system would be wrong across symlinks.
    static func normalized(_ path: String) -> String {
        let components = path.split(separator: "/", omittingEmptySubsequences: true).filter { $0 != "." }
        return "/" + components.joined(separator: "/")
    }

    private mutating func visit(_ path: [UInt8], rules inherited: IgnoreRules) {
        var info = stat()
        let cPath = path.map { CChar(bitPattern: $0) } + [0]
        guard stat(cPath, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else {
            // A file, or something stat cannot follow (dangling link, loop): the runner reports why.
            files.append(SourceFile(pathBytes: path))
            return
        }
        let identity = FileIdentity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
        guard visitedDirectories.insert(identity).inserted else { return }
        guard let directory = opendir(cPath) else {
            problems.append("cannot list \(SourceFile(pathBytes: path).displayPath): \(String(cString: strerror(errno)))")
            return
        }
        var names: [[UInt8]] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in Array(raw.prefix { $0 != 0 }) }
            if name == [UInt8(ascii: ".")] || name == [UInt8(ascii: "."), UInt8(ascii: ".")] { continue }
            names.append(name)
        }
        closedir(directory)
        var rules = inherited
        if names.contains(Array(IgnoreRules.fileName.utf8)) {
            let problem: String?
            (rules, problem) = inherited.addingFile(in: path)
            if let problem { problems.append(problem) }
        }
        for name in names.sorted(by: { $0.lexicographicallyPrecedes($1) }) {
            let entry = path + [UInt8(ascii: "/")] + name
            guard follows(entry) else { continue }
            if rules.ignores(entry, isDirectory: Self.isDirectory(entry)) {
                ignored += 1
                continue
            }
            visit(entry, rules: rules)
        }
    }

    private static func isDirectory(_ path: [UInt8]) -> Bool {
        var info = stat()
        let cPath = path.map { CChar(bitPattern: $0) } + [0]
        return stat(cPath, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    /// Whether to take a directory entry: anything but a symlink, and a
    /// symlink as the policy says. A link leading out of the roots is
    /// reported, so the user learns why its files are missing.
    private mutating func follows(_ entry: [UInt8]) -> Bool {
        var info = stat()
        let cPath = entry.map { CChar(bitPattern: $0) } + [0]
        guard lstat(cPath, &info) == 0, (info.st_mode & S_IFMT) == S_IFLNK else { return true }
        switch symlinks {
        case .follow:
            return true
        case .skip:
            return false
        case .within:
            // A link that resolves to nothing is listed, so the runner records why it cannot be read.
            guard SymlinkRoots.realPath(entry) != nil else { return true }
            if roots.contains(entry) { return true }
            problems.append("not following \(SourceFile(pathBytes: entry).displayPath): the link leads outside the folders given "
                            + "(--symlinks follow to follow it)")
            return false
        }
    }
}
