import AssetObjectStore
import AssetPipeline
import Crypto
import Foundation
import NIOPosix
#if canImport(Glibc)
import Glibc
#endif

/// A body on its way to disk: written as it arrives, in 1 MiB writes on
/// NIO's thread pool, counted against the size limit and hashed, into a
/// hidden file (`.upload-*`) that nothing else reads. Finished, it is
/// flushed to the disk and handed over with its size and SHA-256; dropped
/// or discarded unfinished, the file is removed, so an upload cut off
/// mid-body leaves nothing behind. One task uses a spool at a time.
public final class UploadSpool {
    public static let filePrefix = ".upload-"
    static let flushSize = 1 << 20

    /// The spool file's path.
    public let path: String
    public let limit: Int64
    public private(set) var size: Int64 = 0
    /// Bytes in the file so far (the rest of `size` waits for the next 1 MiB write).
    public private(set) var written: Int64 = 0
    private var descriptor: Int32
    private var hasher = SHA256()
    /// Kept only when asked for: a single PUT to a bucket needs it.
    private var md5Hasher: Insecure.MD5?
    /// The body's digests once finished, when the MD5 was asked for.
    public private(set) var digests: FileDigests?
    private var pending: [UInt8] = []
    private var handedOver = false

    /// A new spool file in `directory` (created when missing); refused with
    /// `.store` when it cannot be made. `md5`: also hash the body with MD5,
    /// for `digests`.
    public init(directory: String, limit: Int64, md5: Bool = false) throws(UploadRefusal) {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw UploadRefusal(.store, "cannot make the upload area's spool folder: \(error.localizedDescription)")
        }
        path = directory + "/" + Self.filePrefix + UUID().uuidString.lowercased()
        descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw UploadRefusal(.store, "cannot write to the upload area: \(String(cString: strerror(errno)))")
        }
        self.limit = limit
        if md5 { md5Hasher = Insecure.MD5() }
        pending.reserveCapacity(Self.flushSize)
    }

    deinit {
        if descriptor >= 0 { close(descriptor) }
        if !handedOver { unlink(path) }
    }

    /// Adds bytes of the body; past `limit`, `.tooLarge` (and the caller discards).
    public func append<Bytes: Collection<UInt8>>(_ bytes: Bytes) async throws(UploadRefusal) {
        let (total, overflow) = size.addingReportingOverflow(Int64(bytes.count))
        guard !overflow, total <= limit else {
            throw UploadRefusal(.tooLarge, "the upload is over the limit of \(ByteCount.describe(limit)); "
                                + "upload a smaller file, or raise serve's --upload-limit")
        }
        size = total
        pending.append(contentsOf: bytes)
        if pending.count >= Self.flushSize { try await flush() }
    }

    /// Writes what is pending, flushes the file to the disk and checks the
    /// SHA-256 when one is expected (hex, any case); the file then belongs
    /// to the caller, who moves it into place.
    /// `durable: false` skips the flush to the disk, for a body whose
    /// durable copy is elsewhere (a bucket's, once it has answered).
    public func finish(expectingSHA256 expected: String?, durable: Bool = true) async throws(UploadRefusal) -> (size: Int64, sha256: String) {
        try await flush()
        let descriptor = self.descriptor
        let synced = durable ? (try? await NIOThreadPool.singleton.runIfActive { fsync(descriptor) == 0 ? 0 : errno }) ?? EIO : 0
        close(descriptor)
        self.descriptor = -1
        guard synced == 0 else { throw UploadRefusal(.store, "cannot flush the upload to disk: \(String(cString: strerror(synced)))") }
        let digest = hasher.finalize().map { String(format: "%02x", $0) }.joined()
        if let md5 = md5Hasher?.finalize() { digests = FileDigests(sha256Hex: digest, md5: Array(md5)) }
        if let expected, expected.lowercased() != digest {
            throw UploadRefusal(.checksumMismatch, "the body's SHA-256 is \(digest), not the \(expected) given; "
                                + "nothing was kept: send the file again", param: "sha256")
        }
        handedOver = true
        return (size, digest)
    }

    /// Removes the spool file now (it also goes when the spool is dropped).
    public func discard() {
        if descriptor >= 0 { close(descriptor) }
        descriptor = -1
        if !handedOver { unlink(path) }
        handedOver = true
    }

    private func flush() async throws(UploadRefusal) {
        guard !pending.isEmpty else { return }
        hasher.update(data: pending)
        md5Hasher?.update(data: pending)
        let chunk = pending, descriptor = self.descriptor
        pending.removeAll(keepingCapacity: true)
        let failure: Int32
        do {
            failure = try await NIOThreadPool.singleton.runIfActive { Self.writeAll(chunk, to: descriptor) }
        } catch {
            failure = ECANCELED
        }
        guard failure == 0 else {
            throw UploadRefusal(.store, "cannot write the upload to the upload area: \(String(cString: strerror(failure)))")
        }
        written += Int64(chunk.count)
    }

    /// 0, or the errno of the write that failed.
    private static func writeAll(_ bytes: [UInt8], to descriptor: Int32) -> Int32 {
        bytes.withUnsafeBytes { buffer -> Int32 in
            var offset = 0
            while offset < buffer.count {
                let written = write(descriptor, buffer.baseAddress?.advanced(by: offset), buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                offset += written
            }
            return 0
        }
    }

    /// Removes spool files untouched for `age` seconds: what a server that
    /// was killed mid-upload left. A live upload writes its file every
    /// MiB, so it is never that old.
    public static func removeStale(in directory: String, olderThan age: TimeInterval = 3600) -> Int {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return 0 }
        var removed = 0
        for name in names where name.hasPrefix(filePrefix) {
            let path = directory + "/" + name
            guard let modified = (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date,
                  Date().timeIntervalSince(modified) > age else { continue }
            if unlink(path) == 0 { removed += 1 }
        }
        return removed
    }
}
