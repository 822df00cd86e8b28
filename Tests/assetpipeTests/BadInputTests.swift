import Foundation
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A folder of damaged, unreadable, looping and oddly named files, with good ones among them:
/// each becomes a result and the batch goes on.
@Suite struct BadInputTests {
    /// What one file in the folder must become.
    struct Expectation {
        let status: String
        var reason: String? = nil
    }

    @Test func everyBadInputBecomesAResultAndTheBatchGoesOn() throws {
        // As root, the binary runs as nobody (root reads a chmod 000 file), so the folder
        // must be readable by everyone and the data directory writable by everyone.
        let folder = try TemporaryDirectory("bad-inputs", permissions: 0o755)
        let data = try TemporaryDirectory("bad-inputs-data", permissions: 0o777)
        defer { folder.remove(); data.remove() }
        let fm = FileManager.default

        func copy(_ sample: String, to name: String) throws {
            try fm.copyItem(atPath: Package.sample(sample), toPath: folder(name))
            chmod(folder(name), 0o644)
        }
        try copy("photos/camera-gps-north.jpg", to: "good.jpg")
        try copy("formats/alpha.png", to: "alpha.png")
        try copy("bad/truncated.jpg", to: "truncated.jpg")
        try copy("bad/corrupt.png", to: "corrupt.png")
        try copy("bad/not-really.png", to: "not-really.png")
        try copy("other/notes.txt", to: "notes.txt")
        try copy("other/document.pdf", to: "document.pdf")
        try copy("other/archive.zip", to: "archive.zip")
        #expect(fm.createFile(atPath: folder("empty.jpg"), contents: Data(), attributes: [.posixPermissions: 0o644]))
        try copy("orientation/orientation-1.jpg", to: "unreadable.jpg")
        #expect(chmod(folder("unreadable.jpg"), 0) == 0)
        try fm.createSymbolicLink(atPath: folder("loop.jpg"), withDestinationPath: "loop.jpg")
        try fm.createDirectory(atPath: folder("sub"), withIntermediateDirectories: false)
        chmod(folder("sub"), 0o755)
        try copy("orientation/orientation-6.jpg", to: "sub/inner.jpg")
        try fm.createSymbolicLink(atPath: folder("sub/up"), withDestinationPath: "..")
        // A name that is not UTF-8: the bytes FF FE, then ".jpg".
        let oddNameSource = Package.sample("photos/odd-exif.jpg")
        try Self.createFile(named: Array(folder.path.utf8) + [UInt8(ascii: "/"), 0xFF, 0xFE] + Array(".jpg".utf8),
                            contents: try Data(contentsOf: URL(fileURLWithPath: oddNameSource)))
        let oddName = #"\xFF\xFE.jpg"#

        let expected: [String: Expectation] = [
            "good.jpg": .init(status: "processed"),
            "alpha.png": .init(status: "processed"),
            "sub/inner.jpg": .init(status: "processed"),
            oddName: .init(status: "processed"),
            "not-really.png": .init(status: "processed"),
            "notes.txt": .init(status: "processed"),
            "document.pdf": .init(status: "processed"),
            "archive.zip": .init(status: "processed"),
            "truncated.jpg": .init(status: "errored", reason: "corrupt"),
            "corrupt.png": .init(status: "errored", reason: "corrupt"),
            "empty.jpg": .init(status: "errored", reason: "empty"),
            "unreadable.jpg": .init(status: "errored", reason: "inaccessible"),
            "loop.jpg": .init(status: "errored", reason: "inaccessible"),
        ]

        let user = Privileges.isRoot ? Privileges.unprivileged : nil
        if user != nil {
            // The set-up is only meaningful if the file really is unreadable to that user.
            let probe = try Command.run("/usr/bin/setpriv", ["--reuid=nobody", "--regid=nogroup", "--clear-groups", "cat", folder("unreadable.jpg")])
            try #require(probe.status != 0, "nobody can read a chmod 000 file; the inaccessible case tests nothing")
        }
        let (result, records) = try AssetPipe.process([folder.path], data: data.path, in: folder.path, asUser: user)
        #expect(!result.timedOut, "the batch did not end (directory symlink loop?)")
        #expect(result.status == 0, "\(result.summary)")

        // Each real file exactly once, whatever path led to it.
        var seen: [String: Int] = [:]
        for record in records { seen[Self.canonical(record["path"] as? String ?? "<no path>"), default: 0] += 1 }
        let wanted = Dictionary(uniqueKeysWithValues: expected.keys.map { (Self.canonical(folder($0)), $0) })
        for (key, count) in seen {
            #expect(wanted[key] != nil, "unexpected record for \(key)")
            #expect(count == 1, "\(key) listed \(count) times")
        }
        for (key, name) in wanted { #expect(seen[key] != nil, "no record for \(name)") }
        #expect(records.count == expected.count, "\(records.count) records: \(records.compactMap { $0["path"] as? String })")

        func record(_ name: String) -> Record? {
            records.first { Self.canonical($0["path"] as? String ?? "") == Self.canonical(folder(name)) }
        }
        for (name, expectation) in expected.sorted(by: { $0.key < $1.key }) {
            guard let record = record(name) else { continue }
            #expect(record["status"] as? String == expectation.status, "\(name): status; error \(String(describing: record["error"]))")
            let error = JSONValue.dictionary(record["error"])
            if let reason = expectation.reason {
                #expect(error?["reason"] as? String == reason, "\(name): reason")
                #expect((error?["message"] as? String)?.isEmpty == false, "\(name): error.message")
            } else {
                #expect(error == nil, "\(name): unexpected error \(String(describing: error))")
            }
        }

        // The name that is not UTF-8 is shown with \xHH escapes.
        if let odd = record(oddName) {
            #expect(odd["name"] as? String == oddName)
            #expect(odd["path"] as? String == folder(oddName))
            #expect(odd["sha256"] as? String == (try Oracle.sha256sum(oddNameSource)))
        }

        // A JPEG named .png is handled by its bytes and flagged.
        if let liar = record("not-really.png") {
            let detected = try Oracle.mimeType(folder("not-really.png"))
            #expect(detected == "image/jpeg", "file(1) no longer sees a JPEG; the sample changed")
            #expect(liar["kind"] as? String == "image")
            #expect(liar["mime"] as? String == detected)
            let mismatch = JSONValue.dictionary(liar["extension_mismatch"])
            #expect(mismatch?["extension"] as? String == "png", "extension_mismatch: \(String(describing: mismatch))")
            #expect(mismatch?["detected"] as? String == detected, "extension_mismatch: \(String(describing: mismatch))")
        }

        // Documents are catalogued as `other`, hashed like sha256sum.
        for (name, mime) in [("notes.txt", "text/plain"), ("document.pdf", "application/pdf"), ("archive.zip", "application/zip")] {
            guard let document = record(name) else { continue }
            #expect(document["kind"] as? String == "other", "\(name): kind")
            #expect(document["mime"] as? String == mime, "\(name): mime")
            #expect(document["sha256"] as? String == (try Oracle.sha256sum(folder(name))), "\(name): sha256")
            #expect(JSONValue.number(document["size"]) == Double(try Oracle.size(folder(name))), "\(name): size")
        }

        // The good files' hashes too.
        for name in ["good.jpg", "alpha.png", "sub/inner.jpg"] {
            #expect(record(name)?["sha256"] as? String == (try Oracle.sha256sum(folder(name))), "\(name): sha256")
        }
    }

    /// The real path of a file when it resolves; otherwise the path as written
    /// (a symlink loop, or a name shown with \xHH escapes).
    static func canonical(_ path: String) -> String {
        guard let resolved = realpath(path, nil) else { return path }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// Creates a file whose path is given as raw bytes (it need not be UTF-8).
    static func createFile(named path: [UInt8], contents: Data) throws {
        let cPath = path.map { CChar(bitPattern: $0) } + [0]
        let descriptor = open(cPath, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard descriptor >= 0 else { throw TestFailure("cannot create a file with a non-UTF-8 name: errno \(errno)") }
        defer { close(descriptor) }
        let written = contents.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        guard written == contents.count else { throw TestFailure("short write to the non-UTF-8 file") }
        fchmod(descriptor, 0o644)
    }
}
