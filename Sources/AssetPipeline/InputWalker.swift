import AssetMedia
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Lists the files under the paths a user gives, recursively, by the exact
/// bytes of their names. Symlinks are followed; a directory reached twice
/// (a symlink loop) is walked once. A symlink that cannot be resolved is
/// still listed, so it is catalogued with the reason it cannot be read.
public struct InputWalker {
    /// The files found, in a stable order (byte order of paths).
    public private(set) var files: [SourceFile] = []
    /// Directories that could not be listed, with why; the batch reports them.
    public private(set) var problems: [String] = []
    private var visitedDirectories: Set<FileIdentity> = []

    private struct FileIdentity: Hashable {
        let device: UInt64
        let inode: UInt64
    }

    /// Walks `paths` (files or directories; relative to the working directory unless absolute).
    public static func walk(_ paths: [String]) -> InputWalker {
        var walker = InputWalker()
        for path in paths {
            walker.visit(Array(absolutePath(path).utf8))
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

    private mutating func visit(_ path: [UInt8]) {
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
        for name in names.sorted(by: { $0.lexicographicallyPrecedes($1) }) {
            visit(path + [UInt8(ascii: "/")] + name)
        }
    }
}
