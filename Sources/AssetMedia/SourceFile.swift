import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A file to read, named by the exact bytes of its path.
///
/// File names on Linux are bytes, not text: a name that is not UTF-8 must
/// still open. `displayPath` is for people and the catalog; `open()` uses
/// the bytes.
public struct SourceFile: Sendable, Hashable {
    /// The path exactly as the file system spells it, without a trailing NUL.
    public let pathBytes: [UInt8]

    public init(pathBytes: [UInt8]) {
        self.pathBytes = pathBytes
    }

    public init(path: String) {
        self.pathBytes = Array(path.utf8)
    }

    /// The path as text. Bytes that are not UTF-8 appear as `\xHH`, so two
    /// different names never print alike.
    public var displayPath: String {
        Self.escapedText(pathBytes)
    }

    /// The last path component, escaped like `displayPath`.
    public var name: String {
        let slash = pathBytes.lastIndex(of: UInt8(ascii: "/")).map { $0 + 1 } ?? 0
        return Self.escapedText(Array(pathBytes[slash...]))
    }

    /// The extension of the name, lowercased, without the dot; nil when there is none.
    public var fileExtension: String? {
        let base = name
        guard let dot = base.lastIndex(of: "."), dot != base.startIndex else { return nil }
        let ext = base[base.index(after: dot)...]
        return ext.isEmpty ? nil : ext.lowercased()
    }

    /// Opens the file read-only. Errors carry the OS reason and the path.
    /// Only regular files open: the open itself never blocks (O_NONBLOCK,
    /// so a FIFO with no writer does not hang the caller), and a FIFO,
    /// socket or device is refused before anything is read from it.
    public func open() throws(MediaError) -> OpenedFile {
        let cPath = pathBytes.map { CChar(bitPattern: $0) } + [0]
        // Looked at before opening too: opening a device can itself do
        // something (a tape rewinds), and a socket cannot be opened at all
        // (ENXIO), which would read as a transient `unreadable`.
        var info = stat()
        if stat(cPath, &info) == 0, Self.isSpecial(info.st_mode) {
            throw MediaError(.notRegularFile, "\(displayPath) is a \(OpenedFile.kind(of: info.st_mode)), not a regular file; it is not read")
        }
        let fd = Glibc.open(cPath, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)
        if fd < 0 {
            throw MediaError(.unreadable, "cannot open \(displayPath): \(String(cString: strerror(errno)))")
        }
        return try OpenedFile(descriptor: fd, displayPath: displayPath)
    }

    /// Neither a regular file nor a directory (which fails as unreadable, as it always has).
    static func isSpecial(_ mode: mode_t) -> Bool {
        mode & S_IFMT != S_IFREG && mode & S_IFMT != S_IFDIR
    }

    static func escapedText(_ bytes: [UInt8]) -> String {
        if let text = String(validating: bytes, as: UTF8.self) {
            return text
        }
        var result = ""
        var index = 0
        while index < bytes.count {
            // Find the longest valid UTF-8 prefix of the rest, one scalar at a time.
            let width = Self.utf8ScalarWidth(bytes, at: index)
            if width > 0, let scalarText = String(validating: bytes[index..<index + width], as: UTF8.self) {
                result += scalarText
                index += width
            } else {
                result += String(format: "\\x%02X", bytes[index])
                index += 1
            }
        }
        return result
    }

    private static func utf8ScalarWidth(_ bytes: [UInt8], at index: Int) -> Int {
        let lead = bytes[index]
        let width: Int
        switch lead {
        case 0x00...0x7F: width = 1
        case 0xC2...0xDF: width = 2
        case 0xE0...0xEF: width = 3
        case 0xF0...0xF4: width = 4
        default: return 0
        }
        return index + width <= bytes.count ? width : 0
    }
}

/// An open, read-only file descriptor with its size; closed on deinit.
///
/// One asset opens its file once: detection, hashing and libvips all read
/// through this descriptor (libvips dups it).
public final class OpenedFile: @unchecked Sendable {
    public let descriptor: Int32
    public let size: Int64
    public let displayPath: String
    /// The file's state as opened, read once with its size.
    public let signature: FileSignature

    init(descriptor: Int32, displayPath: String) throws(MediaError) {
        self.descriptor = descriptor
        self.displayPath = displayPath
        var info = stat()
        if fstat(descriptor, &info) != 0 {
            let reason = String(cString: strerror(errno))
            Glibc.close(descriptor)
            throw MediaError(.unreadable, "cannot stat \(displayPath): \(reason)")
        }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            Glibc.close(descriptor)
            throw MediaError(.unreadable, "\(displayPath) is a directory")
        }
        if (info.st_mode & S_IFMT) != S_IFREG {
            Glibc.close(descriptor)
            throw MediaError(.notRegularFile, "\(displayPath) is a \(Self.kind(of: info.st_mode)), not a regular file; it is not read")
        }
        self.size = Int64(info.st_size)
        self.signature = FileSignature(info)
    }

    deinit {
        Glibc.close(descriptor)
    }

    static func kind(of mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFIFO: "FIFO"
        case S_IFSOCK: "socket"
        case S_IFCHR: "character device"
        case S_IFBLK: "block device"
        default: "special file"
        }
    }

    /// Reads up to `count` bytes at `offset`, without moving the file offset.
    public func read(upTo count: Int, at offset: Int64) throws(MediaError) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let got = buffer.withUnsafeMutableBytes { raw in
                pread(descriptor, raw.baseAddress! + filled, count - filled, off_t(offset) + off_t(filled))
            }
            if got < 0 {
                if errno == EINTR { continue }
                throw MediaError(.unreadable, "cannot read \(displayPath): \(String(cString: strerror(errno)))")
            }
            if got == 0 { break }
            filled += got
        }
        buffer.removeSubrange(filled...)
        return buffer
    }
}
