import AssetCatalog
import AssetPipeline
import AssetServer
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import TestSupport
import Testing

/// Tags and categories over HTTP: writes need the token; what a PATCH,
/// an annotate, a rename and a delete answer is what the catalog then
/// holds (read back through the catalog, not the response).
@Suite struct AnnotationAPITests {
    static let token: HTTPFields = [.contentType: "application/json", .authorization: "Bearer s3cret-token"]

    static func json(_ body: ByteBuffer) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any])
    }

    @Test func tagsAndCategoriesThroughEveryRoute() async throws {
        let fixture = try ServerTests.Fixture()
        let photo = try #require(fixture.ids["photo"]), video = try #require(fixture.ids["video"])
        try await fixture.application { $0.tokens = APITokens(["s3cret-token"]) }.test(.router) { client in
            let patch = ByteBuffer(string: #"{"add_tags": ["beach", "sea"], "add_categories": ["Travel"]}"#)
            // Without the token: refused, and nothing changes.
            try await client.execute(uri: "/v1/assets/\(photo)", method: .patch, headers: [.contentType: "application/json"],
                                     body: patch) { response async throws in
                #expect(response.status == .unauthorized)
            }
            #expect(try fixture.catalog.record(idOrPath: photo)?.categories == nil)

            try await client.execute(uri: "/v1/assets/\(photo)", method: .patch, headers: Self.token, body: patch) { response async throws in
                #expect(response.status == .ok)
                #expect(try Self.json(response.body)["categories"] as? [String] == ["Travel"])
            }
            let stored = try #require(try fixture.catalog.record(idOrPath: photo))
            #expect(AssetTag.activeNames(stored.tags) == ["beach", "sea"])
            #expect(try fixture.catalog.history(idOrPath: photo).last?.actor == "api")

            // A bad name, and an unknown asset.
            try await client.execute(uri: "/v1/assets/\(photo)", method: .patch, headers: Self.token,
                                     body: ByteBuffer(string: #"{"add_tags": [""]}"#)) { response async throws in
                #expect(response.status == .badRequest)
            }
            try await client.execute(uri: "/v1/assets/no-such-id", method: .patch, headers: Self.token, body: patch) { response async throws in
                #expect(response.status == .notFound)
            }

            // By query: a dry run counts, the run changes.
            let query = ByteBuffer(string: #"{"q": "kind = video", "add_tags": ["beach"], "dry_run": true}"#)
            try await client.execute(uri: "/v1/assets/annotate", method: .post, headers: Self.token, body: query) { response async throws in
                #expect(response.status == .ok)
                #expect(try Self.json(response.body)["matched"] as? Int == 1)
            }
            #expect(try fixture.catalog.record(idOrPath: video)?.tags == nil)
            let run = ByteBuffer(string: #"{"q": "kind = video", "add_tags": ["beach"]}"#)
            try await client.execute(uri: "/v1/assets/annotate", method: .post, headers: Self.token, body: run) { response async throws in
                #expect(try Self.json(response.body)["changed"] as? Int == 1)
            }
            try await client.execute(uri: "/v1/assets/annotate", method: .post, headers: Self.token,
                                     body: ByteBuffer(string: #"{"q": "width >> 3", "add_tags": ["x"]}"#)) { response async throws in
                #expect(response.status == .badRequest)
                let error = try #require(try Self.json(response.body)["error"] as? [String: Any])
                #expect(error["code"] as? String == "bad_query")
                #expect(error["position"] as? Int == 7)
            }

            try await client.execute(uri: "/v1/tags", method: .get) { response async throws in
                let tags = try #require(try Self.json(response.body)["tags"] as? [[String: Any]])
                #expect(tags.map { "\($0["name"] ?? "")=\($0["count"] ?? "")" } == ["beach=2", "sea=1"])
            }
            // A name in the path is percent-decoded.
            try await client.execute(uri: "/v1/assets/\(video)", method: .patch, headers: Self.token,
                                     body: ByteBuffer(string: #"{"add_tags": ["Summer 2024"]}"#)) { response async throws in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: "/v1/tags/Summer%202024", method: .delete, headers: Self.token) { response async throws in
                #expect(try Self.json(response.body)["changed"] as? Int == 1)
            }
            // Rename onto an existing tag merges; delete removes.
            try await client.execute(uri: "/v1/tags/sea", method: .patch, headers: Self.token,
                                     body: ByteBuffer(string: #"{"name": "beach"}"#)) { response async throws in
                #expect(try Self.json(response.body)["changed"] as? Int == 1)
            }
            #expect(AssetTag.activeNames(try fixture.catalog.record(idOrPath: photo)?.tags) == ["beach"])
            try await client.execute(uri: "/v1/categories/Travel", method: .delete, headers: Self.token) { response async throws in
                #expect(response.status == .ok)
                #expect(try Self.json(response.body)["changed"] as? Int == 1)
            }
            #expect(try fixture.catalog.record(idOrPath: photo)?.categories == nil)
            try await client.execute(uri: "/v1/tags/beach", method: .delete) { response async throws in
                #expect(response.status == .unauthorized)
            }
            try await client.execute(uri: "/v1/assets?q=tags%20%3D%20beach", method: .get) { response async throws in
                let assets = try #require(try Self.json(response.body)["assets"] as? [[String: Any]])
                #expect(Set(assets.compactMap { $0["id"] as? String }) == [photo, video])
            }
        }
    }

    @Test func customFieldsThroughEveryRoute() async throws {
        let fixture = try ServerTests.Fixture()
        let photo = try #require(fixture.ids["photo"]), video = try #require(fixture.ids["video"])
        try await fixture.application { $0.tokens = APITokens(["s3cret-token"]) }.test(.router) { client in
            let define = ByteBuffer(string: #"{"key": "rating", "type": "number", "min": 1, "max": 5}"#)
            try await client.execute(uri: "/v1/fields", method: .post, headers: [.contentType: "application/json"], body: define) { response async throws in
                #expect(response.status == .unauthorized)
            }
            try await client.execute(uri: "/v1/fields", method: .post, headers: Self.token, body: define) { response async throws in
                #expect(response.status == .created)
            }
            #expect(try fixture.catalog.customFields().map(\.key) == ["rating"])
            try await client.execute(uri: "/v1/fields", method: .post, headers: Self.token,
                                     body: ByteBuffer(string: #"{"key": "9lives", "type": "number"}"#)) { response async throws in
                #expect(response.status == .badRequest)
            }

            // A value the definition refuses: 400, nothing changed; a valid one lands.
            try await client.execute(uri: "/v1/assets/\(photo)", method: .patch, headers: Self.token,
                                     body: ByteBuffer(string: #"{"set_fields": {"rating": 7}, "add_tags": ["x"]}"#)) { response async throws in
                #expect(response.status == .badRequest)
                let error = try #require(try Self.json(response.body)["error"] as? [String: Any])
                #expect((error["message"] as? String)?.contains("custom.rating is at most 5") == true, "\(error)")
            }
            #expect(try fixture.catalog.record(idOrPath: photo)?.tags == nil)
            for (id, rating) in [(photo, 4), (video, 2)] {
                try await client.execute(uri: "/v1/assets/\(id)", method: .patch, headers: Self.token,
                                         body: ByteBuffer(string: #"{"set_fields": {"rating": \#(rating)}}"#)) { response async throws in
                    #expect(response.status == .ok)
                }
            }
            #expect(try fixture.catalog.record(idOrPath: photo)?.custom == ["rating": .number(4)])
            try await client.execute(uri: "/v1/assets?q=custom.rating%20%3E%3D%203", method: .get) { response async throws in
                let assets = try #require(try Self.json(response.body)["assets"] as? [[String: Any]])
                #expect(assets.compactMap { $0["id"] as? String } == [photo])
            }

            // A narrower maximum: refused while a value breaks it, then applied clearing it.
            try await client.execute(uri: "/v1/fields/rating", method: .patch, headers: Self.token,
                                     body: ByteBuffer(string: #"{"max": 3}"#)) { response async throws in
                #expect(response.status == .badRequest)
            }
            try await client.execute(uri: "/v1/fields/rating", method: .patch, headers: Self.token,
                                     body: ByteBuffer(string: #"{"max": 3, "clear_invalid": true}"#)) { response async throws in
                #expect(response.status == .ok)
                #expect(try Self.json(response.body)["changed"] as? Int == 1)
            }
            #expect(try fixture.catalog.record(idOrPath: photo)?.custom == nil)
            try await client.execute(uri: "/v1/fields/rating", method: .patch, headers: Self.token,
                                     body: ByteBuffer(string: #"{"key": "score"}"#)) { response async throws in
                #expect(response.status == .ok)
            }
            #expect(try fixture.catalog.record(idOrPath: video)?.custom == ["score": .number(2)])
            try await client.execute(uri: "/v1/fields/score", method: .delete, headers: Self.token) { response async throws in
                #expect(try Self.json(response.body)["changed"] as? Int == 1)
            }
            try await client.execute(uri: "/v1/fields", method: .get) { response async throws in
                #expect((try Self.json(response.body)["fields"] as? [Any])?.isEmpty == true)
            }
            #expect(try fixture.catalog.record(idOrPath: video)?.custom == nil)
        }
    }

    @Test func collectionsThroughEveryRoute() async throws {
        let fixture = try ServerTests.Fixture()
        let photo = try #require(fixture.ids["photo"]), video = try #require(fixture.ids["video"])
        try await fixture.application { $0.tokens = APITokens(["s3cret-token"]) }.test(.router) { client in
            for body in [#"{"name": "Picks"}"#, #"{"name": "Videos", "query": "kind = video OR collection = Picks"}"#] {
                try await client.execute(uri: "/v1/collections", method: .post, headers: Self.token, body: ByteBuffer(string: body)) { response async throws in
                    #expect(response.status == .created)
                }
            }
            try await client.execute(uri: "/v1/collections", method: .post, headers: Self.token,
                                     body: ByteBuffer(string: #"{"name": "Bad", "query": "width >> 3"}"#)) { response async throws in
                #expect(response.status == .badRequest)
            }
            try await client.execute(uri: "/v1/collections/Picks", method: .patch, headers: Self.token,
                                     body: ByteBuffer(string: #"{"add": ["\#(photo)"]}"#)) { response async throws in
                #expect(try Self.json(response.body)["count"] as? Int == 1)
            }
            #expect(try fixture.catalog.record(idOrPath: photo)?.collections == ["Picks"])
            try await client.execute(uri: "/v1/collections/Videos", method: .patch, headers: Self.token,
                                     body: ByteBuffer(string: #"{"add": ["\#(photo)"]}"#)) { response async throws in
                #expect(response.status == .badRequest)
            }
            try await client.execute(uri: "/v1/collections/Videos", method: .get) { response async throws in
                let page = try Self.json(response.body)
                #expect(Set((page["assets"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }) == [photo, video])
                #expect(page["count"] as? Int == 2)
            }
            try await client.execute(uri: "/v1/collections", method: .get) { response async throws in
                let list = try #require(try Self.json(response.body)["collections"] as? [[String: Any]])
                #expect(list.map { "\($0["name"] ?? "")=\($0["count"] ?? "")" } == ["Picks=1", "Videos=2"])
            }
            try await client.execute(uri: "/v1/collections/Picks", method: .delete, headers: Self.token) { response async throws in
                #expect(try Self.json(response.body)["changed"] as? Int == 1)
            }
            #expect(try fixture.catalog.record(idOrPath: photo)?.collections == nil)
            try await client.execute(uri: "/v1/collections/Picks", method: .get) { response async throws in
                #expect(response.status == .notFound)
            }
        }
    }

    @Test func hiddenThroughPatchAndQuery() async throws {
        let fixture = try ServerTests.Fixture()
        let photo = try #require(fixture.ids["photo"])
        try await fixture.application { $0.tokens = APITokens(["s3cret-token"]) }.test(.router) { client in
            // Hidden by a user: the record says so and a query finds it.
            try await client.execute(uri: "/v1/assets/\(photo)", method: .patch, headers: Self.token,
                                     body: ByteBuffer(string: #"{"hidden": true}"#)) { response async throws in
                #expect(response.status == .ok)
                let record = try Self.json(response.body)
                #expect(record["hidden"] as? Bool == true)
                #expect(record["hidden_by"] as? String == "user")
                #expect(record["display"] as? String == "pixelated")
            }
            let stored = try #require(try fixture.catalog.record(idOrPath: photo))
            #expect(stored.hidden == true && stored.hiddenBy == .user)
            try await client.execute(uri: "/v1/assets?q=hidden%20%3D%20true", method: .get) { response async throws in
                let page = try Self.json(response.body)
                #expect((page["assets"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String } == [photo])
            }
            // Back to the rule, which hides nothing in these photos.
            try await client.execute(uri: "/v1/assets/\(photo)", method: .patch, headers: Self.token,
                                     body: ByteBuffer(string: #"{"hidden": "rule"}"#)) { response async throws in
                let record = try Self.json(response.body)
                #expect(record["hidden"] as? Bool == false)
                #expect(record["hidden_by"] as? String == "rule")
            }
            // A value that is none of true, false, "rule": 400, nothing changed.
            try await client.execute(uri: "/v1/assets/\(photo)", method: .patch, headers: Self.token,
                                     body: ByteBuffer(string: #"{"hidden": "maybe"}"#)) { response async throws in
                #expect(response.status == .badRequest)
            }
            #expect(try fixture.catalog.record(idOrPath: photo)?.hiddenBy == .rule)
            let events = try fixture.catalog.history(idOrPath: photo).filter { $0.action == .annotated }
            // Each change says the state it left and who decided it.
            #expect(events.compactMap { $0.detail["hidden"] } == ["true", "false"])
            #expect(events.compactMap { $0.detail["hidden_by"] } == ["user", "rule"])
        }
    }
}
