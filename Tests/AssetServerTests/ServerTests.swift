import AssetCatalog
import AssetEdits
import AssetMedia
import AssetPipeline
import AssetQueue
import AssetServer
import AssetWorker
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Metrics
import Prometheus
import TestSupport
import Testing

/// The HTTP API through Hummingbird's test client: statuses and headers as
/// documented, bodies decoded by vipsheader and exiftool.
@Suite struct ServerTests {
    /// A catalog with a photo (GPS), a rotated photo, a video and a text file.
    struct Fixture {
        let data: String
        let catalog: Catalog
        let queue: SQLiteJobQueue
        var ids: [String: String] = [:]

        init() throws {
            data = try Package.temporaryDirectory("server")
            catalog = try Catalog(dataDirectory: data, migrations: SQLiteJobQueue.migrations)
            queue = try SQLiteJobQueue(catalog: catalog)
            let runner = Runner(definition: .default)
            for (name, sample) in [("photo", "photos/camera-gps-north.jpg"), ("rotated", "orientation/orientation-6.jpg"),
                                   ("video", "video/clip-2s.mp4"), ("text", "other/notes.txt")] {
                let origin = Package.sample(sample)
                let change = try catalog.place(runner.process(SourceFile(path: origin)), at: "/test/" + name, origin: origin,
                                               onConflict: .reject, source: ChangeSource(actor: "test"))
                guard case .applied(let record, _) = change, let id = record.id else { throw TestFailure("could not store \(sample)") }
                ids[name] = id
            }
        }

        func application(_ configure: (inout ServerSettings) -> Void = { _ in }) throws -> some ApplicationProtocol {
            var settings = ServerSettings(cacheDirectory: try Package.temporaryDirectory("server-cache"))
            configure(&settings)
            let api = try AssetAPI(catalog: catalog, queue: queue, settings: settings)
            return Application(router: api.makeRouter(metrics: PrometheusCollectorRegistry()))
        }
    }

    /// Writes a response body to a file for the oracles.
    private func saved(_ body: ByteBuffer, as name: String) throws -> String {
        let path = try Package.temporaryDirectory("server-out") + "/" + name
        try Data(buffer: body).write(to: URL(fileURLWithPath: path))
        return path
    }

