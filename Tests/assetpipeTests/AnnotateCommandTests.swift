import AssetCatalog
import AssetPipeline
import Foundation
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `annotate`, `tags` and `categories` as users run them, on both catalog
/// backends: exiftool says which keywords a sample's embedded tags are; a
/// rename SIGKILLed midway and run again ends with every asset renamed once.
@Suite struct AnnotateCommandTests {
    @Test(arguments: CatalogBackend.all)
    func annotateByQueryAndByIDThenListTheTags(backend: CatalogBackend) throws {
        let place = try backend.place("annotate")
        let photos = Package.sample("photos")
        let processed = try AssetPipe.run(["process", "--json"] + place.flags + [photos], timeout: 120)
        #expect(processed.status == 0, "\(processed.summary)")
        let images = try AssetPipe.records(in: processed.stdout).filter { $0["kind"] as? String == "image" }
        let query = "path : \"\(photos)\" AND kind = image"

        let dry = try AssetPipe.run(["annotate"] + place.flags + ["--query", query, "--tag", "shoot 1", "--dry-run", "--json"])
        #expect(dry.status == 0, "\(dry.summary)")
        #expect(try Self.object(dry.stdout)["matched"] as? Int == images.count)
        #expect(try Self.found("tags = \"shoot 1\"", place).isEmpty, "--dry-run changed nothing")

        let run = try AssetPipe.run(["annotate"] + place.flags + ["--query", query, "--tag", "shoot 1", "--category", "Work", "--json"])
        #expect(run.status == 0, "\(run.summary)")
        #expect(try Self.object(run.stdout)["changed"] as? Int == images.count)
        #expect(try Self.found("tags = \"shoot 1\" AND categories = Work", place) == Set(images.compactMap { $0["path"] as? String }))

        // The sample's keywords, as exiftool reads them, are its embedded tags.
        let sample = photos + "/camera-gps-south.jpg"
        let exif = try Oracle.exiftool(sample, ["-G1"])
        let keywords = Set(((exif["XMP-dc:Subject"] as? [Any] ?? []) + (exif["IPTC:Keywords"] as? [Any] ?? [])).map { "\($0)" })
        let untagged = try #require(keywords.sorted().first)
        let byPath = try AssetPipe.run(["annotate"] + place.flags + [sample, "--untag", untagged, "--json"])
        #expect(byPath.status == 0, "\(byPath.summary)")
        let record = try Self.object(byPath.stdout)
        let tags = record["tags"] as? [[String: Any]] ?? []
        #expect(Set(tags.filter { $0["source"] as? String == "embedded" }.compactMap { $0["name"] as? String }) == keywords)
        #expect(tags.first { $0["name"] as? String == untagged }?["removed"] as? Bool == true)

        let listed = try AssetPipe.run(["tags", "list"] + place.flags + ["--json"])
        let counts = Dictionary(uniqueKeysWithValues: try AssetPipe.records(in: listed.stdout).map { ($0["name"] as? String ?? "", $0["count"] as? Int ?? 0) })
        #expect(counts["shoot 1"] == images.count)
        #expect(counts[untagged] == nil, "a removed tag is not counted: \(counts)")

        // Refused: a bad name (usage, 2) and a missing asset (1, nothing changed).
        let bad = try AssetPipe.run(["annotate"] + place.flags + [sample, "--tag", "  "])
        #expect(bad.status == 2, "\(bad.summary)")
        #expect(bad.stderr.contains("name is empty"), "\(bad.stderr)")
        let missing = try AssetPipe.run(["annotate"] + place.flags + [sample, "/no/such.jpg", "--tag", "late"])
        #expect(missing.status == 1, "\(missing.summary)")
        #expect(missing.stderr.contains("nothing was changed"), "\(missing.stderr)")
        #expect(try Self.found("tags = late", place).isEmpty)

        // Hidden by a user, found by the query; one choice at a time.
        let hide = try AssetPipe.run(["annotate"] + place.flags + [sample, "--hide", "--json"])
        #expect(hide.status == 0, "\(hide.summary)")
        let hidden = try Self.object(hide.stdout)
        #expect(hidden["hidden"] as? Bool == true && hidden["hidden_by"] as? String == "user")
        #expect(try Self.found("hidden = true", place).contains(sample))
        #expect(try !Self.found("hidden = false", place).contains(sample))
        let both = try AssetPipe.run(["annotate"] + place.flags + [sample, "--hide", "--show"])
        #expect(both.status == 2, "\(both.summary)")
    }

