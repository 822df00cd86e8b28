import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Which symbolic links a walk of the user's folders follows (`--symlinks`).
///
/// A link inside an upload folder can point anywhere the process may read:
/// followed blindly, a link to /etc catalogues the system's files. The
/// default follows only links that stay inside the folders the user named.
public enum SymlinkPolicy: String, Sendable, CaseIterable {
    /// Follow a link only when its resolved target is inside one of the roots.
    case within
    /// Follow every link (a folder reached twice is still walked once).
    case follow
    /// Never follow a link.
    case skip
}

/// The real (symlink-free) paths of the folders a walk starts from, to tell
/// whether a link found under them leads back inside.
public struct SymlinkRoots: Sendable {
    /// Each root's real path, with a trailing "/" so `/a/b` does not contain `/a/bc`.
    private let prefixes: [[UInt8]]

    /// The roots named by `paths`; paths that do not resolve are left out.
    public init(_ paths: [[UInt8]]) {
        prefixes = paths.compactMap(Self.realPath).map { $0 == [UInt8(ascii: "/")] ? $0 : $0 + [UInt8(ascii: "/")] }
    }

    /// Whether `path` resolves to a root or to something under one. A path
    /// that does not resolve (dangling, a loop) is not inside.
    public func contains(_ path: [UInt8]) -> Bool {
        guard let real = Self.realPath(path) else { return false }
        let withSlash = real + [UInt8(ascii: "/")]
        return prefixes.contains { withSlash.starts(with: $0) }
    }

    /// `realpath(3)` over the bytes of a path.
    public static func realPath(_ path: [UInt8]) -> [UInt8]? {
        let cPath = path.map { CChar(bitPattern: $0) } + [0]
        guard let resolved = realpath(cPath, nil) else { return nil }
        defer { free(resolved) }
        return Array(UnsafeRawBufferPointer(start: resolved, count: strlen(resolved)))
    }
}
