import AssetCatalog
import AssetPipeline
import Foundation
import Logging
import PostgresNIO

/// Jobs to and from rows of PostgreSQL's `job` table.
enum JobRecord {
    static let columns = """
        id, kind, payload::TEXT AS payload, priority, state, attempts, max_attempts, generation, error_reason, error_message,
        run_after, lease_owner, lease_expires_at, created_at, updated_at, finished_at, asset::TEXT AS asset
        """

    static func insert(_ job: Job, on connection: PostgresConnection, logger: Logger) async throws {
        let payload = try encode(job.payload), asset = try job.asset.map(encode)
        _ = try await connection.query("""
            INSERT INTO job (id, kind, payload, priority, state, attempts, max_attempts, generation, error_reason, error_message,
                             run_after, lease_owner, lease_expires_at, created_at, updated_at, finished_at, asset)
            VALUES (\(job.id), \(job.kind.rawValue), \(payload)::JSONB, \(job.priority), \(job.state.rawValue), \(job.attempts),
                    \(job.maxAttempts), \(job.generation), \(job.lastError?.reason.rawValue), \(job.lastError?.message),
                    \(job.runAfter), \(job.leaseOwner), \(job.leaseExpiresAt), \(job.createdAt), \(job.updatedAt), \(job.finishedAt),
                    \(asset)::JSONB)
            """, logger: logger)
    }

    /// Writes back what a lifecycle step may change.
    static func update(_ job: Job, on connection: PostgresConnection, logger: Logger) async throws {
        _ = try await connection.query("""
            UPDATE job SET state = \(job.state.rawValue), attempts = \(job.attempts), generation = \(job.generation),
                           error_reason = \(job.lastError?.reason.rawValue), error_message = \(job.lastError?.message),
                           run_after = \(job.runAfter), lease_owner = \(job.leaseOwner), lease_expires_at = \(job.leaseExpiresAt),
                           updated_at = \(job.updatedAt), finished_at = \(job.finishedAt),
                           asset = \(try job.asset.map(encode))::JSONB
            WHERE id = \(job.id)
            """, logger: logger)
    }

    static func fetch(_ query: PostgresQuery, on connection: PostgresConnection, logger: Logger) async throws -> [Job] {
        var jobs: [Job] = []
        for try await row in try await connection.query(query, logger: logger) {
            jobs.append(try decode(row.makeRandomAccess()))
        }
        return jobs
    }

    /// Claim candidates: rows that also carry `role` and `seq`, the order of enqueueing.
    static func fetchCandidates(_ query: PostgresQuery, on connection: PostgresConnection,
                                logger: Logger) async throws -> [(role: String, seq: Int, job: Job)] {
        var jobs: [(role: String, seq: Int, job: Job)] = []
        for try await row in try await connection.query(query, logger: logger) {
            let cells = row.makeRandomAccess()
            jobs.append((try cells["role"].decode(String.self), try cells["seq"].decode(Int.self), try decode(cells)))
        }
        return jobs
    }

    static func decode(_ row: PostgresRandomAccessRow) throws -> Job {
        let id = try row["id"].decode(String.self)
        let kindName = try row["kind"].decode(String.self), stateName = try row["state"].decode(String.self)
        guard let kind = Job.Kind(rawValue: kindName) else {
            throw UnreadableRow(description: "job \(id) has an unknown kind '\(kindName)'; a newer assetpipe may have enqueued it")
        }
        guard let state = Job.State(rawValue: stateName) else {
            throw UnreadableRow(description: "job \(id) has an unknown state '\(stateName)'")
        }
        let payload = try JSONDecoder().decode(JobPayload.self, from: Data(try row["payload"].decode(String.self).utf8))
        var lastError: AssetError?
        if let reason = try row["error_reason"].decode(String?.self) {
            lastError = AssetError(AssetError.Reason(rawValue: reason), try row["error_message"].decode(String?.self) ?? "")
        }
        return Job(
            id: id, kind: kind, payload: payload, priority: try row["priority"].decode(Int.self), state: state,
            attempts: try row["attempts"].decode(Int.self), maxAttempts: try row["max_attempts"].decode(Int.self),
            generation: try row["generation"].decode(Int.self), lastError: lastError,
            runAfter: try row["run_after"].decode(Date.self).wholeMilliseconds,
            leaseOwner: try row["lease_owner"].decode(String?.self),
            leaseExpiresAt: try row["lease_expires_at"].decode(Date?.self)?.wholeMilliseconds,
            createdAt: try row["created_at"].decode(Date.self).wholeMilliseconds,
            updatedAt: try row["updated_at"].decode(Date.self).wholeMilliseconds,
            finishedAt: try row["finished_at"].decode(Date?.self)?.wholeMilliseconds,
            asset: try row["asset"].decode(String?.self).map { try JSONDecoder().decode(JobAsset.self, from: Data($0.utf8)) })
    }

    private static func encode(_ payload: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(payload), as: UTF8.self)
    }
}

struct UnreadableRow: Error, CustomStringConvertible {
    let description: String
}
