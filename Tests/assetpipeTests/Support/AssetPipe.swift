import Foundation
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// An asset record as the binary prints it: the JSON is the contract.
typealias Record = [String: Any]

/// The built `assetpipe` binary and the package it belongs to.
enum AssetPipe {
    /// `$ASSETPIPE_BIN`, or `.build/debug/assetpipe` in the package.
    static let binary: String = {
        if let override = ProcessInfo.processInfo.environment["ASSETPIPE_BIN"], !override.isEmpty { return override }
        return Package.root + "/.build/debug/assetpipe"
    }()

    /// Runs the binary; `asUser` runs it through setpriv as another user (for permission tests as root).
    static func run(_ arguments: [String], in directory: String? = nil, asUser user: (name: String, group: String)? = nil,
                    timeout: Double = 60) throws -> CommandResult {
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw TestFailure("no assetpipe binary at \(binary): run `swift build` first, or set ASSETPIPE_BIN")
        }
        if let user {
            return try Command.run("/usr/bin/setpriv",
                                   ["--reuid=\(user.name)", "--regid=\(user.group)", "--clear-groups", binary] + arguments,
                                   in: directory, timeout: timeout)
        }
        return try Command.run(binary, arguments, in: directory, timeout: timeout)
    }

    /// `assetpipe process --json --data DATA [extra] PATHS...`, with its records decoded.
    static func process(_ paths: [String], data: String, extra: [String] = [], in directory: String? = nil,
                        asUser user: (name: String, group: String)? = nil) throws -> (result: CommandResult, records: [Record]) {
        let result = try run(["process", "--json", "--data", data] + extra + paths, in: directory, asUser: user)
        return (result, try records(in: result.stdout))
    }

    /// One JSON object per non-empty line.
    static func records(in output: Data) throws -> [Record] {
        try output.split(separator: UInt8(ascii: "\n")).map { line in
            guard let object = try JSONSerialization.jsonObject(with: Data(line)) as? Record else {
                throw TestFailure("not a JSON object: \(String(decoding: line, as: UTF8.self))")
            }
            return object
        }
    }

    /// The one record whose path is `path`.
    static func record(at path: String, in records: [Record]) -> Record? {
        records.first { $0["path"] as? String == path }
    }
}

/// Typed reads of JSON values, without restating what they should be.
enum JSONValue {
    /// A JSON number as Double; nil for anything else (a numeric string is not a number).
    static func number(_ value: Any?) -> Double? {
        switch value {
        case let value as Int: Double(value)
        case let value as Double: value
        case let value as NSNumber where !(value is Bool): value.doubleValue
        default: nil
        }
    }

    static func dictionary(_ value: Any?) -> [String: Any]? { value as? [String: Any] }

    /// ISO 8601 with milliseconds, as the record writes its timestamps.
    static func date(_ value: Any?) -> Date? {
        guard let text = value as? String else { return nil }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text)
    }
}

/// Who runs the binary when a file must be unreadable to it: root reads anything,
/// so as root the binary runs as `nobody`.
enum Privileges {
    static var isRoot: Bool { geteuid() == 0 }
    static let unprivileged = (name: "nobody", group: "nogroup")
}
