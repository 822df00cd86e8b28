import AssetServer
import Foundation
import TestSupport
import Testing

@Suite struct RenderCacheTests {
    @Test func theLeastRecentlyUsedEntryGoesFirst() throws {
        let directory = try Package.temporaryDirectory("cache")
        let cache = try RenderCache(directory: directory, maxBytes: 100)
        cache.write("a", Array(repeating: 1, count: 40))
        cache.write("b", Array(repeating: 2, count: 40))
        #expect(cache.read("a") != nil)  // a is now more recent than b
        cache.write("c", Array(repeating: 3, count: 40))
        #expect(cache.read("b") == nil && !FileManager.default.fileExists(atPath: directory + "/b"))
        #expect(cache.read("a") == Data(repeating: 1, count: 40) && cache.read("c") != nil)
        #expect(cache.totalBytes == 80)
        // What is on disk is found again by a new process, oldest first out.
        let reopened = try RenderCache(directory: directory, maxBytes: 100)
        #expect(reopened.totalBytes == 80 && reopened.read("c") == Data(repeating: 3, count: 40))
        let smaller = try RenderCache(directory: directory, maxBytes: 50)
        #expect(smaller.totalBytes <= 50)
    }

    @Test func keysChangeWithTheVersionAndTheParameters() {
        let one = RenderCache.key(assetID: "a", version: 1, sha256: "x", canonicalQuery: "w=100")
        #expect(one == RenderCache.key(assetID: "a", version: 1, sha256: "x", canonicalQuery: "w=100"))
        #expect(one != RenderCache.key(assetID: "a", version: 2, sha256: "x", canonicalQuery: "w=100"))
        #expect(one != RenderCache.key(assetID: "a", version: 1, sha256: "y", canonicalQuery: "w=100"))
        #expect(one != RenderCache.key(assetID: "a", version: 1, sha256: "x", canonicalQuery: "w=101"))
    }
}

@Suite struct RenderGateTests {
    /// A render that holds its slot until the test lets it go.
    struct Holder {
        let entered = AsyncStream<Void>.makeStream()
        let release = AsyncStream<Void>.makeStream()

        func hold(_ gate: RenderGate) -> Task<Int?, any Error> {
            Task {
                try await gate.run {
                    entered.continuation.yield()
                    for await _ in release.stream { break }
                    return 1
                }
            }
        }

        func waitUntilHolding() async {
            for await _ in entered.stream { break }
        }
    }

    @Test func aRequestThatFindsNoSlotInTimeIsTurnedAway() async throws {
        let gate = RenderGate(capacity: 1, maxWait: .milliseconds(100))
        let holder = Holder()
        let holding = holder.hold(gate)
        await holder.waitUntilHolding()
        #expect(try await gate.run { 2 } == nil, "a second render ran while the only slot was held")
        holder.release.continuation.yield()
        #expect(try await holding.value == 1)
        #expect(try await gate.run { 3 } == 3, "the slot was not given back")
    }

    @Test func aWaiterGetsTheSlotWhenItFrees() async throws {
        let gate = RenderGate(capacity: 1, maxWait: .seconds(30))
        let holder = Holder()
        let holding = holder.hold(gate)
        await holder.waitUntilHolding()
        let waiter = Task { try await gate.run { 2 } }
        try await Task.sleep(for: .milliseconds(50))
        holder.release.continuation.yield()
        #expect(try await waiter.value == 2)
        #expect(try await holding.value == 1)
    }
}
