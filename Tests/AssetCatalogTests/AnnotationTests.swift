import AssetCatalog
import AssetMedia
import AssetPipeline
import AssetQuery
import Foundation
import TestSupport
import Testing

/// Tags and categories on every driver: the file's keywords (exiftool as
/// the oracle) become embedded tags, a user's changes survive a refresh,
/// and renames, merges and deletes reach every asset and its history,
/// checked against a plain model of what each asset should hold.
@Suite struct AnnotationTests {
    static let source = ChangeSource(actor: "test")

    static func processed(_ sample: String) -> ProcessedAsset {
        Runner(definition: .default).process(SourceFile(path: Package.sample(sample)))
    }

    static func ids(_ catalog: Catalog, _ query: String) throws -> [String] {
        try catalog.matchingIDs(try FindRequest(q: query))
    }

    @Test(arguments: CatalogDriver.all)
    func embeddedTagsFollowTheFileAndAUsersChangesSurviveARefresh(driver: CatalogDriver) async throws {
        let (catalog, _) = try await driver.makeCatalog("annotate")
        let sample = "photos/camera-gps-south.jpg"
        guard case .applied(let placed, _) = try catalog.place(Self.processed(sample), at: "/shop/harbour.jpg",
                                                               origin: Package.sample(sample), onConflict: .reject, source: Self.source)
        else { throw TestFailure("not placed") }
        let id = try #require(placed.id)
        // The oracle: XMP dc:subject and IPTC keywords, as exiftool reads them.
        let exif = try Oracle.exiftool(Package.sample(sample), ["-G1"])
        let keywords = Set(((exif["XMP-dc:Subject"] as? [Any] ?? []) + (exif["IPTC:Keywords"] as? [Any] ?? [])).map { "\($0)" })
        #expect(!keywords.isEmpty)
        #expect(Set(placed.tags?.map(\.name) ?? []) == keywords)
        #expect(placed.tags?.allSatisfy { $0.source == .embedded && $0.confidence == 1 && !$0.removed } == true)

        let removedKeyword = try #require(keywords.sorted().first)
        let change = try AnnotationChange(addTags: ["sea", " sea "], removeTags: [removedKeyword], addCategories: ["Travel"])
        let (records, changed) = try catalog.annotate([id], with: change, source: Self.source)
        #expect(changed == 1)
        #expect(records[0].categories == ["Travel"])
        // The same change again changes nothing and writes no history.
        #expect(try catalog.annotate(["/shop/harbour.jpg"], with: change, source: Self.source).changed == 0)

        _ = try catalog.refresh(assetID: id, with: Self.processed(sample), source: Self.source)
        let refreshed = try #require(try catalog.record(idOrPath: id))
        let tags = Dictionary(uniqueKeysWithValues: (refreshed.tags ?? []).map { ($0.name, $0) })
        #expect(tags[removedKeyword]?.removed == true)
        #expect(tags[removedKeyword]?.confidence == 0)
        #expect(tags["sea"]?.source == .manual)
        #expect(Set(AssetTag.activeNames(refreshed.tags)) == keywords.subtracting([removedKeyword]).union(["sea"]))
        #expect(refreshed.categories == ["Travel"])
        #expect(try Self.ids(catalog, "tags = \(Self.quoted(removedKeyword))").isEmpty)
        #expect(try Self.ids(catalog, "tags = sea AND categories = Travel") == [id])
        #expect(try Self.ids(catalog, "text HAS travel") == [id])

        let annotated = try catalog.history(idOrPath: id).filter { $0.action == .annotated }
        #expect(annotated.count == 1)
        #expect(annotated.first?.detail == ["tags_added": #"["sea"]"#, "tags_removed": "[\(Self.jsonString(removedKeyword))]",
                                            "categories_added": #"["Travel"]"#])
        #expect(annotated.first?.actor == "test")

        // Adding the removed tag back makes it the user's.
        _ = try catalog.annotate([id], with: try AnnotationChange(addTags: [removedKeyword]), source: Self.source)
        let back = try #require(try catalog.record(idOrPath: id)?.tags?.first { $0.name == removedKeyword })
        #expect(back == AssetTag(name: removedKeyword, source: .manual))
    }

