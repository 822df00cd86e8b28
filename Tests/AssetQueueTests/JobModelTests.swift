import AssetPipeline
import AssetQueue
import Foundation
import TestSupport
import Testing

/// The queue's values apart from any driver: backoff arithmetic, outcome
/// choice and the job's JSON form.
@Suite struct JobModelTests {
    @Test func backoffCeilingDoublesUpToTheCap() {
        let backoff = Backoff.standard
        #expect((1...10).map { backoff.ceiling(afterAttempt: $0) } == [1, 2, 4, 8, 16, 32, 64, 128, 256, 300].map { .seconds($0) })
        #expect(backoff.ceiling(afterAttempt: 1_000) == .seconds(300))
        #expect(Backoff(base: .milliseconds(250), cap: .seconds(1)).ceiling(afterAttempt: 2) == .milliseconds(500))
    }

    @Test func backoffDelaysSpreadFromZeroToTheCeiling() {
        var generator = SeededGenerator(seed: 42)
        let backoff = Backoff(base: .seconds(1), cap: .seconds(60))
        for attempt in [1, 3, 6, 9] {
            let ceiling = backoff.ceiling(afterAttempt: attempt)
            let draws = (0..<1_000).map { _ in backoff.delay(afterAttempt: attempt, using: &generator) }
            #expect(draws.allSatisfy { $0 >= .zero && $0 <= ceiling }, "attempt \(attempt)")
            #expect(draws.min()! < ceiling / 20 && draws.max()! > ceiling * 19 / 20, "attempt \(attempt) does not span [0, \(ceiling)]")
        }
    }

    @Test func transientErrorsAreRetriedAndOthersFail() {
        for reason: AssetError.Reason in [.inaccessible, .timeout] {
            #expect(JobOutcome(error: AssetError(reason, "x")) == .retry(AssetError(reason, "x")))
        }
        for reason: AssetError.Reason in [.corrupt, .empty, .unsupportedFormat, .tooShort, .tooLarge, .internalError] {
            #expect(JobOutcome(error: AssetError(reason, "x")) == .failed(AssetError(reason, "x")))
        }
    }

    /// The form `jobs --json` will print: snake_case keys, the payload's
    /// target under `as`, absent values left out.
    @Test func jobJSONUsesTheRecordConventions() async throws {
        let clock = ManualClock()
        let queue = try SQLiteJobQueue(dataDirectory: try Package.temporaryDirectory("queue"), clock: clock.queueClock)
        let job = try #require(try await queue.enqueue([.process(origin: "/in/a.jpg", as: "/c/a.jpg", onConflict: .rename)]).first)
        let object = try #require(try JSONSerialization.jsonObject(with: AssetRecord.makeEncoder().encode(job)) as? [String: Any])
        #expect(Set(object.keys) == ["id", "kind", "payload", "priority", "state", "attempts", "max_attempts", "generation", "run_after", "created_at", "updated_at"])
        #expect(object["run_after"] as? String == Timestamp.format(clock.now))
        let payload = try #require(object["payload"] as? [String: String])
        #expect(payload == ["origin": "/in/a.jpg", "as": "/c/a.jpg", "on_conflict": "rename"])
    }
}

/// Payloads read as the typed work of their kind, and refused at enqueue
/// when they are not.
@Suite struct JobWorkTests {
    @Test func eachKindReadsItsFields() throws {
        #expect(try JobWork(kind: .process, payload: JobPayload(origin: "/in/a.jpg", target: "shop/a.jpg"))
                    == .process(origin: "/in/a.jpg", target: "shop/a.jpg", onConflict: nil))
        #expect(try JobWork(kind: .delete, payload: JobPayload(assetID: "x")) == .delete(assetID: "x"))
        #expect(try JobWork(kind: .edit, payload: JobPayload(assetID: "x", ops: "w=10"))
                    == .edit(assetID: "x", ops: "w=10", saveAs: nil, onConflict: nil))
    }

    @Test func payloadsMissingWhatTheirKindNeedsAreRefused() {
        for (kind, payload) in [(Job.Kind.process, JobPayload()), (.process, JobPayload(origin: "relative.jpg")),
                                (.process, JobPayload(origin: "/a\u{0}b")), (.refresh, JobPayload()), (.delete, JobPayload(assetID: "")),
                                (.edit, JobPayload(assetID: "x"))] {
            #expect(throws: JobWorkError.self) { try JobWork(kind: kind, payload: payload) }
            #expect(throws: QueueError.self) { try JobRequest(kind: kind, payload: payload).validated() }
        }
        #expect(throws: QueueError.self) { try JobRequest.refresh(assetID: "x", priority: 1001).validated() }
        #expect(throws: QueueError.self) { try JobRequest.refresh(assetID: "x", maxAttempts: 51).validated() }
        #expect(throws: QueueError.self) { try JobRequest.refresh(assetID: "x", maxAttempts: 0).validated() }
    }
}