    /// 2,000 assets tagged `old` (or with a value for the custom field
    /// `old`); `tags rename old new` (or `fields rename`) with batches of
    /// 25 is SIGKILLed once some batches have committed and before the
    /// last; run again, it ends with every asset renamed, and one rename
    /// in each asset's history.
    @Test(arguments: CatalogBackend.all, ["tags", "fields"])
    func aRenameKilledMidwayFinishesWhenRunAgain(backend: CatalogBackend, command: String) async throws {
        let place = try backend.place("rename-kill")
        let catalog = try await Self.open(place, backend)
        let total = 2_000
        if command == "fields" {
            _ = try catalog.defineField(try CustomFieldDefinition(key: "old", type: .number), source: ChangeSource(actor: "test"))
        }
        let rows = try (0..<total).map { index -> AssetRow in
            var record = AssetRecord(path: "/bulk/\(index).jpg", name: "\(index).jpg")
            record.id = Self.bulkID(index)
            record.status = .processed
            record.version = 1
            record.attempts = 1
            if command == "tags" {
                record.tags = [AssetTag(name: "old", source: index % 2 == 0 ? .manual : .embedded)] + (index % 5 == 0 ? [AssetTag(name: "new", source: .ai)] : [])
            } else {
                record.custom = ["old": .number(Double(index))]
            }
            record.createdAt = Date(timeIntervalSince1970: 1_700_000_000 + Double(index))
            record.updatedAt = record.createdAt
            return try AssetRow(record)
        }
        for start in stride(from: 0, to: total, by: 1_000) {
            try catalog.database.write { try $0.insertMany(Array(rows[start..<min(total, start + 1_000)])) }
        }
        func count(_ name: String) throws -> Int {
            if command == "tags" { return try catalog.labels(.tags).first { $0.name == name }?.count ?? 0 }
            return try catalog.database.read { try $0.assetIDs(customKey: name, present: true, after: nil, limit: total + 1) }.count
        }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: AssetPipe.binary)
        process.arguments = [command, "rename"] + place.flags + ["old", "new", "--batch-size", "25"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        let deadline = Date().addingTimeInterval(120)
        while try count("old") == total, process.isRunning, Date() < deadline { usleep(2_000) }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        let left = try count("old")
        #expect(left > 0 && left < total, "the kill came midway: \(left) of \(total) still to rename")

        let again = try AssetPipe.run([command, "rename"] + place.flags + ["old", "new"], timeout: 300)
        #expect(again.status == 0, "\(again.summary)")
        #expect(try count("old") == 0)
        #expect(try count("new") == total)
        for index in [0, 1, 5, total / 2, total - 1] {
            let renames = try catalog.history(idOrPath: Self.bulkID(index)).filter { $0.detail["\(command == "tags" ? "tags" : "custom")_renamed"] != nil }
            #expect(renames.count == 1, "asset \(index) renamed \(renames.count) times")
            let record = try #require(try catalog.record(idOrPath: Self.bulkID(index)))
            if command == "tags" {
                #expect(AssetTag.activeNames(record.tags) == ["new"], "asset \(index): \(record.tags ?? [])")
            } else {
                #expect(record.custom == ["new": .number(Double(index))], "asset \(index): \(record.custom ?? [:])")
            }
        }
        if command == "fields" { #expect(try catalog.customFields().map(\.key) == ["new"]) }
    }

    static func bulkID(_ index: Int) -> String { String(format: "b0000000-0000-4000-8000-%012x", index) }

    static func open(_ place: CatalogPlace, _ backend: CatalogBackend) async throws -> Catalog {
        guard let index = place.flags.firstIndex(of: "--database") else { return try Catalog(dataDirectory: place.directory) }
        return Catalog(database: try await PostgresCatalogDatabase.connect(url: place.flags[index + 1]),
                       renditionStore: LocalRenditionStore(dataDirectory: place.directory))
    }

    static func object(_ data: Data) throws -> [String: Any] {
        try #require(try AssetPipe.records(in: data).first)
    }

    static func found(_ query: String, _ place: CatalogPlace) throws -> Set<String> {
        let run = try AssetPipe.run(["find"] + place.flags + ["--json", "--limit", "1000", query])
        #expect(run.status == 0, "find \(query): \(run.summary)")
        return Set(try AssetPipe.records(in: run.stdout).compactMap { $0["path"] as? String })
    }
}
