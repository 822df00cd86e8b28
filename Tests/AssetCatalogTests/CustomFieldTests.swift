import AssetCatalog
import AssetMedia
import AssetPipeline
import AssetQuery
import Foundation
import TestSupport
import Testing

/// Custom fields on every driver: values checked against their definition
/// (a refusal changes nothing), definitions changed, renamed, merged and
/// deleted across every asset and its history, against a plain model of
/// what each asset should hold.
@Suite struct CustomFieldTests {
    static let source = ChangeSource(actor: "test")

    static func id(_ index: Int) -> String { String(format: "c0000000-0000-4000-8000-%012x", index) }

    static func catalog(_ driver: CatalogDriver, assets: Int) async throws -> Catalog {
        let (catalog, _) = try await driver.makeCatalog("custom")
        let rows = try (0..<assets).map { index -> AssetRow in
            var record = AssetRecord(path: "/custom/\(index).jpg", name: "\(index).jpg")
            record.id = id(index)
            record.status = .processed
            record.version = 1
            record.attempts = 1
            record.createdAt = Date(timeIntervalSince1970: 1_700_000_000 + Double(index))
            record.updatedAt = record.createdAt
            return try AssetRow(record)
        }
        try catalog.database.write { try $0.insertMany(rows) }
        return catalog
    }

    static func ids(_ catalog: Catalog, _ query: String) throws -> Set<String> {
        Set(try catalog.matchingIDs(try FindRequest(q: query, customFields: try catalog.customFieldShapes())))
    }

