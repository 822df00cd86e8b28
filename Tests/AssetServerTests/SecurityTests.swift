import AssetCatalog
import AssetEdits
import AssetQueue
import AssetServer
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The server's defaults against a hostile client: each case was once
/// observed to crash, stall or trespass, and must now get a safe answer.
@Suite struct SecurityTests {
    typealias Fixture = ServerTests.Fixture
    static let json: HTTPFields = [.contentType: "application/json"]
    static let token: HTTPFields = [.contentType: "application/json", .authorization: "Bearer s3cret-token"]

    private func error(_ body: ByteBuffer) throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any]
        return try #require(object?["error"] as? [String: Any])
    }

    @Test(arguments: ["bg=%EF%BC%90%EF%BC%90%EF%BC%90", "txt=x&txt-color=%EF%BC%90%EF%BC%90%EF%BC%90", "rect=9223372036854775807,0,1,1"])
    func renderQueriesThatOnceTrappedAre400(query: String) async throws {
        let fixture = try Fixture()
        let photo = try #require(fixture.ids["photo"])
        try await fixture.application().test(.router) { client in
            try await client.execute(uri: "/v1/assets/\(photo)/render?\(query)", method: .get) { response async throws in
                #expect(response.status == .badRequest)
            }
        }
    }

    @Test func aFullwidthSignatureIs403() async throws {
        let fixture = try Fixture()
        let photo = try #require(fixture.ids["photo"])
        let zeros = String(repeating: "%EF%BC%90", count: 64)
        try await fixture.application { $0.signer = URLSigner(keys: ["k"]) }.test(.router) { client in
            try await client.execute(uri: "/v1/assets/\(photo)/render?w=10&s=\(zeros)", method: .get) { response async throws in
                #expect(response.status == .forbidden)
            }
        }
    }

    @Test func writesNeedATokenOrInsecure() async throws {
        let fixture = try Fixture()
        let photo = try #require(fixture.ids["photo"])
        let body = ByteBuffer(string: #"{"kind": "delete", "asset_id": "\#(photo)"}"#)
        try await fixture.application().test(.router) { client in
            try await client.execute(uri: "/v1/jobs", method: .post, headers: Self.json, body: body) { response async throws in
                #expect(try response.status == .forbidden && (try error(response.body))["code"] as? String == "writes_disabled")
            }
        }
        try await fixture.application { $0.tokens = APITokens(["s3cret-token"]) }.test(.router) { client in
            for wrong in ["Bearer s3cret-toke", "Bearer s3cret-token2", "Basic s3cret-token", "s3cret-token"] {
                try await client.execute(uri: "/v1/jobs", method: .post, headers: [.contentType: "application/json", .authorization: wrong],
                                         body: body) { response async throws in
                    #expect(response.status == .unauthorized, "\(wrong)")
                }
            }
            try await client.execute(uri: "/v1/jobs", method: .post, headers: Self.token, body: body) { response async throws in
                #expect(response.status == .accepted)
            }
        }
        #expect(try await fixture.queue.list(state: .queued, limit: 10).count == 1)
    }

    @Test func jsonRoutesTakeJSONOnlyAndNoForeignOrigin() async throws {
        let fixture = try Fixture()
        let photo = try #require(fixture.ids["photo"])
        let body = ByteBuffer(string: #"{"kind": "refresh", "asset_id": "\#(photo)"}"#)
        try await fixture.application { $0.tokens = APITokens(["s3cret-token"]) }.test(.router) { client in
            var plain = Self.token
            plain[.contentType] = "text/plain"
            try await client.execute(uri: "/v1/jobs", method: .post, headers: plain, body: body) { response async throws in
                #expect(response.status == .unsupportedMediaType)
            }
            var foreign = Self.token
            foreign[.origin] = "https://evil.example"
            try await client.execute(uri: "/v1/jobs", method: .post, headers: foreign, body: body) { response async throws in
                #expect(try response.status == .forbidden && (try error(response.body))["code"] as? String == "cross_origin")
            }
        }
    }

    @Test func originsOnlyUnderTheRootsAndOnlyRegularFiles() async throws {
        let fixture = try Fixture()
        let root = try Package.temporaryDirectory("origin-root")
        let photo = root + "/cat.jpg"
        try FileManager.default.copyItem(atPath: Package.sample("photos/camera-gps-north.jpg"), toPath: photo)
        try FileManager.default.createSymbolicLink(atPath: root + "/shadow", withDestinationPath: "/etc/shadow")
        #expect(mkfifo(root + "/fifo", 0o600) == 0)
        @Sendable func post(_ origin: String) -> ByteBuffer { ByteBuffer(string: #"{"kind": "process", "origin": "\#(origin)"}"#) }

        try await fixture.application { $0.tokens = APITokens(["s3cret-token"]) }.test(.router) { client in
            try await client.execute(uri: "/v1/jobs", method: .post, headers: Self.token, body: post(photo)) { response async throws in
                #expect(try response.status == .forbidden && (try error(response.body))["code"] as? String == "origins_disabled")
            }
        }
        let roots = try OriginRoots([root])
        try await fixture.application { $0.tokens = APITokens(["s3cret-token"]); $0.originRoots = roots }.test(.router) { client in
            for outside in ["/etc/shadow", root + "/shadow", root + "/../server-x/../../etc/passwd", root + "/../missing.jpg",
                            "/etc/missing.jpg"] {
                try await client.execute(uri: "/v1/jobs", method: .post, headers: Self.token, body: post(outside)) { response async throws in
                    #expect(try response.status == .forbidden && (try error(response.body))["code"] as? String == "origin_not_allowed", "\(outside)")
                }
            }
            // A missing file spelled inside a root is said to be missing, at once, without a server path.
            try await client.execute(uri: "/v1/jobs", method: .post, headers: Self.token, body: post(root + "/day1/missing.jpg")) { response async throws in
                #expect(try response.status == .unprocessableContent && (try error(response.body))["code"] as? String == "origin_not_found")
                let message = try error(response.body)["message"] as? String ?? ""
                #expect(message.contains("day1/missing.jpg") && !message.contains(root), "\(message)")
            }
            try await client.execute(uri: "/v1/jobs", method: .post, headers: Self.token, body: post(root + "/fifo")) { response async throws in
                #expect(try response.status == .unprocessableContent && (try error(response.body))["code"] as? String == "not_regular_file")
                #expect(!(try error(response.body)["message"] as? String ?? "").contains(root), "a server path in the error")
            }
            try await client.execute(uri: "/v1/jobs", method: .post, headers: Self.token, body: post(photo)) { response async throws in
                #expect(response.status == .accepted)
                let job = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
                // The client sees the origin relative to its root, never the server's layout.
                #expect((job?["payload"] as? [String: Any])?["origin"] as? String == "cat.jpg")
            }
        }
        let queued = try await fixture.queue.list(state: .queued, limit: 10)
        #expect(queued.map(\.payload.origin) == [OriginRootsTestSupport.realPath(photo)])
    }

    @Test func withSigningOnRecordsRenditionsAndJobsNeedASignatureOrTheToken() async throws {
        let fixture = try Fixture()
        let photo = try #require(fixture.ids["photo"])
        let signer = try #require(URLSigner(keys: ["key"]))
        let job = try await fixture.queue.enqueue([.refresh(assetID: photo)])[0].id
        let paths = ["/v1/assets/\(photo)", "/v1/assets/\(photo)/renditions/preview", "/v1/jobs/\(job)"]
        try await fixture.application { $0.signer = signer; $0.tokens = APITokens(["s3cret-token"]) }.test(.router) { client in
            for path in paths {
                try await client.execute(uri: path, method: .get) { response async throws in
                    #expect(response.status == .forbidden, "\(path) without a signature")
                }
                try await client.execute(uri: path, method: .get, headers: [.authorization: "Bearer s3cret-token"]) { response async throws in
                    #expect(response.status == .ok, "\(path) with the token")
                }
                let signature = signer.signature(path: path, canonicalQuery: "")
                try await client.execute(uri: path + "?s=" + signature, method: .get) { response async throws in
                    #expect(response.status == .ok, "\(path) signed")
                }
            }
            let byPath = "/v1/assets", query = [(name: "path", value: "/test/photo")]
            let signature = signer.signature(path: byPath, canonicalQuery: URLSigner.canonicalQuery(of: query))
            try await client.execute(uri: byPath + "?path=%2Ftest%2Fphoto&s=" + signature, method: .get) { response async throws in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: byPath + "?path=%2Ftest%2Frotated&s=" + signature, method: .get) { response async throws in
                #expect(response.status == .forbidden, "a signature for one path opened another")
            }
        }
    }

    @Test func aPathWithANulIsRefused() async throws {
        let fixture = try Fixture()
        try await fixture.application().test(.router) { client in
            try await client.execute(uri: "/v1/assets?path=%2Ftest%2Fphoto%00junk", method: .get) { response async throws in
                #expect(response.status == .badRequest)
            }
        }
    }

    @Test func expensiveRendersAre422AtOnce() async throws {
        let fixture = try Fixture()
        let photo = try #require(fixture.ids["photo"])
        let words = Array(repeating: "word", count: 30).joined(separator: "%20")
        try await fixture.application().test(.router) { client in
            for query in ["blur=100&dpr=2&w=2000&h=2000&fit=fill", "txt=\(words)&txt-size=512&dpr=4"] {
                // too_costly comes only from the estimate, made before a render starts
                // (scripts/attack-serve times it against a running server).
                try await client.execute(uri: "/v1/assets/\(photo)/render?\(query)", method: .get) { response async throws in
                    #expect(try response.status == .unprocessableContent && (try error(response.body))["code"] as? String == "too_costly")
                }
            }
        }
    }

    @Test func errorBodiesShowNoServerPaths() async throws {
        let fixture = try Fixture()
        try await fixture.application().test(.router) { client in
            // The text asset: not renderable, and its origin is a path under samples/.
            try await client.execute(uri: "/v1/assets/\(fixture.ids["text"] ?? "")/render?w=10", method: .get) { response async throws in
                let message = try error(response.body)["message"] as? String ?? ""
                #expect(!message.contains(Package.sample("")), "\(message)")
            }
        }
    }

    @Test func boundsOnPriorityAndAttempts() async throws {
        let fixture = try Fixture()
        let photo = try #require(fixture.ids["photo"])
        try await fixture.application { $0.tokens = APITokens(["s3cret-token"]) }.test(.router) { client in
            for extra in [#""max_attempts": 9223372036854775807"#, #""max_attempts": 0"#, #""priority": 9223372036854775807"#] {
                let body = ByteBuffer(string: #"{"kind": "refresh", "asset_id": "\#(photo)", \#(extra)}"#)
                try await client.execute(uri: "/v1/jobs", method: .post, headers: Self.token, body: body) { response async throws in
                    #expect(response.status == .badRequest, "\(extra)")
                }
            }
        }
        await #expect(throws: QueueError.self) {
            _ = try await fixture.queue.enqueue([.refresh(assetID: photo, maxAttempts: Int.max)])
        }
    }
}

enum OriginRootsTestSupport {
    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
