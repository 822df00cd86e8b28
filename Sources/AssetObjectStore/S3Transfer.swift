import Crypto
import Foundation
import NIOCore

/// SHA-256 (what SigV4 signs) and MD5 (Content-MD5, the ETag) of a range
/// of a file, read once before the range is sent, or given by a caller
/// that hashed the bytes as it wrote them (an upload's spool).
public struct FileDigests: Sendable {
    public let sha256Hex: String
    public let md5: [UInt8]

    var md5Hex: String { SigV4Signer.hex(md5) }
    var md5Base64: String { Data(md5).base64EncodedString() }

    public init(sha256Hex: String, md5: [UInt8]) {
        self.sha256Hex = sha256Hex
        self.md5 = md5
    }

    init(path: String, offset: Int64, length: Int64) throws(S3Error) {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw S3Error(.file, "cannot open \(path)") }
        defer { try? handle.close() }
        var sha = SHA256()
        var md5 = Insecure.MD5()
        do {
            try handle.seek(toOffset: UInt64(offset))
            var remaining = length
            while remaining > 0 {
                guard let data = try handle.read(upToCount: Int(min(remaining, 1 << 20))), !data.isEmpty else {
                    throw S3Error(.file, "\(path) ended before its \(offset + length) bytes (did it change?)")
                }
                sha.update(data: data)
                md5.update(data: data)
                remaining -= Int64(data.count)
            }
        } catch let error as S3Error {
            throw error
        } catch {
            throw S3Error(.file, "cannot read \(path): \(error.localizedDescription)")
        }
        sha256Hex = SigV4Signer.hex(sha.finalize())
        self.md5 = Array(md5.finalize())
    }
}

/// A range of a file as the chunks of a streamed request body. Opened on
/// the first read, so each try of a request reads the file afresh.
struct FileChunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let path: String
    let offset: Int64
    let length: Int64

    struct AsyncIterator: AsyncIteratorProtocol {
        let path: String
        let offset: Int64
        var remaining: Int64
        var handle: FileHandle?

        mutating func next() async throws -> ByteBuffer? {
            guard remaining > 0 else {
                try? handle?.close()
                handle = nil
                return nil
            }
            if handle == nil {
                guard let opened = FileHandle(forReadingAtPath: path) else { throw S3Error(.file, "cannot open \(path)") }
                try opened.seek(toOffset: UInt64(offset))
                handle = opened
            }
            guard let data = try handle?.read(upToCount: Int(Swift.min(remaining, 256 * 1024))), !data.isEmpty else {
                throw S3Error(.file, "\(path) became shorter while it was sent")
            }
            remaining -= Int64(data.count)
            return ByteBuffer(bytes: data)
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(path: path, offset: offset, remaining: length, handle: nil)
    }
}

/// Where an answer's body goes.
protocol ByteSink {
    mutating func append(_ buffer: ByteBuffer) throws(S3Error)
}

/// In memory, up to a limit.
struct BytesSink: ByteSink {
    let limit: Int
    let operation: String
    var bytes: [UInt8] = []

    init(limit: Int, operation: String) {
        self.limit = limit
        self.operation = operation
    }

    mutating func append(_ buffer: ByteBuffer) throws(S3Error) {
        guard buffer.readableBytes <= limit - bytes.count else {
            throw S3Error(.refused, "\(operation): the answer is over \(limit) bytes")
        }
        bytes.append(contentsOf: buffer.readableBytesView)
    }
}

/// Into a file, hashed on the way.
struct FileSink: ByteSink {
    let handle: FileHandle
    let operation: String
    var count: Int64 = 0
    var md5 = Insecure.MD5()

    init(handle: FileHandle, operation: String) {
        self.handle = handle
        self.operation = operation
    }

    var md5Hex: String { SigV4Signer.hex(md5.finalize()) }

    mutating func append(_ buffer: ByteBuffer) throws(S3Error) {
        let data = Data(buffer.readableBytesView)
        md5.update(data: data)
        do {
            try handle.write(contentsOf: data)
        } catch {
            throw S3Error(.file, "\(operation): cannot write the object (\(error.localizedDescription))")
        }
        count += Int64(data.count)
    }
}
