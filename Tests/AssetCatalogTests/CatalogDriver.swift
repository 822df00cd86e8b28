import AssetCatalog
import Foundation
import TestSupport
import Testing

/// A catalog database under test. The catalog's tests run once per driver
/// in `all`: SQLite always, PostgreSQL when `ASSETPIPE_TEST_DATABASE_URL`
/// names a server (`make test` starts a throwaway one, scripts/test-postgres).
struct CatalogDriver: Sendable, CustomTestStringConvertible {
    let name: String
    /// Makes a fresh, empty catalog store: rendition files in `data`, rows in
    /// a database of its own that any number of connections can share.
    let makeStore: @Sendable (_ data: String) async throws -> CatalogFixtureStore

    var testDescription: String { name }

    static let all: [CatalogDriver] = [.sqlite] + (postgresURL.map { [.postgres($0)] } ?? [])

    static let postgresURL: String? = {
        let url = ProcessInfo.processInfo.environment["ASSETPIPE_TEST_DATABASE_URL"] ?? ""
        return url.isEmpty ? nil : url
    }()

    static let sqlite = CatalogDriver(name: "SQLite") { data in
        CatalogFixtureStore(data: data) { try Catalog(dataDirectory: data) }
    }

    /// A schema of its own on the test server; each connection is a separate
    /// pool, as a separate worker process would have.
    static func postgres(_ url: String) -> CatalogDriver {
        CatalogDriver(name: "PostgreSQL") { data in
            let schema = "test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16)
            let schemaURL = url + (url.contains("?") ? "&" : "?") + "search_path=\(schema)"
            return CatalogFixtureStore(data: data) {
                Catalog(database: try await PostgresCatalogDatabase.connect(url: schemaURL),
                        renditionStore: LocalRenditionStore(dataDirectory: data))
            }
        }
    }

    /// A fresh catalog with its rendition files in a new temporary directory.
    func makeCatalog(_ label: String = "catalog") async throws -> (catalog: Catalog, data: String) {
        let data = try Package.temporaryDirectory(label)
        return (try await makeStore(data).connect(), data)
    }
}

/// One catalog's storage.
struct CatalogFixtureStore: Sendable {
    let data: String
    /// Opens another connection to the same catalog.
    let connect: @Sendable () async throws -> Catalog
}
