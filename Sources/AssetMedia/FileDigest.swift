import Crypto

extension OpenedFile {
    /// SHA-256 of the whole file as lowercase hex, read in 1 MiB chunks so
    /// memory stays flat whatever the file's size; stopped between chunks
    /// by the thread's `Cancellation`.
    public func sha256() throws(MediaError) -> String {
        var hasher = SHA256()
        let chunk = 1 << 20
        var offset: Int64 = 0
        while true {
            if Cancellation.currentIsSet { throw MediaError(.timeout, "stopped hashing \(displayPath): the time limit passed") }
            let bytes = try read(upTo: chunk, at: offset)
            if bytes.isEmpty { break }
            hasher.update(data: bytes)
            offset += Int64(bytes.count)
        }
        return hasher.finalize().map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }
}
