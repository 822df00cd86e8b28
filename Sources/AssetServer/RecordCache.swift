import AssetPipeline
import Foundation
import Synchronization

/// Asset records the render route read recently, kept for `lifetime`: a
/// cached render is then a file read with no catalog round trip and no
/// record decode. A new version or a refresh shows up within `lifetime`
/// (the ETag changes with it).
final class RecordCache: Sendable {
    let lifetime: Duration
    let capacity: Int
    private let entries = Mutex([String: (record: AssetRecord, expires: ContinuousClock.Instant)]())

    init(lifetime: Duration, capacity: Int = 10_000) {
        self.lifetime = lifetime
        self.capacity = capacity
    }

    /// The record of `id`, from memory while fresh, else from `load` (a nil
    /// from `load`, an unknown asset, is not kept).
    func record(_ id: String, load: () async throws -> AssetRecord?) async throws -> AssetRecord? {
        let now = ContinuousClock.now
        if let entry = entries.withLock({ $0[id] }), entry.expires > now { return entry.record }
        guard let record = try await load() else { return nil }
        entries.withLock { entries in
            // Bounded the simple way: a full table starts over.
            if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            entries[id] = (record, now + lifetime)
        }
        return record
    }
}