    @Test(arguments: CatalogDriver.all)
    func valuesAreCheckedAgainstTheirDefinitionAndARefusalChangesNothing(driver: CatalogDriver) async throws {
        let catalog = try await Self.catalog(driver, assets: 3)
        _ = try catalog.defineField(try CustomFieldDefinition(key: "rating", type: .number, minimum: .number(1), maximum: .number(5)),
                                    source: Self.source)
        _ = try catalog.defineField(try CustomFieldDefinition(key: "shot", type: .date, minimum: .string("2000-01-01")), source: Self.source)
        _ = try catalog.defineField(try CustomFieldDefinition(key: "colours", type: .multiSelect, options: ["red", "blue"]), source: Self.source)
        _ = try catalog.defineField(try CustomFieldDefinition(key: "note", type: .text, maximumLength: 10), source: Self.source)
        let ok = try AnnotationChange(setFields: ["rating": .text("4"), "shot": .text("2024-05-01"), "colours": .value(.strings(["red", "red", "blue"])),
                                                  "note": .text("fine")])
        _ = try catalog.annotate([Self.id(0)], with: ok, source: Self.source)
        let stored = try #require(try catalog.record(idOrPath: Self.id(0))?.custom)
        #expect(stored == ["rating": .number(4), "shot": .string("2024-05-01T00:00:00.000Z"), "colours": .strings(["red", "blue"]),
                           "note": .string("fine")])

        for (key, value, rule) in [("rating", CustomFieldInput.text("9"), "at most 5"), ("shot", .text("1999-12-31"), "2000-01-01T00:00:00.000Z or later"),
                                   ("shot", .text("last tuesday"), "is a date"), ("colours", .value(.strings(["green"])), "holds only"),
                                   ("note", .text("far too long a note"), "at most 10 characters"), ("rating", .value(.string("4")), "is a number"),
                                   ("nope", .text("1"), "no custom field")] {
            let change = try AnnotationChange(addTags: ["not-added"], setFields: [key: value])
            do {
                _ = try catalog.annotate([Self.id(1)], with: change, source: Self.source)
                Issue.record("custom.\(key) = \(value) was accepted")
            } catch {
                #expect(error.refused, "\(error)")
                #expect(error.reason.contains(rule), "\(error.reason)")
            }
        }
        let untouched = try #require(try catalog.record(idOrPath: Self.id(1)))
        #expect(untouched.custom == nil && untouched.tags == nil)
        #expect(try catalog.history(idOrPath: Self.id(1)).isEmpty)
        #expect(try Self.ids(catalog, "custom.rating >= 4 AND custom.colours = \"blue\" AND custom.shot > \"2020-01-01\"") == [Self.id(0)])
        #expect(try Self.ids(catalog, "custom.rating != 4") == [Self.id(1), Self.id(2)])
        #expect(try Self.ids(catalog, "text HAS fine") == [Self.id(0)])
    }

    @Test(arguments: CatalogDriver.all)
    func definitionsChangeRenameMergeAndDeleteAcrossEveryAsset(driver: CatalogDriver) async throws {
        let total = 40
        let catalog = try await Self.catalog(driver, assets: total)
        // A required select with a default fills every asset.
        let status = try CustomFieldDefinition(key: "status", type: .singleSelect, options: ["draft", "approved"], required: true,
                                               defaultValue: .string("draft"))
        #expect(try catalog.defineField(status, source: Self.source, batchSize: 7) == total)
        #expect(try Self.ids(catalog, "custom.status = \"draft\"").count == total)
        // A required field without a default is refused while assets lack it.
        #expect(throws: CatalogError.self) {
            try catalog.defineField(try CustomFieldDefinition(key: "owner", type: .text, required: true), source: Self.source)
        }
        #expect(try catalog.customFields().map(\.key) == ["status"])
        #expect(throws: CatalogError.self) {
            try catalog.annotate([Self.id(0)], with: try AnnotationChange(unsetFields: ["status"]), source: Self.source)
        }

        _ = try catalog.defineField(try CustomFieldDefinition(key: "score", type: .number), source: Self.source)
        _ = try catalog.defineField(try CustomFieldDefinition(key: "rating", type: .number), source: Self.source)
        var model: [String: [String: Double]] = [:]
        for index in 0..<total {
            var values: [String: Double] = [:]
            if index % 2 == 0 { values["score"] = Double(index % 9) }
            if index % 3 == 0 { values["rating"] = Double(index % 4) }
            model[Self.id(index)] = values
            _ = try catalog.annotate([Self.id(index)], with: try AnnotationChange(setFields: values.mapValues { .value(.number($0)) }),
                                     source: Self.source)
        }
        func expectModel(_ step: String, keys: [String]) throws {
            for key in keys {
                for threshold in [0.0, 3, 6] {
                    let expected = Set(model.filter { ($0.value[key] ?? -1) >= threshold }.keys)
                    #expect(try Self.ids(catalog, "custom.\(key) >= \(threshold)") == expected, "\(step): custom.\(key) >= \(threshold)")
                }
            }
        }
        try expectModel("set", keys: ["score", "rating"])

        // A narrower definition: refused with the count, then applied with clear_invalid.
        let narrow = try CustomFieldDefinition(key: "score", type: .number, maximum: .number(5))
        let broken = model.values.filter { ($0["score"] ?? 0) > 5 }.count
        do {
            _ = try catalog.changeField(narrow, clearInvalid: false, source: Self.source)
            Issue.record("a change that breaks \(broken) values was accepted")
        } catch {
            #expect(error.reason.hasPrefix("\(broken) assets have values"), "\(error.reason)")
        }
        try expectModel("refused change", keys: ["score"])
        #expect(try catalog.changeField(narrow, clearInvalid: true, source: Self.source, batchSize: 7) == .init(cleared: broken, filled: 0))
        for id in model.keys where (model[id]?["score"] ?? 0) > 5 { model[id]?["score"] = nil }
        try expectModel("cleared", keys: ["score"])

        // rating merged into score: an asset with both keeps its score.
        let hadRating = model.filter { $0.value["rating"] != nil }.count
        #expect(try catalog.renameField("rating", to: "score", clearInvalid: false, source: Self.source, batchSize: 7) == hadRating)
        for id in model.keys {
            if let rating = model[id]?["rating"] {
                model[id]?["rating"] = nil
                if model[id]?["score"] == nil { model[id]?["score"] = rating }
            }
        }
        try expectModel("merged", keys: ["score"])
        #expect(try catalog.customFields().map(\.key) == ["score", "status"])
        let renamed = try catalog.history(idOrPath: Self.id(0)).filter { $0.detail["custom_renamed"] != nil }
        #expect(renamed.map(\.detail) == [["custom_renamed": #"["rating","score"]"#]])

        // A plain rename, then a delete.
        #expect(try catalog.renameField("score", to: "points", clearInvalid: false, source: Self.source, batchSize: 7)
                == model.values.filter { $0["score"] != nil }.count)
        for id in model.keys { model[id] = model[id].map { values in values["score"].map { ["points": $0] } ?? [:] } }
        try expectModel("renamed", keys: ["points"])
        #expect(try catalog.deleteField("points", source: Self.source, batchSize: 7) == model.values.filter { !$0.isEmpty }.count)
        #expect(try catalog.customFields().map(\.key) == ["status"])
        for index in 0..<total {
            #expect(try catalog.record(idOrPath: Self.id(index))?.custom == ["status": .string("draft")], "asset \(index)")
        }
    }

    @Test(arguments: CatalogDriver.all)
    func aNewAssetGetsTheDefaultsAndProcessingKeepsTheValues(driver: CatalogDriver) async throws {
        let (catalog, _) = try await driver.makeCatalog("custom-defaults")
        _ = try catalog.defineField(try CustomFieldDefinition(key: "license", type: .text, defaultValue: .string("all rights reserved")),
                                    source: Self.source)
        let sample = Package.sample("photos/camera-gps-north.jpg")
        let processed = Runner(definition: .default).process(SourceFile(path: sample))
        guard case .applied(let placed, _) = try catalog.place(processed, at: "/a.jpg", origin: sample, onConflict: .reject, source: Self.source),
              let id = placed.id else { throw TestFailure("not placed") }
        #expect(placed.custom == ["license": .string("all rights reserved")])
        _ = try catalog.annotate([id], with: try AnnotationChange(setFields: ["license": .text("CC BY 4.0")]), source: Self.source)
        _ = try catalog.refresh(assetID: id, with: processed, source: Self.source)
        #expect(try catalog.record(idOrPath: id)?.custom == ["license": .string("CC BY 4.0")])
    }
}
