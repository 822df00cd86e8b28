import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The folders whose files HTTP clients may have catalogued (`--origin-root`):
/// a job's origin must resolve, symlinks followed, to a regular file inside
/// one of them. With none configured, no origin is accepted over HTTP.
public struct OriginRoots: Sendable {
    /// Each root's real path (symlinks resolved), without a trailing slash.
    public let paths: [String]

    /// No roots: no origin is accepted over HTTP.
    public static let none = OriginRoots(resolved: [])

    private init(resolved: [String]) {
        paths = resolved
    }

    /// Resolves `directories`; an error names one that does not exist or is not a folder.
    public init(_ directories: [String]) throws(APIError) {
        var resolved: [String] = []
        for directory in directories {
            guard let real = Self.realPath(directory), Self.isDirectory(real) else {
                throw APIError(.internalServerError, "bad_origin_root", "--origin-root \(directory) is not an existing folder")
            }
            resolved.append(real == "/" ? "" : real)
        }
        paths = resolved
    }

    /// The real path of `origin` when it is a regular file under a root;
    /// the refusal to answer with otherwise. Messages name the path as the
    /// client gave it, never what it resolves to.
    func admit(_ origin: String) throws(APIError) -> String {
        guard !paths.isEmpty else {
            throw APIError(.forbidden, "origins_disabled", "this server catalogues no files for HTTP clients: "
                           + "start it with --origin-root DIR to allow files under DIR", param: "origin")
        }
        guard origin.hasPrefix("/"), !origin.utf8.contains(0) else {
            throw APIError(.badRequest, "invalid_value", "`origin` must be an absolute path", param: "origin")
        }
        guard let real = Self.realPath(origin), let root = paths.first(where: { real.hasPrefix($0 + "/") }) else {
            // A path spelled inside a root that names nothing: the client
            // learns it at once (422), rather than from a job that fails
            // five times. Anything else gets one answer for "missing" and
            // "outside": neither tells what exists outside the roots.
            if let root = lexicalRoot(of: origin), Self.realPath(origin) == nil {
                throw APIError(.unprocessableContent, "origin_not_found",
                               "\(Self.relative(origin, to: root)) does not exist under the origin root; check the path, "
                               + "or write the file there before queueing it", param: "origin")
            }
            throw APIError(.forbidden, "origin_not_allowed", "\(origin) is not a file under the server's origin roots", param: "origin")
        }
        var info = stat()
        guard lstat(real, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            throw APIError(.unprocessableContent, "not_regular_file", "\(Self.relative(real, to: root)) is not a regular file", param: "origin")
        }
        return real
    }

    /// The root that `path`, as written (no `.` or `..`, no repeated
    /// slash), lies under; nil otherwise.
    private func lexicalRoot(of path: String) -> String? {
        let components = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        guard !components.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }) else { return nil }
        return paths.first { path.hasPrefix($0 + "/") }
    }

    /// `origin` relative to the root that holds it (`photos/cat.jpg`), or
    /// its last component when no root does: what HTTP clients are shown.
    public func display(_ origin: String) -> String {
        if let root = paths.first(where: { origin.hasPrefix($0 + "/") }) { return Self.relative(origin, to: root) }
        return (origin as NSString).lastPathComponent
    }

    static func relative(_ path: String, to root: String) -> String {
        String(path.dropFirst(root.count + 1))
    }

    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }
}