    @Test(arguments: CatalogDriver.all)
    func aChangeNamingAMissingAssetChangesNothing(driver: CatalogDriver) async throws {
        let (catalog, _) = try await driver.makeCatalog("annotate-missing")
        try catalog.database.write { try $0.insertMany([try AssetRow(Self.record(0, tags: [], categories: []))]) }
        let id = Self.id(0)
        #expect(throws: CatalogError.self) {
            try catalog.annotate([id, "/no/such/asset.jpg"], with: try AnnotationChange(addTags: ["x"]), source: Self.source)
        }
        #expect(try catalog.record(idOrPath: id)?.tags == nil)
        #expect(try catalog.history(idOrPath: id).isEmpty)
        #expect(throws: AnnotationError.self) { try AnnotationChange(addTags: [" "]) }
        #expect(throws: AnnotationError.self) { try AnnotationChange(addTags: ["a\u{1b}[31m"]) }
        #expect(throws: AnnotationError.self) { try AnnotationChange(addTags: ["a"], removeTags: ["a"]) }
        #expect(throws: AnnotationError.self) { try AnnotationChange(addCategories: [String(repeating: "x", count: 201)]) }
    }

    /// 60 assets with tags from a small set (every source, some removed)
    /// and categories; renames (one a merge) and deletes in batches of 7,
    /// each checked against the same changes applied to a plain model.
    @Test(arguments: CatalogDriver.all)
    func renameMergeAndDeleteReachEveryAssetAndItsHistory(driver: CatalogDriver) async throws {
        let (catalog, _) = try await driver.makeCatalog("labels")
        var random = SeededRandom(seed: 21)
        var model: [String: (tags: [AssetTag], categories: [String])] = [:]
        var rows: [AssetRow] = []
        for index in 0..<60 {
            let tags = Set((0..<random.below(4)).map { _ in ["beach", "sea", "dog", "cat"][random.below(4)] }).sorted().map { name in
                let source = AssetTag.Source.allCases[random.below(3)]
                return random.chance(0.2) && source != .manual ? AssetTag(name: name, source: source, confidence: 0, removed: true)
                    : AssetTag(name: name, source: source, confidence: source == .ai ? 0.7 : 1)
            }
            let categories = Set((0..<random.below(3)).map { _ in ["Travel", "Pets", "Archive"][random.below(3)] }).sorted()
            model[Self.id(index)] = (tags, categories)
            rows.append(try AssetRow(Self.record(index, tags: tags, categories: categories)))
        }
        try catalog.database.write { try $0.insertMany(rows) }

        func active(_ tags: [AssetTag], _ name: String) -> Bool { tags.contains { $0.name == name && !$0.removed } }
        func expectModel(_ step: String) throws {
            for (id, expected) in model {
                let record = try #require(try catalog.record(idOrPath: id))
                // Exactly: each tag's source, confidence and place, each category's place.
                #expect(record.tags ?? [] == expected.tags, "\(step): tags of \(id)")
                #expect(record.categories ?? [] == expected.categories, "\(step): categories of \(id)")
            }
            var counts: [String: Int] = [:]
            for entry in model.values { for name in Set(AssetTag.activeNames(entry.tags)) { counts[name, default: 0] += 1 } }
            #expect(try catalog.labels(.tags).map { "\($0.name)=\($0.count)" }
                    == counts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map { "\($0.key)=\($0.value)" },
                    "\(step): tag counts")
            for name in ["beach", "sea", "dog", "cat", "shore"] {
                let expected = model.filter { active($0.value.tags, name) }.keys.sorted()
                #expect(try Self.ids(catalog, "tags = \(name)").sorted() == expected, "\(step): tags = \(name)")
                // The words of the keyword search follow a bulk rename too.
                #expect(try Self.ids(catalog, "tags HAS \(name)").sorted() == expected, "\(step): tags HAS \(name)")
                #expect(try Self.ids(catalog, "text HAS \(name)").sorted() == expected, "\(step): text HAS \(name)")
            }
        }

        // beach → shore: a plain rename.
        let hadBeach = model.filter { active($0.value.tags, "beach") }.keys
        #expect(try catalog.rename(.tags, "beach", to: "shore", source: Self.source, batchSize: 7) == hadBeach.count)
        for id in hadBeach { let tags = model[id]?.tags ?? []; model[id]?.tags = Self.renamed(tags, "beach", "shore") }
        try expectModel("beach → shore")
        for id in hadBeach {
            let updated = try #require(try catalog.record(idOrPath: id)?.updatedAt)
            #expect(updated > Date(timeIntervalSince1970: 1_700_001_000), "updated_at of \(id)")
            #expect(try Self.ids(catalog, "updated_at > \"1h\"").contains(id), "updated_at column of \(id)")
            let events = try catalog.history(idOrPath: id).filter { $0.action == .annotated }
            #expect(events.map(\.detail) == [["tags_renamed": #"["beach","shore"]"#]], "history of \(id)")
        }
        // Removed ones stay under the old name: the file or analyzer must not bring them back.
        #expect(try Self.ids(catalog, "tags = beach").isEmpty)

        // cat → dog: a merge where an asset has both.
        let hadCat = model.filter { active($0.value.tags, "cat") }.keys
        #expect(model.contains { active($0.value.tags, "cat") && active($0.value.tags, "dog") })
        #expect(try catalog.rename(.tags, "cat", to: "dog", source: Self.source, batchSize: 7) == hadCat.count)
        for id in hadCat { let tags = model[id]?.tags ?? []; model[id]?.tags = Self.renamed(tags, "cat", "dog") }
        try expectModel("cat → dog")

        // Delete sea: manual tags go, embedded and AI ones stay removed.
        let hadSea = model.filter { active($0.value.tags, "sea") }.keys
        #expect(try catalog.delete(.tags, named: "sea", source: Self.source, batchSize: 7) == hadSea.count)
        for id in hadSea {
            guard let tags = model[id]?.tags, let index = tags.firstIndex(where: { $0.name == "sea" && !$0.removed }) else { continue }
            if tags[index].source == .manual { model[id]?.tags.remove(at: index) } else {
                model[id]?.tags[index].removed = true
                model[id]?.tags[index].confidence = 0
            }
        }
        try expectModel("delete sea")
        for id in hadSea {
            let sea = try catalog.record(idOrPath: id)?.tags?.filter { $0.name == "sea" } ?? []
            #expect(sea.allSatisfy { $0.removed && $0.source != .manual && $0.confidence == 0 }, "sea on \(id)")
        }
        // Running a finished rename again finds nothing to do.
        #expect(try catalog.rename(.tags, "beach", to: "shore", source: Self.source, batchSize: 7) == 0)

        // Categories: Pets → Travel merges; Archive deleted.
        let hadPets = model.filter { $0.value.categories.contains("Pets") }.keys
        #expect(try catalog.rename(.categories, "Pets", to: "Travel", source: Self.source, batchSize: 7) == hadPets.count)
        for id in hadPets {
            // In place, or dropped where the asset has Travel already.
            let categories = model[id]?.categories ?? []
            model[id]?.categories = categories.contains("Travel") ? categories.filter { $0 != "Pets" } : categories.map { $0 == "Pets" ? "Travel" : $0 }
        }
        let hadArchive = model.filter { $0.value.categories.contains("Archive") }.keys
        #expect(try catalog.delete(.categories, named: "Archive", source: Self.source, batchSize: 7) == hadArchive.count)
        for id in hadArchive { model[id]?.categories.removeAll { $0 == "Archive" } }
        try expectModel("categories")
        let travel = model.filter { $0.value.categories.contains("Travel") }.count
        #expect(try catalog.labels(.categories).map { "\($0.name)=\($0.count)" } == (travel > 0 ? ["Travel=\(travel)"] : []))
        #expect(try Self.ids(catalog, "categories IN [Pets, Archive]").isEmpty)

        // A name two assets of 60 hold is found through the label index
        // (a common one is walked in table order): renamed the same way.
        let rare = [Self.id(3), Self.id(41)]
        #expect(try catalog.annotate(rare, with: try AnnotationChange(addTags: ["rare"]), source: Self.source).changed == 2)
        #expect(try catalog.rename(.tags, "rare", to: "seldom", source: Self.source, batchSize: 1) == 2)
        #expect(try Self.ids(catalog, "tags = seldom").sorted() == rare)
        #expect(try Self.ids(catalog, "text HAS seldom").sorted() == rare)
        #expect(try Self.ids(catalog, "tags = rare OR text HAS rare").isEmpty)
        for id in rare {
            #expect(try catalog.record(idOrPath: id)?.tags?.last == AssetTag(name: "seldom", source: .manual), "seldom on \(id)")
        }
    }

    /// The model's rename: the old tag removed (a manual one deleted), the new one there and the user's.
    static func renamed(_ tags: [AssetTag], _ old: String, _ new: String) -> [AssetTag] {
        var tags = tags
        guard let index = tags.firstIndex(where: { $0.name == old && !$0.removed }) else { return tags }
        if tags[index].source == .manual { tags.remove(at: index) } else {
            tags[index].removed = true
            tags[index].confidence = 0
        }
        if let existing = tags.firstIndex(where: { $0.name == new }) {
            if tags[existing].removed { tags[existing] = AssetTag(name: new, source: .manual) }
        } else {
            tags.append(AssetTag(name: new, source: .manual))
        }
        return tags
    }

    static func id(_ index: Int) -> String { String(format: "a0000000-0000-4000-8000-%012x", index) }

    static func record(_ index: Int, tags: [AssetTag], categories: [String]) throws -> AssetRecord {
        var record = AssetRecord(path: "/labels/\(index).jpg", name: "\(index).jpg")
        record.id = id(index)
        record.status = .processed
        record.kind = .image
        record.version = 1
        record.attempts = 1
        record.tags = tags.isEmpty ? nil : tags
        record.categories = categories.isEmpty ? nil : categories
        record.createdAt = Date(timeIntervalSince1970: 1_700_000_000 + Double(index))
        record.updatedAt = record.createdAt
        return record
    }

    static func quoted(_ text: String) -> String { "\"" + text.replacingOccurrences(of: "\"", with: "\\\"") + "\"" }
    static func jsonString(_ text: String) -> String {
        String(decoding: (try? JSONEncoder().encode(text)) ?? Data(), as: UTF8.self)
    }
}
