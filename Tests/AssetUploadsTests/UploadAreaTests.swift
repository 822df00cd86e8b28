import AssetCatalog
import AssetPipeline
import Foundation
import TestSupport
import Testing
@testable import AssetUploads

/// Destinations, the spool and a folder area: what is refused, what the
/// conflict policies do to the files (checked with sha256sum) and that no
/// spool file outlives its upload.
@Suite struct UploadAreaTests {
    @Test func destinationsStayInsideTheArea() throws {
        for good in ["cat.jpg", "shoots/2026/cat é.jpg", "a b/c", "x.y.z"] {
            #expect(try UploadDestination(good).path == good)
        }
        for bad in ["", "/etc/passwd", "../x", "a/../b", "a//b", "a/", ".hidden", "a/.partial/x", "a\\b", "a\u{0}b", "a\nb",
                    String(repeating: "x", count: 769), String(repeating: "y", count: 256) + "/z"] {
            #expect(throws: UploadRefusal.self, "\(bad.debugDescription)") { try UploadDestination(bad) }
        }
        #expect(try UploadDestination("shoots/cat.jpg").numbered(2).path == "shoots/cat_2.jpg")
        #expect(try UploadDestination("a.b/README").numbered(1).path == "a.b/README_1")
    }

    /// What `body` was refused with; nil when it was not.
    func refusal(_ body: () async throws(UploadRefusal) -> Void) async -> UploadRefusal? {
        do {
            try await body()
            return nil
        } catch {
            return error
        }
    }

    func spool(_ bytes: [UInt8], in folder: String, limit: Int64 = 1 << 30) async throws -> UploadSpool {
        let spool = try UploadSpool(directory: folder, limit: limit)
        var offset = 0
        while offset < bytes.count {
            let end = min(bytes.count, offset + 300_000)
            try await spool.append(bytes[offset..<end])
            offset = end
        }
        return spool
    }

    @Test func theSpoolCountsHashesAndLeavesNothingWhenDropped() async throws {
        let scratch = try TemporaryDirectory("spool")
        defer { scratch.remove() }
        let bytes = (0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 9) }
        let spool = try await spool(bytes, in: scratch.path)
        let finished = try await spool.finish(expectingSHA256: nil)
        #expect(finished.size == 3_000_000)
        #expect(try finished.sha256 == (try Oracle.sha256sum(spool.path)), "the digest is sha256sum's")
        #expect(try Data(contentsOf: URL(fileURLWithPath: spool.path)).elementsEqual(bytes))
        #expect(spool.digests == nil, "no MD5 unless asked for")
        let hashed = try UploadSpool(directory: scratch.path, limit: 1 << 30, md5: true)
        try await hashed.append(bytes)
        _ = try await hashed.finish(expectingSHA256: nil)
        let md5sum = try Command.run("md5sum", [hashed.path]).output.prefix(32)
        #expect(hashed.digests?.md5.map { String(format: "%02x", $0) }.joined() == String(md5sum), "the MD5 is md5sum's")
        #expect(hashed.digests?.sha256Hex == finished.sha256)

        let small = try UploadSpool(directory: scratch.path, limit: 1_000_000)
        let over = await refusal { () async throws(UploadRefusal) in try await small.append(bytes) }
        #expect(over?.kind == .tooLarge)
        small.discard()
        let mismatched = try await self.spool(bytes, in: scratch.path)
        let mismatch = await refusal { () async throws(UploadRefusal) in _ = try await mismatched.finish(expectingSHA256: String(repeating: "0", count: 64)) }
        #expect(mismatch?.kind == .checksumMismatch)
        mismatched.discard()
        let names = try FileManager.default.contentsOfDirectory(atPath: scratch.path).sorted()
        #expect(names == [spool.path, hashed.path].map { ($0 as NSString).lastPathComponent }.sorted(), "only the finished spool files are left: \(names)")
    }

    @Test func conflictPoliciesInAFolderArea() async throws {
        let scratch = try TemporaryDirectory("area")
        defer { scratch.remove() }
        let catalog = try Catalog(dataDirectory: scratch("data"))
        let area = try UploadArea(folder: scratch("uploads"))
        let first = scratch("first.jpg"), second = scratch("second.jpg")
        try Data("first".utf8).write(to: URL(fileURLWithPath: first))
        try Data("second".utf8).write(to: URL(fileURLWithPath: second))
        let destination = try UploadDestination("shoots/cat.jpg")

        let placed = try await area.place(first, spooled: false, at: destination, policy: .reject, catalog: catalog)
        #expect(placed.origin == area.location + "/shoots/cat.jpg" && placed.existingAssetID == nil)
        #expect(try Oracle.sha256sum(placed.origin) == (try Oracle.sha256sum(first)))
        #expect(FileManager.default.fileExists(atPath: first), "a caller's file stays")

        // A file not yet catalogued is there: reject keeps it.
        let notCatalogued = await refusal { () async throws(UploadRefusal) in _ = try await area.place(second, spooled: false, at: destination, policy: .reject, catalog: catalog) }
        #expect(notCatalogued?.kind == .exists && notCatalogued?.existingAssetID == nil)
        #expect(try Oracle.sha256sum(placed.origin) == (try Oracle.sha256sum(first)))

        // Catalogued there: reject names the asset; rename takes cat_1.jpg; version replaces it and names the asset.
        let id = try catalog.begin(path: placed.origin, name: "cat.jpg")
        let catalogued = await refusal { () async throws(UploadRefusal) in _ = try await area.place(second, spooled: false, at: destination, policy: .reject, catalog: catalog) }
        #expect(catalogued?.kind == .exists && catalogued?.existingAssetID == id && catalogued?.message.contains(id) == true)
        let renamed = try await area.place(second, spooled: false, at: destination, policy: .rename, catalog: catalog)
        #expect(renamed.destination.path == "shoots/cat_1.jpg" && renamed.existingAssetID == nil)
        let versioned = try await area.place(second, spooled: false, at: destination, policy: .version, catalog: catalog)
        #expect(versioned.destination == destination && versioned.existingAssetID == id)
        #expect(try Oracle.sha256sum(placed.origin) == (try Oracle.sha256sum(second)))

        // A spooled file is moved, and the spool folder is left empty.
        let spool = try await spool(Array("third".utf8), in: area.spoolDirectory)
        _ = try await spool.finish(expectingSHA256: nil)
        let moved = try await area.place(spool.path, spooled: true, at: try UploadDestination("third.jpg"), policy: .reject, catalog: catalog)
        #expect(try String(contentsOfFile: moved.origin, encoding: .utf8) == "third")
        #expect(try FileManager.default.contentsOfDirectory(atPath: area.spoolDirectory).isEmpty)
    }
}
