import AssetEdits
import AssetQueue
import Foundation

/// Job payloads and job records as JSON: what the queue stores in its
/// `payload` column and decodes at every claim, and what `jobs --json`
/// prints. A payload that reaches the queue is decoded by every worker
/// that claims the job, so a trap here would be a crash loop.
///
/// Properties, for every input:
/// - decoding `JobPayload` and `Job` never traps;
/// - what decodes encodes and decodes back to an equal value;
/// - `JobWork` (the typed reading a worker makes) and `JobRequest.validated()`
///   of the payload, under each kind, never trap; `validated()` accepts
///   exactly the priorities and attempts in range with a payload `JobWork` reads;
/// - an edit's `ops` goes through the render parser without a trap.
public struct JobPayloadTarget: FuzzTarget {
    public let name = "job-payload"
    let grammar = JSONGrammar(keys: [
        ("origin", [#""/srv/photos/a.jpg""#, #""relative/a.jpg""#, #""/""#]),
        ("as", [#""/catalog/a.jpg""#, #""folder/""#]),
        ("on_conflict", ConflictValues.all + [#""REJECT""#, #""overwrite""#]),
        ("asset_id", [#""0f8fad5b-d9cb-469f-a165-70867728950e""#, #""""#, #""../x""#]),
        ("ops", [#""w=400&fit=cover""#, #""rect=9223372036854775807,0,1,1""#, #""bg=%EF%BC%90%EF%BC%90%EF%BC%90""#, #""w=400&w=401""#]),
        ("id", [#""7c9e6679-7425-40de-944b-e07fc1f90ae7""#]),
        ("kind", Job.Kind.allCases.map { "\"\($0.rawValue)\"" }),
        ("payload", [#"{"origin": "/a.jpg"}"#, #"{"asset_id": "x", "ops": "w=1"}"#]),
        ("priority", ["0", "10", "-1000", "1000", "1001"]),
        ("state", Job.State.allCases.map { "\"\($0.rawValue)\"" }),
        ("attempts", ["0", "1", "5"]),
        ("max_attempts", ["1", "5", "50", "51", "0"]),
        ("generation", ["0", "1"]),
        ("last_error", [#"{"reason": "corrupt", "message": "bad"}"#, #"{"reason": "no_such_reason", "message": ""}"#, #"{"reason": 1}"#]),
        ("run_after", ["0", "7e8", "-1e308", "1e308"]),
        ("lease_owner", [#""host:1""#]),
        ("lease_expires_at", ["7e8"]),
        ("created_at", ["7e8", "0"]),
        ("updated_at", ["7e8"]),
        ("finished_at", ["null", "7e8"]),
    ])

    public init() {}

    public var seeds: [[UInt8]] {
        var seeds = [#"{"origin": "/srv/a.jpg", "as": "/a.jpg", "on_conflict": "version"}"#,
                     #"{"asset_id": "0f8fad5b", "ops": "fit=cover&w=400"}"#, "{}", "null", "[]"]
        let job = Job(id: "7c9e6679-7425-40de-944b-e07fc1f90ae7", kind: .edit,
                      payload: JobPayload(target: "/b.jpg", onConflict: .rename, assetID: "0f8fad5b", ops: "w=400"),
                      priority: 10, state: .queued, attempts: 0, maxAttempts: 5, generation: 0, lastError: nil,
                      runAfter: Date(timeIntervalSinceReferenceDate: 7e8), leaseOwner: nil, leaseExpiresAt: nil,
                      createdAt: Date(timeIntervalSinceReferenceDate: 7e8), updatedAt: Date(timeIntervalSinceReferenceDate: 7e8),
                      finishedAt: nil)
        if let encoded = try? JSONEncoder().encode(job) { seeds.append(String(decoding: encoded, as: UTF8.self)) }
        return seeds.map { Array($0.utf8) }
    }

    public var dictionary: [[UInt8]] { grammar.dictionary }

    public func generate(_ random: inout FuzzRandom) -> [UInt8] {
        grammar.generate(&random)
    }

    public func run(_ input: [UInt8]) throws(PropertyFailure) -> Verdict {
        let data = Data(input)
        var accepted = false
        if let payload = try? JSONDecoder().decode(JobPayload.self, from: data) {
            accepted = true
            try Self.checkRoundTrip(payload)
            try checkRequests(payload, input)
        }
        if let job = try? JSONDecoder().decode(Job.self, from: data) {
            accepted = true
            try Self.checkRoundTrip(job)
            _ = try? job.work
        }
        return accepted ? .accepted : .refused
    }

    static func checkRoundTrip<Value: Codable & Equatable>(_ value: Value) throws(PropertyFailure) {
        do {
            let encoded = try JSONEncoder().encode(value)
            let decoded = try JSONDecoder().decode(Value.self, from: encoded)
            guard decoded == value else {
                throw PropertyFailure("\(Value.self) changes through JSON: \(value) came back as \(decoded)")
            }
        } catch let failure as PropertyFailure {
            throw failure
        } catch {
            throw PropertyFailure("a decoded \(Value.self) does not encode and decode again: \(error); it was \(value)")
        }
    }

    /// The payload under each kind: `JobWork` reads it without a trap;
    /// `validated()` accepts exactly the priorities and attempts in range,
    /// and, within them, exactly the payloads `JobWork` reads.
    func checkRequests(_ payload: JobPayload, _ input: [UInt8]) throws(PropertyFailure) {
        let hash = RenderQueryTarget.hash(input)
        let priorities = [0, JobRequest.priorities.lowerBound, JobRequest.priorities.upperBound + 1, Int.min, Int.max, Int(truncatingIfNeeded: hash)]
        let attempts = [JobRequest.defaultMaxAttempts, 0, JobRequest.attemptCounts.upperBound + 1, Int.max, Int(truncatingIfNeeded: hash >> 7)]
        for kind in Job.Kind.allCases {
            let work = try? JobWork(kind: kind, payload: payload)
            if case .edit(_, let ops, _, _)? = work { _ = try? RenderParameters(queryString: ops) }
            for (index, priority) in priorities.enumerated() {
                let maxAttempts = attempts[index % attempts.count]
                let request = JobRequest(kind: kind, payload: payload, priority: priority, maxAttempts: maxAttempts)
                let inRange = JobRequest.priorities.contains(priority) && JobRequest.attemptCounts.contains(maxAttempts)
                let valid = (try? request.validated()) != nil
                guard valid == (inRange && work != nil) else {
                    throw PropertyFailure("a \(kind) job with priority \(priority), max_attempts \(maxAttempts) and payload \(payload) "
                                          + (valid ? "was accepted" : "was refused") + (work == nil ? " (its work does not read)" : ""))
                }
            }
        }
    }
}

/// `on_conflict` values as JSON strings.
enum ConflictValues {
    static let all = JobPayload.ConflictPolicy.allCases.map { "\"\($0.rawValue)\"" }
}
