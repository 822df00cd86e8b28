import Foundation
import TestSupport
import Testing

/// Where the commands under test keep their catalog: the SQLite file in the
/// data directory, or PostgreSQL when `ASSETPIPE_TEST_DATABASE_URL` names a
/// server (`make test` starts a throwaway one, scripts/test-postgres).
struct CatalogBackend: Sendable, CustomTestStringConvertible {
    let name: String
    let databaseURL: String?

    var testDescription: String { name }

    static let all: [CatalogBackend] = [CatalogBackend(name: "SQLite", databaseURL: nil)]
        + (ProcessInfo.processInfo.environment["ASSETPIPE_TEST_DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 }
            .map { [CatalogBackend(name: "PostgreSQL", databaseURL: $0)] } ?? [])

    /// A fresh catalog: a new data directory and, on PostgreSQL, a schema of its own.
    func place(_ label: String) throws -> CatalogPlace {
        let directory = try Package.temporaryDirectory(label)
        guard let url = databaseURL else { return CatalogPlace(directory: directory, flags: ["--data", directory]) }
        let schema = "cli_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16)
        let schemaURL = url + (url.contains("?") ? "&" : "?") + "search_path=\(schema)"
        return CatalogPlace(directory: directory, flags: ["--data", directory, "--database", schemaURL])
    }
}

/// One catalog for the commands: its data directory (the rendition files)
/// and the flags that select it.
struct CatalogPlace: Sendable {
    let directory: String
    let flags: [String]
}
