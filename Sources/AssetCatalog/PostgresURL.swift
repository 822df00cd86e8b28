import Foundation
import PostgresNIO

/// A `postgres://` URL as a client configuration. Accepted:
/// `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?search_path=SCHEMA]`
/// (`postgresql://` too); a HOST that is a folder (`%2Frun%2Fpostgresql`, or
/// `?host=/run/postgresql`) is a Unix socket folder. No TLS: use a local
/// socket, a private network or a tunnel.
package struct PostgresURL {
    /// For the pooled, async client (the job queue).
    package let configuration: PostgresClient.Configuration
    /// For single connections (the catalog's blocking pool).
    package let connectionConfiguration: PostgresConnection.Configuration
    /// Host, port and database, for messages (never the password).
    package let location: String
    /// `search_path`: the schema the tables go in, created when missing.
    package let schema: String?

    package init(_ text: String) throws(CatalogError) {
        func refuse(_ reason: String) -> CatalogError {
            CatalogError(operation: "use the database URL", reason: reason,
                       hint: "write it as postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE")
        }
        guard let url = URLComponents(string: text), ["postgres", "postgresql"].contains(url.scheme ?? "") else {
            throw refuse("it is not a postgres:// URL")
        }
        let query = Dictionary((url.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { $1 })
        let database = String(url.path.drop { $0 == "/" })
        guard !database.isEmpty else { throw refuse("it names no database") }
        let user = url.user ?? ProcessInfo.processInfo.environment["USER"] ?? "postgres"
        let host = query["host"] ?? url.host ?? "localhost"
        let port = url.port ?? 5432
        var configuration: PostgresClient.Configuration
        var connectionConfiguration: PostgresConnection.Configuration
        var place: String
        if host.hasPrefix("/") {
            let socket = host + "/.s.PGSQL.\(port)"
            configuration = PostgresClient.Configuration(unixSocketPath: socket, username: user,
                                                         password: url.password, database: database)
            connectionConfiguration = PostgresConnection.Configuration(unixSocketPath: socket, username: user,
                                                                       password: url.password, database: database)
            place = "\(host) (socket, port \(port))/\(database)"
        } else {
            configuration = PostgresClient.Configuration(host: host, port: port, username: user, password: url.password,
                                                         database: database, tls: .disable)
            connectionConfiguration = PostgresConnection.Configuration(host: host, port: port, username: user,
                                                                       password: url.password, database: database, tls: .disable)
            place = "\(host):\(port)/\(database)"
        }
        schema = query["search_path"].flatMap { $0.isEmpty ? nil : $0 }
        if let schema {
            place += " (schema \(schema))"
            // Quoted into CREATE SCHEMA: a plain identifier only.
            guard schema.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else {
                throw refuse("search_path '\(schema)' is not a plain schema name (letters, digits, _)")
            }
            configuration.options.additionalStartupParameters = [("search_path", schema)]
            connectionConfiguration.options.additionalStartupParameters = [("search_path", schema)]
        }
        self.connectionConfiguration = connectionConfiguration
        location = place
        configuration.options.maximumConnections = Int(query["pool_size"] ?? "") ?? 10
        self.configuration = configuration
    }
}

/// A PostgreSQL error with the server's message: postgres-nio's own
/// description hides it (to keep values out of logs); ours is for the operator.
package struct PostgresFailure: Error, CustomStringConvertible {
    package let description: String

    package init(_ error: any Error) {
        description = Self.describe(error)
    }

    private static func describe(_ error: any Error) -> String {
        if let transaction = error as? PostgresTransactionError {
            let inner: (any Error)? = transaction.closureError ?? transaction.beginError ?? transaction.commitError
                ?? transaction.rollbackError
            return inner.map(describe) ?? "\(error)"
        }
        guard let psql = error as? PSQLError else { return "\(error)" }
        if let message = psql.serverInfo?[.message] {
            return message + (psql.serverInfo?[.detail].map { " (\($0))" } ?? "")
        }
        return "\(psql.code)" + (psql.underlying.map { ": \($0)" } ?? "")
    }
}