    private func json(_ body: ByteBuffer) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any])
    }

    /// The `error` object of an error response.
    private func error(_ body: ByteBuffer) throws -> [String: Any] {
        try #require(try json(body)["error"] as? [String: Any])
    }

    // MARK: - Render

    @Test func renderReturnsTheImageThenServesRepeatsFromTheCache() async throws {
        let fixture = try Fixture()
        let photo = try #require(fixture.ids["photo"])
        try await fixture.application().test(.router) { client in
            let uri = "/v1/assets/\(photo)/render?w=400&h=300&fit=cover&fm=webp"
            let etag = try await client.execute(uri: uri, method: .get) { response async throws in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "image/webp")
                #expect(response.headers[HTTPField.Name("X-Render-Cache")!] == "miss")
                let path = try saved(response.body, as: "cover.webp")
                #expect(try Oracle.vipsheaderInt("width", path) == 400 && Oracle.vipsheaderInt("height", path) == 300)
                #expect(try Oracle.mimeType(path) == "image/webp")
                let tags = try Oracle.exiftool(path)
                #expect(tags["GPSLatitude"] == nil && tags["Make"] == nil, "metadata in the output: \(tags.keys.sorted())")
                return try #require(response.headers[.eTag])
            }
            // The same request in another spelling is the same render.
            try await client.execute(uri: "/v1/assets/\(photo)/render?fm=WEBP&fit=cover&h=300&w=400", method: .get) { response async throws in
                #expect(response.status == .ok)
                #expect(response.headers[HTTPField.Name("X-Render-Cache")!] == "hit")
                #expect(response.headers[.eTag] == etag)
            }
            try await client.execute(uri: uri, method: .get, headers: [.ifNoneMatch: etag]) { response async throws in
                #expect(response.status == .notModified)
                #expect(response.body.readableBytes == 0)
            }
        }
    }

    @Test func anEXIFRotatedSourceRendersUpright() async throws {
        let fixture = try Fixture()
        let rotated = try #require(fixture.ids["rotated"])
        try await fixture.application().test(.router) { client in
            try await client.execute(uri: "/v1/assets/\(rotated)/render?fm=png", method: .get) { response async throws in
                #expect(response.status == .ok && response.headers[.contentType] == "image/png")
                let path = try saved(response.body, as: "upright.png")
                let upright = try Oracle.autorotatedSize(Package.sample("orientation/orientation-6.jpg"),
                                                         scratch: try Package.temporaryDirectory("autorot"))
                #expect(try Oracle.vipsheaderInt("width", path) == upright.width)
                #expect(try Oracle.vipsheaderInt("height", path) == upright.height)
            }
        }
    }

    @Test func aVideoRendersFromItsPosterAndAFileWithoutPictureIs422() async throws {
        let fixture = try Fixture()
        try await fixture.application().test(.router) { client in
            try await client.execute(uri: "/v1/assets/\(fixture.ids["video"]!)/render?w=64", method: .get) { response async throws in
                #expect(response.status == .ok)
                #expect(try Oracle.vipsheaderInt("width", try saved(response.body, as: "poster.jpg")) == 64)
            }
            try await client.execute(uri: "/v1/assets/\(fixture.ids["text"]!)/render?w=64", method: .get) { response async throws in
                #expect(response.status == .unprocessableContent)
                #expect(try error(response.body)["code"] as? String == "not_an_image")
            }
        }
    }

    @Test func badParametersAre400WithTheParameterAndUnknownAssets404() async throws {
        let fixture = try Fixture()
        let photo = try #require(fixture.ids["photo"])
        try await fixture.application().test(.router) { client in
            for (query, param) in [("w=0", "w"), ("zoom=2", "zoom"), ("rect=0,0,99999,10", "rect"), ("w=8000&dpr=4", "w"),
                                   ("mark=nope", "mark")] {
                try await client.execute(uri: "/v1/assets/\(photo)/render?\(query)", method: .get) { response async throws in
                    #expect(response.status == .badRequest, "\(query)")
                    let body = try error(response.body)
                    #expect(body["param"] as? String == param && !(body["message"] as? String ?? "").isEmpty, "\(query): \(body)")
                }
            }
            try await client.execute(uri: "/v1/assets/no-such-asset/render?w=10", method: .get) { response async throws in
                #expect(response.status == .notFound)
                #expect(try error(response.body)["code"] as? String == "not_found")
            }
        }
    }

    @Test func signedURLsAreRequiredWhenKeysAreSet() async throws {
        let fixture = try Fixture()
        let photo = try #require(fixture.ids["photo"])
        let signer = try #require(URLSigner(keys: ["new", "old"]))
        let path = "/v1/assets/\(photo)/render"
        let parameters = try RenderParameters(queryString: "w=100")
        let good = signer.signature(path: path, parameters: parameters)
        let old = try #require(URLSigner(keys: ["old"])).signature(path: path, parameters: parameters)
        try await fixture.application { $0.signer = signer }.test(.router) { client in
            for (query, status) in [("w=100", HTTPResponse.Status.forbidden), ("w=100&s=\(String(repeating: "0", count: 64))", .forbidden),
                                    ("w=101&s=\(good)", .forbidden), ("w=100&s=\(good)", .ok), ("s=\(old)&w=100", .ok)] {
                try await client.execute(uri: path + "?" + query, method: .get) { response async throws in
                    #expect(response.status == status, "\(query)")
                    if status == .forbidden { #expect(try error(response.body)["param"] as? String == "s") }
                }
            }
        }
    }

    @Test func aRenderPastItsTimeLimitIs503WithRetryAfter() async throws {
        let fixture = try Fixture()
        try await fixture.application { $0.renderTimeout = .nanoseconds(1) }.test(.router) { client in
            try await client.execute(uri: "/v1/assets/\(fixture.ids["photo"]!)/render?w=300&blur=3", method: .get) { response async throws in
                #expect(response.status == .serviceUnavailable)
                #expect(try response.headers[.retryAfter] == "1")
                #expect(try error(response.body)["code"] as? String == "busy")
            }
        }
    }

    // MARK: - Catalog and jobs

    @Test func recordsAndRenditionsAreServed() async throws {
        let fixture = try Fixture()
        let photo = try #require(fixture.ids["photo"])
        let record = try #require(try fixture.catalog.record(idOrPath: photo))
        try await fixture.application().test(.router) { client in
            try await client.execute(uri: "/v1/assets/\(photo)", method: .get) { response async throws in
                #expect(try response.status == .ok && (try json(response.body))["id"] as? String == photo)
                #expect(try (try json(response.body))["sha256"] as? String == (try Oracle.sha256sum(Package.sample("photos/camera-gps-north.jpg"))))
            }
            try await client.execute(uri: "/v1/assets?path=%2Ftest%2Fphoto", method: .get) { response async throws in
                #expect(try response.status == .ok && (try json(response.body))["id"] as? String == photo)
            }
            // Without `path`, a search: every asset, newest first.
            try await client.execute(uri: "/v1/assets", method: .get) { response async throws in
                let page = try json(response.body)
                #expect(response.status == .ok)
                #expect((page["assets"] as? [[String: Any]])?.contains { $0["id"] as? String == photo } == true)
                #expect(page.keys.contains("next_cursor"))
            }
            try await client.execute(uri: "/v1/assets?path=", method: .get) { response async throws in
                #expect(try response.status == .badRequest && (try error(response.body))["param"] as? String == "path")
            }
            try await client.execute(uri: "/v1/assets?q=width%20%3E%3E%201", method: .get) { response async throws in
                let failure = try error(response.body)
                #expect(response.status == .badRequest && failure["code"] as? String == "bad_query" && failure["position"] as? Int == 7)
            }
            try await client.execute(uri: "/v1/assets/search", method: .post, headers: [.contentType: "application/json"],
                                     body: ByteBuffer(string: #"{"q": "kind = image", "count": true, "facets": "format"}"#)) { response async throws in
                let page = try json(response.body)
                #expect(response.status == .ok && (page["count"] as? Int ?? 0) >= 1)
                #expect((page["facets"] as? [String: Any])?["format"] != nil)
            }
            let thumb = try #require(record.renditions?.first { $0.name == "thumb" })
            try await client.execute(uri: "/v1/assets/\(photo)/renditions/thumb", method: .get) { response async throws in
                #expect(response.status == .ok && response.headers[.contentType] == "image/webp")
                #expect(Data(buffer: response.body) == FileManager.default.contents(atPath: fixture.data + "/" + thumb.path))
            }
            try await client.execute(uri: "/v1/assets/\(photo)/renditions/poster", method: .get) { response async throws in
                #expect(response.status == .notFound)
            }
        }
    }

    @Test func jobsAreQueuedWithTheTokenAndReadBack() async throws {
        let fixture = try Fixture()
        let photo = try #require(fixture.ids["photo"])
        try await fixture.application { $0.tokens = APITokens(["t0ken"]) }.test(.router) { client in
            let body = ByteBuffer(string: #"{"kind": "refresh", "asset_id": "\#(photo)"}"#)
            try await client.execute(uri: "/v1/jobs", method: .post, headers: [.contentType: "application/json"], body: body) { response async throws in
                #expect(response.status == .unauthorized)
            }
            let id = try await client.execute(uri: "/v1/jobs", method: .post, headers: [.authorization: "Bearer t0ken", .contentType: "application/json"], body: body) { response async throws in
                #expect(response.status == .accepted)
                let job = try json(response.body)
                #expect(job["kind"] as? String == "refresh" && job["state"] as? String == "queued")
                return try #require(job["id"] as? String)
            }
            try await client.execute(uri: "/v1/jobs/\(id)", method: .get) { response async throws in
                #expect(try response.status == .ok && (try json(response.body))["id"] as? String == id)
            }
            #expect(try await fixture.queue.job(id)?.payload.assetID == photo)
            try await client.execute(uri: "/v1/jobs", method: .post, headers: [.authorization: "Bearer t0ken", .contentType: "application/json"],
                                     body: ByteBuffer(string: #"{"kind": "explode"}"#)) { response async throws in
                #expect(response.status == .badRequest)
            }
            try await client.execute(uri: "/v1/jobs/nope", method: .get) { response async throws in
                #expect(response.status == .notFound)
            }
            let huge = ByteBuffer(string: #"{"kind": "refresh", "asset_id": ""# + String(repeating: "x", count: 2 << 20) + #""}"#)
            try await client.execute(uri: "/v1/jobs", method: .post, headers: [.authorization: "Bearer t0ken", .contentType: "application/json"], body: huge) { response async throws in
                #expect(response.status == .contentTooLarge)
                #expect(try error(response.body)["code"] as? String == "body_too_large")
            }
        }
    }
}

/// `/metrics` with the process's metrics system bootstrapped, as `serve` does.
@Suite struct MetricsEndpointTests {
    /// swift-metrics takes one bootstrap per process: this suite's.
    static let registry: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return registry
    }()

    @Test func requestsByRouteAndStatusRenderLatencyAndCacheHitsAreExported() async throws {
        let fixture = try ServerTests.Fixture()
        let api = try AssetAPI(catalog: fixture.catalog, queue: fixture.queue,
                               settings: ServerSettings(cacheDirectory: try Package.temporaryDirectory("metrics-cache")))
        let router = api.makeRouter(metrics: Self.registry)
        let photo = try #require(fixture.ids["photo"])
        try await Application(router: router).test(.router) { client in
            for _ in 0..<2 {
                try await client.execute(uri: "/v1/assets/\(photo)/render?w=50", method: .get) { #expect($0.status == .ok) }
            }
            try await client.execute(uri: "/v1/assets/nope", method: .get) { #expect($0.status == .notFound) }
            let text = try await client.execute(uri: "/metrics", method: .get) { response async throws -> String in
                #expect(response.status == .ok)
                return String(buffer: response.body)
            }
            // Other suites render at the same time in this process: at least, not exactly.
            let values = Self.values(text)
            let expected: [(String, Double)] = [
                (#"hb_requests{http_route="/v1/assets/{id}/render",http_request_method="GET",http_response_status_code="200"}"#, 2),
                (#"hb_requests{http_route="/v1/assets/{id}",http_request_method="GET",http_response_status_code="404"}"#, 1),
                ("assetpipe_render_cache_hits_total", 1), ("assetpipe_render_cache_misses_total", 1),
                ("assetpipe_render_duration_seconds_count", 1),
            ]
            for (series, least) in expected {
                #expect((values[series] ?? 0) >= least, "\(series): \(values[series].map { "\($0)" } ?? "missing")")
            }
        }
    }

    /// Series → value, from Prometheus's text format.
    static func values(_ text: String) -> [String: Double] {
        var values: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
            values[String(line[..<space])] = value
        }
        return values
    }
}

/// Saved edits: `POST /v1/assets/{id}/edits` queues an `edit` job; the job
/// makes the render the asset's next version (or a new asset), through the
/// pipeline, with an `edited` history entry.
@Suite struct SavedEditTests {
    private func run(_ job: [String: Any], _ fixture: ServerTests.Fixture) async throws -> JobResult {
        let id = try #require(job["id"] as? String)
        let claimed = try #require(try await fixture.queue.claim(worker: "test", lease: .seconds(60)))
        #expect(claimed.id == id && claimed.kind == .edit)
        let executor = JobExecutor(runner: Runner(definition: .default), catalog: fixture.catalog, actor: "test",
                                   edits: EditsFolder(directory: fixture.data + "/edits"))
        return executor.execute(claimed) { true }
    }

    private func post(_ body: String, to id: String, _ fixture: ServerTests.Fixture) async throws -> (HTTPResponse.Status, [String: Any]) {
        try await fixture.application { $0.insecure = true }.test(.router) { client in
            try await client.execute(uri: "/v1/assets/\(id)/edits", method: .post, headers: [.contentType: "application/json"],
                                     body: ByteBuffer(string: body)) { response async throws in
                (response.status, try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any] ?? [:])
            }
        }
    }

    @Test func anEditBecomesTheNextVersion() async throws {
        let fixture = try ServerTests.Fixture()
        let photo = try #require(fixture.ids["photo"])
        let (status, job) = try await post(#"{"ops": {"w": 200, "h": 100, "fit": "cover", "txt": "hi"}}"#, to: photo, fixture)
        #expect(status == .accepted)
        #expect((job["payload"] as? [String: Any])?["ops"] as? String == "fit=cover&h=100&txt=hi&w=200")
        let result = try await run(job, fixture)
        #expect(result.outcome == .succeeded, "\(result)")

        let edited = try #require(try fixture.catalog.record(idOrPath: photo))
        #expect(edited.version == 2 && edited.width == 200 && edited.height == 100)
        let origin = try #require(edited.origin)
        #expect(origin.hasPrefix(fixture.data + "/edits/"))
        #expect(try Oracle.vipsheaderInt("width", origin) == 200 && Oracle.vipsheaderInt("height", origin) == 100)
        #expect(edited.sha256 == (try Oracle.sha256sum(origin)))
        #expect(!(edited.renditions ?? []).isEmpty)
        let last = try #require(try fixture.catalog.history(idOrPath: photo).last)
        #expect(last.action == .edited && last.version == 2)
        #expect(last.detail["ops"] == "fit=cover&h=100&txt=hi&w=200" && last.detail["edited_from"] == "\(photo) v1")
    }

    /// The derivatives of an edit are those of the render itself: equal,
    /// byte for byte, to processing a lossless (PNG) file of the same render
    /// directly; and the job decodes the source once (the render's decode;
    /// the pipeline gets the pixels in memory).
    @Test func anEditsDerivativesAreTheRendersWithOneDecode() async throws {
        let fixture = try ServerTests.Fixture()
        let photo = try #require(fixture.ids["photo"])
        let ops = "fit=cover&h=120&txt=hi&w=240"
        let (_, job) = try await post(#"{"ops": {"w": 240, "h": 120, "fit": "cover", "txt": "hi"}}"#, to: photo, fixture)
        let id = try #require(job["id"] as? String)
        let claimed = try #require(try await fixture.queue.claim(worker: "test", lease: .seconds(60)))
        #expect(claimed.id == id)
        let executor = JobExecutor(runner: Runner(definition: .default), catalog: fixture.catalog, actor: "test",
                                   edits: EditsFolder(directory: fixture.data + "/edits"))
        let decodes = DecodeCounter()
        let result = DecodeCounter.$current.withValue(decodes) { executor.execute(claimed) { true } }
        #expect(result.outcome == .succeeded, "\(result)")
        #expect(decodes.count == 1, "the job decoded \(decodes.count) times")
        let edited = try #require(try fixture.catalog.record(idOrPath: photo))
        // A JPEG source keeps its format (at q95), as exiftool reads the file.
        let origin = try #require(edited.origin)
        #expect(try Oracle.exiftool(origin, [])["MIMEType"] as? String == "image/jpeg")

        // The oracle: the same render, as PNG, processed from its file.
        let original = try SourceFile(path: Package.sample("photos/camera-gps-north.jpg")).open()
        let png = try Renderer(limits: RenderLimits()).render(original, try RenderParameters(queryString: ops + "&fm=png"))
        let file = try Package.temporaryDirectory("edit-oracle") + "/render.png"
        try Data(png.bytes).write(to: URL(fileURLWithPath: file))
        let direct = Runner(definition: .default).process(SourceFile(path: file))
        #expect(direct.record.status == .processed)
        let stored = edited.renditions ?? []
        #expect(stored.map(\.name).sorted() == direct.renditions.map(\.name).sorted())
        for rendition in direct.renditions {
            let kept = try #require(stored.first { $0.name == rendition.name })
            let bytes = try Data(contentsOf: URL(fileURLWithPath: fixture.data + "/" + kept.path))
            let same = Array(bytes) == rendition.bytes
            #expect(same, "rendition \(rendition.name) differs from the direct processing")
        }
        #expect(edited.color?.dominant != nil && edited.color?.dominant == direct.record.color?.dominant)
        #expect(edited.width == 240 && edited.height == 120)
    }

    @Test func anEditSavedAsANewAssetLeavesTheSourceAlone() async throws {
        let fixture = try ServerTests.Fixture()
        let photo = try #require(fixture.ids["photo"])
        let (status, job) = try await post(#"{"ops": {"rot": 90}, "save_as": "/test/turned.jpg"}"#, to: photo, fixture)
        #expect(status == .accepted)
        #expect(try await run(job, fixture).outcome == .succeeded)
        let source = try #require(try fixture.catalog.record(idOrPath: photo))
        let copy = try #require(try fixture.catalog.record(atPath: "/test/turned.jpg"))
        #expect(source.version == 1 && copy.id != photo && copy.version == 1)
        #expect(copy.width == source.height && copy.height == source.width)
        #expect(try fixture.catalog.history(idOrPath: "/test/turned.jpg").map(\.action) == [.edited])
    }

    @Test func badEditsAreRefusedBeforeTheyAreQueued() async throws {
        let fixture = try ServerTests.Fixture()
        let photo = try #require(fixture.ids["photo"])
        let (badValue, badBody) = try await post(#"{"ops": {"w": 0}}"#, to: photo, fixture)
        #expect(badValue == .badRequest && (badBody["error"] as? [String: Any])?["param"] as? String == "w")
        #expect(try await post(#"{"ops": {}}"#, to: photo, fixture).0 == .badRequest)
        #expect(try await post(#"{"ops": {"w": 10}}"#, to: fixture.ids["text"]!, fixture).0 == .unprocessableContent)
        #expect(try await post(#"{"ops": {"w": 10}}"#, to: "nope", fixture).0 == .notFound)
        #expect(try await fixture.queue.counts()[.queued] == 0)
    }

    @Test func anEditThatCannotApplyIsRefusedAtOnceOrFailsWithoutRetrying() async throws {
        let fixture = try ServerTests.Fixture()
        let photo = try #require(fixture.ids["photo"])
        // Valid alone, but past the edge of this photo: the route plans it against the record and refuses it.
        let (status, body) = try await post(#"{"ops": {"rect": "0,0,99999,10"}}"#, to: photo, fixture)
        #expect(status == .badRequest && (body["error"] as? [String: Any])?["param"] as? String == "rect")
        // Queued some other way (the asset may have changed since), the worker refuses it for good.
        let queued = try await fixture.queue.enqueue([.edit(assetID: photo, ops: "rect=0,0,99999,10")])[0]
        let result = try await run(["id": queued.id], fixture)
        guard case .failed(let error) = result.outcome else {
            Issue.record("expected a failure, got \(result)")
            return
        }
        #expect(error.reason.rawValue == "invalid_edit")
        #expect(try fixture.catalog.record(idOrPath: photo)?.version == 1)
    }
}

/// Small renders start from a stored rendition when it has every pixel the
/// output needs; the result matches the one made from the original.
@Suite struct RenditionSourceTests {
    /// Renders `query` with rendition sources on or off: the body's file and `X-Render-Source`.
    private func render(_ query: String, fromRenditions: Bool, _ fixture: ServerTests.Fixture) async throws -> (path: String, source: String) {
        let photo = try #require(fixture.ids["photo"])
        return try await fixture.application { $0.renderFromRenditions = fromRenditions }.test(.router) { client in
            try await client.execute(uri: "/v1/assets/\(photo)/render?\(query)", method: .get) { response async throws in
                #expect(response.status == .ok, "\(query)")
                let path = try Package.temporaryDirectory("rendition-source") + "/out.png"
                try Data(buffer: response.body).write(to: URL(fileURLWithPath: path))
                return (path, response.headers[HTTPField.Name("X-Render-Source")!] ?? "")
            }
        }
    }

    /// Mean absolute difference per band, 0–255, by `vips subtract`, `abs` and `avg`.
    private func meanDifference(_ a: String, _ b: String) throws -> Double {
        let scratch = try Package.temporaryDirectory("difference")
        for (tool, arguments) in [("subtract", [a, b, scratch + "/d.v"]), ("abs", [scratch + "/d.v", scratch + "/e.v"])] {
            guard try Command.run("vips", [tool] + arguments).status == 0 else { throw TestFailure("vips \(tool) failed") }
        }
        return try #require(Double(try Command.run("vips", ["avg", scratch + "/e.v"]).output.trimmingCharacters(in: .whitespacesAndNewlines)))
    }

    @Test(arguments: ["w=200&fm=png", "w=160&h=160&fit=cover&fm=png", "rect=100,50,300,200&w=150&fm=png"])
    func aSmallRenderFromARenditionMatchesTheOriginal(query: String) async throws {
        let fixture = try ServerTests.Fixture()
        let fromCopy = try await render(query, fromRenditions: true, fixture)
        let fromOriginal = try await render(query, fromRenditions: false, fixture)
        #expect(fromCopy.source != "original" && fromOriginal.source == "original")
        #expect(try Oracle.vipsheaderInt("width", fromCopy.path) == Oracle.vipsheaderInt("width", fromOriginal.path))
        #expect(try Oracle.vipsheaderInt("height", fromCopy.path) == Oracle.vipsheaderInt("height", fromOriginal.path))
        #expect(try meanDifference(fromCopy.path, fromOriginal.path) < 4, "\(query)")
    }

    @Test func aRenderNeedingMorePixelsUsesTheOriginal() async throws {
        let fixture = try ServerTests.Fixture()
        let photo = try #require(try fixture.catalog.record(idOrPath: fixture.ids["photo"]!))
        let full = try await render("w=\(try #require(photo.width))&fm=png", fromRenditions: true, fixture)
        #expect(full.source == "original")
    }
}
