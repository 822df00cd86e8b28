import Crypto
import Foundation
import Synchronization

/// Rendered results on disk, bounded in size: when a new entry takes the
/// total past the bound, the least recently used entries go. Keyed by what
/// decides the bytes (asset id, version, content hash, canonical
/// parameters), so a new version or a refresh never serves an old render,
/// and a repeat request is one file read.
///
/// Entries are written under a temporary name and renamed, so a reader never
/// sees half a file; the index lives in memory and is rebuilt from the
/// folder at start (oldest modification first out).
public final class RenderCache: Sendable {
    public let directory: String
    public let maxBytes: Int

    private struct Entry {
        var bytes: Int
        var lastUse: UInt64
    }

    private struct Index {
        var entries: [String: Entry] = [:]
        var totalBytes = 0
        var clock: UInt64 = 0
    }

    private let index = Mutex(Index())

    /// Opens (creating) the cache in `directory`, bounded by `maxBytes`.
    public init(directory: String, maxBytes: Int) throws {
        self.directory = directory
        self.maxBytes = maxBytes
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var found: [(key: String, bytes: Int, modified: Date)] = []
        for name in try FileManager.default.contentsOfDirectory(atPath: directory) {
            let path = directory + "/" + name
            guard !name.hasPrefix("."), let attributes = try? FileManager.default.attributesOfItem(atPath: path) else {
                // A temporary file of a write that never finished.
                try? FileManager.default.removeItem(atPath: path)
                continue
            }
            found.append((name, (attributes[.size] as? Int) ?? 0, (attributes[.modificationDate] as? Date) ?? .distantPast))
        }
        index.withLock { index in
            for (order, file) in found.sorted(by: { $0.modified < $1.modified }).enumerated() {
                index.entries[file.key] = Entry(bytes: file.bytes, lastUse: UInt64(order))
                index.totalBytes += file.bytes
            }
            index.clock = UInt64(found.count)
        }
        trim()
    }

    /// The key of one render: a hash, so it is a safe file name whatever the parameters hold.
    public static func key(assetID: String, version: Int, sha256: String, canonicalQuery: String, variant: String = "") -> String {
        let text = [assetID, String(version), sha256, canonicalQuery, variant].joined(separator: "\n")
        return SHA256.hash(data: Data(text.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// The cached bytes, marking the entry used; nil on a miss.
    public func read(_ key: String) -> Data? {
        let known = index.withLock { index -> Bool in
            guard index.entries[key] != nil else { return false }
            index.clock += 1
            index.entries[key]?.lastUse = index.clock
            return true
        }
        guard known else { return nil }
        guard let data = FileManager.default.contents(atPath: directory + "/" + key) else {
            // Removed behind our back (or trimmed meanwhile): forget it.
            index.withLock { index in
                if let entry = index.entries.removeValue(forKey: key) { index.totalBytes -= entry.bytes }
            }
            return nil
        }
        return data
    }

    /// Stores `bytes` under `key`, then trims the cache to its bound. A
    /// failure to write only costs a later render, so it is not an error.
    public func write(_ key: String, _ bytes: [UInt8]) {
        guard bytes.count <= maxBytes else { return }
        let temporary = directory + "/.\(key).\(UUID().uuidString.prefix(8))"
        guard FileManager.default.createFile(atPath: temporary, contents: Data(bytes)),
              rename(temporary, directory + "/" + key) == 0 else {
            try? FileManager.default.removeItem(atPath: temporary)
            return
        }
        index.withLock { index in
            index.clock += 1
            if let old = index.entries[key] { index.totalBytes -= old.bytes }
            index.entries[key] = Entry(bytes: bytes.count, lastUse: index.clock)
            index.totalBytes += bytes.count
        }
        trim()
    }

    /// Bytes held now.
    public var totalBytes: Int { index.withLock { $0.totalBytes } }

    /// Removes least recently used entries until the total fits the bound.
    private func trim() {
        let victims = index.withLock { index -> [String] in
            guard index.totalBytes > maxBytes else { return [] }
            var victims: [String] = []
            for (key, entry) in index.entries.sorted(by: { $0.value.lastUse < $1.value.lastUse }) {
                guard index.totalBytes > maxBytes else { break }
                index.entries[key] = nil
                index.totalBytes -= entry.bytes
                victims.append(key)
            }
            return victims
        }
        for key in victims { try? FileManager.default.removeItem(atPath: directory + "/" + key) }
    }
}
