import AssetPipeline
import Foundation
import GRDB

/// Jobs to and from rows of the `job` table.
enum JobRow {
    /// The columns `decode` reads, in a SELECT's or a RETURNING's list.
    static let columns = """
        id, kind, payload, priority, state, attempts, max_attempts, generation, error_reason, error_message,
        run_after, lease_owner, lease_expires_at, created_at, updated_at, finished_at, asset
        """

    // Statements come from the connection's cache: compiling one (GRDB
    // authorizes every column it reads) costs more than running it.

    static func insert(_ job: Job, _ db: Database) throws {
        try db.cachedStatement(sql: """
            INSERT INTO job (\(columns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [
                job.id, job.kind.rawValue, try encode(job.payload), job.priority, job.state.rawValue, job.attempts,
                job.maxAttempts, job.generation, job.lastError?.reason.rawValue, job.lastError?.message, Timestamp.format(job.runAfter),
                job.leaseOwner, job.leaseExpiresAt.map(Timestamp.format), Timestamp.format(job.createdAt),
                Timestamp.format(job.updatedAt), job.finishedAt.map(Timestamp.format), try job.asset.map(encode),
            ])
    }

    /// Writes back what a lifecycle step may change; kind, payload, priority and creation never change.
    static func update(_ job: Job, _ db: Database) throws {
        try db.cachedStatement(sql: """
            UPDATE job SET state = ?, attempts = ?, generation = ?, error_reason = ?, error_message = ?, run_after = ?,
                           lease_owner = ?, lease_expires_at = ?, updated_at = ?, finished_at = ?, asset = ?
            WHERE id = ?
            """).execute(arguments: [
                job.state.rawValue, job.attempts, job.generation, job.lastError?.reason.rawValue, job.lastError?.message,
                Timestamp.format(job.runAfter), job.leaseOwner, job.leaseExpiresAt.map(Timestamp.format),
                Timestamp.format(job.updatedAt), job.finishedAt.map(Timestamp.format), try job.asset.map(encode), job.id,
            ])
    }

    static func decode(_ row: Row) throws -> Job {
        let id: String = row["id"]
        let kindName: String = row["kind"], stateName: String = row["state"]
        guard let kind = Job.Kind(rawValue: kindName) else {
            throw UnreadableJob(id: id, problem: "unknown kind '\(kindName)'; a newer assetpipe may have enqueued it")
        }
        guard let state = Job.State(rawValue: stateName) else {
            throw UnreadableJob(id: id, problem: "unknown state '\(stateName)'")
        }
        let payload: JobPayload
        do {
            payload = try JSONDecoder().decode(JobPayload.self, from: Data((row["payload"] as String).utf8))
        } catch {
            throw UnreadableJob(id: id, problem: "its payload is not a job payload (\(error))")
        }
        var lastError: AssetError?
        if let reason: String = row["error_reason"] {
            lastError = AssetError(AssetError.Reason(rawValue: reason), row["error_message"] ?? "")
        }
        return Job(
            id: id, kind: kind, payload: payload, priority: row["priority"], state: state, attempts: row["attempts"],
            maxAttempts: row["max_attempts"], generation: row["generation"], lastError: lastError, runAfter: try date(row, "run_after", of: id),
            leaseOwner: row["lease_owner"], leaseExpiresAt: try optionalDate(row, "lease_expires_at", of: id),
            createdAt: try date(row, "created_at", of: id), updatedAt: try date(row, "updated_at", of: id),
            finishedAt: try optionalDate(row, "finished_at", of: id), asset: try asset(row, of: id))
    }

    private static func asset(_ row: Row, of id: String) throws -> JobAsset? {
        guard let text: String = row["asset"] else { return nil }
        do {
            return try JSONDecoder().decode(JobAsset.self, from: Data(text.utf8))
        } catch {
            throw UnreadableJob(id: id, problem: "its asset is not a job asset (\(error))")
        }
    }

    private static func encode(_ payload: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(payload), as: UTF8.self)
    }

    private static func date(_ row: Row, _ column: String, of id: String) throws -> Date {
        guard let date = try optionalDate(row, column, of: id) else {
            throw UnreadableJob(id: id, problem: "\(column) is empty")
        }
        return date
    }

    private static func optionalDate(_ row: Row, _ column: String, of id: String) throws -> Date? {
        guard let text: String = row[column] else { return nil }
        guard let date = Timestamp.parse(text) else {
            throw UnreadableJob(id: id, problem: "\(column) is not an ISO 8601 time: \(text)")
        }
        return date
    }
}

/// A row of the job table that this build cannot read.
struct UnreadableJob: Error, CustomStringConvertible {
    let id: String
    let problem: String
    var description: String { "job \(id) cannot be read: \(problem)" }
}
