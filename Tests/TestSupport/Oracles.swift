import Foundation

/// Paths inside the package: samples/, pipelines/, the built binary.
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

    /// A fresh, empty temporary directory's path.
    public static func temporaryDirectory(_ label: String = "test") throws -> String {
        try TemporaryDirectory(label).path
    }
}

/// What programs outside the project say about a file: exiftool, libvips's CLI, coreutils, file(1).
public enum Oracle {
    /// `exiftool -n -json [extra] FILE`: tag → value (numbers as numbers, signed composites).
    /// Pass `["-G1"]` for "Group:Tag" keys.
    public static func exiftool(_ path: String, _ extra: [String] = []) throws -> [String: Any] {
        let result = try Command.run("exiftool", ["-n", "-json"] + extra + [path])
        guard let list = try JSONSerialization.jsonObject(with: result.stdout) as? [[String: Any]], let first = list.first else {
            throw TestFailure("exiftool printed no JSON for \(path): \(result.summary)")
        }
        return first
    }

    /// `vipsheader -f FIELD FILE`, trimmed.
    public static func vipsheader(_ field: String, _ path: String) throws -> String {
        let result = try Command.run("vipsheader", ["-f", field, path])
        guard result.status == 0 else { throw TestFailure("vipsheader -f \(field) \(path): \(result.summary)") }
        return result.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// `vipsheader -f FIELD FILE` as an integer.
    public static func vipsheaderInt(_ field: String, _ path: String) throws -> Int {
        let text = try vipsheader(field, path)
        guard let value = Int(text) else { throw TestFailure("vipsheader -f \(field) \(path) printed \(text)") }
        return value
    }

    /// Width and height after `vips autorot IN OUT.v`: the displayed size libvips computes.
    public static func autorotatedSize(_ path: String, scratch: String) throws -> (width: Int, height: Int) {
        let output = scratch + "/autorot-\(UUID().uuidString.prefix(8)).v"
        let result = try Command.run("vips", ["autorot", path, output])
        guard result.status == 0 else { throw TestFailure("vips autorot \(path): \(result.summary)") }
        return (try vipsheaderInt("width", output), try vipsheaderInt("height", output))
    }

    /// `openssl dgst -sha256 -hmac KEY`: lowercase hex HMAC-SHA256 of `message`.
    public static func hmacSHA256(key: String, message: String) throws -> String {
        let file = try Package.temporaryDirectory("hmac") + "/message"
        try Data(message.utf8).write(to: URL(fileURLWithPath: file))
        let result = try Command.run("openssl", ["dgst", "-sha256", "-hmac", key, "-r", file])
        guard result.status == 0 else { throw TestFailure("openssl dgst: \(result.summary)") }
        return String(result.output.prefix(64))
    }

    public static func sha256sum(_ path: String) throws -> String {
        let result = try Command.run("sha256sum", [path])
        guard result.status == 0 else { throw TestFailure("sha256sum \(path): \(result.summary)") }
        return String(result.output.prefix(64))
    }

    /// `file --mime-type -b FILE`.
    public static func mimeType(_ path: String) throws -> String {
        try Command.run("file", ["--mime-type", "-b", path]).output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The file's size in bytes, from stat(2).
    public static func size(_ path: String) throws -> Int {
        guard let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber else {
            throw TestFailure("no size for \(path)")
        }
        return size.intValue
    }
}

/// A failure in a test's own set-up, with what went wrong.
public struct TestFailure: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A fresh directory under the system's temporary directory, removed by `remove()`.
public struct TemporaryDirectory {
    public let path: String

    public init(_ label: String, permissions: Int = 0o700) throws {
        let base = NSTemporaryDirectory().hasSuffix("/") ? NSTemporaryDirectory() : NSTemporaryDirectory() + "/"
        path = base + "assetpipe-\(label)-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        // Set explicitly: createDirectory's attributes are filtered by the umask.
        try FileManager.default.setAttributes([.posixPermissions: permissions], ofItemAtPath: path)
    }

    public func callAsFunction(_ relative: String) -> String { path + "/" + relative }

    public func remove() {
        // rm(1) copes with names that are not UTF-8; unlinking a chmod 000 file needs only the folder.
        _ = try? Command.run("rm", ["-rf", path])
    }
}

/// The Python of scripts/oracle-python: OpenCV's own binding and scikit-image.
public enum OraclePython {
    /// Its path; the first call creates the virtualenv (needs PyPI).
    public static func path() throws -> String {
        let result = try Command.run(Package.root + "/scripts/oracle-python", [], timeout: 600)
        guard result.status == 0 else { throw TestFailure("scripts/oracle-python: \(result.summary)") }
        return result.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Runs `script` with `arguments`; what it prints on stdout, parsed as JSON.
    public static func json(_ script: String, _ arguments: [String], timeout: Double = 300) throws -> Any {
        let result = try Command.run(try path(), ["-c", script] + arguments, timeout: timeout)
        guard result.status == 0 else { throw TestFailure("the Python oracle failed: \(result.summary)") }
        return try JSONSerialization.jsonObject(with: result.stdout)
    }

    /// scikit-image's bundled public-domain photos (astronaut.png, coffee.png, chelsea.png, ...).
    public static func scikitImageData() throws -> String {
        let found = try json("import json, os, skimage; print(json.dumps([os.path.join(os.path.dirname(skimage.__file__), 'data')]))",
                             [], timeout: 600)
        guard let directory = (found as? [String])?.first else { throw TestFailure("no scikit-image data folder") }
        return directory
    }
}
