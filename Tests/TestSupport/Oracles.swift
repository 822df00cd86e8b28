import Foundation

/// Running outside programs from tests: the oracles (exiftool, vipsheader,
/// sha256sum, file) and the built assetpipe binary.
public enum Command {
    public struct Result: Sendable {
        public let status: Int32
        public let stdout: Data
        public let stderr: String
        public var output: String { String(decoding: stdout, as: UTF8.self) }
    }

    /// Runs `executable` (looked up on PATH) with `arguments` and waits.
    @discardableResult
    public static func run(_ executable: String, _ arguments: [String], in directory: String? = nil) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [executable] + arguments
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read both pipes before waiting, so a chatty child never blocks on a full pipe.
        let errData = Locked(Data())
        let errReader = Thread { errData.set(err.fileHandleForReading.readDataToEndOfFile()) }
        errReader.start()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        while !errData.isSet { usleep(1000) }
        return Result(status: process.terminationStatus, stdout: stdout, stderr: String(decoding: errData.value, as: UTF8.self))
    }
}

/// Paths inside the package: samples/, pipelines/.
public enum Package {
    public static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url.path }
        }
        fatalError("Package.swift not found above \(#filePath)")
    }()

    public static func sample(_ relative: String) -> String { root + "/samples/" + relative }

    /// A fresh, empty temporary directory.
    public static func temporaryDirectory(_ label: String = "test") throws -> String {
        let path = NSTemporaryDirectory() + "assetpipe-\(label)-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}

/// What exiftool, libvips's CLI and coreutils say about a file.
public enum Oracle {
    /// `exiftool -n -json` for one file: tag name → value (numbers as numbers).
    public static func exiftool(_ path: String, _ extra: [String] = []) throws -> [String: Any] {
        let result = try Command.run("exiftool", ["-n", "-json"] + extra + [path])
        let list = try JSONSerialization.jsonObject(with: result.stdout) as? [[String: Any]]
        return list?.first ?? [:]
    }

    /// `vipsheader -f FIELD`, trimmed.
    public static func vipsheader(_ field: String, _ path: String) throws -> String {
        try Command.run("vipsheader", ["-f", field, path]).output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    public static func sha256sum(_ path: String) throws -> String {
        String(try Command.run("sha256sum", [path]).output.prefix(64))
    }

    /// `file --mime-type -b`.
    public static func mimeType(_ path: String) throws -> String {
        try Command.run("file", ["--mime-type", "-b", path]).output.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// A value set once from another thread.
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value
    private var wasSet = false

    init(_ value: Value) { stored = value }

    func set(_ value: Value) {
        lock.lock(); stored = value; wasSet = true; lock.unlock()
    }

    var value: Value { lock.lock(); defer { lock.unlock() }; return stored }
    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return wasSet }
}
