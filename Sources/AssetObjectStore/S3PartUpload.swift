/// A multipart upload in progress (`S3Client.startParts`): parts go up as
/// the caller has them, from ranges of a file (each signed by its SHA-256
/// and checked by its MD5), in any order and concurrently; the object
/// appears, whole, only at `complete`. `abort` drops the parts sent.
public struct S3PartUpload: Sendable {
    let client: S3Client
    public let bucket: String
    public let key: String
    public let uploadID: String

    /// Sends part `number` (from 1; every part but the last at least 5 MiB);
    /// its MD5, for `complete`. `count`, when known, is for messages.
    public func send(part number: Int, of count: Int? = nil, file path: String, offset: Int64, length: Int64) async throws(S3Error) -> [UInt8] {
        try await client.sendPart(self, number: number, of: count, file: path, offset: offset, length: length)
    }

    /// Completes the upload with every part's MD5, in part order; the
    /// object's ETag, checked against them.
    public func complete(_ md5s: [[UInt8]]) async throws(S3Error) -> String {
        try await client.completeParts(self, md5s: md5s)
    }

    public func abort() async {
        await client.abortParts(self)
    }
}
