import AssetCatalog
import AssetObjectStore
import AssetPipeline
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An S3 source's own settings file: the bucket's endpoint and keys when
/// they are not the machine's (a customer's bucket, another provider), so
/// one catalog can read buckets on AWS, R2 and a self-hosted server at once.
/// It holds the standard AWS variables' names, in assetpipe.toml's syntax:
///
///     # the archive bucket, on Cloudflare R2
///     AWS_ACCESS_KEY_ID = "..."
///     AWS_SECRET_ACCESS_KEY = "..."
///     AWS_ENDPOINT_URL = "https://ACCOUNT.r2.cloudflarestorage.com"
///     AWS_REGION = "auto"
///
/// What the file sets replaces the environment by group: the key pair and
/// session token go together, as do the two region names, the two endpoint
/// names, and the addressing; a group the file leaves out comes from the
/// environment. So a file's key pair never meets the environment's session
/// token. A refusal names the file, the line and the rule, never a value.
public enum SourceSettings {
    /// The names a settings file may set, each with its group.
    public static let groups: [String: String] = [
        "AWS_ACCESS_KEY_ID": "credentials", "AWS_SECRET_ACCESS_KEY": "credentials", "AWS_SESSION_TOKEN": "credentials",
        "AWS_REGION": "region", "AWS_DEFAULT_REGION": "region",
        "AWS_ENDPOINT_URL": "endpoint", "AWS_ENDPOINT_URL_S3": "endpoint",
        "ASSETPIPE_S3_ADDRESSING": "addressing",
    ]

    /// The variables of a settings file's text; `file` names it in refusals.
    public static func variables(parsing text: String, file: String) throws(S3Error) -> [String: String] {
        let parsed: ConfigFile
        do {
            parsed = try ConfigFile(parsing: text)
        } catch {
            throw S3Error(.configuration, "the settings file \(file), line \(error.line), column \(error.column): \(error.message)")
        }
        if let section = parsed.sections.keys.filter({ !$0.isEmpty }).min() {
            throw S3Error(.configuration, "the settings file \(file) has a [\(section)] section; "
                          + "a source's settings are NAME = \"value\" lines, with no sections")
        }
        var variables: [String: String] = [:]
        for (name, entry) in (parsed.sections[""] ?? [:]).sorted(by: { $0.value.line < $1.value.line }) {
            guard groups[name] != nil else {
                throw S3Error(.configuration, "the settings file \(file), line \(entry.line): \(name) is not a setting; "
                              + "it may set " + groups.keys.sorted().joined(separator: ", "))
            }
            guard case .text(let value) = entry.value else {
                throw S3Error(.configuration, "the settings file \(file), line \(entry.line): \(name) is a \"string\" in quotes")
            }
            variables[name] = value
        }
        return variables
    }

    /// `environment` with the file's groups in place of its own.
    public static func merged(_ variables: [String: String], over environment: [String: String]) -> [String: String] {
        let replaced = Set(variables.keys.compactMap { groups[$0] })
        var merged = environment.filter { name, _ in groups[name].map { !replaced.contains($0) } ?? true }
        merged.merge(variables) { _, file in file }
        return merged
    }

    /// Reads the file at `path`: a regular file that only its owner can
    /// change (one that others may write could send the keys to any
    /// endpoint), at most 1 MiB, then parsed.
    public static func read(_ path: String) throws(S3Error) -> [String: String] {
        var status = stat()
        guard stat(path, &status) == 0 else {
            throw S3Error(.configuration, "cannot read the settings file \(path): \(String(cString: strerror(errno)))")
        }
        guard status.st_mode & S_IFMT == S_IFREG else {
            throw S3Error(.configuration, "the settings file \(path) is not a regular file")
        }
        guard status.st_mode & (S_IWGRP | S_IWOTH) == 0 else {
            throw S3Error(.configuration, "the settings file \(path) may be changed by others than its owner; "
                          + "run `chmod go-w \(path)` (better, `chmod 600`: it holds keys)")
        }
        guard status.st_size <= ConfigFile.maximumSize else {
            throw S3Error(.configuration, "the settings file \(path) is over \(ConfigFile.maximumSize >> 20) MiB")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw S3Error(.configuration, "cannot read the settings file \(path)")
        }
        return try variables(parsing: String(decoding: data, as: UTF8.self), file: path)
    }

    /// Whether others than the owner may read the file: fine for a file
    /// without keys, worth a warning for one with them.
    public static func othersCanRead(_ path: String) -> Bool {
        var status = stat()
        return stat(path, &status) == 0 && status.st_mode & (S_IRGRP | S_IROTH) != 0
    }

    /// How to reach a source's bucket: its settings file over `environment`,
    /// or `environment` alone when it has none.
    public static func configuration(for source: CatalogSource,
                                     environment: [String: String] = ProcessInfo.processInfo.environment) throws(S3Error) -> S3Configuration {
        guard let file = source.settings else { return try S3Configuration.fromEnvironment(environment) }
        do {
            return try S3Configuration.fromEnvironment(merged(try read(file), over: environment))
        } catch {
            let prefix = "the settings file \(file)"
            throw S3Error(error.code, error.message.hasPrefix(prefix) ? error.message : "\(prefix): \(error.message)")
        }
    }
}
