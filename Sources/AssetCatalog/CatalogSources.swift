import Foundation

/// A named place assets come from: a local folder (an absolute path) or an
/// S3 bucket and prefix (`s3://bucket/prefix/`). Assets of an S3 source
/// have the object's URL as their path and origin, so a source's assets are
/// those under its location.
public struct CatalogSource: Sendable, Equatable {
    public var name: String
    public var location: String
    /// For an S3 source, the absolute path of its own settings file (its
    /// endpoint and keys, read when a client is made), or nil for the
    /// standard AWS variables. The catalog holds the path, never a secret.
    public var settings: String?

    public init(name: String, location: String, settings: String? = nil) {
        self.name = name
        self.location = location
        self.settings = settings
    }

    public var isS3: Bool { location.hasPrefix("s3://") }

    /// Letters, digits, `-`, `_` and `.`, 1 to 64 of them, starting with a
    /// letter or digit: a name that is safe on a command line and in a URL.
    public static func problem(withName name: String) -> String? {
        guard (1...64).contains(name.utf8.count) else { return "a source name has 1 to 64 characters" }
        func isLetterOrDigit(_ scalar: Unicode.Scalar) -> Bool {
            ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
        }
        guard name.unicodeScalars.allSatisfy({ isLetterOrDigit($0) || "-_.".unicodeScalars.contains($0) }),
              let first = name.unicodeScalars.first, isLetterOrDigit(first) else {
            return "a source name is letters, digits, '-', '_' and '.', starting with a letter or digit"
        }
        return nil
    }
}

extension Catalog {
    public func sources() throws(CatalogError) -> [CatalogSource] {
        try run("read the sources", hint: readHint) {
            try database.read { transaction in try transaction.sources() }.map {
                CatalogSource(name: $0.name, location: $0.location, settings: $0.settings)
            }
        }
    }

    public func source(named name: String) throws(CatalogError) -> CatalogSource? {
        try sources().first { $0.name == name }
    }

    /// Adds a source; refused when the name is taken or not a name, or the
    /// location is neither an absolute path nor an s3:// URL.
    public func addSource(_ source: CatalogSource) throws(CatalogError) {
        let operation = "add the source \(source.name)"
        if let problem = CatalogSource.problem(withName: source.name) {
            throw CatalogError(operation: operation, reason: problem, hint: "choose another name", refused: true)
        }
        guard source.location.hasPrefix("/") || source.isS3 else {
            throw CatalogError(operation: operation, reason: "\(source.location) is neither an absolute folder nor an s3:// URL",
                               hint: "give /path/to/folder or s3://bucket/prefix/", refused: true)
        }
        if let settings = source.settings {
            guard source.isS3 else {
                throw CatalogError(operation: operation, reason: "a folder source has no settings file",
                                   hint: "give a settings file only for an s3:// source", refused: true)
            }
            guard settings.hasPrefix("/") else {
                throw CatalogError(operation: operation, reason: "the settings file \(settings) is not an absolute path",
                                   hint: "give the file's absolute path", refused: true)
            }
        }
        let added = try run(operation, hint: writeHint) {
            try database.write { transaction in try transaction.insertSource(name: source.name, location: source.location, settings: source.settings) }
        }
        guard added else {
            throw CatalogError(operation: operation, reason: "a source named \(source.name) exists",
                               hint: "choose another name, or remove it first", refused: true)
        }
    }

    /// Removes a source; its assets stay catalogued (delete them, or sync
    /// from another source, as you see fit).
    public func removeSource(named name: String) throws(CatalogError) {
        let removed = try run("remove the source \(name)", hint: writeHint) {
            try database.write { transaction in try transaction.deleteSource(name: name) }
        }
        guard removed else {
            throw CatalogError(operation: "remove the source \(name)", reason: "there is no source \(name)",
                               hint: "see `assetpipe sources list`", refused: true)
        }
    }
}
