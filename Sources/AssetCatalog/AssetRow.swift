import AssetPipeline
import Foundation
import GRDB

/// One row of the `asset` table, made from a record.
struct AssetRow {
    let record: AssetRecord
    let json: String

    init(_ record: AssetRecord) throws {
        self.record = record
        self.json = String(decoding: try AssetRecord.makeEncoder().encode(record), as: UTF8.self)
    }

    /// Inserts, or updates the row with the same path in place.
    func upsert(_ db: Database) throws {
        let arguments: StatementArguments = [
            record.id, record.path, record.origin, record.version ?? 1, record.name, record.kind?.rawValue, record.mime, record.format, record.size,
            record.sha256, record.status.rawValue, record.error?.reason.rawValue, record.error?.message,
            record.width, record.height, record.exif?.takenAt, record.attempts ?? 1, json,
            record.createdAt.map(Timestamp.format), record.updatedAt.map(Timestamp.format),
            record.processedAt.map(Timestamp.format),
        ]
        try db.execute(sql: """
            INSERT INTO asset (id, path, origin, version, name, kind, mime, format, size, sha256, status, error_reason, error_message,
                               width, height, taken_at, attempts, record, created_at, updated_at, processed_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(path) DO UPDATE SET
                origin = excluded.origin, version = excluded.version, name = excluded.name, kind = excluded.kind, mime = excluded.mime, format = excluded.format,
                size = excluded.size, sha256 = excluded.sha256, status = excluded.status,
                error_reason = excluded.error_reason, error_message = excluded.error_message,
                width = excluded.width, height = excluded.height, taken_at = excluded.taken_at,
                attempts = excluded.attempts, record = excluded.record,
                updated_at = excluded.updated_at, processed_at = excluded.processed_at
            """, arguments: arguments)
    }
}
