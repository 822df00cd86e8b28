#if canImport(Glibc)
import Glibc
#endif

/// What `stat` says identifies one state of a file: its size, modification
/// time, inode and device. When all four are as they were, the file is
/// taken to be unchanged (rsync's and PhotoPrism's quick check): a re-run
/// skips it without reading a byte.
public struct FileSignature: Codable, Sendable, Equatable {
    public var size: Int64
    /// Modification time: seconds since the epoch, and the nanoseconds within that second.
    public var modifiedSeconds: Int64
    public var modifiedNanoseconds: Int64
    public var inode: UInt64
    public var device: UInt64

    public init(size: Int64, modifiedSeconds: Int64, modifiedNanoseconds: Int64, inode: UInt64, device: UInt64) {
        self.size = size
        self.modifiedSeconds = modifiedSeconds
        self.modifiedNanoseconds = modifiedNanoseconds
        self.inode = inode
        self.device = device
    }

    init(_ info: stat) {
        self.init(size: Int64(info.st_size), modifiedSeconds: Int64(info.st_mtim.tv_sec),
                  modifiedNanoseconds: Int64(info.st_mtim.tv_nsec), inode: UInt64(info.st_ino), device: UInt64(info.st_dev))
    }

    enum CodingKeys: String, CodingKey {
        case size
        case modifiedSeconds = "modified_s"
        case modifiedNanoseconds = "modified_ns"
        case inode, device
    }
}

extension SourceFile {
    /// The file's signature now, following symlinks; nil when it cannot be stat'ed (gone, unreadable folder).
    public func currentSignature() -> FileSignature? {
        var info = stat()
        let cPath = pathBytes.map { CChar(bitPattern: $0) } + [0]
        guard stat(cPath, &info) == 0 else { return nil }
        return FileSignature(info)
    }

    /// Whether nothing is at the path, itself (a dangling link is something):
    /// ENOENT, not a file that could not be reached (EACCES, a folder that
    /// failed to list). What may delete an asset whose file is gone asks this.
    public var isAbsent: Bool {
        var info = stat()
        let cPath = pathBytes.map { CChar(bitPattern: $0) } + [0]
        return lstat(cPath, &info) != 0 && errno == ENOENT
    }
}
